// `anharm search` as a user runs it (compiled dist/bin/anharm.js; build with `npx tsc -p .`): bad input
// is one line and exit code 2 before any work; a run writes its folder; a run interrupted after some
// relaxations (ANHARM_SEARCH_ABORT_AFTER, as Ctrl-C) and run again ends with the results of an
// uninterrupted run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readStructure } from '../../src/io/index.js';
import { AR } from '../fixtures/relax/helpers.js';
import { BIN, runCli } from '../helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'search-cli-'));
const ar = join(dir, 'ar.json');
writeFileSync(ar, JSON.stringify(AR));
const sw = join(dir, 'sw.json');
writeFileSync(sw, JSON.stringify({ type: 'stillinger-weber' }));
const bond = join(dir, 'bond.json');
writeFileSync(bond, JSON.stringify({ type: 'bond-network', bonds: [] }));

// small and quick: argon, 1-2 atoms per cell, 2 generations of 8
const RUN = ['--formula', 'Ar', '--pressure', '1', '--potential', ar, '--formula-units', '1-2', '--generations', '2', '--population', '8', '--fmax', '1e-3', '--smax', '1e-2', '--batch', '4', '--seed', '5'];

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, 'search', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('anharm search', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
  });

  it('bad input: one line naming the problem, exit code 2, nothing written', () => {
    const out = join(dir, 'never');
    const cases: [string[], RegExp][] = [
      [['--formula', 'Si', '--pressure', '150x', '--potential', sw, '--out', out], /--pressure: "150x" is not a pressure in GPa/],
      [['--formula', 'Si', '--pressure', '150 kbar', '--potential', sw, '--out', out], /--pressure: "150 kbar" is not a pressure in GPa/],
      [['--formula', 'Si', '--potential', sw, '--out', out], /--pressure <GPa> is required/],
      [['--formula', 'SiXq', '--pressure', '10', '--potential', sw, '--out', out], /unknown element "Xq"/],
      [['--formula', 'SiH4', '--pressure', '10', '--potential', sw, '--out', out], /sw.json: the potential has no parameters for H \(it knows Si\)/],
      [['--formula', 'Si', '--pressure', '10', '--potential', sw, '--out', out, '--formula-units', '2-1'], /--formula-units: expected 1 ≤ LO ≤ HI/],
      [['--formula', 'Si2', '--pressure', '10', '--potential', sw, '--out', out, '--formula-units', '150'], /300 atoms per cell; at most 200/],
      [['--formula', 'Si', '--pressure', '10', '--potential', sw, '--out', out, '--volume', '0.5'], /too small for the minimum distances/],
      [['--formula', 'Si', '--pressure', '10', '--potential', bond, '--out', out], /cannot drive a search/],
      [['--formula', 'Si', '--pressure', '10', '--potential', join(dir, 'missing.json'), '--out', out], /missing.json: no such file/],
      [['--formula', 'Si', '--pressure', '10', '--potential', sw], /--out <dir> is required/],
    ];
    for (const [args, msg] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('--json: one line per generation then the result; the run folder holds results, structures and the SVG', () => {
    const out = join(dir, 'json');
    const r = run([...RUN, '--pressure', '3', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const gens = lines.filter((l) => l.event === 'generation');
    expect(gens.map((g) => [g.pressure, g.generation])).toEqual([[1, 0], [1, 1], [3, 0], [3, 1]]);
    const res = lines.at(-1);
    expect(res.event).toBe('result');
    expect(res.pressures.map((p: { pressure: number }) => p.pressure)).toEqual([1, 3]);
    for (const p of res.pressures) {
      expect(p.ranking[0].spaceGroup.number).toBe(225); // fcc argon
      const s = readStructure(readFileSync(join(out, p.ranking[0].files.poscar), 'utf8'), 'POSCAR');
      expect(s.volume / s.natoms).toBeCloseTo(p.ranking[0].volumePerAtom, 8);
      expect(existsSync(join(out, p.ranking[0].files.cif))).toBe(true);
    }
    expect(readFileSync(join(out, 'best-enthalpy.svg'), 'utf8')).toMatch(/<svg[^>]*>[\s\S]*generation/);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).pressures[1].ranking[0].enthalpyPerAtom).toBe(res.pressures[1].ranking[0].enthalpyPerAtom);
    const journal = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(journal.filter((e) => e.t === 'relax')).toHaveLength(res.pressures[0].relaxations + res.pressures[1].relaxations);
  });

  it('interrupted after 11 relaxations (exit 1), rerun: resumes from the journal and ends with the ranking of an uninterrupted run', () => {
    const whole = join(dir, 'whole');
    const a = run([...RUN, '--out', whole, '--json']);
    expect(a.status).toBe(0);
    const ref = JSON.parse(a.stdout.trim().split('\n').at(-1)!);

    const cut = join(dir, 'cut');
    const b = run([...RUN, '--out', cut], { ANHARM_SEARCH_ABORT_AFTER: '11' });
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/search interrupted; .* run the same command again to resume/);
    expect(existsSync(join(cut, 'results.json'))).toBe(false);
    const c = run([...RUN, '--out', cut, '--json']);
    expect(c.status).toBe(0);
    const res = JSON.parse(c.stdout.trim().split('\n').at(-1)!);
    expect(res.resumedRelaxations).toBeGreaterThanOrEqual(8);
    const strip = (x: { pressures: { ranking: unknown[]; bestHistory: number[] }[] }) => x.pressures.map((p) => [p.bestHistory, p.ranking]);
    expect(strip(res)).toEqual(strip(ref));
    // text mode on a finished folder: the table, taken entirely from the journal
    const d = runCli('search', ...RUN, '--out', cut);
    expect(d.status).toBe(0);
    expect(d.stdout).toMatch(/Ar at 1 GPa: 2 generations, \d+ relaxations \(0 failed\)/);
    expect(d.stdout).toMatch(/^\s+1\s+\S+\s+0\.00\s+Fm-3m \(225\)/m);
    expect(d.stderr).toMatch(/generation {3}0 .* from the journal/);
  });
});
