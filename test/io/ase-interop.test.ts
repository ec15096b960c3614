// Files written by this package are read back by ASE and pymatgen (the outside references). These tests
// need Debian's python3-ase and python3-pymatgen; they FAIL (not skip) with an install hint if missing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCif } from '../../src/io/cif.js';
import { writeExtxyz, type ExtxyzFrameInput } from '../../src/io/extxyz.js';
import { writePoscar } from '../../src/io/poscar.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell } from '../../src/structure/supercell.js';
import { fixturePath } from '../helpers/fixtures.js';
import { PYTHON, requirePython } from '../helpers/processes.js';

const SCRIPT = fixturePath('scripts/ase_read.py');

interface PyFrame {
  symbols: string[];
  cell: number[][];
  positions: number[][];
  scaled_positions: number[][];
  masses: number[];
  pbc: boolean[];
  info: Record<string, unknown>;
  info_types: Record<string, string>;
  arrays: Record<string, unknown[]>;
  energy: number | null;
  forces: number[][] | null;
  stress: number[][] | null;
  movable: boolean[][];
}

function pyRead(tool: 'ase' | 'pymatgen', format: string, path: string): PyFrame[] {
  requirePython(
    ['ase', 'pymatgen.core', 'numpy'],
    'These interoperability tests need Debian packages python3-ase and python3-pymatgen: apt-get install -y --no-install-recommends python3-ase python3-pymatgen',
  );
  const out = execFileSync(PYTHON, [SCRIPT, tool, format, path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as PyFrame[];
}

const bitEqual = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i] + 0, b[i] + 0)) expect.fail(`${what}[${i}]: ${a[i]} !== ${b[i]}`);
};

// A low-symmetry test structure with awkward numbers, and a 2×1×1 supercell of H3S with deuterium.
const tric = new Structure({
  cell: [4.4, 0.3, -0.1, -1.2510676679818935, 4.9441712844652086, 0.2, -0.5750745151213437, 0.8226732577939695, 5.9154457154950384],
  species: ['Si', 'O', 'H', 'O', 'Si'],
  frac: [0.11, 0.23, 0.37000000000000011, 1 / 3, 2 / 3, 0.999999999999, 0, 0.5, 1e-17, 0.123456789012345678, 0.9, 0.25, 0.75, 0.1, 0.6],
});
const h3s = new Structure({
  cell: [3.09, 0, 0, 0, 3.09, 0, 0, 0, 3.09],
  species: ['S', 'S', 'D', 'H', 'H', 'H', 'H', 'H'],
  frac: [0, 0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0, 0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5],
});
const h3sSuper = makeSupercell(h3s, [2, 1, 1]).structure;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anharm-io-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ASE reads our extended XYZ with equal energy, forces, stress, cell, positions, masses and info', () => {
  it('two frames', () => {
    const n = h3sSuper.natoms;
    const forces = Array.from({ length: 3 * n }, (_, i) => Math.sin(i + 1) / 3);
    const frames: ExtxyzFrameInput[] = [
      {
        structure: h3sSuper,
        energy: -71.123456789012345,
        forces,
        stress: [-0.9, 1e-3, 2e-4, 1e-3, -0.85, -1 / 3, 2e-4, -1 / 3, -0.95],
        info: { config_type: 'H3S 150 GPa, "SSCHA" sample', step: 3, temperature: 300, converged: true, kpts: [4, 4, 4] },
        integerKeys: new Set(['step', 'kpts']),
      },
      { structure: tric, energy: 1e-7, forces: Array.from({ length: 15 }, (_, i) => (i - 7) * 0.1) },
    ];
    const path = join(dir, 'ours.extxyz');
    writeFileSync(path, writeExtxyz(frames));
    const got = pyRead('ase', 'extxyz', path);
    expect(got.length).toBe(2);
    got.forEach((g, k) => {
      const f = frames[k];
      expect(g.symbols).toEqual([...f.structure.species]);
      bitEqual(g.cell.flat(), f.structure.cell, 'cell');
      bitEqual(g.positions.flat(), f.structure.cartesian(), 'positions');
      bitEqual(g.masses, f.structure.masses, 'masses');
      expect(g.energy).toBe(f.energy);
      bitEqual(g.forces!.flat(), f.forces!, 'forces');
      if (f.stress) bitEqual(g.stress!.flat(), f.stress, 'stress');
      else expect(g.stress).toBeNull();
      expect(g.pbc).toEqual([true, true, true]);
    });
    expect(got[0].masses[2]).toBe(2.014101778);
    expect(got[0].info.config_type).toBe('H3S 150 GPa, "SSCHA" sample');
    expect(got[0].info.step).toBe(3);
    expect(got[0].info_types.step).toBe('int');
    expect(got[0].info_types.temperature).toBe('float');
    expect(got[0].info.converged).toBe(true);
    expect(got[0].info.kpts).toEqual([4, 4, 4]);
  });
});

describe('ASE reads our POSCAR', () => {
  it('Direct with selective dynamics: same cell (bit for bit), species, positions and movable flags', () => {
    const sel = tric.species.map((_, i) => [i !== 1, i % 2 === 0, true]);
    const path = join(dir, 'POSCAR');
    writeFileSync(path, writePoscar(tric, { selectiveDynamics: sel }));
    const [g] = pyRead('ase', 'vasp', path);
    expect(g.symbols).toEqual([...tric.species]);
    bitEqual(g.cell.flat(), tric.cell, 'cell');
    const x = tric.cartesian();
    g.positions.flat().forEach((v, i) => expect(Math.abs(v - x[i])).toBeLessThan(1e-14));
    expect(g.movable).toEqual(sel);
  });

  it('Cartesian', () => {
    const path = join(dir, 'cart.vasp');
    writeFileSync(path, writePoscar(h3sSuper, { coordinates: 'cartesian' }));
    const [g] = pyRead('ase', 'vasp', path);
    expect(g.symbols).toEqual([...h3sSuper.species]);
    bitEqual(g.positions.flat(), h3sSuper.cartesian(), 'positions');
  });
});

describe('ASE and pymatgen read our P1 CIF', () => {
  it.each(['ase', 'pymatgen'] as const)('%s: same atoms, fractional coordinates and lattice parameters', (tool) => {
    const path = join(dir, `tric-${tool}.cif`);
    writeFileSync(path, writeCif(tric, { dataName: 'tric' }));
    const [g] = pyRead(tool, 'cif', path);
    // pymatgen may reorder sites; match every atom to exactly one read atom of the same species.
    expect(g.symbols.length).toBe(tric.natoms);
    const used = new Set<number>();
    for (let i = 0; i < tric.natoms; i++) {
      const hits = g.scaled_positions
        .map((t, j) => [t, j] as const)
        .filter(([t, j]) => g.symbols[j] === tric.species[i] && t.every((v, a) => {
          const d = v - tric.frac[3 * i + a];
          return Math.abs(d - Math.round(d)) < 1e-12;
        }));
      expect(hits.length, `atom ${i + 1}`).toBe(1);
      used.add(hits[0][1]);
    }
    expect(used.size).toBe(tric.natoms);
    if (tool === 'ase') expect(g.symbols).toEqual([...tric.species]);
    // Lattice parameters from the cell each tool built.
    const len = (r: number[]) => Math.hypot(r[0], r[1], r[2]);
    const p = tric.lattice();
    [p.a, p.b, p.c].forEach((v, i) => expect(Math.abs(len(g.cell[i]) - v)).toBeLessThan(1e-12));
  });
});
