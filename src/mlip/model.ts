// A trained linear MLIP: basis + θ + active set, its versioned JSON file, and a Calculator.
//
// File (JSON, one object):
//   { "format": "anharmonic-csp/mlip", "version": 1,
//     "species": ["H", "S"],              // = basis.species
//     "basis": { "type": "mtp", … },      // the basis's toJSON(); rebuilt by the factory registered for its type
//     "nParams": 123, "theta": [...],     // θ (per-species constants first, as the basis orders them)
//     "activeSet": { "mode", "columnScale", "rows", "sources" } | null,   // active-set.ts
//     "training": { … provenance … }, "fitReport": { "units", "train", "test" } }
// Loading checks every field and names the file and the field in errors.
import { type Calculator, type CalcOptions, type CalcResult, CalculatorError, validateResult } from '../calculators/calculator.js';
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import { ActiveSet, type ActiveSetJson, type ConfigGrade, type Selection, selectCandidates } from './active-set.js';
import type { LinearBasis, LinearEvaluation } from './linear-basis.js';
import { MtpBasis, MtpDomainError } from './mtp.js';
import type { FitErrors, FitWeights } from './train.js';

export const MODEL_FORMAT = 'anharmonic-csp/mlip';
export const MODEL_VERSION = 1;

/** True for a parsed JSON object that is an MLIP model file (pure: the web page and workers use it too). */
export function isMlipModelJson(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && (obj as { format?: unknown }).format === MODEL_FORMAT;
}

/** Grades of physics.md 6.6: above SELECT a configuration is worth labelling, above BREAK the model is not trusted. */
export const SELECT_GRADE = 2;
export const BREAK_GRADE = 10;

/** A malformed model file: "file: field: reason". */
export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/**
 * Builds a basis from its JSON. `fail(field, reason)` reports a malformed field; any other Error the
 * factory throws is reported with the file name in front of its message.
 */
export type BasisFactory = (k: Kernels, spec: Record<string, unknown>, fail: (field: string, reason: string) => never) => LinearBasis;

const factories = new Map<string, BasisFactory>();

/** Make a basis type loadable from model files (the MTP registers itself in src/mlip/index.ts). */
export function registerBasis(type: string, factory: BasisFactory): void {
  factories.set(type, factory);
}

export function registeredBasisTypes(): string[] {
  return [...factories.keys()];
}

// The moment-tensor basis is the built-in one.
registerBasis('mtp-basis', (k, spec) => MtpBasis.fromJSON(k, spec, { source: 'basis' }));

export interface TrainingProvenance {
  /** Data files and the number of configurations taken from each. */
  files?: { name: string; configs: number }[];
  configs: number;
  heldOut?: number;
  atoms?: number;
  energyKey?: string;
  weights?: FitWeights;
  lambda?: number;
  folds?: number;
  cv?: { lambda: number; loss: number | null }[];
  seed?: string;
  rows?: { energy: number; forces: number; stress: number };
  seconds?: number;
  tool?: string;
  [key: string]: unknown;
}

export interface FitReport {
  units: { energy: 'meV/atom'; forces: 'eV/Å'; stress: 'GPa' };
  train?: FitErrors;
  test?: FitErrors;
}

export class MtpModel {
  constructor(
    readonly basis: LinearBasis,
    readonly theta: Float64Array,
    readonly activeSet?: ActiveSet,
    readonly training?: TrainingProvenance,
    readonly fitReport?: FitReport,
  ) {
    if (theta.length !== basis.nParams) throw new RangeError(`model: θ has ${theta.length} values, the basis has ${basis.nParams} parameters`);
    if (activeSet && activeSet.m !== basis.nParams) throw new RangeError(`model: active set is ${activeSet.m}×${activeSet.m}, the basis has ${basis.nParams} parameters`);
  }

  get species(): readonly string[] {
    return this.basis.species;
  }

  /** Throw naming the atom if `s` holds a species the model was not built for. */
  checkSpecies(s: Structure, what = 'configuration'): void {
    const known = new Set(this.basis.species);
    const i = s.species.findIndex((x) => !known.has(x));
    if (i >= 0) throw new CalculatorError(`MLIP: ${what} has species ${s.species[i]} (atom ${i + 1}); the model knows ${this.basis.species.join(' ')}`);
  }

  evaluate(s: Structure): LinearEvaluation {
    this.checkSpecies(s);
    return this.basis.evaluate(s, this.theta);
  }

  grade(k: Kernels, s: Structure): ConfigGrade {
    if (!this.activeSet) throw new CalculatorError('MLIP: the model has no active set (no extrapolation grade)');
    this.checkSpecies(s);
    return this.activeSet.grade(k, this.basis, s);
  }

  /**
   * The configurations worth labelling among `pool` (physics.md 6.6): those entering the active set
   * when MaxVol is rerun with their rows appended, at most `cap`, highest grade first; with every grade.
   */
  select(k: Kernels, pool: readonly Structure[], opts: { cap?: number; minGrade?: number } = {}): Selection {
    if (!this.activeSet) throw new CalculatorError('MLIP: the model has no active set (no selection)');
    const set = this.activeSet;
    return selectCandidates(k, set, pool.map((s, i) => {
      this.checkSpecies(s, `pool configuration ${i}`);
      return set.configRows(this.basis, s);
    }), opts);
  }

  /** Same basis and active set, other θ / provenance. */
  with(changes: { theta?: Float64Array; activeSet?: ActiveSet; training?: TrainingProvenance; fitReport?: FitReport }): MtpModel {
    return new MtpModel(
      this.basis,
      changes.theta ?? this.theta,
      'activeSet' in changes ? changes.activeSet : this.activeSet,
      changes.training ?? this.training,
      changes.fitReport ?? this.fitReport,
    );
  }

  toJSON(): Record<string, unknown> {
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      species: [...this.basis.species],
      basis: this.basis.toJSON(),
      nParams: this.basis.nParams,
      theta: Array.from(this.theta),
      activeSet: this.activeSet ? (this.activeSet.toJSON() as ActiveSetJson) : null,
      training: this.training ?? null,
      fitReport: this.fitReport ? nullNaN(this.fitReport) : null,
    };
  }

  /** Rebuild a model from its parsed JSON; errors name `source` and the field. */
  static fromJSON(k: Kernels, obj: unknown, source = 'model'): MtpModel {
    const fail = (field: string, reason: string): never => {
      throw new ModelFileError(`${source}: ${field}: ${reason}`);
    };
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ModelFileError(`${source}: a model file must be a JSON object`);
    const o = obj as Record<string, unknown>;
    if (o.format !== MODEL_FORMAT) fail('format', `expected "${MODEL_FORMAT}", got ${JSON.stringify(o.format)}`);
    if (o.version !== MODEL_VERSION)
      fail('version', `this program reads version ${MODEL_VERSION}, the file has ${JSON.stringify(o.version)}${typeof o.version === 'number' && o.version > MODEL_VERSION ? ' (written by a newer version)' : ''}`);
    const known = new Set(['format', 'version', 'species', 'basis', 'nParams', 'theta', 'activeSet', 'training', 'fitReport', 'comment']);
    for (const key of Object.keys(o)) if (!known.has(key)) fail(key, 'unknown field');
    if (!Array.isArray(o.species) || o.species.length === 0 || !o.species.every((s) => typeof s === 'string')) fail('species', 'must be a non-empty array of element symbols');
    if (typeof o.basis !== 'object' || o.basis === null || Array.isArray(o.basis)) fail('basis', 'must be an object');
    const spec = o.basis as Record<string, unknown>;
    if (typeof spec.type !== 'string') fail('basis.type', 'is missing');
    const factory = factories.get(spec.type as string);
    if (!factory) fail('basis.type', `unknown basis type ${JSON.stringify(spec.type)} (known: ${registeredBasisTypes().join(', ') || 'none registered'})`);
    let basis: LinearBasis;
    try {
      basis = factory!(k, spec, (field, reason) => fail(`basis.${field}`, reason));
    } catch (e) {
      if (e instanceof ModelFileError || !(e instanceof Error)) throw e;
      throw new ModelFileError(`${source}: ${e.message}`);
    }
    if (basis.species.join(' ') !== (o.species as string[]).join(' '))
      fail('species', `${(o.species as string[]).join(' ')} differs from the basis's ${basis.species.join(' ')}`);
    if (o.nParams !== basis.nParams) fail('nParams', `the basis has ${basis.nParams} parameters, the file says ${JSON.stringify(o.nParams)}`);
    const m = basis.nParams;
    if (!Array.isArray(o.theta) || o.theta.length !== m) fail('theta', `must be an array of ${m} numbers`);
    const bad = (o.theta as unknown[]).findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) fail(`theta[${bad}]`, `must be a finite number, got ${JSON.stringify((o.theta as unknown[])[bad])}`);
    const theta = Float64Array.from(o.theta as number[]);
    const active = o.activeSet === null || o.activeSet === undefined ? undefined : ActiveSet.fromJSON(o.activeSet, m, fail);
    if (o.training !== undefined && o.training !== null && (typeof o.training !== 'object' || Array.isArray(o.training))) fail('training', 'must be an object');
    if (o.fitReport !== undefined && o.fitReport !== null && (typeof o.fitReport !== 'object' || Array.isArray(o.fitReport))) fail('fitReport', 'must be an object');
    return new MtpModel(basis, theta, active, (o.training ?? undefined) as TrainingProvenance | undefined, (o.fitReport ?? undefined) as FitReport | undefined);
  }

  /** The model as a Calculator. */
  calculator(k: Kernels, opts: MlipCalculatorOptions = {}): MlipCalculator {
    return new MlipCalculator(k, this, opts);
  }
}

/** NaN → null (JSON has no NaN), deep copy of plain data. */
function nullNaN<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as T;
}

export interface MlipCalculatorOptions {
  /** Compute the extrapolation grade of every configuration (info.grade; default true when the model has an active set). */
  grade?: boolean;
  /** Refuse configurations with a grade above this (CalculatorError naming the configuration); default: report only. */
  maxGrade?: number;
  name?: string;
}

/**
 * E, f, σ of a trained model for any batch; info.grade holds the extrapolation grade γ (and
 * info.extrapolating = γ > SELECT_GRADE) when the model has an active set.
 */
export class MlipCalculator implements Calculator {
  readonly name: string;
  private readonly withGrade: boolean;

  constructor(
    private readonly k: Kernels,
    readonly model: MtpModel,
    private readonly opts: MlipCalculatorOptions = {},
  ) {
    this.name = opts.name ?? `mlip (${model.species.join('-')}, ${model.basis.nParams} parameters)`;
    this.withGrade = !!model.activeSet && (opts.grade ?? true);
    if (opts.maxGrade !== undefined && !this.withGrade) throw new RangeError('MLIP calculator: maxGrade needs a model with an active set and grade on');
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    const out: CalcResult[] = [];
    for (let c = 0; c < structures.length; c++) {
      if (options.signal?.aborted) throw new CalculatorError(`${this.name}: aborted after ${c} of ${structures.length} configurations`, c);
      const s = structures[c];
      try {
        this.model.checkSpecies(s, `configuration ${c}`);
      } catch (e) {
        if (e instanceof CalculatorError) throw new CalculatorError(e.message, c);
        throw e;
      }
      let e: LinearEvaluation;
      try {
        e = this.model.basis.evaluate(s, this.model.theta);
      } catch (err) {
        // Outside the model's domain (a pair closer than R_min): name the configuration.
        if (err instanceof MtpDomainError) throw new CalculatorError(`${this.name}: configuration ${c}: ${err.message}`, c);
        throw err;
      }
      const r: CalcResult = { energy: e.energy, forces: e.forces, stress: e.stress };
      if (this.withGrade) {
        const g = this.model.activeSet!.grade(this.k, this.model.basis, s);
        r.info = { grade: g.grade, extrapolating: g.grade > SELECT_GRADE };
        if (this.opts.maxGrade !== undefined && g.grade > this.opts.maxGrade) {
          throw new CalculatorError(`${this.name}: configuration ${c} has extrapolation grade ${g.grade.toPrecision(3)} > ${this.opts.maxGrade}`, c);
        }
      }
      validateResult(r, s.natoms, c, this.name);
      out.push(r);
      options.onProgress?.(c + 1, structures.length);
    }
    return out;
  }

  dispose(): void {
    this.model.basis.dispose?.();
  }
}
