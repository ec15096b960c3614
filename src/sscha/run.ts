// The SSCHA outer loop (physics.md 5.9): generate a population at the current (R, Φ, T) → evaluate
// it with the engine → minimise inside it → repeat until converged inside a population or
// maxPopulations is reached. Populations are kept in memory as plain data (ensemble.ts) so that they
// can be persisted and a run resumed.
import { CalculatorError, type Calculator } from '../calculators/calculator.js';
import { loadKernels } from '../node/kernels.js';
import { TAU_INV_TO_CM } from '../phonons/units.js';
import type { Structure } from '../structure/structure.js';
import type { Supercell } from '../structure/supercell.js';
import { supercellOperations, type OperationSet } from '../symmetry/operations.js';
import { Symmetrizer } from '../symmetry/symmetrize.js';
import type { Kernels } from '../wasm/kernels.js';
import { EnsembleWorkspace, type Averages, type SschaSymmetry } from './averages.js';
import { evaluatePopulation, samplePopulation, type Population, type SampleInput } from './ensemble.js';
import { minimizePopulation, projectCentroids, projectPhi, type MinimizeOptions, type Representation, type StepRecord, type StopReason } from './minimize.js';
import { ModeSet, SschaError, componentMasses } from './modes.js';

export interface SschaProgress extends StepRecord {
  /** Populations generated so far. */
  populations: number;
}

export interface SschaOptions {
  calculator: Calculator;
  /** The supercell (a Supercell from makeSupercell, or its Structure). Its positions are the symmetric reference. */
  supercell: Supercell | Structure;
  /**
   * Symmetry of the supercell, including its pure translations (e.g. supercellOperations of the
   * unit cell's space group), as a Symmetrizer or an operation set. Default: the pure translations
   * of a Supercell; none for a bare Structure. `null`: no symmetrisation.
   */
  symmetry?: Symmetrizer | OperationSet | null;
  /** Starting auxiliary force constants (3N × 3N, eV/Å², positive definite on the non-translational modes). */
  phi0: ArrayLike<number>;
  /** Temperature (K); 0 is treated exactly. */
  T: number;
  /** Configurations per population (even). */
  nConfigs: number;
  /** RNG seed (u64); population p uses stream p. */
  seed: number | bigint;
  /** Default 20. */
  maxPopulations?: number;
  /**
   * A population that converged only counts as the final one if its N_eff/N at the converged point
   * is at least this (default 0.8); otherwise a new population is drawn there to confirm. Reweighting
   * towards a much wider distribution has heavy-tailed weights whose errors are underestimated.
   */
  confirmNEff?: number;
  /** Starting centroids (3N Cartesian Å; default the supercell positions). */
  centroids?: ArrayLike<number>;
  /** 3 periodic crystal (default), 0 pinned model. */
  nTranslations?: number;
  /** Primitive cells in the supercell (per-cell F); default from the Supercell, else 1. */
  ncells?: number;
  /** Ask the engine for stresses (default true). */
  stress?: boolean;
  /** Configurations per engine batch call (default: the whole population). */
  batchSize?: number;
  kernels?: Kernels;
  /** Minimiser settings (λ, κ, factor 0.2, N_eff threshold 0.5, max steps per population...). */
  minimize?: Omit<MinimizeOptions, 'onStep' | 'reference'>;
  /** Every accepted minimisation step. */
  onStep?: (progress: SschaProgress, averages: Averages) => void;
  /** A population was sampled / fully evaluated (for persistence). Resumed populations are not announced as 'sampled' again. */
  onPopulation?: (pop: Population, stage: 'sampled' | 'evaluated') => void;
  /** After every engine batch of a population: persist each configuration as it arrives (pop.evaluated counts them). */
  onEvaluated?: (pop: Population) => void;
  /** After each population's minimisation: the (R, Φ) the run continues from, with λ and the representation. */
  onMinimized?: (state: SschaState) => void;
  /**
   * Populations saved by an interrupted run with the same inputs (src/sscha/persistence.ts), in order;
   * the last may be partly evaluated. Population p is used instead of a new sample when its
   * generating (R₀, Φ₀, T₀), seed and size are bitwise those this run reaches, and its ξ and positions
   * are checked against a regeneration from seed + stream; its results are kept and only the missing
   * configurations are evaluated. The minimisation is replayed (deterministic), so the final numbers
   * are bit-identical to an uninterrupted run.
   */
  resume?: readonly Population[];
  signal?: AbortSignal;
}

export interface SschaResult {
  converged: boolean;
  /** Why the last population stopped. */
  reason: StopReason | 'max-populations';
  /** Free energy of the supercell (eV) ± error, per primitive cell and per atom. */
  F: number;
  Ferr: number;
  FperCell: number;
  FperCellErr: number;
  FperAtom: number;
  FperAtomErr: number;
  ncells: number;
  temperature: number;
  /** Final centroids (3N Cartesian Å) and auxiliary force constants (3N × 3N, eV/Å²). */
  R: Float64Array;
  phi: Float64Array;
  /** Auxiliary frequencies ω_μ (τ⁻¹, ascending, translations excluded), in cm⁻¹, and errors (cm⁻¹). */
  omega: Float64Array;
  frequenciesCm: Float64Array;
  frequencyErrCm: Float64Array;
  /** Averages at the final point (gradients, pressure, weights...). */
  averages: Averages;
  history: StepRecord[];
  populations: Population[];
  /** Why each population's minimisation stopped ('converged-unconfirmed': converged at N_eff/N < confirmNEff). */
  populationReasons: (StopReason | 'converged-unconfirmed')[];
}

/** State after a population's minimisation (SschaOptions.onMinimized). */
export interface SschaState {
  population: number;
  R: Float64Array;
  phi: Float64Array;
  lambda: number;
  representation: Representation;
  reason: StopReason | 'converged-unconfirmed';
  converged: boolean;
}

/** Partial state attached to errors thrown by runSscha (results computed so far are kept). */
export interface SschaPartial {
  populations: Population[];
  history: StepRecord[];
  R: Float64Array;
  phi: Float64Array;
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * A saved population in place of sampling population `input.index` (SschaOptions.resume): its
 * generating parameters must be bitwise `input`'s, and ξ and the positions must equal a regeneration
 * from seed + stream. Returns a copy with the saved results.
 */
export function resumedPopulation(k: Kernels, saved: Population, input: SampleInput): Population {
  const p = input.index;
  const what = (x: string) => new SschaError(`saved population ${p} ${x}: the saved run had different inputs or options (start it in a new folder)`);
  if (saved.index !== p || saved.stream !== p) throw what(`has index ${saved.index}`);
  const fresh = samplePopulation(k, input);
  if (saved.seed !== fresh.seed) throw what(`has seed ${saved.seed}, this run ${fresh.seed}`);
  if (saved.nConfigs !== input.nConfigs) throw what(`has ${saved.nConfigs} configurations, this run ${input.nConfigs}`);
  if (!Object.is(saved.temperature, input.temperature)) throw what(`was drawn at T = ${saved.temperature} K, this run ${input.temperature} K`);
  if (!sameBits(saved.centroids, input.centroids) || !sameBits(saved.phi, input.phi)) throw what('was drawn from other (R, Φ) than this run reaches');
  if (!sameBits(fresh.xi, saved.xi)) throw what('has ξ that differ from their regeneration from seed and stream');
  if (!sameBits(fresh.positions, saved.positions)) throw what('has positions that differ from their regeneration');
  return {
    ...fresh,
    energies: Float64Array.from(saved.energies),
    forces: Float64Array.from(saved.forces),
    stresses: saved.stresses ? Float64Array.from(saved.stresses) : null,
    evaluated: saved.evaluated,
    engine: saved.engine,
  };
}

function isSupercell(s: Supercell | Structure): s is Supercell {
  return (s as Supercell).structure !== undefined && (s as Supercell).prim !== undefined;
}

/** The symmetry context for a supercell (see SschaOptions.symmetry). */
export function sschaSymmetry(supercell: Supercell | Structure, symmetry: Symmetrizer | OperationSet | null | undefined, nTranslations = 3): SschaSymmetry {
  const structure = isSupercell(supercell) ? supercell.structure : supercell;
  let symmetrizer: Symmetrizer | undefined;
  if (symmetry instanceof Symmetrizer) symmetrizer = symmetry;
  else if (symmetry) symmetrizer = new Symmetrizer(structure.cell, symmetry);
  else if (symmetry === undefined && isSupercell(supercell) && supercell.ncells > 1) {
    const identity = { rotation: Int32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), translation: new Float64Array(3) };
    const ops = supercellOperations(structure, [identity], Array.from(supercell.matrix));
    symmetrizer = new Symmetrizer(structure.cell, ops);
  }
  if (symmetrizer && symmetrizer.natoms !== structure.natoms) throw new SschaError(`symmetry is for ${symmetrizer.natoms} atoms, the supercell has ${structure.natoms}`);
  return { symmetrizer, nTranslations };
}

/** Run the SSCHA (populations loop). */
export async function runSscha(opts: SschaOptions): Promise<SschaResult> {
  const k = opts.kernels ?? (await loadKernels());
  const structure = isSupercell(opts.supercell) ? opts.supercell.structure : opts.supercell;
  const ncells = opts.ncells ?? (isSupercell(opts.supercell) ? opts.supercell.ncells : 1);
  const n = structure.natoms, n3 = 3 * n;
  const nt = opts.nTranslations ?? 3;
  const T = opts.T;
  if (!(T >= 0) || !Number.isFinite(T)) throw new SschaError(`temperature must be finite and >= 0 K, got ${T}`);
  if (opts.phi0.length !== n3 * n3) throw new SschaError(`phi0 must be ${n3}×${n3} (${n3 * n3} numbers), got ${opts.phi0.length}`);
  const maxPop = opts.maxPopulations ?? 20;
  const confirmNEff = opts.confirmNEff ?? 0.8;
  const symmetry = sschaSymmetry(opts.supercell, opts.symmetry, nt);
  const reference = structure.cartesian();
  let R = projectCentroids(Float64Array.from(opts.centroids ?? reference), reference, symmetry);
  let phi = projectPhi(Float64Array.from(opts.phi0), symmetry);
  // refuse a starting Φ with imaginary modes with a clear message (ImaginaryModeError)
  {
    const check = new ModeSet(k, componentMasses(structure.masses), nt);
    try {
      check.compute(phi, T);
    } finally {
      check.free();
    }
  }
  const populations: Population[] = [];
  const history: StepRecord[] = [];
  const populationReasons: (StopReason | 'converged-unconfirmed')[] = [];
  const mopts = opts.minimize ?? {};
  let lambda = mopts.lambda ?? 0.5;
  let rep: Representation = mopts.representation ?? 'normal';
  let last: { averages: Averages; reason: StopReason; converged: boolean; omegaErr: Float64Array } | null = null;
  const fail = (e: unknown): never => {
    if (e instanceof Error) (e as Error & { partial?: SschaPartial }).partial = { populations, history, R, phi };
    throw e;
  };
  for (let p = 0; p < maxPop; p++) {
    const input: SampleInput = { structure, centroids: R, phi, temperature: T, nConfigs: opts.nConfigs, seed: opts.seed, index: p, nTranslations: nt };
    const saved = opts.resume?.[p];
    const pop = saved ? resumedPopulation(k, saved, input) : samplePopulation(k, input);
    populations.push(pop);
    if (!saved) opts.onPopulation?.(pop, 'sampled');
    try {
      const onEvaluated = opts.onEvaluated;
      await evaluatePopulation(pop, opts.calculator, structure, { stress: opts.stress, batchSize: opts.batchSize, signal: opts.signal, onProgress: onEvaluated && (() => onEvaluated(pop)) });
    } catch (e) {
      if (e instanceof CalculatorError) fail(e);
      throw e;
    }
    opts.onPopulation?.(pop, 'evaluated');
    const ws = new EnsembleWorkspace(k, pop, symmetry);
    try {
      const res = minimizePopulation(ws, { R, phi, temperature: T }, {
        ...mopts,
        lambda,
        representation: rep,
        reference,
        onStep: (rec, avg) => {
          history.push(rec);
          opts.onStep?.({ ...rec, populations: p + 1 }, avg);
        },
      });
      R = res.R;
      phi = res.phi;
      // keep the step length across populations but not below the default start / 16
      lambda = Math.max(res.lambda, (mopts.lambda ?? 0.5) / 16);
      rep = res.representation === 'sqrt' ? (mopts.representation ?? 'normal') : rep; // back to normal once resampled
      const sym = symmetry.symmetrizer;
      const varW = ws.modes.modeVariances(res.averages.GErr);
      const order = sym ? sym.order : 1;
      const omegaErr = Float64Array.from(varW, (v, mu) => Math.sqrt(v / order) / (2 * res.averages.omega[mu]));
      populationReasons.push(res.reason);
      last = { averages: res.averages, reason: res.reason, converged: res.converged, omegaErr };
    } catch (e) {
      fail(e);
    } finally {
      ws.free();
    }
    let final = false;
    if (last!.converged) {
      if (last!.averages.nEff / last!.averages.nConfigs >= confirmNEff) final = true;
      else {
        last!.converged = false;
        populationReasons[populationReasons.length - 1] = 'converged-unconfirmed';
      }
    }
    opts.onMinimized?.({ population: p, R, phi, lambda, representation: rep, reason: populationReasons[populationReasons.length - 1], converged: last!.converged });
    if (final) break;
  }
  const a = last!.averages;
  return {
    converged: last!.converged,
    reason: last!.converged ? 'converged' : populations.length >= maxPop ? 'max-populations' : last!.reason,
    F: a.F,
    Ferr: a.Ferr,
    FperCell: a.F / ncells,
    FperCellErr: a.Ferr / ncells,
    FperAtom: a.F / n,
    FperAtomErr: a.Ferr / n,
    ncells,
    temperature: T,
    R,
    phi,
    omega: a.omega,
    frequenciesCm: Float64Array.from(a.omega, (w) => w * TAU_INV_TO_CM),
    frequencyErrCm: Float64Array.from(last!.omegaErr, (w) => w * TAU_INV_TO_CM),
    averages: a,
    history,
    populations,
    populationReasons,
  };
}
