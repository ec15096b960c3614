// Training of a linear MLIP by weighted linear least squares (physics.md 6.5):
//   energy rows  [design energy row]/N_k      target E_k/N_k       weight w_E·√c_k   (c_k per-configuration weight)
//   force rows   one per component             target f             weight w_F/√(3N_k)
//   stress rows  6 (Voigt) × Ω_k/N_k           target σΩ_k/N_k      weight w_S
// Columns are scaled to unit RMS over the weighted rows; Tikhonov λ (relative to the mean diagonal
// of the normal matrix) is chosen by K-fold cross-validation over configurations; each solve is a
// Cholesky factorisation of the f64 normal equations on the kernels. Deterministic: the folds come
// from the seeded Philox generator, GEMM and Cholesky sum in a fixed order.
import { choleskySolve } from '../linalg/cholesky.js';
import { gemm } from '../linalg/gemm.js';
import { Rng } from '../random/rng.js';
import { KernelError, type Kernels } from '../wasm/kernels.js';
import { type ActiveSet, type ActiveSetMode, buildActiveSet, collectRows } from './active-set.js';
import type { LabelledConfig } from './dataset.js';
import type { LinearBasis } from './linear-basis.js';
import { type FitReport, MtpModel, type TrainingProvenance } from './model.js';

/** 1 eV/Å³ in GPa (physics.md 1.2). */
export const EV_PER_A3_IN_GPA = 160.2176634;

/** Voigt order of the stress rows: xx yy zz yz xz xy → indices into the 3×3 row-major tensor. */
export const STRESS_VOIGT = [0, 4, 8, 5, 2, 1] as const;

/** Weights of the three kinds of rows, in square-root form (multiplying residuals). */
export interface FitWeights {
  energy: number;
  forces: number;
  stress: number;
}

/** physics.md 6.5: 1 : 0.1 : 0.03 on residuals (1 : 0.01 : 0.001 on squares). */
export const DEFAULT_WEIGHTS: FitWeights = { energy: 1, forces: 0.1, stress: 0.03 };

/** Default grid of relative Tikhonov λ (10⁻¹⁴ … 10⁻²). */
export const DEFAULT_LAMBDAS: readonly number[] = Array.from({ length: 13 }, (_, i) => Number(`1e${i - 14}`)); // exact decimal powers (** is engine-approximated)

export interface TrainProgress {
  stage: 'design' | 'normal' | 'cv' | 'solve';
  done: number;
  total: number;
}

export interface TrainOptions {
  weights?: Partial<FitWeights>;
  /** Per-configuration weights of the squared energy residual (e.g. `enthalpyWeights`); default 1. */
  configWeights?: readonly number[];
  /** Candidate relative λ; one value skips cross-validation. */
  lambdas?: readonly number[];
  /** Cross-validation folds (default 5; fewer when there are fewer configurations). */
  folds?: number;
  /** Seed of the fold assignment (default 0). */
  seed?: number | bigint;
  onProgress?: (p: TrainProgress) => void;
}

export interface CvPoint {
  lambda: number;
  /** Sum over folds of the weighted squared residuals of the held-out fold (Infinity: a solve failed). */
  loss: number;
}

export interface TrainResult {
  theta: Float64Array;
  /** Chosen relative λ. */
  lambda: number;
  cv: CvPoint[];
  folds: number;
  /** RMS of each weighted column (the scaling used). */
  columnScale: Float64Array;
  rows: { energy: number; forces: number; stress: number };
  weights: FitWeights;
}

/** Weighted rows and targets of one configuration (row-major, nParams columns). */
interface ConfigRows {
  x: Float64Array;
  y: Float64Array;
  n: number;
}

function configRows(basis: LinearBasis, c: LabelledConfig, w: FitWeights, cw: number): ConfigRows {
  const m = basis.nParams;
  const s = c.structure;
  const N = s.natoms;
  const useF = !!c.forces && w.forces > 0;
  const useS = !!c.stress && w.stress > 0;
  const d = withSource(c.source, () => basis.design(s, { forces: useF, stress: useS }));
  if (d.energy.length !== m) throw new KernelError(`${c.source}: design energy row has ${d.energy.length} values, expected ${m}`);
  const n = 1 + (useF ? 3 * N : 0) + (useS ? 6 : 0);
  const x = new Float64Array(n * m);
  const y = new Float64Array(n);
  const we = w.energy * Math.sqrt(cw);
  for (let j = 0; j < m; j++) x[j] = (we * d.energy[j]) / N;
  y[0] = (we * c.energy) / N;
  let r = 1;
  if (useF) {
    const f = d.forces!;
    if (f.length !== 3 * N * m) throw new KernelError(`${c.source}: design force rows have ${f.length} values, expected ${3 * N * m}`);
    const wf = w.forces / Math.sqrt(3 * N);
    for (let i = 0; i < 3 * N; i++, r++) {
      for (let j = 0; j < m; j++) x[r * m + j] = wf * f[i * m + j];
      y[r] = wf * c.forces![i];
    }
  }
  if (useS) {
    const st = d.stress!;
    if (st.length !== 6 * m) throw new KernelError(`${c.source}: design stress rows have ${st.length} values, expected ${6 * m}`);
    const ws = (w.stress * s.volume) / N;
    for (let v = 0; v < 6; v++, r++) {
      for (let j = 0; j < m; j++) x[r * m + j] = ws * st[v * m + j];
      y[r] = ws * c.stress![STRESS_VOIGT[v]];
    }
  }
  return { x, y, n };
}

/** Run `fn`; an Error it throws gets "source: " in front of its message (same class, e.g. MtpDomainError). */
export function withSource<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(source)) e.message = `${source}: ${e.message}`;
    throw e;
  }
}

/** A seeded permutation of 0..n−1 (Philox uniforms, ties broken by index). */
export function seededPermutation(k: Kernels, n: number, seed: number | bigint, stream = 0): number[] {
  const u = new Rng(k, seed, stream).uniform(n);
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => u[a] - u[b] || a - b);
}

/**
 * Split n configurations into training and held-out indices: round(fraction·n) held out, chosen by a
 * seeded permutation; both lists ascending.
 */
export function holdoutSplit(k: Kernels, n: number, fraction: number, seed: number | bigint): { train: number[]; test: number[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`holdout fraction must be in [0, 1), got ${fraction}`);
  const p = seededPermutation(k, n, seed, 1);
  const nt = Math.round(fraction * n);
  const test = p.slice(0, nt).sort((a, b) => a - b);
  const train = p.slice(nt).sort((a, b) => a - b);
  return { train, test };
}

/** Mean of the diagonal (the scale of relative λ). */
function meanDiag(g: Float64Array, m: number): number {
  let t = 0;
  for (let j = 0; j < m; j++) t += g[j * m + j];
  return t / m;
}

function solveRegularised(k: Kernels, g: Float64Array, h: Float64Array, m: number, lambda: number, zero: Uint8Array): Float64Array | undefined {
  const a = Float64Array.from(g);
  const mu = lambda * meanDiag(g, m);
  for (let j = 0; j < m; j++) a[j * m + j] += zero[j] ? 1 : mu;
  try {
    const t = choleskySolve(k, a, h, m);
    return t.every(Number.isFinite) ? t : undefined;
  } catch (e) {
    if (e instanceof KernelError && /positive definite|NaN/.test(e.message)) return undefined;
    throw e;
  }
}

/** Fit θ of `basis` to `data` (physics.md 6.5). */
export function trainLinear(k: Kernels, basis: LinearBasis, data: readonly LabelledConfig[], opts: TrainOptions = {}): TrainResult {
  const w: FitWeights = { ...DEFAULT_WEIGHTS, ...opts.weights };
  for (const [key, v] of Object.entries(w)) if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`train: weight ${key} must be ≥ 0, got ${v}`);
  if (!(w.energy > 0 || w.forces > 0)) throw new RangeError('train: energy and force weights are both zero');
  const nc = data.length;
  if (nc === 0) throw new RangeError('train: no training configurations');
  if (opts.configWeights && opts.configWeights.length !== nc)
    throw new RangeError(`train: configWeights has ${opts.configWeights.length} values for ${nc} configurations`);
  const lambdas = opts.lambdas ?? DEFAULT_LAMBDAS;
  if (lambdas.length === 0 || !lambdas.every((l) => l >= 0 && Number.isFinite(l))) throw new RangeError('train: lambdas must be non-negative numbers');
  const known = new Set(basis.species);
  for (const c of data) {
    for (const s of c.structure.species) if (!known.has(s)) throw new RangeError(`${c.source}: species ${s} is not in the basis (${basis.species.join(' ')})`);
  }
  const m = basis.nParams;

  // Weighted rows of every configuration.
  const rows: ConfigRows[] = [];
  const counts = { energy: 0, forces: 0, stress: 0 };
  for (let c = 0; c < nc; c++) {
    const cw = opts.configWeights ? opts.configWeights[c] : 1;
    if (!(cw >= 0) || !Number.isFinite(cw)) throw new RangeError(`train: configWeights[${c}] must be ≥ 0, got ${cw}`);
    const r = configRows(basis, data[c], w, cw);
    rows.push(r);
    counts.energy++;
    if (data[c].forces && w.forces > 0) counts.forces += 3 * data[c].structure.natoms;
    if (data[c].stress && w.stress > 0) counts.stress += 6;
    opts.onProgress?.({ stage: 'design', done: c + 1, total: nc });
  }

  // Column scaling: unit RMS over all weighted rows; all-zero columns get θ = 0.
  const nrows = rows.reduce((a, r) => a + r.n, 0);
  const scale = new Float64Array(m);
  for (const r of rows) for (let i = 0; i < r.x.length; i++) scale[i % m] += r.x[i] * r.x[i];
  const zero = new Uint8Array(m);
  for (let j = 0; j < m; j++) {
    scale[j] = Math.sqrt(scale[j] / nrows);
    if (!(scale[j] > 0)) {
      scale[j] = 1;
      zero[j] = 1;
    }
  }
  for (const r of rows) for (let i = 0; i < r.x.length; i++) r.x[i] /= scale[i % m];

  // Folds over configurations; normal equations per fold.
  const K = lambdas.length === 1 ? 1 : Math.min(opts.folds ?? 5, nc);
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`train: folds must be a positive integer, got ${opts.folds}`);
  const fold = new Int32Array(nc);
  seededPermutation(k, nc, opts.seed ?? 0, 2).forEach((c, rank) => (fold[c] = rank % K));
  const G: Float64Array[] = [];
  const H: Float64Array[] = [];
  for (let f = 0; f < K; f++) {
    const members = rows.filter((_, c) => fold[c] === f);
    const n = members.reduce((a, r) => a + r.n, 0);
    const x = new Float64Array(n * m);
    const y = new Float64Array(n);
    let o = 0;
    for (const r of members) {
      x.set(r.x, o * m);
      y.set(r.y, o);
      o += r.n;
    }
    G.push(gemm(k, { rows: n, cols: m, data: x }, { rows: n, cols: m, data: x }, { transA: true }).data);
    H.push(gemm(k, { rows: n, cols: m, data: x }, { rows: n, cols: 1, data: y }, { transA: true }).data);
    opts.onProgress?.({ stage: 'normal', done: f + 1, total: K });
  }
  const gAll = new Float64Array(m * m);
  const hAll = new Float64Array(m);
  for (let f = 0; f < K; f++) {
    for (let i = 0; i < m * m; i++) gAll[i] += G[f][i];
    for (let i = 0; i < m; i++) hAll[i] += H[f][i];
  }

  // Cross-validation of λ: for each fold, the normal equations without it, solved for every λ.
  const cv: CvPoint[] = [];
  let best = lambdas[0];
  if (K > 1) {
    const loss = new Float64Array(lambdas.length);
    const g = new Float64Array(m * m);
    const h = new Float64Array(m);
    let step = 0;
    for (let f = 0; f < K; f++) {
      for (let i = 0; i < m * m; i++) g[i] = gAll[i] - G[f][i];
      for (let i = 0; i < m; i++) h[i] = hAll[i] - H[f][i];
      lambdas.forEach((lambda, q) => {
        if (Number.isFinite(loss[q])) {
          const t = solveRegularised(k, g, h, m, lambda, zero);
          if (!t) loss[q] = Infinity;
          else {
            for (let c = 0; c < nc; c++) {
              if (fold[c] !== f) continue;
              const r = rows[c];
              for (let i = 0; i < r.n; i++) {
                let p = 0;
                for (let j = 0; j < m; j++) p += r.x[i * m + j] * t[j];
                loss[q] += (p - r.y[i]) ** 2;
              }
            }
          }
        }
        opts.onProgress?.({ stage: 'cv', done: ++step, total: lambdas.length * K });
      });
    }
    let bestLoss = Infinity;
    lambdas.forEach((lambda, q) => {
      cv.push({ lambda, loss: loss[q] });
      // Ties (within round-off) go to the earlier grid point (the smaller λ on the default grid).
      if (loss[q] < bestLoss * (1 - 1e-12)) {
        bestLoss = loss[q];
        best = lambda;
      }
    });
    if (!Number.isFinite(bestLoss)) throw new KernelError('train: every λ of the grid gave a singular system; enlarge the λ grid');
  }
  let t = solveRegularised(k, gAll, hAll, m, best, zero);
  if (!t) {
    // The full set can be worse conditioned than the folds only by round-off: try the next larger λ.
    const larger = [...lambdas].filter((l) => l > best).sort((a, b) => a - b);
    for (const l of larger) {
      t = solveRegularised(k, gAll, hAll, m, l, zero);
      if (t) {
        best = l;
        break;
      }
    }
    if (!t) throw new KernelError('train: the normal equations are singular for every λ of the grid');
  }
  opts.onProgress?.({ stage: 'solve', done: 1, total: 1 });
  const theta = new Float64Array(m);
  for (let j = 0; j < m; j++) theta[j] = zero[j] ? 0 : t[j] / scale[j];
  return { theta, lambda: best, cv, folds: K, columnScale: scale, rows: counts, weights: w };
}

// ------------------------------------------------------------------------------------------------
// Errors of a fitted model.

/** Reference and predicted values (parity data). */
export interface Parity {
  /** Energies per atom (eV/atom), one per configuration. */
  energy: { ref: number[]; pred: number[] };
  /** Force components (eV/Å). */
  forces: { ref: number[]; pred: number[] };
  /** Stress components in Voigt order (GPa), 6 per configuration with stress. */
  stress: { ref: number[]; pred: number[] };
}

export interface FitErrors {
  configs: number;
  atoms: number;
  /** meV/atom. */
  energyRmse: number;
  energyMae: number;
  /** eV/Å, over components. */
  forceRmse: number;
  forceMae: number;
  /** RMS of the reference force components (eV/Å): the force scale. */
  forceRms: number;
  forceComponents: number;
  /** GPa, over the 6 Voigt components; NaN without stress data. */
  stressRmse: number;
  stressMae: number;
  stressComponents: number;
}

/** Predictions of θ on labelled configurations (the model's evaluate path, not the design rows). */
export function parityData(basis: LinearBasis, theta: Float64Array, data: readonly LabelledConfig[]): Parity {
  const out: Parity = { energy: { ref: [], pred: [] }, forces: { ref: [], pred: [] }, stress: { ref: [], pred: [] } };
  for (const c of data) {
    const e = withSource(c.source, () => basis.evaluate(c.structure, theta));
    const N = c.structure.natoms;
    out.energy.ref.push(c.energy / N);
    out.energy.pred.push(e.energy / N);
    if (c.forces) {
      for (let i = 0; i < 3 * N; i++) {
        out.forces.ref.push(c.forces[i]);
        out.forces.pred.push(e.forces[i]);
      }
    }
    if (c.stress) {
      for (const v of STRESS_VOIGT) {
        out.stress.ref.push(c.stress[v] * EV_PER_A3_IN_GPA);
        out.stress.pred.push(e.stress[v] * EV_PER_A3_IN_GPA);
      }
    }
  }
  return out;
}

function rmseMae(p: { ref: number[]; pred: number[] }, unit = 1): [number, number] {
  const n = p.ref.length;
  if (n === 0) return [NaN, NaN];
  let s = 0, a = 0;
  for (let i = 0; i < n; i++) {
    const d = (p.pred[i] - p.ref[i]) * unit;
    s += d * d;
    a += Math.abs(d);
  }
  return [Math.sqrt(s / n), a / n];
}

/** RMSE / MAE of energies (meV/atom), forces (eV/Å) and stresses (GPa) from parity data. */
export function fitErrors(p: Parity, atoms: number): FitErrors {
  const [eR, eM] = rmseMae(p.energy, 1000);
  const [fR, fM] = rmseMae(p.forces);
  const [sR, sM] = rmseMae(p.stress);
  const fn = p.forces.ref.length;
  const forceRms = fn ? Math.sqrt(p.forces.ref.reduce((a, v) => a + v * v, 0) / fn) : NaN;
  return {
    configs: p.energy.ref.length, atoms,
    energyRmse: eR, energyMae: eM,
    forceRmse: fR, forceMae: fM, forceRms, forceComponents: fn,
    stressRmse: sR, stressMae: sM, stressComponents: p.stress.ref.length,
  };
}

/** Errors of θ on a data set. */
export function evaluateErrors(basis: LinearBasis, theta: Float64Array, data: readonly LabelledConfig[]): FitErrors {
  return fitErrors(parityData(basis, theta, data), data.reduce((a, c) => a + c.structure.natoms, 0));
}

// ------------------------------------------------------------------------------------------------
// A complete fit: θ, active set, fit report → a model.

export interface TrainModelOptions extends TrainOptions {
  /** Active set of the model (default 'neighbourhood'; 'none' for no extrapolation grade). */
  activeSet?: ActiveSetMode | 'none';
  /** Extra provenance stored in the model file (files, seed, …). */
  provenance?: Partial<TrainingProvenance>;
  onActiveSet?: (done: number, total: number) => void;
}

export interface TrainModelResult {
  model: MtpModel;
  fit: TrainResult;
  report: FitReport;
}

/** Train θ on `train`, build the active set, report errors on `train` and `test`: the model. */
export function trainModel(
  k: Kernels,
  basis: LinearBasis,
  train: readonly LabelledConfig[],
  test: readonly LabelledConfig[] = [],
  opts: TrainModelOptions = {},
): TrainModelResult {
  const fit = trainLinear(k, basis, train, opts);
  const mode = opts.activeSet ?? 'neighbourhood';
  let active: ActiveSet | undefined;
  if (mode !== 'none') {
    const { rows, sources } = collectRows(basis, train.map((c) => c.structure), mode, opts.onActiveSet);
    active = buildActiveSet(k, mode, rows, sources, basis.nParams).activeSet;
  }
  const report: FitReport = {
    units: { energy: 'meV/atom', forces: 'eV/Å', stress: 'GPa' },
    train: evaluateErrors(basis, fit.theta, train),
    ...(test.length ? { test: evaluateErrors(basis, fit.theta, test) } : {}),
  };
  const keys = [...new Set(train.map((c) => c.energyKey))];
  const training: TrainingProvenance = {
    configs: train.length,
    heldOut: test.length,
    atoms: train.reduce((a, c) => a + c.structure.natoms, 0),
    energyKey: keys.join(', '),
    weights: fit.weights,
    lambda: fit.lambda,
    folds: fit.folds,
    cv: fit.cv.map((p) => ({ lambda: p.lambda, loss: Number.isFinite(p.loss) ? p.loss : null })),
    rows: fit.rows,
    ...(opts.seed !== undefined ? { seed: String(opts.seed) } : {}),
    ...(opts.configWeights ? { configWeights: Array.from(opts.configWeights) } : {}),
    ...opts.provenance,
  };
  return { model: new MtpModel(basis, fit.theta, active, training, report), fit, report };
}
