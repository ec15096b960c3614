// Learning known potentials with the moment-tensor basis, and active learning against random
// selection (issue 6). The force scale is the RMS of the reference force components of the
// held-out set; the target is a held-out force RMSE below 2 % of it.
import { beforeAll, describe, expect, it } from 'vitest';
import { StillingerWeberCalculator } from '../../src/calculators/stillinger-weber.js';
import { LennardJonesCalculator } from '../../src/calculators/lennard-jones.js';
import type { Calculator } from '../../src/calculators/calculator.js';
import type { LabelledConfig } from '../../src/mlip/dataset.js';
import { MtpBasis } from '../../src/mlip/mtp.js';
import { trainModel } from '../../src/mlip/train.js';
import { loadKernels } from '../../src/node/kernels.js';
import { Structure } from '../../src/structure/structure.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { mulberry32 } from '../helpers/random.js';
import { DEFAULT_AL, runActiveLearning } from '../../bench/mlip-active-learning.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

const DIAMOND = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0], [0.25, 0.25, 0.25], [0.25, 0.75, 0.75], [0.75, 0.25, 0.75], [0.75, 0.75, 0.25]];

/** Diamond Si, 2×1×1 conventional cells (16 atoms), lattice ±2 %, symmetric strain ≤ 3 %, rattle 0.05–0.2 Å (uniform per component). */
function silicon(seed: number): Structure {
  const r = mulberry32(seed);
  const u = () => 2 * r() - 1;
  const a = 5.431 * (1 + 0.02 * u());
  const e = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) for (let j = i; j < 3; j++) e[i][j] = e[j][i] = 0.03 * u();
  const cell = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => a * (i === 0 ? 2 : 1) * ((i === j ? 1 : 0) + e[i][j])));
  const frac = [0, 1].flatMap((x) => DIAMOND.flatMap((p) => [(p[0] + x) / 2, p[1], p[2]]));
  const s = new Structure({ cell, species: frac.filter((_, i) => i % 3 === 0).map(() => 'Si'), frac });
  const c = s.cartesian();
  const amp = 0.05 + 0.15 * r();
  for (let i = 0; i < c.length; i++) c[i] += amp * u();
  return s.with({ cartesian: c });
}

const FCC = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];

/** fcc Ar/Kr, 2×2×2 conventional cells (32 atoms, species at random), a = 5.45 Å ± 3 %, strain ≤ 3 %, rattle 0.05–0.25 Å. */
function argonKrypton(seed: number): Structure {
  const r = mulberry32(seed);
  const u = () => 2 * r() - 1;
  const a = 5.45 * (1 + 0.03 * u());
  const F = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? 1 : 0) + 0.03 * u()));
  const frac: number[] = [];
  for (let x = 0; x < 2; x++) for (let y = 0; y < 2; y++) for (let z = 0; z < 2; z++) for (const p of FCC) frac.push((p[0] + x) / 2, (p[1] + y) / 2, (p[2] + z) / 2);
  const cell = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => 2 * a * F[i][j]));
  const species = frac.filter((_, q) => q % 3 === 0).map(() => (r() < 0.5 ? 'Ar' : 'Kr'));
  const s = new Structure({ cell, species, frac });
  const amp = 0.05 + 0.2 * r();
  return s.with({ cartesian: s.cartesian().map((v) => v + amp * u()) });
}

async function label(calc: Calculator, structures: Structure[], tag: string): Promise<LabelledConfig[]> {
  const r = await calc.compute(structures, { stress: true });
  return structures.map((s, i) => ({ structure: s, energy: r[i].energy, energyKey: 'energy', forces: r[i].forces, stress: r[i].stress, source: `${tag}#${i + 1}` }));
}

describe('learning a known potential', () => {
  it('Stillinger-Weber silicon: held-out force RMSE below 2 % of the RMS held-out force (level 16, R_cut 3.8 Å)', async () => {
    const sw = new StillingerWeberCalculator(k);
    const train = await label(sw, Array.from({ length: 80 }, (_, i) => silicon(100 + i)), 'train');
    const test = await label(sw, Array.from({ length: 30 }, (_, i) => silicon(5000 + i)), 'test');
    const basis = MtpBasis.create(k, { species: ['Si'], level: 16, rcut: 3.8, rmin: 1.5 });
    const { report } = trainModel(k, basis, train, test, { seed: 1, activeSet: 'none' });
    const t = report.test!;
    console.log(
      `SW Si, level 16 (${basis.nParams} parameters), 80 training / 30 held-out configurations: ` +
        `force RMSE ${t.forceRmse.toFixed(4)} eV/Å = ${((100 * t.forceRmse) / t.forceRms).toFixed(2)} % of ${t.forceRms.toFixed(3)} eV/Å; ` +
        `energy ${t.energyRmse.toFixed(3)} meV/atom; stress ${t.stressRmse.toFixed(3)} GPa`,
    );
    expect(t.forceComponents).toBe(30 * 48);
    expect(t.forceRmse).toBeLessThan(0.02 * t.forceRms);
    expect(t.energyRmse).toBeLessThan(2); // meV/atom; SW energies span ~100 meV/atom here
    basis.dispose();
    await sw.dispose?.();
  });

  it('binary Lennard-Jones (Ar/Kr): held-out force RMSE below 2 % of the RMS held-out force (level 12, R_cut 6.5 Å)', async () => {
    // smooth cutoff 5.0-6.5 Å (energy and forces continuous), the MTP's R_cut equal to it
    const pair = (species: [string, string], epsilon: number, sigma: number) => ({ species, epsilon, sigma, cutoff: 6.5, ro: 5.0 });
    const lj = new LennardJonesCalculator(k, {
      type: 'lennard-jones', cutoffMode: 'smooth',
      pairs: [pair(['Ar', 'Ar'], 0.0104, 3.4), pair(['Ar', 'Kr'], 0.0123, 3.57), pair(['Kr', 'Kr'], 0.014, 3.65)],
    });
    const train = await label(lj, Array.from({ length: 60 }, (_, i) => argonKrypton(100 + i)), 'train');
    const test = await label(lj, Array.from({ length: 30 }, (_, i) => argonKrypton(9000 + i)), 'test');
    const errors = (pairRadial?: number) => {
      const basis = MtpBasis.create(k, { species: ['Ar', 'Kr'], level: 12, rcut: 6.5, rmin: 2.0, pairRadial });
      const { report } = trainModel(k, basis, train, test, { seed: 1, activeSet: 'none' });
      const nParams = basis.nParams;
      basis.dispose();
      return { ...report.test!, nParams };
    };
    const t = errors(); // default: two-body functions for all 8 radial functions
    const old = errors(0); // without them the pair energy is a cubic times (R_cut − r)²
    const pct = (e: { forceRmse: number; forceRms: number }) => ((100 * e.forceRmse) / e.forceRms).toFixed(2);
    console.log(
      `Ar/Kr LJ, level 12, 60 training / 30 held-out configurations: force RMSE ${t.forceRmse.toFixed(5)} eV/Å = ${pct(t)} % of ${t.forceRms.toFixed(4)} eV/Å ` +
        `(${t.nParams} parameters; ${pct(old)} % without the two-body extras, ${old.nParams} parameters); energy ${t.energyRmse.toFixed(4)} meV/atom; stress ${t.stressRmse.toFixed(4)} GPa`,
    );
    expect(t.forceComponents).toBe(30 * 96);
    expect(t.forceRmse).toBeLessThan(0.02 * t.forceRms);
    expect(old.forceRmse).toBeGreaterThan(0.1 * old.forceRms);
    expect(t.energyRmse).toBeLessThan(0.1); // meV/atom
    await lj.dispose?.();
  });
});

describe('active learning', () => {
  it('reaches the target force error with fewer labels than random selection (small version of bench/mlip-active-learning.ts)', async () => {
    const r = await runActiveLearning(k, { ...DEFAULT_AL, pool: 120, test: 30, maxLabels: 35, randomSeeds: [1, 2] });
    console.log(
      `active learning: target ${r.target.toFixed(4)} eV/Å (1.25 × full-pool error); labels to target: active ${r.labelsToTarget.active}, random ${r.labelsToTarget.random ?? 'not within 35'}; ` +
        `curves active ${r.active.map((p) => p.forceRmse.toFixed(3)).join(' ')}, random ${r.randomMean.map((p) => p.forceRmse.toFixed(3)).join(' ')}`,
    );
    expect(r.labelsToTarget.active).not.toBeNull();
    expect(r.labelsToTarget.active!).toBeLessThan(r.labelsToTarget.random ?? Infinity);
    // Both start from the same 10 configurations.
    expect(r.active[0].forceRmse).toBe(r.random[0][0].forceRmse);
  });
});
