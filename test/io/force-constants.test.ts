// phonopy FORCE_CONSTANTS: files written by phonopy (test/fixtures/fc, from
// test/fixtures/scripts/fc_phonopy.py) read back equal; ours are read by phonopy itself
// (test/fixtures/scripts/fc_phonopy_read.py at test time — needs Debian's python3-phonopy and FAILS
// with an install hint if it is missing); frequencies against phonopy's; errors name file and line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  forceConstantsFromRealSpace,
  forceConstantsToRealSpace,
  phonopySupercellOrder,
  readForceConstants,
  supercellOrderFromStructure,
  writeForceConstants,
} from '../../src/io/force-constants.js';
import { writePoscar } from '../../src/io/poscar.js';
import { dynModes, dynSetToRealSpace, phiAtGridPoint, readQeDynSet } from '../../src/io/qe-dyn.js';
import { loadKernels } from '../../src/node/kernels.js';
import type { ForceConstants } from '../../src/phonons/force-constants-model.js';
import { Structure } from '../../src/structure/structure.js';
import { fixturePath } from '../helpers/fixtures.js';
import { PYTHON, requirePython } from '../helpers/processes.js';
import { expectParseErrorMessage } from '../helpers/expect.js';

const FIX = fixturePath('fc/');
const SCRIPT = fixturePath('scripts/fc_phonopy_read.py');
function phonopy(...args: string[]): any {
  requirePython(['phonopy'], 'These interoperability tests need phonopy: apt-get install -y --no-install-recommends python3-phonopy');
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`fc_phonopy_read.py ${args[0]} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface Ref {
  unitcell: { cell: number[][]; symbols: string[]; frac: number[][]; masses: number[] };
  dims: number[];
  supercell: { cell: number[][]; symbols: string[]; frac: number[][] };
  p2s_map: number[];
  qpoints: number[][];
  frequencies_thz: number[][];
}
const CASES = ['zincblende_2x2x2', 'lowsym_3x2x2'];
const ref = (name: string): Ref => JSON.parse(readFileSync(FIX + name + '.json', 'utf8'));
const unitcell = (r: Ref) => new Structure({ cell: r.unitcell.cell.flat(), species: r.unitcell.symbols, frac: r.unitcell.frac.flat(), masses: r.unitcell.masses });
const readFc = (file: string) => readForceConstants(readFileSync(FIX + file, 'utf8'), file);
const tmp = mkdtempSync(join(tmpdir(), 'anharm-fc-'));

/** Block of (κ, κ', actual separation vector) for every pair; separation wrapped into the supercell. */
function blocksBySeparation(fc: ForceConstants): Map<string, number[]> {
  const s = fc.primitive;
  const map = new Map<string, number[]>();
  const n = fc.grid;
  for (let k = 0; k < fc.nat; k++)
    for (let k2 = 0; k2 < fc.nat; k2++)
      for (let c = 0; c < fc.ncells; c++) {
        const d = [0, 1, 2].map((a) => s.frac[3 * k2 + a] + fc.cells[3 * c + a] - s.frac[3 * k + a]);
        const w = d.map((x, a) => (((Math.round(x * 1e6) / 1e6) % n[a]) + n[a]) % n[a]);
        map.set(`${k},${k2},${w.map((x) => x.toFixed(4)).join(',')}`, Array.from(fc.block(k, k2, c)));
      }
  return map;
}

describe('phonopy FORCE_CONSTANTS written by phonopy', () => {
  for (const name of CASES) {
    it(`${name}: full and compact forms read back equal`, () => {
      const r = ref(name);
      const full = readFc(`${name}.FORCE_CONSTANTS`);
      const compact = readFc(`${name}.FORCE_CONSTANTS_compact`);
      const N = r.supercell.symbols.length;
      expect(full.compact).toBe(false);
      expect(full.rows).toBe(N);
      expect(compact.compact).toBe(true);
      expect(Array.from(compact.rowAtoms)).toEqual(r.p2s_map);
      for (let ri = 0; ri < compact.rows; ri++) {
        const p = compact.rowAtoms[ri];
        for (let x = 0; x < N * 9; x++) expect(compact.fc[ri * N * 9 + x]).toBe(full.fc[p * N * 9 + x]);
      }
      // Our writer reproduces phonopy's text exactly.
      expect(writeForceConstants(full)).toBe(readFileSync(FIX + `${name}.FORCE_CONSTANTS`, 'utf8'));
      expect(writeForceConstants(compact)).toBe(readFileSync(FIX + `${name}.FORCE_CONSTANTS_compact`, 'utf8'));
    });

    it(`${name}: phonopy's supercell order is the one assumed, and real space is translation invariant`, () => {
      const r = ref(name);
      const prim = unitcell(r);
      const sc = new Structure({ cell: r.supercell.cell.flat(), species: r.supercell.symbols, frac: r.supercell.frac.flat() });
      expect(Array.from(supercellOrderFromStructure(prim, r.dims, sc))).toEqual(Array.from(phonopySupercellOrder(prim.natoms, r.dims)));
      const { fc, maxTranslationDeviation } = forceConstantsToRealSpace(readFc(`${name}.FORCE_CONSTANTS`), prim, r.dims);
      expect(maxTranslationDeviation).toBeLessThan(1e-12);
      const fromCompact = forceConstantsToRealSpace(readFc(`${name}.FORCE_CONSTANTS_compact`), prim, r.dims).fc;
      for (let i = 0; i < fc.blocks.length; i++) expect(fromCompact.blocks[i]).toBeCloseTo(fc.blocks[i], 12);
      // Back to phonopy's layout: identical numbers.
      const again = forceConstantsFromRealSpace(fc);
      const full = readFc(`${name}.FORCE_CONSTANTS`);
      for (let i = 0; i < full.fc.length; i++) expect(Math.abs(again.fc[i] - full.fc[i])).toBeLessThan(1e-12);
      // The full supercell matrix of the model (makeSupercell order) is symmetric.
      const m = fc.phi;
      const n3 = 3 * fc.natSupercell;
      for (let i = 0; i < n3; i++) for (let j = 0; j < i; j++) expect(Math.abs(m[i * n3 + j] - m[j * n3 + i])).toBeLessThan(1e-12);
    });

    it(`${name}: frequencies at the commensurate q equal phonopy's`, async () => {
      const k = await loadKernels();
      const r = ref(name);
      const prim = unitcell(r);
      const { fc } = forceConstantsToRealSpace(readFc(`${name}.FORCE_CONSTANTS`), prim, r.dims);
      let worst = 0;
      r.qpoints.forEach((q, iq) => {
        const m = q.map((x, a) => Math.round(x * r.dims[a]));
        const modes = dynModes(k, phiAtGridPoint(fc, m), prim.masses);
        r.frequencies_thz[iq].forEach((f, v) => {
          // phonopy's THz factor (VaspToTHz) differs from physics.md's 15.6333042 by ~1e-7 relative.
          const err = Math.abs(modes.thz[v] - f);
          if (Math.abs(f) > 0.01) worst = Math.max(worst, err / Math.abs(f));
          expect(err).toBeLessThan(1e-6 * Math.abs(f) + 1e-5);
        });
      });
      expect(worst).toBeLessThan(1e-6);
    });
  }
});

describe('phonopy reads FORCE_CONSTANTS written by us', () => {
  for (const name of CASES) {
    it(`${name}: full and compact, parsed by phonopy, equal phonopy's own files; phonopy's frequencies from ours equal the reference`, () => {
      const r = ref(name);
      const prim = unitcell(r);
      const { fc } = forceConstantsToRealSpace(readFc(`${name}.FORCE_CONSTANTS_compact`), prim, r.dims);
      const fullPath = join(tmp, `${name}.full`);
      const compactPath = join(tmp, `${name}.compact`);
      writeFileSync(fullPath, writeForceConstants(forceConstantsFromRealSpace(fc)));
      writeFileSync(compactPath, writeForceConstants(forceConstantsFromRealSpace(fc, { compact: true })));
      const a = phonopy('compare', fullPath, FIX + `${name}.FORCE_CONSTANTS`);
      expect(a.shape_a).toEqual(a.shape_b);
      expect(a.max_abs_diff).toBeLessThan(1e-12);
      const b = phonopy('compare', compactPath, FIX + `${name}.FORCE_CONSTANTS_compact`);
      expect(b.shape_a).toEqual([prim.natoms, fc.natSupercell, 3, 3]);
      expect(b.max_abs_diff).toBeLessThan(1e-12);
      const poscar = join(tmp, `${name}.POSCAR`);
      writeFileSync(poscar, writePoscar(prim));
      const qfile = join(tmp, `${name}.q.json`);
      writeFileSync(qfile, JSON.stringify(r.qpoints));
      const masses = join(tmp, `${name}.m.json`);
      writeFileSync(masses, JSON.stringify(Array.from(prim.masses)));
      for (const path of [fullPath, compactPath]) {
        const f = phonopy('freqs', poscar, ...r.dims.map(String), path, qfile, masses).frequencies as number[][];
        f.forEach((row, iq) => row.forEach((x, v) => expect(Math.abs(x - r.frequencies_thz[iq][v])).toBeLessThan(1e-6)));
      }
    });
  }

  it('QE dyn (PbTe 4×4×4) → wrapped unit cell + FORCE_CONSTANTS: phonopy reproduces the frequencies printed in the dyn files', async () => {
    const dir = fixturePath('dyn/pbte-4x4x4/');
    const f = (k: number) => ({ name: `PbTe.4x4x4.dyn${k}`, text: readFileSync(dir + `PbTe.4x4x4.dyn${k}`, 'utf8') });
    const set = readQeDynSet(f(0), [1, 2, 3, 4, 5, 6, 7, 8].map(f));
    const { fc } = dynSetToRealSpace(set);
    expect(Array.from(fc.primitive.frac).some((x) => x < 0 || x >= 1)).toBe(true); // Te at (−½, 3/2, −½)
    const w = fc.wrapped();
    expect(Array.from(w.primitive.frac).every((x) => x >= 0 && x < 1)).toBe(true);
    // The relabelling keeps every block attached to the same pair of atoms (same separation vector).
    const before = blocksBySeparation(fc);
    const after = blocksBySeparation(w);
    expect(after.size).toBe(before.size);
    for (const [key, b] of before) expect(after.get(key)).toEqual(b);
    const fcPath = join(tmp, 'PbTe.FORCE_CONSTANTS');
    writeFileSync(fcPath, writeForceConstants(forceConstantsFromRealSpace(w)));
    const poscar = join(tmp, 'PbTe.POSCAR');
    writeFileSync(poscar, writePoscar(w.primitive));
    const masses = join(tmp, 'PbTe.m.json');
    writeFileSync(masses, JSON.stringify(Array.from(w.primitive.masses)));
    // The printed q of each file in reduced coordinates: q_red_k = q · a_k (both in alat units).
    const lat = Array.from(set.structure.cell, (x) => x / (set.alat * 0.529177210903));
    const qs = set.stars.map((st) => [0, 1, 2].map((a) => st.printed!.q[0] * lat[3 * a] + st.printed!.q[1] * lat[3 * a + 1] + st.printed!.q[2] * lat[3 * a + 2]));
    const qfile = join(tmp, 'PbTe.q.json');
    writeFileSync(qfile, JSON.stringify(qs));
    const freqs = phonopy('freqs', poscar, '4', '4', '4', fcPath, qfile, masses).frequencies as number[][];
    let worst = 0;
    set.stars.forEach((st, i) =>
      st.printed!.thz.forEach((p, v) => {
        if (Math.abs(p) > 0.5) worst = Math.max(worst, Math.abs(freqs[i][v] - p));
      }),
    );
    // Printed to 6 decimals from Φ printed to 8: agreement to ~1e-5 THz.
    expect(worst).toBeLessThan(2e-5);
  });
});

describe('FORCE_CONSTANTS: malformed files name file and line', () => {
  const good = readFileSync(FIX + 'zincblende_2x2x2.FORCE_CONSTANTS_compact', 'utf8').split('\n');
  const broken = (lineNo: number, text: string) => {
    const l = [...good];
    l[lineNo - 1] = text;
    return l.join('\n');
  };
  const expectError = (text: string, line: number | undefined, pattern: RegExp) =>
    expectParseErrorMessage(() => readForceConstants(text, 'FC_bad'), 'FC_bad', line, pattern);
  it('reports the offending line', () => {
    expectError('', undefined, /file is empty/);
    expectError(broken(1, '  2  x'), 1, /expected "N N" or "n N"/);
    expectError(broken(1, '  20  16'), 1, /cannot exceed/);
    expectError(broken(2, '1'), 2, /block header "i j"/);
    expectError(broken(2, '1 17'), 2, /outside 1…16/);
    expectError(broken(3, '    14.33  0.0'), 3, /expected 3 numbers \(row 1 of block "1 1"\)/);
    expectError(broken(6, '1 1'), 6, /appears twice/);
    expectError(broken(70, '2 2'), 70, /expected first index 9/);
    expectError(good.slice(0, 10).join('\n'), 11, /unexpected end of file/);
    expectError(good.join('\n') + '\n1 1\n', good.length + 1, /unexpected text after the last block/);
  });
  it('a file for another supercell is refused naming the file', () => {
    const r = ref('zincblende_2x2x2');
    expect(() => forceConstantsToRealSpace(readFc('zincblende_2x2x2.FORCE_CONSTANTS'), unitcell(r), [3, 2, 2], { fileName: 'FC_x' })).toThrow(
      /FC_x:1: the file is for 16 supercell atoms, but 2 atoms × 3×2×2 = 24/,
    );
  });
});
