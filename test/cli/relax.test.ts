// `anharm relax` as a user runs it (the compiled dist/bin/anharm.js; build with `npx tsc -p .`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readExtxyz } from '../../src/io/extxyz.js';
import { readStructure } from '../../src/io/index.js';
import { AR, ljFccLatticeConstant } from '../fixtures/relax/helpers.js';
import { BIN, runCli } from '../helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'relax-cli-'));
const ar = join(dir, 'ar.json');
writeFileSync(ar, JSON.stringify(AR));
const sw = join(dir, 'sw.json');
writeFileSync(sw, JSON.stringify({ type: 'stillinger-weber' }));
// fcc argon, conventional cell, too small and slightly sheared
const fcc = join(dir, 'fcc.vasp');
writeFileSync(fcc, 'Ar fcc\n1.0\n5.0 0.05 0\n0 5.02 0\n0 0 4.98\nAr\n4\nDirect\n0 0 0\n0.5 0.5 0\n0.5 0 0.5\n0 0.5 0.5\n');
// rattled diamond Si
const si = join(dir, 'POSCAR');
writeFileSync(si, 'Si\n5.5\n1 0 0\n0 1 0\n0 0 1\nSi\n8\nDirect\n0 0 0\n0.5 0.5 0.01\n0.5 0 0.5\n0 0.5 0.5\n0.25 0.25 0.26\n0.75 0.75 0.25\n0.76 0.25 0.75\n0.25 0.75 0.75\n');

describe('anharm relax', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
  });

  it('relaxes fcc argon at 1 GPa: --json reports E, H, V, the pressure tensor and the space groups; --out writes the structure', () => {
    const out = join(dir, 'relaxed.cif');
    const r = runCli('relax', fcc, '--potential', ar, '--pressure', '1', '--fmax', '1e-5', '--smax', '1e-5', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.converged).toBe(true);
    expect(j.spaceGroup.before.number).toBeLessThan(225); // the sheared start
    expect(j.spaceGroup.after).toEqual({ number: 225, symbol: 'Fm-3m' });
    const a = ljFccLatticeConstant(1);
    expect(Math.abs(Math.cbrt(j.volume) - a)).toBeLessThan(1e-4);
    for (let q = 0; q < 3; q++) expect(j.pressureTensor[q][q]).toBeCloseTo(1, 4);
    expect(j.enthalpy).toBeCloseTo(j.energy + (1 / 160.2176634) * j.volume, 10);
    const s = readStructure(readFileSync(out, 'utf8'), out);
    expect(s.natoms).toBe(4);
    expect(Math.abs(s.lattice().a - a)).toBeLessThan(1e-4);
  });

  it('text mode: a summary on stdout, no progress lines when stderr is not a terminal; POSCAR output', () => {
    const out = join(dir, 'CONTCAR');
    const r = runCli('relax', si, '--potential', sw, '--method', 'fire', '--keep-symmetry', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^relaxation converged \(fire, full cell, P = 0 GPa\): \d+ steps, \d+ force calls/);
    expect(r.stdout).toMatch(/space group \(symprec 0.01 Å\): .* -> .*/);
    expect(readStructure(readFileSync(out, 'utf8'), out).natoms).toBe(8);
  });

  it('diamond Si at 10 GPa with --trajectory: every step as extended XYZ with energies, forces and stress', () => {
    const traj = join(dir, 'traj.xyz');
    const r = runCli('relax', si, '--potential', sw, '--pressure', '10', '--fmax', '1e-3', '--smax', '0.01', '--trajectory', traj, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.pressure).toBeCloseTo(10, 1);
    expect(j.spaceGroup.after.number).toBe(227);
    const frames = readExtxyz(readFileSync(traj, 'utf8'), traj);
    expect(frames.length).toBe(j.steps + 1);
    const last = frames[frames.length - 1];
    expect(last.energy).toBeCloseTo(j.energy, 8);
    expect(last.info.get('enthalpy')).toBeCloseTo(j.enthalpy, 8);
    expect(last.forces!.length).toBe(24);
    // stress written in eV/Å³ (ASE's convention): −P on the diagonal
    expect((-(last.stress![0] + last.stress![4] + last.stress![8]) / 3) * 160.2176634).toBeCloseTo(j.pressure, 8);
  });

  it('a failed relaxation (cell explosion under tension) is one line and exit code 1, not a crash', () => {
    const r = runCli('relax', fcc, '--potential', ar, '--pressure', '-3');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^anharm: relaxation failed \(cell-explosion\): volume grew from .* at step \d+/);
  });

  it('not converged in --steps: the structure is still written, exit code 1 with a message', () => {
    const out = join(dir, 'partial.xyz');
    const r = runCli('relax', si, '--potential', sw, '--steps', '2', '--fmax', '1e-6', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^anharm: relaxation did not converge in 2 steps/);
    expect(existsSync(out)).toBe(true);
  });

  it('user mistakes: one line, exit code 2, no stack trace', () => {
    const cases: [string[], RegExp][] = [
      [['relax', fcc], /^anharm: option --potential <file> is required/],
      [['relax', fcc, '--potential', ar, '--method', 'bfgs'], /^anharm: option --method: expected "fire" or "lbfgs", got "bfgs"$/],
      [['relax', fcc, '--potential', ar, '--pressure', '1GPa'], /^anharm: option --pressure: expected a number, got "1GPa"$/],
      [['relax', fcc, '--potential', ar, '--steps', '-1'], /^anharm: option --steps: expected an integer/],
      [['relax', join(dir, 'nope.vasp'), '--potential', ar], /nope.vasp: no such file$/],
      [['relax', fcc, '--potential', ar, '--out', join(dir, 'x.unknown')], /option --out: cannot tell the format/],
    ];
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.01, cutoff: 8 }] }));
    cases.push([['relax', fcc, '--potential', bad], /^anharm: bad.json: pairs\[0\].sigma is missing$/]);
    const kr = join(dir, 'kr.json');
    writeFileSync(kr, JSON.stringify({ type: 'lennard-jones', pairs: [{ species: ['Kr', 'Kr'], epsilon: 0.01, sigma: 3.6, cutoff: 8 }] }));
    cases.push([['relax', fcc, '--potential', kr], /^anharm: relaxation failed \(calculator\): .*species "Ar"/]);
    for (const [args, re] of cases) {
      const r = runCli(...args);
      expect(r.status, args.join(' ')).toBe(re.source.includes('relaxation failed') ? 1 : 2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(re);
      expect(r.stderr).not.toMatch(/at .*\.js/);
    }
  });

  it('prints one progress line per step on a terminal (stderr)', () => {
    const script = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' });
    if (script.status !== 0) throw new Error('util-linux `script` is needed to give the CLI a terminal (Debian: bsdutils)');
    const cmd = `${process.execPath} ${BIN} relax ${si} --potential ${sw} 1>/dev/null`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    const lines = r.stdout.split(/\r?\n/).filter((l) => l.startsWith('step '));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines[0]).toMatch(/^step +0 +H -?\d+\.\d+ eV +E .* fmax .* P .* GPa/);
  });
});
