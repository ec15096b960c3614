// `anharm train` and `anharm evaluate` as a user runs them (the compiled dist/bin/anharm.js; build
// with `npx tsc -p .`): a small Stillinger-Weber data set, the model file, parity plots, and the
// one-line errors for bad input.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { StillingerWeberCalculator } from '../../src/calculators/stillinger-weber.js';
import { writeExtxyz } from '../../src/io/extxyz.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMlipModel } from '../../src/node/mlip.js';
import { Structure } from '../../src/structure/structure.js';
import { BIN, runCli } from '../helpers/processes.js';
import { mulberry32 } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'mlip-cli-'));
const DIAMOND = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0], [0.25, 0.25, 0.25], [0.25, 0.75, 0.75], [0.75, 0.25, 0.75], [0.75, 0.75, 0.25]];

function silicon(seed: number): Structure {
  const r = mulberry32(seed);
  const u = () => 2 * r() - 1;
  const a = 5.431 * (1 + 0.02 * u());
  const s = new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, a], species: DIAMOND.map(() => 'Si'), frac: DIAMOND.flat() });
  return s.with({ cartesian: s.cartesian().map((x) => x + 0.1 * u()) });
}

const train = join(dir, 'si-train.xyz');
const test = join(dir, 'si-test.xyz');

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
  const k = await loadKernels();
  const sw = new StillingerWeberCalculator(k);
  for (const [file, n, seed] of [[train, 24, 1], [test, 8, 500]] as const) {
    const s = Array.from({ length: n }, (_, i) => silicon(seed + i));
    const r = await sw.compute(s, { stress: true });
    // free_energy 1 meV below energy: the fit must use free_energy.
    writeFileSync(file, writeExtxyz(s.map((x, i) => ({ structure: x, energy: r[i].energy, forces: r[i].forces, stress: r[i].stress, info: new Map([['free_energy', r[i].energy - 0.001]]) }))));
  }
});

describe('anharm train / evaluate', () => {
  it('trains, writes a loadable model, reports held-out errors; evaluate writes parity plots', async () => {
    const model = join(dir, 'si.json');
    const r = runCli('train', train, '--out', model, '--level', '10', '--rcut', '3.8', '--rmin', '1.5', '--holdout', '0.25', '--seed', '3', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const res = lines.at(-1);
    expect(res.event).toBe('result');
    expect(res.configs).toEqual({ train: 18, test: 6 });
    expect(res.test.configs).toBe(6);
    expect(res.test.forceRmse).toBeLessThan(0.2 * res.test.forceRms);
    expect(lines.slice(0, -1).every((l) => l.event === 'progress')).toBe(true);
    const m = await loadMlipModel(model);
    expect(m.training!.energyKey).toBe('free_energy');
    expect(m.training!.files).toEqual([{ name: train, configs: 24 }]);
    expect(m.activeSet!.mode).toBe('neighbourhood');
    // Same options, same seed: the same file.
    const again = join(dir, 'si2.json');
    runCli('train', train, '--out', again, '--level', '10', '--rcut', '3.8', '--rmin', '1.5', '--holdout', '0.25', '--seed', '3', '--quiet');
    const strip = (f: string) => readFileSync(f, 'utf8').replace(/"seconds":[0-9.]+/, '').replace(/--out \S+/, '');
    expect(strip(again)).toBe(strip(model));

    const out = join(dir, 'eval');
    const e = runCli('evaluate', model, test, '--out', out);
    expect(e.stderr).toBe('');
    expect(e.status).toBe(0);
    expect(e.stdout).toMatch(/E [0-9.]+ meV\/atom {2}F [0-9.]+ eV\/Å .* \[8 configurations, 64 atoms\]/);
    expect(e.stdout).toMatch(/extrapolation grade: max/);
    for (const f of ['energy.svg', 'forces.svg', 'stress.svg']) expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg[^]*<circle[^]*<\/svg>\n$/);
    const errs = JSON.parse(readFileSync(join(out, 'errors.json'), 'utf8'));
    expect(errs.errors.configs).toBe(8);
    expect(errs.errors.forceComponents).toBe(8 * 24);
    expect(errs.grades.length).toBe(8);
    const ej = JSON.parse(runCli('evaluate', model, test, '--json').stdout);
    expect(ej.errors.forceRmse).toBe(errs.errors.forceRmse);

    // The model file is a potential file: relax diamond Si with it (SW gives −4.3366 eV/atom).
    const rel = runCli('relax', fileURLToPath(new URL('../../examples/silicon/POSCAR', import.meta.url)), '--potential', model, '--cell', 'fixed', '--json');
    expect(rel.stderr).toBe('');
    expect(rel.status).toBe(0);
    expect(Math.abs(JSON.parse(rel.stdout).energyPerAtom + 4.3366)).toBeLessThan(0.01);
  });

  it('bad input: one line naming the option, file, frame or field; exit code 2', () => {
    const model = join(dir, 'm.json');
    const noEnergy = join(dir, 'no-energy.xyz');
    writeFileSync(noEnergy, readFileSync(test, 'utf8').replace(/ energy=\S+/g, '').replace(/ free_energy=\S+/g, ''));
    const close = join(dir, 'close.xyz');
    const s = silicon(1);
    const c = s.cartesian();
    c[3] = c[0] + 0.3; c[4] = c[1]; c[5] = c[2];
    writeFileSync(close, writeExtxyz([{ structure: s.with({ cartesian: c }), energy: 1, info: new Map() }]));
    const cases: [string[], RegExp][] = [
      [['train', train], /option --out <file> is required/],
      [['train', train, '--out', model, '--level', '15'], /option --level: must be even, got 15/],
      [['train', train, '--out', model, '--holdout', '1'], /option --holdout: expected a fraction in \[0, 1\)/],
      [['train', train, '--out', model, '--rmin', '5', '--rcut', '4'], /option --rmin: must be below --rcut/],
      [['train', train, '--out', model, '--weights', '1,2'], /option --weights: expected three non-negative numbers/],
      [['train', join(dir, 'nothing.xyz'), '--out', model], /nothing\.xyz: no such file/],
      [['train', noEnergy, '--out', model], /no-energy\.xyz: frame 1: no energy \(neither free_energy= nor energy=/],
      [['train', close, '--out', model, '--holdout', '0', '--rmin', '0.5', '--level', '6'], /close\.xyz#1: MTP: atoms 1 \(Si\) and 2 \(Si\) are 0\.3000 Å apart, closer than R_min = 0\.5 Å.*\(lower --rmin/],
      [['train', train, '--out', model, '--species', 'C'], /option --species: the data contain Si, not in "C"/],
      [['evaluate', join(dir, 'none.json'), test], /none\.json: no such file/],
      [['evaluate', noEnergy, test], /no-energy\.xyz: not a JSON model file/],
    ];
    for (const [args, re] of cases) {
      const r = runCli(...args);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr.trim().split('\n').length).toBe(1);
      expect(r.status).toBe(2);
    }
    const m = JSON.parse(readFileSync(join(dir, 'si.json'), 'utf8'));
    m.theta[2] = 'x';
    const bad = join(dir, 'bad-model.json');
    writeFileSync(bad, JSON.stringify(m));
    const r = runCli('evaluate', bad, test);
    expect(r.stderr).toMatch(/bad-model\.json: theta\[2\]: must be a finite number, got "x"/);
    expect(r.status).toBe(2);
  });
});
