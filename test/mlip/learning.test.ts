// Learning known potentials with the moment-tensor basis, and active learning against random
// selection (issue 6). The force scale is the RMS of the reference force components of the
// held-out set; the target is a held-out force RMSE below 2 % of it.
import { beforeAll, describe, expect, it } from 'vitest';
import { StillingerWeberCalculator } from '../../src/calculators/stillinger-weber.js';
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
