// Constant-pressure (variable-cell) SSCHA, physics.md 5.10.
//
// One cell step per population: sample a population at the current (cell, R, Φ) → evaluate it with
// stresses → minimise (R, Φ) at fixed cell → pressure tensor P (compression-positive, ionic term
// included) with errors → cell step → next population. Converged when the inner minimisation
// converged (and was confirmed: N_eff/N ≥ confirmNEff at the converged point) and every component of
// the mode-projected P − P₀𝟙 is within max(errorFactor·err(P_αβ), pressureTolerance).
//
// Cell parametrisation: strain ε relative to the reference cell A₀ (rows = lattice vectors),
// cell = A₀(𝟙 + εᵀ). Step ε ← ε − α g_ε with g_ε = −Ω (D)(𝟙 + ε), α = 1/(3BΩ), Ω the current supercell
// volume and D the projected P − P₀𝟙:
//   'full'          D = P − P₀𝟙,
//   'fixed-volume'  D = P − (tr P/3)𝟙 (traceless; the volume is then restored exactly by a uniform
//                   rescaling of 𝟙 + ε, which only removes the second-order volume drift),
//   'fixed-shape'   D = (tr P/3 − P₀)𝟙.
// Note that g_ε is the gradient with respect to a *physical* strain increment: the update is
// 𝟙 + ε ← (𝟙 + η)(𝟙 + ε) with η = D/(3B), i.e. the current cell is deformed by η; for an isotropic
// crystal of bulk modulus B this is the Newton step ΔV/V = (p − P₀)/B. (The exact gradient with
// respect to the components of ε is −Ω D (𝟙 + ε)^{-T}; both vanish at the same point.)
// Extensions of 5.10, all documented in the options: the step is limited to ‖η‖_F ≤ maxStrainStep
// (large pressure mismatches far from equilibrium); ε is kept symmetric (no rigid rotations) and
// averaged over the point group of the reference (strain keeps the space group); the secant update of
// α (Barzilai–Borwein, ⟨Δε,Δg⟩/⟨Δg,Δg⟩, factor clipped to [0.5, 2]) is only applied when ‖Δg‖
// exceeds three times its stochastic error and ⟨Δε,Δg⟩ > 0 (otherwise noise would drive it).
//
// After a cell step the fractional centroid coordinates are kept, Φ is kept in Cartesian eV/Å² (the
// full supercell matrix, i.e. every (κ, κ', L) block), and both are re-symmetrised with the symmetry
// operations rebuilt for the new cell.
//
// Impossible pressures (the cell collapses or explodes: V/V₀ outside [1/maxVolumeChange,
// maxVolumeChange], or the engine fails on a strained cell) end the run with a VariableCellError
// whose `partial` holds the populations and cell history computed so far.
//
// Persistence and resume (physics.md 5.13; src/sscha/persistence.ts, runSschaVariableCellWithStore):
// as runSscha. `onPopulation` announces every population when sampled (with its strain) and when
// evaluated, `onEvaluated` after every engine batch, `onCellStep` every cell-history record and
// `onMinimized` the (cell, R, Φ) the run continues from. `resume` takes the populations saved by an
// interrupted run: population p is reused when it was drawn in bitwise the cell this run reaches
// (and passes the checks of resumedPopulation: the same (R₀, Φ₀, T₀), seed, size, ξ and positions);
// only its missing configurations are evaluated. Everything else (minimisations, pressures, cell
// steps, the secant bulk modulus) is replayed deterministically, so a resumed run ends with
// bit-identical numbers.
import { CalculatorError, type Calculator } from '../calculators/calculator.js';
import { cbrt, hypot2, log } from '../numeric/detmath.js';
import { TAU_INV_TO_CM } from '../phonons/units.js';
import { det3, inv3 } from '../structure/mat3.js';
import type { Structure } from '../structure/structure.js';
import type { Supercell } from '../structure/supercell.js';
import type { OperationSet } from '../symmetry/operations.js';
import { Symmetrizer } from '../symmetry/symmetrize.js';
import type { Kernels } from '../wasm/kernels.js';
import { EnsembleWorkspace, type Averages, type SschaSymmetry } from './averages.js';
import { evaluatePopulation, samplePopulation, type Population, type SampleInput } from './ensemble.js';
import { minimizePopulation, projectCentroids, projectPhi, type MinimizeOptions, type Representation, type StepRecord, type StopReason } from './minimize.js';
import { SschaError, assertPositiveModes } from './modes.js';
import { resumedPopulation, sschaInputs, sschaSymmetry, type SschaState } from './run.js';

/** 1 eV/Å³ in GPa (physics.md 1.2). */
const GPA = 160.2176634;

export type VariableCellMode = 'full' | 'fixed-volume' | 'fixed-shape';

export interface VariableCellProgress {
  /** The cell-history record of the population that just finished (before its cell step). */
  record: CellStepRecord;
  averages: Averages;
}

export interface VariableCellOptions {
  calculator: Calculator;
  /** The supercell at the reference cell A₀ (its positions are the symmetric reference). */
  supercell: Supercell | Structure;
  /** As SschaOptions.symmetry (operations of the reference; rebuilt for every strained cell). */
  symmetry?: Symmetrizer | OperationSet | null;
  /** Starting Φ (3N × 3N, eV/Å², Cartesian; kept in Cartesian units through cell steps). */
  phi0: ArrayLike<number>;
  /** Temperature (K). */
  T: number;
  /** Target pressure P₀ (GPa). Ignored for the cell in 'fixed-volume' mode (G still uses it). */
  pressure: number;
  /** 'full' (default), 'fixed-volume' (shape relaxed at constant volume) or 'fixed-shape' (volume only). */
  cellMode?: VariableCellMode;
  /** Configurations per population (even). */
  nConfigs: number;
  seed: number | bigint;
  /** Populations = cell steps + 1 at most (default 20). */
  maxPopulations?: number;
  /** Bulk-modulus guess B (GPa) for the step α = 1/(3BΩ) (default 100; overestimate rather than underestimate). */
  bulkModulus?: number;
  /** Secant (Barzilai–Borwein) update of α, factor clipped to [0.5, 2] (default true). */
  secant?: boolean;
  /** Largest Frobenius norm of the strain increment η per cell step (default 0.05). */
  maxStrainStep?: number;
  /** Converged when |P_αβ − P₀δ_αβ| ≤ max(errorFactor·err(P_αβ), pressureTolerance) (defaults 1 and 0 GPa). */
  errorFactor?: number;
  pressureTolerance?: number;
  /**
   * Constant offset added to the computed pressure tensor (GPa, compression-positive): a number
   * (isotropic) or 9 numbers (e.g. the basis-set correction of DFT stresses).
   */
  pressureOffset?: number | ArrayLike<number>;
  /** V/V₀ outside [1/f, f] counts as an impossible pressure (default 2). */
  maxVolumeChange?: number;
  /** As SschaOptions.confirmNEff (default 0.8). */
  confirmNEff?: number;
  centroids?: ArrayLike<number>;
  nTranslations?: number;
  ncells?: number;
  batchSize?: number;
  kernels?: Kernels;
  minimize?: Omit<MinimizeOptions, 'onStep' | 'reference'>;
  onStep?: (rec: StepRecord & { populations: number }, averages: Averages) => void;
  /**
   * A population was sampled / fully evaluated (for persistence), with the strain ε (9, row-major)
   * and supercell volume (Å³) of the cell it lives in. Resumed populations are not announced as
   * 'sampled' again.
   */
  onPopulation?: (pop: Population, stage: 'sampled' | 'evaluated', cell: { strain: Float64Array; volume: number }) => void;
  /** After every engine batch of a population (persist each configuration as it arrives). */
  onEvaluated?: (pop: Population) => void;
  /** After every population's minimisation, before the cell step (record.step is the step that follows). */
  onCellStep?: (progress: VariableCellProgress) => void;
  /** After every population: the (cell, R, Φ) the run continues from (after the cell step, if any). */
  onMinimized?: (state: VariableCellState) => void;
  /**
   * Populations saved by an interrupted run with the same inputs, in order (the last may be partly
   * evaluated); see the module comment. Resumed populations must have been drawn in bitwise the
   * cell this run reaches.
   */
  resume?: readonly Population[];
  signal?: AbortSignal;
}

/** State after a population of a variable-cell run (VariableCellOptions.onMinimized). */
export interface VariableCellState extends SschaState {
  /** The supercell cell (rows, Å) and strain ε (9, row-major) of the next population (or the final ones). */
  cell: Float64Array;
  strain: Float64Array;
  /** Bulk modulus (GPa) of the cell steps from here on. */
  bulkModulus: number;
}

/** One population of a variable-cell run: the cell it was sampled in and what was measured there. */
export interface CellStepRecord {
  population: number;
  /** Supercell cell (rows, Å), strain ε relative to the reference (9, row-major), volume (supercell, Å³). */
  cell: Float64Array;
  strain: Float64Array;
  volume: number;
  /** Pressure tensor (GPa, compression-positive, offset included) and element-wise errors. */
  pressure: Float64Array;
  pressureErr: Float64Array;
  /** tr P/3 (GPa) and its error (mean of the diagonal errors: correlated components, an upper bound). */
  pressureScalar: number;
  pressureScalarErr: number;
  /** max_αβ |D_αβ| / err(P_αβ) for the projected mismatch D (see cellMode). */
  mismatchSigma: number;
  /** F (eV, supercell) ± error and G = F + P₀Ω. */
  F: number;
  Ferr: number;
  G: number;
  /** Inner minimisation: stop reason, N_eff/N at the end. */
  innerReason: StopReason;
  innerConverged: boolean;
  nEffRatio: number;
  /** Bulk modulus (GPa) used for the step that followed (null if no step followed). */
  bulkModulus: number | null;
  /** Strain increment η applied after this population (null for the last one). */
  step: Float64Array | null;
  /** Converged at this population (the run ended here). */
  converged: boolean;
}

export interface VariableCellResult {
  converged: boolean;
  reason: 'converged' | 'max-populations';
  cellMode: VariableCellMode;
  temperature: number;
  /** Target pressure (GPa). */
  targetPressure: number;
  /** Free energy F (eV) and Gibbs energy G = F + P₀Ω with F's error: supercell, per cell, per atom. */
  F: number;
  Ferr: number;
  G: number;
  Gerr: number;
  GperCell: number;
  GperCellErr: number;
  GperAtom: number;
  GperAtomErr: number;
  ncells: number;
  /** Final supercell cell (rows, Å), strain ε relative to the reference, and the unit cell (Supercell input only). */
  cell: Float64Array;
  strain: Float64Array;
  unitCell: Float64Array | null;
  /** Final supercell with the centroids as positions. */
  structure: Structure;
  /** Volume (supercell, per cell, per atom; Å³) and error estimate Ω·err(p)/B (0 in 'fixed-volume' mode). */
  volume: number;
  volumeErr: number;
  volumePerCell: number;
  volumePerAtom: number;
  volumePerAtomErr: number;
  /** Final pressure tensor (GPa) with errors, its trace/3 with error. */
  pressure: Float64Array;
  pressureErr: Float64Array;
  pressureScalar: number;
  pressureScalarErr: number;
  /** Bulk-modulus estimate (GPa) used for the volume error, and where it came from. */
  bulkModulus: number;
  bulkModulusSource: 'guess' | 'secant' | 'fit';
  /** Final centroids (Cartesian Å in the final cell) and Φ (eV/Å²). */
  R: Float64Array;
  phi: Float64Array;
  omega: Float64Array;
  frequenciesCm: Float64Array;
  averages: Averages;
  /** One record per population (cell steps). */
  cellHistory: CellStepRecord[];
  /** Accepted minimisation steps of all populations. */
  history: StepRecord[];
  populations: Population[];
}

/** Partial state attached to VariableCellError (and to engine errors) as `error.partial`. */
export interface VariableCellPartial {
  populations: Population[];
  cellHistory: CellStepRecord[];
  history: StepRecord[];
  cell: Float64Array;
  strain: Float64Array;
  R: Float64Array;
  phi: Float64Array;
}

/** The variable-cell run cannot reach the target (impossible pressure, engine failing on a strained cell...). */
export class VariableCellError extends SschaError {
  partial?: VariableCellPartial;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'VariableCellError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

// ---------------------------------------------------------------------------------------------
// 3×3 helpers (row-major)

const I3 = () => Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
function mm(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const o = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) o[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  return o;
}
function tr(a: ArrayLike<number>): Float64Array {
  return Float64Array.of(a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]);
}
function symPart(a: ArrayLike<number>): Float64Array {
  const o = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) o[3 * i + j] = 0.5 * (a[3 * i + j] + a[3 * j + i]);
  return o;
}
function fro(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}
function dot9(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < 9; i++) s += a[i] * b[i];
  return s;
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function isSupercell(s: Supercell | Structure): s is Supercell {
  return (s as Supercell).structure !== undefined && (s as Supercell).prim !== undefined;
}

/** Projected mismatch D (eV/Å³) of the cell mode and the per-component error used for it. */
function mismatch(P: Float64Array, Perr: Float64Array, P0: number, mode: VariableCellMode): { D: Float64Array; err: Float64Array } {
  const p = (P[0] + P[4] + P[8]) / 3;
  const pe = (Perr[0] + Perr[4] + Perr[8]) / 3;
  const D = new Float64Array(9);
  const err = Float64Array.from(Perr);
  if (mode === 'full') {
    for (let i = 0; i < 9; i++) D[i] = P[i] - (i % 4 === 0 ? P0 : 0);
  } else if (mode === 'fixed-volume') {
    for (let i = 0; i < 9; i++) D[i] = P[i] - (i % 4 === 0 ? p : 0);
  } else {
    for (let i = 0; i < 9; i++) {
      D[i] = i % 4 === 0 ? p - P0 : 0;
      err[i] = i % 4 === 0 ? pe : Infinity;
    }
  }
  return { D, err };
}

/**
 * Constant-pressure SSCHA (physics.md 5.10): relax the cell at target pressure P₀ (GPa) together
 * with (R, Φ), one cell step per population. See the module comment for the algorithm.
 */
export async function runSschaVariableCell(opts: VariableCellOptions): Promise<VariableCellResult> {
  const { k, structure: base, ncells, n, n3, nt, T } = await sschaInputs(opts);
  const mode: VariableCellMode = opts.cellMode ?? 'full';
  if (!['full', 'fixed-volume', 'fixed-shape'].includes(mode)) throw new SschaError(`cellMode must be 'full', 'fixed-volume' or 'fixed-shape', got ${String(mode)}`);
  if (!Number.isFinite(opts.pressure)) throw new SschaError(`target pressure must be finite (GPa), got ${opts.pressure}`);
  const P0 = opts.pressure / GPA;
  const maxPop = opts.maxPopulations ?? 20;
  const confirmNEff = opts.confirmNEff ?? 0.8;
  const Bguess = opts.bulkModulus ?? 100;
  if (!(Bguess > 0) || !Number.isFinite(Bguess)) throw new SschaError(`bulkModulus must be a positive number (GPa), got ${Bguess}`);
  let B = Bguess / GPA;
  let Bsource: 'guess' | 'secant' = 'guess';
  const useSecant = opts.secant ?? true;
  const maxStrain = opts.maxStrainStep ?? 0.05;
  const errFactor = opts.errorFactor ?? 1;
  const tolP = (opts.pressureTolerance ?? 0) / GPA;
  const maxDV = opts.maxVolumeChange ?? 2;
  if (!(maxDV > 1)) throw new SschaError(`maxVolumeChange must be > 1, got ${maxDV}`);
  const offset = new Float64Array(9);
  if (typeof opts.pressureOffset === 'number') offset[0] = offset[4] = offset[8] = opts.pressureOffset / GPA;
  else if (opts.pressureOffset) {
    if (opts.pressureOffset.length !== 9) throw new SschaError(`pressureOffset must be a number or 9 numbers (GPa), got ${opts.pressureOffset.length}`);
    const o = symPart(opts.pressureOffset);
    for (let i = 0; i < 9; i++) offset[i] = o[i] / GPA;
  }

  // symmetry of the reference; its operations are reused (Cartesian rotations recomputed) for strained cells
  const sym0 = sschaSymmetry(opts.supercell, opts.symmetry, nt);
  const ops: OperationSet | null = sym0.symmetrizer ? { operations: [...sym0.symmetrizer.operations], atomMaps: [...sym0.symmetrizer.perms] } : null;
  const symFor = (cell: Float64Array): SschaSymmetry => {
    if (!ops) return { nTranslations: nt };
    const s = new Symmetrizer(cell, ops);
    if (s.orthogonalityError > 1e-8) throw new VariableCellError(`the strained cell lost the symmetry of the reference (orthogonality error ${s.orthogonalityError.toExponential(2)})`);
    return { symmetrizer: s, nTranslations: nt };
  };
  const symTensor = (t: Float64Array): Float64Array => {
    const s = symPart(t);
    return sym0.symmetrizer ? sym0.symmetrizer.tensor(s) : s;
  };

  const A0 = Float64Array.from(base.cell);
  const V0 = Math.abs(det3(A0));
  let eps: Float64Array = new Float64Array(9);
  let cell: Float64Array = Float64Array.from(A0);
  let structure = base;
  let symmetry = sym0;
  let reference = base.cartesian();
  let R = projectCentroids(Float64Array.from(opts.centroids ?? reference), reference, symmetry);
  let phi = projectPhi(Float64Array.from(opts.phi0), symmetry);
  assertPositiveModes(k, base.masses, phi, T, nt);

  const populations: Population[] = [];
  const history: StepRecord[] = [];
  const cellHistory: CellStepRecord[] = [];
  const mopts = opts.minimize ?? {};
  let lambda = mopts.lambda ?? 0.5;
  let rep: Representation = mopts.representation ?? 'normal';
  let prev: { eps: Float64Array; g: Float64Array; gErr: number } | null = null;
  let last: { averages: Averages; P: Float64Array; Perr: Float64Array; record: CellStepRecord } | null = null;
  let converged = false;

  const partial = (): VariableCellPartial => ({ populations, cellHistory, history, cell: Float64Array.from(cell), strain: Float64Array.from(eps), R, phi });
  const fail = (e: unknown): never => {
    if (e instanceof Error) (e as Error & { partial?: VariableCellPartial }).partial = partial();
    throw e;
  };
  const describeCell = () => `V/V₀ = ${(Math.abs(det3(cell)) / V0).toFixed(4)} after ${cellHistory.length} cell step(s), target ${opts.pressure} GPa at ${T} K`;

  for (let p = 0; p < maxPop; p++) {
    const input: SampleInput = { structure, centroids: R, phi, temperature: T, nConfigs: opts.nConfigs, seed: opts.seed, index: p, nTranslations: nt };
    const saved = opts.resume?.[p];
    if (saved && !sameBits(saved.cell, structure.cell))
      fail(new SschaError(`saved population ${p} was drawn in another cell than this run reaches: the saved run had different inputs or options (start it in a new folder)`));
    const pop = saved ? resumedPopulation(k, saved, input) : samplePopulation(k, input);
    populations.push(pop);
    const cellInfo = { strain: Float64Array.from(eps), volume: Math.abs(det3(cell)) };
    if (!saved) opts.onPopulation?.(pop, 'sampled', cellInfo);
    try {
      const onEvaluated = opts.onEvaluated;
      await evaluatePopulation(pop, opts.calculator, structure, { stress: true, batchSize: opts.batchSize, signal: opts.signal, onProgress: onEvaluated && (() => onEvaluated(pop)) });
    } catch (e) {
      // an engine failing on a strained cell (a dead engine, or a pressure out of its reach); anything else
      // (abort, the first cell) is rethrown as it is, with the partial results attached
      if (e instanceof CalculatorError && p > 0) fail(new VariableCellError(`the engine failed on the strained cell (${describeCell()}): ${e.message} (an engine that fails only on strained cells may mean a pressure out of its reach)`, { cause: e }));
      fail(e);
    }
    if (!pop.stresses) fail(new VariableCellError(`${opts.calculator.name} returned no stresses: the variable-cell SSCHA needs them`));
    opts.onPopulation?.(pop, 'evaluated', cellInfo);
    const ws = new EnsembleWorkspace(k, pop, symmetry);
    let res;
    try {
      res = minimizePopulation(ws, { R, phi, temperature: T }, {
        ...mopts,
        lambda,
        representation: rep,
        reference,
        onStep: (rec, avg) => {
          history.push(rec);
          opts.onStep?.({ ...rec, populations: p + 1 }, avg);
        },
      });
    } catch (e) {
      ws.free();
      return fail(e);
    }
    ws.free();
    R = res.R;
    phi = res.phi;
    lambda = Math.max(res.lambda, (mopts.lambda ?? 0.5) / 16);
    rep = res.representation === 'sqrt' ? (mopts.representation ?? 'normal') : rep;
    const a = res.averages;
    if (!a.pressure || !a.pressureErr) fail(new VariableCellError('no pressure in the averages (stresses missing)'));
    const P = new Float64Array(9);
    for (let i = 0; i < 9; i++) P[i] = a.pressure![i] + offset[i];
    const Perr = a.pressureErr!;
    const { D, err } = mismatch(P, Perr, P0, mode);
    let worst = 0;
    let within = true;
    for (let i = 0; i < 9; i++) {
      const thr = Math.max(errFactor * err[i], tolP);
      const z = err[i] === Infinity ? 0 : Math.abs(D[i]) / Math.max(err[i], 1e-300);
      worst = Math.max(worst, z);
      if (Math.abs(D[i]) > thr) within = false;
    }
    const volume = Math.abs(det3(cell));
    const innerOk = res.converged && a.nEff / a.nConfigs >= confirmNEff;
    const innerReason: SschaState['reason'] = res.converged && !innerOk ? 'converged-unconfirmed' : res.reason;
    const minimized = (): void =>
      opts.onMinimized?.({
        population: p, R, phi, lambda, representation: rep, reason: innerReason, converged: innerOk,
        cell: Float64Array.from(cell), strain: Float64Array.from(eps), bulkModulus: B * GPA,
      });
    const record: CellStepRecord = {
      population: p,
      cell: Float64Array.from(cell),
      strain: Float64Array.from(eps),
      volume,
      pressure: P.map((x) => x * GPA),
      pressureErr: Perr.map((x) => x * GPA),
      pressureScalar: ((P[0] + P[4] + P[8]) / 3) * GPA,
      pressureScalarErr: ((Perr[0] + Perr[4] + Perr[8]) / 3) * GPA,
      mismatchSigma: worst,
      F: a.F,
      Ferr: a.Ferr,
      G: a.F + P0 * volume,
      innerReason: res.reason,
      innerConverged: res.converged,
      nEffRatio: a.nEff / a.nConfigs,
      bulkModulus: null,
      step: null,
      converged: false,
    };
    cellHistory.push(record);
    last = { averages: a, P, Perr, record };
    if (innerOk && within) {
      record.converged = true;
      converged = true;
      opts.onCellStep?.({ record, averages: a });
      minimized();
      break;
    }
    if (p === maxPop - 1) {
      opts.onCellStep?.({ record, averages: a });
      minimized();
      break;
    }

    // ---- cell step
    const onePlusEps = I3();
    for (let i = 0; i < 9; i++) onePlusEps[i] += eps[i];
    const g = mm(D, onePlusEps).map((x) => -volume * x); // g_ε = −Ω D (𝟙 + ε)
    const gErr = volume * fro(err.map((x, i) => (x === Infinity ? 0 : x * (mode === 'fixed-shape' && i % 4 !== 0 ? 0 : 1))));
    if (useSecant && prev) {
      const dE = eps.map((x, i) => x - prev!.eps[i]);
      const dG = g.map((x, i) => x - prev!.g[i]);
      const s = dot9(dE, dG);
      const gg = dot9(dG, dG);
      if (s > 0 && Math.sqrt(gg) > 3 * hypot2(gErr, prev.gErr)) {
        const alphaBB = s / gg;
        const alpha = 1 / (3 * B * volume);
        const f = Math.min(2, Math.max(0.5, alphaBB / alpha));
        B = B / f;
        Bsource = 'secant';
      }
    }
    prev = { eps: Float64Array.from(eps), g, gErr };
    const alpha = 1 / (3 * B * volume);
    let eta = D.map((x) => alpha * volume * x); // η = αΩD = D/(3B)
    const en = fro(eta);
    if (en > maxStrain) eta = eta.map((x) => (x * maxStrain) / en);
    record.bulkModulus = B * GPA;
    record.step = Float64Array.from(eta);
    // 𝟙 + ε ← (𝟙 + η)(𝟙 + ε), kept symmetric (no rotation) and point-group symmetric
    const onePlusEta = I3();
    for (let i = 0; i < 9; i++) onePlusEta[i] += eta[i];
    let Fd = mm(onePlusEta, onePlusEps);
    const epsSym = symTensor(Fd.map((x, i) => x - (i % 4 === 0 ? 1 : 0)));
    Fd = I3();
    for (let i = 0; i < 9; i++) Fd[i] += epsSym[i];
    if (mode === 'fixed-volume') {
      const s = cbrt(1 / det3(Fd)); // the run starts at the reference volume
      for (let i = 0; i < 9; i++) Fd[i] *= s;
    } else if (mode === 'fixed-shape') {
      // keep 𝟙 + ε a multiple of the starting one (𝟙): remove round-off anisotropy
      const s = (Fd[0] + Fd[4] + Fd[8]) / 3;
      Fd = I3().map((x) => x * s);
    }
    const epsNew = Fd.map((x, i) => x - (i % 4 === 0 ? 1 : 0));
    const newCell = mm(A0, tr(Fd)); // cell = A₀(𝟙 + εᵀ)
    const ratio = Math.abs(det3(newCell)) / V0;
    opts.onCellStep?.({ record, averages: a });
    if (!(ratio > 0) || !Number.isFinite(ratio) || det3(Fd) <= 0 || ratio > maxDV || ratio < 1 / maxDV) {
      const what = !(ratio > 0) || det3(Fd) <= 0 ? 'inverted' : ratio > 1 ? 'exploding' : 'collapsing';
      fail(
        new VariableCellError(
          `impossible pressure: the cell is ${what} (V/V₀ would be ${ratio.toPrecision(4)}, limit ${ratio > 1 ? maxDV : (1 / maxDV).toPrecision(4)}) at target ${opts.pressure} GPa, T = ${T} K, ` +
            `after ${cellHistory.length} population(s); last pressure ${record.pressureScalar.toPrecision(4)} ± ${record.pressureScalarErr.toPrecision(2)} GPa. ` +
            `The populations computed so far are in error.partial.`,
        ),
      );
    }
    // keep fractional centroids, Cartesian Φ; rebuild symmetry for the new cell and re-symmetrise
    const inv = inv3(cell);
    const Rnew = new Float64Array(n3);
    const fr = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < 3; q++) fr[q] = R[3 * i] * inv[q] + R[3 * i + 1] * inv[3 + q] + R[3 * i + 2] * inv[6 + q];
      for (let q = 0; q < 3; q++) Rnew[3 * i + q] = fr[0] * newCell[q] + fr[1] * newCell[3 + q] + fr[2] * newCell[6 + q];
    }
    eps = epsNew;
    cell = newCell;
    try {
      structure = base.with({ cell });
      symmetry = symFor(cell);
    } catch (e) {
      fail(e instanceof VariableCellError ? e : new VariableCellError(`impossible cell after the step (${describeCell()}): ${(e as Error).message}`, { cause: e }));
    }
    reference = structure.cartesian();
    R = projectCentroids(Rnew, reference, symmetry);
    phi = projectPhi(phi, symmetry);
    minimized();
  }

  const { averages: a, P, Perr, record } = last!;
  const volume = record.volume;
  // bulk modulus for the volume error: least-squares slope of p against ln V over the history when
  // it is determined to 30%, else the (secant-updated) step modulus
  let Bout = B * GPA;
  let Bsrc: 'guess' | 'secant' | 'fit' = Bsource;
  if (mode !== 'fixed-volume' && cellHistory.length >= 3) {
    let sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const r of cellHistory) {
      const w = 1 / Math.max(r.pressureScalarErr, 1e-12) ** 2;
      const x = log(r.volume), y = r.pressureScalar;
      sw += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y;
    }
    const det = sw * sxx - sx * sx;
    if (det > 0) {
      const slope = (sw * sxy - sx * sy) / det;
      const slopeErr = Math.sqrt(sw / det);
      if (-slope > 0 && slopeErr < 0.3 * -slope) {
        Bout = -slope;
        Bsrc = 'fit';
      }
    }
  }
  const pErr = ((Perr[0] + Perr[4] + Perr[8]) / 3) * GPA;
  const volumeErr = mode === 'fixed-volume' ? 0 : (volume * pErr) / Bout;
  const G = a.F + P0 * volume;
  const finalStructure = structure.with({ cartesian: R });
  let unitCell: Float64Array | null = null;
  if (isSupercell(opts.supercell)) {
    // supercell cell = M·unit cell  ⇒  unit = M⁻¹·cell
    unitCell = mm(inv3(Array.from(opts.supercell.matrix)), cell);
  }
  return {
    converged,
    reason: converged ? 'converged' : 'max-populations',
    cellMode: mode,
    temperature: T,
    targetPressure: opts.pressure,
    F: a.F,
    Ferr: a.Ferr,
    G,
    Gerr: a.Ferr,
    GperCell: G / ncells,
    GperCellErr: a.Ferr / ncells,
    GperAtom: G / n,
    GperAtomErr: a.Ferr / n,
    ncells,
    cell: Float64Array.from(cell),
    strain: Float64Array.from(eps),
    unitCell,
    structure: finalStructure,
    volume,
    volumeErr,
    volumePerCell: volume / ncells,
    volumePerAtom: volume / n,
    volumePerAtomErr: volumeErr / n,
    pressure: P.map((x) => x * GPA),
    pressureErr: Perr.map((x) => x * GPA),
    pressureScalar: ((P[0] + P[4] + P[8]) / 3) * GPA,
    pressureScalarErr: pErr,
    bulkModulus: Bout,
    bulkModulusSource: Bsrc,
    R,
    phi,
    omega: a.omega,
    frequenciesCm: Float64Array.from(a.omega, (w) => w * TAU_INV_TO_CM),
    averages: a,
    cellHistory,
    history,
    populations,
  };
}
