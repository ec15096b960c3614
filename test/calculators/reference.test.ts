// Energies, forces and stresses against ASE and LAMMPS for the same structures
// (fixtures: test/fixtures/potentials/reference.json from test/fixtures/scripts/potentials_reference.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import { StillingerWeberCalculator } from '../../src/calculators/stillinger-weber.js';
import { Structure } from '../../src/structure/structure.js';
import { maxAbs, maxAbsDiff } from '../helpers/arrays.js';
import { DIAMOND, supercell } from './helpers.js';
import { fileReader } from '../../src/node/potentials.js';

const DIR = 'test/fixtures/potentials';
interface Case {
  name: string;
  engine: string;
  structure: { cell: number[]; cartesian: number[]; species: string[] };
  potential: Record<string, unknown>;
  energy: number;
  forces: number[];
  stress: number[];
}
const cases: Case[] = JSON.parse(readFileSync(`${DIR}/reference.json`, 'utf8')).cases;

describe('built-in potentials reproduce ASE / LAMMPS', async () => {
  const k = await loadKernels();
  const report: string[] = [];

  it('the fixture file holds the ASE and LAMMPS cases', () => {
    const names = cases.map((c) => c.name);
    for (const n of ['lj-ar-shift-ase', 'lj-ar-smooth-ase', 'lj-arkr-shift-lammps', 'morse-cuni-shift-lammps', 'sw-si-lammps', 'sw-gan-lammps']) {
      expect(names).toContain(n);
    }
  });

  for (const c of cases) {
    it(`${c.name} (${c.engine})`, async () => {
      const calc = builtinCalculator(k, c.potential, { source: c.name, readFile: fileReader(DIR) });
      const s = new Structure({ cell: c.structure.cell, cartesian: c.structure.cartesian, species: c.structure.species });
      const [r] = await calc.compute([s], { stress: true });
      const dE = Math.abs(r.energy - c.energy) / Math.max(1, Math.abs(c.energy));
      // relative to the largest entry (with floors 0.01 eV/Å and 1e-5 eV/Å³ for the ideal crystal, where all vanish)
      const dF = maxAbsDiff(r.forces, c.forces) / Math.max(maxAbs(c.forces), 1e-2);
      const dS = maxAbsDiff(r.stress!, c.stress) / Math.max(maxAbs(c.stress), 1e-5);
      report.push(`${c.name}: energy rel ${dE.toExponential(2)}, forces rel ${dF.toExponential(2)}, stress rel ${dS.toExponential(2)}`);
      expect(dE).toBeLessThan(1e-10);
      expect(dF).toBeLessThan(1e-9);
      expect(dS).toBeLessThan(1e-9);
      calc.dispose?.();
    });
  }

  it('Stillinger-Weber silicon: diamond ground state E = -4.3366 eV/atom at a = 5.431 Å, zero forces and stress', () => {
    const calc = new StillingerWeberCalculator(k);
    for (const n of [1, 2]) {
      const a = 5.431 * n;
      const s = new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, a], species: Array(8 * n ** 3).fill('Si'), frac: supercell(DIAMOND, n) });
      const r = calc.computeOne(s);
      report.push(`SW diamond ${n}x${n}x${n}: E/atom = ${(r.energy / s.natoms).toFixed(8)} eV`);
      expect(r.energy / s.natoms).toBeCloseTo(-4.3366, 4);
      expect(maxAbs(r.forces)).toBeLessThan(1e-12);
      // a = 5.431 Å is the minimum of the SW energy-volume curve (to the 4 digits of a): small stress
      expect(maxAbs(r.stress)).toBeLessThan(2e-4);
    }
    calc.dispose();
  });

  it('report', () => console.log(report.join('\n')));
});
