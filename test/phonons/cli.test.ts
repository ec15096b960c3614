// `anharm phonons` as a user runs it: files in, tables / JSON / SVG out, one-line errors.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerPhonons, runPhonons, type PhononsCliOptions } from '../../src/cli/phonons.js';
import { UserError } from '../../src/cli/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'anharm-phonons-'));
const poscar = join(dir, 'Ar.vasp');
writeFileSync(poscar, 'fcc Ar primitive\n1.0\n0 2.63 2.63\n2.63 0 2.63\n2.63 2.63 0\nAr\n1\nDirect\n0 0 0\n');
const stretched = join(dir, 'Ar-stretched.vasp');
writeFileSync(stretched, 'fcc Ar stretched beyond the LJ inflection point\n1.0\n0 3.4 3.4\n3.4 0 3.4\n3.4 3.4 0\nAr\n1\nDirect\n0 0 0\n');
const pot = join(dir, 'lj.json');
writeFileSync(pot, JSON.stringify({ type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 }] }));

const opts = (o: Partial<PhononsCliOptions> = {}): PhononsCliOptions => ({
  potential: pot, supercell: ['3', '3', '3'], mesh: ['8', '8', '8'], path: 'auto', points: '21', tmin: '0', tmax: '300', tstep: '100', amplitude: '0.01', symprec: '1e-3', ...o,
});

describe('anharm phonons', () => {
  it('prints special-point frequencies and thermodynamics, writes band.svg, dos.svg and phonons.json', async () => {
    const out = join(dir, 'out');
    const r = await runPhonons(poscar, opts({ out }));
    expect(r.stdout).toMatch(/Fm-3m \(225\), FCC lattice/);
    expect(r.stdout).toMatch(/^ {2}X +\[ 0\.5000 +0\.0000 +0\.5000\] +1\.3908 +1\.3908 +2\.0187$/m);
    expect(r.stdout).toMatch(/T \(K\) +F \(eV\) +F \(kJ\/mol\) +S \(J\/K\/mol\) +Cv \(J\/K\/mol\)/);
    expect(r.stdout.trim().split('\n').filter((l) => /^ +\d+\.0 +-?\d/.test(l))).toHaveLength(4);
    for (const f of ['band.svg', 'dos.svg', 'phonons.json']) expect(existsSync(join(out, f))).toBe(true);
    const band = readFileSync(join(out, 'band.svg'), 'utf8');
    expect(band.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const l of ['>Γ<', '>X<', '>K|U<', 'frequency ν (THz)']) expect(band).toContain(l);
    expect(band.match(/<polyline/g)!.length).toBe(10 * 3); // 10 segments × 3 bands
    const dos = readFileSync(join(out, 'dos.svg'), 'utf8');
    expect(dos).toContain('frequency ν (THz)');
    expect(dos).toContain('states/THz per cell');
    const json = JSON.parse(readFileSync(join(out, 'phonons.json'), 'utf8'));
    expect(json.symmetry).toEqual({ spaceGroup: 225, symbol: 'Fm-3m', lattice: 'FCC' });
    expect(json.thermal.temperatures).toEqual([0, 100, 200, 300]);
    expect(json.bands.segments).toHaveLength(10);
  });

  it('--json prints one document; a user path is honoured', async () => {
    const r = await runPhonons(poscar, opts({ json: true, path: 'G-X|L-G', mesh: ['4'] }));
    const j = JSON.parse(r.stdout);
    expect(j.path.segments).toEqual(['Γ-X', 'L-Γ']);
    expect(j.bands.ticks.map((t: { label: string }) => t.label)).toEqual(['Γ', 'X|L', 'Γ']);
    expect(j.mesh.divisions).toEqual([4, 4, 4]);
    expect(j.special.find((s: { label: string }) => s.label === 'L').frequencies[2]).toBeCloseTo(2.0121, 3);
  });

  it('bad input ends in one-line UserErrors', async () => {
    await expect(runPhonons(poscar, opts({ path: 'G-X-Q' }))).rejects.toThrow(/unknown special point "Q".*known points: G \(Γ\), K, L, U, W, X/);
    await expect(runPhonons(poscar, opts({ supercell: ['3', '3'] }))).rejects.toThrow('option --supercell: expected three integers (e.g. --supercell 3 3 3), got "3 3"');
    await expect(runPhonons(poscar, opts({ supercell: undefined }))).rejects.toThrow(/--supercell N N N is required/);
    await expect(runPhonons(join(dir, 'missing.vasp'), opts())).rejects.toThrow(/missing\.vasp: no such file/);
    const e = await runPhonons(stretched, opts()).catch((x) => x);
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toMatch(/imaginary or zero frequency.*--skip-imaginary/);
    expect(e.message).not.toContain('\n');
    const ok = await runPhonons(stretched, opts({ skipImaginary: true, json: true }));
    expect(JSON.parse(ok.stdout).thermal.skippedModes).toBeGreaterThan(0);
  });

  it('is registered as a commander subcommand', async () => {
    const program = new Command().exitOverride();
    registerPhonons(program);
    const cmd = program.commands.find((c) => c.name() === 'phonons')!;
    expect(cmd.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--potential', '--supercell', '--mesh', '--path', '--tmin', '--tmax', '--tstep', '--out', '--json']));
    await expect(program.parseAsync(['node', 'anharm', 'phonons', poscar, '--potential', pot, '--supercell', '2', '2', '2', '--path', 'G-Q'])).rejects.toThrow(UserError);
  });
});
