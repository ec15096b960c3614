// `anharm convert` as a user runs it (the compiled dist/bin/anharm.js, built by `npm test`).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readForceConstants } from '../../src/io/force-constants.js';
import { readStructure } from '../../src/io/index.js';
import { readQeDynSet } from '../../src/io/qe-dyn.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { runCli } from '../helpers/processes.js';

const FIX = FIXTURES;
const run = (...args: string[]) => runCli('convert', ...args);
const tmp = mkdtempSync(join(tmpdir(), 'anharm-convert-'));

function readSet(prefix: string, n: number) {
  const f = (k: number) => ({ name: prefix + k, text: readFileSync(prefix + k, 'utf8') });
  return readQeDynSet(f(0), Array.from({ length: n }, (_, k) => f(k + 1)));
}

describe('anharm convert', () => {
  it('--help lists the formats and options', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const s of ['poscar', 'cif', 'extxyz', 'qe-dyn', 'phonopy-fc', '--from', '--to', '--structure', '--supercell', '--compact']) expect(r.stdout).toContain(s);
  });

  it('structures: POSCAR → CIF → extxyz keeps cell, species and positions', () => {
    const cif = join(tmp, 'h3s.cif');
    const xyz = join(tmp, 'h3s.xyz');
    expect(run(FIX + 'structures/h3s_vasp5_direct.POSCAR', cif).status).toBe(0);
    const r = run(cif, xyz);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wrote .*h3s\.xyz \(extxyz, \d+ atoms\)/);
    const a = readStructure(readFileSync(FIX + 'structures/h3s_vasp5_direct.POSCAR', 'utf8'), 'POSCAR');
    const b = readStructure(readFileSync(xyz, 'utf8'), xyz);
    expect(b.species).toEqual(a.species);
    for (let i = 0; i < 9; i++) expect(b.cell[i]).toBeCloseTo(a.cell[i], 10);
    for (let i = 0; i < a.frac.length; i++) expect(b.frac[i]).toBeCloseTo(a.frac[i], 10);
  });

  it('QE dyn set → FORCE_CONSTANTS + unit cell → QE dyn set: the same Φ(q) on every q', () => {
    const prefix = FIX + 'dyn/h3s-ibrav3/dynq';
    const fc = join(tmp, 'FORCE_CONSTANTS');
    const poscar = join(tmp, 'H3S.POSCAR');
    const r1 = run(prefix + '0', fc, '--write-structure', poscar);
    expect(r1.status).toBe(0);
    expect(r1.stdout).toMatch(/full FORCE_CONSTANTS .* 2×2×2 supercell \(32 atoms, phonopy order; phonopy DIM = 2 2 2\)/);
    expect(readForceConstants(readFileSync(fc, 'utf8'), fc).natSupercell).toBe(32);
    const out = join(tmp, 'h3s.dyn');
    const r2 = run(fc, out, '--to', 'qe-dyn', '--structure', poscar, '--supercell', '2x2x2');
    expect(r2.status).toBe(0);
    expect(r2.stdout).toMatch(/h3s\.dyn0 … .*h3s\.dyn\d+: \d+ q-point files on the 2×2×2 grid/);
    const nfiles = Number(readFileSync(out + '0', 'utf8').split('\n')[1]);
    const a = readSet(prefix, 3);
    const b = readSet(out, nfiles);
    // Compare Φ(q) on the whole grid (the new set uses its own file layout); the structure moved into
    // [0, 1) for phonopy, which multiplies Φ(q)_{κκ'} by a phase: compare frequencies-invariant |Φ|.
    const idx = (m: number[]) => (m[0] * 2 + m[1]) * 2 + m[2];
    const ga = new Map<number, Float64Array>();
    for (const st of a.stars) for (const p of st.points) ga.set(idx(p.m), p.phi);
    for (const st of b.stars)
      for (const p of st.points) {
        const q = ga.get(idx(p.m));
        if (!q) continue;
        for (let j = 0; j < p.phi.length; j += 2) expect(Math.hypot(p.phi[j], p.phi[j + 1])).toBeCloseTo(Math.hypot(q[j], q[j + 1]), 6);
      }
    // dyn → dyn keeps the file layout and the numbers.
    const same = join(tmp, 'same.dyn');
    expect(run(prefix, same, '--to', 'qe-dyn').status).toBe(0);
    const c = readSet(same, 3);
    expect(c.ibrav).toBe(3);
    a.stars.forEach((st, s) => st.points.forEach((p, i) => p.phi.forEach((x, j) => expect(Math.abs(c.stars[s].points[i].phi[j] - x)).toBeLessThan(1e-6))));
  });

  it('phonopy FORCE_CONSTANTS → QE dyn → compact FORCE_CONSTANTS returns phonopy’s numbers', () => {
    const ref = JSON.parse(readFileSync(FIX + 'fc/lowsym_3x2x2.json', 'utf8'));
    const poscar = join(tmp, 'lowsym.POSCAR');
    // The unit cell as phonopy had it (a POSCAR written by hand from the fixture's JSON).
    const lines = ['lowsym', '1.0', ...ref.unitcell.cell.map((r: number[]) => r.join(' ')), 'S H', '1 1', 'Direct', ...ref.unitcell.frac.map((r: number[]) => r.join(' '))];
    writeFileSync(poscar, lines.join('\n') + '\n');
    const src = join(tmp, 'lowsym.FORCE_CONSTANTS');
    copyFileSync(FIX + 'fc/lowsym_3x2x2.FORCE_CONSTANTS', src);
    const dyn = join(tmp, 'lowsym.dyn');
    expect(run(src, dyn, '--to', 'qe-dyn', '--structure', poscar, '--supercell', '3 2 2').status).toBe(0);
    const back = join(tmp, 'FORCE_CONSTANTS_back');
    expect(run(dyn, back, '--compact').status).toBe(0);
    const a = readForceConstants(readFileSync(FIX + 'fc/lowsym_3x2x2.FORCE_CONSTANTS_compact', 'utf8'));
    const b = readForceConstants(readFileSync(back, 'utf8'));
    expect(Array.from(b.rowAtoms)).toEqual(Array.from(a.rowAtoms));
    let worst = 0;
    for (let i = 0; i < a.fc.length; i++) worst = Math.max(worst, Math.abs(a.fc[i] - b.fc[i]));
    expect(worst).toBeLessThan(1e-10);
  });

  it('QE dyn set → POSCAR writes the cell of the dynamical matrices', () => {
    const out = join(tmp, 'pbte.vasp');
    const r = run(FIX + 'dyn/pbte-4x4x4/PbTe.4x4x4.dyn', out);
    expect(r.status).toBe(0);
    const s = readStructure(readFileSync(out, 'utf8'), out);
    expect(s.species).toEqual(['Pb', 'Te']);
    expect(s.volume).toBeCloseTo(((12.215 * 0.529177210903) ** 3) / 4, 8);
  });

  it('user mistakes: one line on stderr, exit code 2, no stack trace', () => {
    const cases: [string[], RegExp][] = [
      [['missing.cif', join(tmp, 'x.vasp')], /^anharm: cannot read missing\.cif: no such file$/],
      [[FIX + 'structures/h3s_vasp5_direct.POSCAR', join(tmp, 'x.out')], /cannot tell the format of .*x\.out from its name; give --to/],
      [[FIX + 'structures/h3s_vasp5_direct.POSCAR', join(tmp, 'x.vasp'), '--to', 'pdb'], /option --to: unknown format "pdb"/],
      [[FIX + 'fc/lowsym_3x2x2.FORCE_CONSTANTS', join(tmp, 'y.dyn')], /needs --structure FILE/],
      [[FIX + 'fc/lowsym_3x2x2.FORCE_CONSTANTS', join(tmp, 'y.dyn'), '--structure', FIX + 'structures/h3s_vasp5_direct.POSCAR', '--supercell', '2x2'], /option --supercell: expected three positive integers/],
      [[FIX + 'dyn/tise2-ibrav4/1T_TiSe2_', join(tmp, 'FORCE_CONSTANTS')], /1T_TiSe2_2:12: q = \(0, 0, -0\.266568057\) is not on the 2×2×2 grid/],
      [[FIX + 'structures/h3s_vasp5_direct.POSCAR', join(tmp, 'z.dyn'), '--to', 'qe-dyn'], /cannot convert a structure \(poscar\) to force constants/],
    ];
    for (const [args, pattern] of cases) {
      const r = run(...args);
      expect(r.status, args.join(' ') + '\n' + r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(pattern);
      expect(r.stderr).not.toMatch(/at .*\.js/);
    }
  });

  it('a malformed dyn file is reported with its name and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anharm-baddyn-'));
    for (const k of [0, 1, 2, 3]) copyFileSync(FIX + `dyn/h3s-ibrav3/dynq${k}`, join(dir, `dynq${k}`));
    const lines = readFileSync(join(dir, 'dynq2'), 'utf8').split('\n');
    lines[16] = '  0.1  0.2  0.3';
    writeFileSync(join(dir, 'dynq2'), lines.join('\n'));
    const r = run(join(dir, 'dynq'), join(tmp, 'FC'), '--to', 'phonopy-fc');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^anharm: .*dynq2:17: expected 6 numbers \(3 complex numbers \(re im\) of row 2 of block "1 1"\)/);
  });
});
