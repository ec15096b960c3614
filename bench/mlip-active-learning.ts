// Active learning against random selection (physics.md 6.6, issue 6): learning Stillinger-Weber
// silicon with the moment-tensor potential, starting from the same few labelled configurations,
// adding a batch per iteration either by D-optimality (MaxVol selection from the candidate pool) or
// at random (seeded), and measuring the force RMSE on a fixed held-out set after every retraining.
//
// The pool mimics what a structure search or an SSCHA run produces: mostly near-equilibrium
// configurations (small rattles and strains of the diamond cell) with a minority of far ones
// (compressed or expanded by up to 4 %, strained by 4 %, rattled by up to 0.18 Å); the held-out set
// is drawn from the same mixture. The target error is `targetFactor` × the held-out force RMSE of a
// model trained on the whole pool.
//
// Run: npx tsc -p . && node dist/bench/mlip-active-learning.js   (writes bench/results/mlip-active-learning.{json,svg})
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StillingerWeberCalculator } from '../src/calculators/stillinger-weber.js';
import { selectCandidates } from '../src/mlip/active-set.js';
import type { LabelledConfig } from '../src/mlip/dataset.js';
import { MtpBasis } from '../src/mlip/mtp.js';
import { seededPermutation, trainModel } from '../src/mlip/train.js';
import { loadKernels } from '../src/node/kernels.js';
import { linePlot } from '../src/plot/svg.js';
import { Rng } from '../src/random/rng.js';
import { Structure } from '../src/structure/structure.js';
import type { Kernels } from '../src/wasm/kernels.js';

export interface AlOptions {
  level: number;
  rcut: number;
  pool: number;
  test: number;
  start: number;
  batch: number;
  maxLabels: number;
  /** Seeds of the random-selection baseline (the curve is their mean). */
  randomSeeds: number[];
  targetFactor: number;
  seed: number;
}

export const DEFAULT_AL: AlOptions = {
  level: 14, rcut: 4.0, pool: 300, test: 60, start: 10, batch: 5, maxLabels: 80, randomSeeds: [1, 2, 3], targetFactor: 1.25, seed: 7,
};

export interface CurvePoint {
  labels: number;
  forceRmse: number;
  energyRmse: number;
}

export interface AlResult {
  options: AlOptions;
  forceScale: number;
  fullPool: { forceRmse: number; energyRmse: number };
  target: number;
  active: CurvePoint[];
  random: CurvePoint[][];
  randomMean: CurvePoint[];
  labelsToTarget: { active: number | null; random: number | null };
  seconds: number;
}

const DIAMOND = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0], [0.25, 0.25, 0.25], [0.25, 0.75, 0.75], [0.75, 0.25, 0.75], [0.75, 0.75, 0.25]];

/** One 8-atom diamond cell drawn from the near/far mixture with Philox uniforms u (at least 40 of them). */
function drawSilicon(u: Float64Array): Structure {
  let q = 0;
  const next = () => u[q++];
  const far = next() < 0.25;
  const sym = (x: number) => 2 * x - 1;
  const a = 5.431 * (1 + (far ? 0.04 : 0.01) * sym(next()));
  const strain = far ? 0.04 : 0.01;
  const e = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) for (let j = i; j < 3; j++) e[i][j] = e[j][i] = strain * sym(next());
  const cell: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) cell.push(a * ((i === j ? 1 : 0) + e[i][j]));
  const s = new Structure({ cell, species: DIAMOND.map(() => 'Si'), frac: DIAMOND.flat() });
  const c = s.cartesian();
  const amp = far ? 0.08 + 0.1 * next() : 0.02 + 0.04 * next();
  for (let i = 0; i < c.length; i++) c[i] += amp * sym(next());
  return s.with({ cartesian: c });
}

/** Labelled SW configurations: `count` draws from stream `stream` of `seed`. */
async function swData(k: Kernels, count: number, seed: number, stream: number, tag: string): Promise<LabelledConfig[]> {
  const rng = new Rng(k, seed, stream);
  const structures = Array.from({ length: count }, () => drawSilicon(rng.uniform(40)));
  const sw = new StillingerWeberCalculator(k);
  const r = await sw.compute(structures, { stress: true });
  await sw.dispose?.();
  return structures.map((s, i) => ({ structure: s, energy: r[i].energy, energyKey: 'energy', forces: r[i].forces, stress: r[i].stress, source: `${tag}#${i + 1}` }));
}

function labelsTo(curve: CurvePoint[], target: number): number | null {
  return curve.find((p) => p.forceRmse <= target)?.labels ?? null;
}

/** Run both strategies; `log` gets one line per retraining. */
export async function runActiveLearning(k: Kernels, o: AlOptions = DEFAULT_AL, log: (m: string) => void = () => {}): Promise<AlResult> {
  const t0 = performance.now();
  const pool = await swData(k, o.pool, o.seed, 1, 'pool');
  const test = await swData(k, o.test, o.seed, 2, 'test');
  const basis = MtpBasis.create(k, { species: ['Si'], level: o.level, rcut: o.rcut, rmin: 1.5 });
  const fit = (idx: number[], withActive: boolean) =>
    trainModel(k, basis, idx.map((i) => pool[i]), test, { seed: o.seed, activeSet: withActive ? 'neighbourhood' : 'none' });
  const point = (labels: number, r: ReturnType<typeof fit>): CurvePoint => ({
    labels, forceRmse: r.report.test!.forceRmse, energyRmse: r.report.test!.energyRmse,
  });
  const full = fit(pool.map((_, i) => i), false).report.test!;
  const target = o.targetFactor * full.forceRmse;
  log(`full pool (${o.pool}): held-out force RMSE ${full.forceRmse.toFixed(4)} eV/Å (force scale ${full.forceRms.toFixed(3)}); target ${target.toFixed(4)}`);
  const start = seededPermutation(k, o.pool, o.seed, 3).slice(0, o.start);

  // Active learning: MaxVol selection of at most `batch` new configurations per iteration.
  const active: CurvePoint[] = [];
  let labelled = [...start];
  for (;;) {
    const r = fit(labelled, true);
    active.push(point(labelled.length, r));
    log(`active  ${String(labelled.length).padStart(4)} labels: F ${active.at(-1)!.forceRmse.toFixed(4)} eV/Å`);
    if (labelled.length >= o.maxLabels) break;
    const have = new Set(labelled);
    const rest = pool.map((_, i) => i).filter((i) => !have.has(i));
    const set = r.model.activeSet!;
    const cand = rest.map((i) => set.configRows(basis, pool[i].structure));
    const sel = selectCandidates(k, set, cand, { cap: Math.min(o.batch, o.maxLabels - labelled.length) });
    let picked = sel.selected.map((j) => rest[j]);
    // Fewer than a batch entered the active set: fill with the highest grades.
    if (picked.length < o.batch) {
      const chosen = new Set(picked);
      const byGrade = rest.map((i, j) => ({ i, g: sel.grades[j] })).filter((x) => !chosen.has(x.i)).sort((a, b) => b.g - a.g || a.i - b.i);
      picked = [...picked, ...byGrade.slice(0, Math.min(o.batch, o.maxLabels - labelled.length) - picked.length).map((x) => x.i)];
    }
    labelled = [...labelled, ...picked];
  }

  // Random selection, several seeds.
  const random: CurvePoint[][] = [];
  for (const rs of o.randomSeeds) {
    const have = new Set(start);
    const order = seededPermutation(k, o.pool, rs, 4).filter((i) => !have.has(i));
    const curve: CurvePoint[] = [];
    for (let n = o.start; ; n = Math.min(n + o.batch, o.maxLabels)) {
      const r = fit([...start, ...order.slice(0, n - o.start)], false);
      curve.push(point(n, r));
      log(`random(${rs}) ${String(n).padStart(4)} labels: F ${curve.at(-1)!.forceRmse.toFixed(4)} eV/Å`);
      if (n >= o.maxLabels) break;
    }
    random.push(curve);
  }
  const randomMean = random[0].map((p, q) => ({
    labels: p.labels,
    forceRmse: random.reduce((a, c) => a + c[q].forceRmse, 0) / random.length,
    energyRmse: random.reduce((a, c) => a + c[q].energyRmse, 0) / random.length,
  }));
  basis.dispose();
  return {
    options: o,
    forceScale: full.forceRms,
    fullPool: { forceRmse: full.forceRmse, energyRmse: full.energyRmse },
    target,
    active,
    random,
    randomMean,
    labelsToTarget: { active: labelsTo(active, target), random: labelsTo(randomMean, target) },
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The two learning curves as SVG. */
export function learningCurveSvg(r: AlResult): string {
  return linePlot({
    series: [
      { x: r.active.map((p) => p.labels), y: r.active.map((p) => p.forceRmse), label: 'active learning (MaxVol)', color: '#d62728', width: 2 },
      { x: r.randomMean.map((p) => p.labels), y: r.randomMean.map((p) => p.forceRmse), label: `random (mean of ${r.random.length} seeds)`, color: '#1f77b4', width: 2 },
      ...r.random.map((c) => ({ x: c.map((p) => p.labels), y: c.map((p) => p.forceRmse), color: '#9ecae1', width: 0.8 })),
    ],
    hLines: [{ y: r.target, color: '#2ca02c', dash: '5 4' }],
    title: `Stillinger-Weber Si, MTP level ${r.options.level}: held-out force RMSE (target dashed)`,
    xLabel: 'labelled configurations',
    yLabel: 'force RMSE (eV/Å)',
  });
}

async function main(): Promise<void> {
  const k = await loadKernels();
  const r = await runActiveLearning(k, DEFAULT_AL, (m) => console.log(m));
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + 'mlip-active-learning.json', JSON.stringify(r, null, 1) + '\n');
  writeFileSync(dir + 'mlip-active-learning.svg', learningCurveSvg(r));
  console.log(`labels to reach ${r.target.toFixed(4)} eV/Å: active ${r.labelsToTarget.active ?? 'never'}, random ${r.labelsToTarget.random ?? 'never'} (${r.seconds.toFixed(0)} s)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
