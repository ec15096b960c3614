// The evolutionary crystal-structure search (physics.md 7): for a composition and one or more
// pressures, a population of structures relaxed at the target pressure with any Calculator (batch
// interface, src/relax), ranked by enthalpy per atom, deduplicated by Oganov–Valle fingerprints, and
// renewed each generation by heredity, mutations and random structures; elitism and a stopping rule.
//
// Defaults (physics.md 7.6 and 11, except the parent pool): parent pool = best 40 % of the unique
// individuals (physics.md: 70 %; measured in docs/search.md), parent probability decreasing linearly
// with rank; the best 15 % survive unchanged; population 2 × atoms per cell rounded to 10 (at least
// 10, at most 60); stop when the best structure has not changed for S = max(10, atoms per cell)
// generations or after `maxGenerations`. Pressures are searched one after
// the other, independently; their candidates are reported per pressure, ranked by H/atom.
//
// Determinism: child k of generation g at pressure p draws from its own Philox stream
// (seed, p·2^40 + g·2^20 + k), so the whole run is a pure function of the options, the engine and
// the seed. With a storage (journal.ts) every finished relaxation batch is journalled; a rerun replays
// the search and takes finished batches from the journal.
import type { Calculator } from '../calculators/calculator.js';
import { writeCif } from '../io/cif.js';
import { writePoscar } from '../io/poscar.js';
import { linePlot } from '../plot/svg.js';
import { relaxBatch, type RelaxMethod, type RelaxResult } from '../relax/relax.js';
import { covalentRadius } from '../structure/elements.js';
import { Structure } from '../structure/structure.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import type { Kernels } from '../wasm/kernels.js';
import { atomsPerUnit, cellSpecies, MinDistances, parseFormula, reducedFormula, SearchInputError, type Composition } from './composition.js';
import { minDistanceViolation, niggliStructure } from './constraints.js';
import { Draws } from './draws.js';
import { fingerprint, fingerprintDistance, isDuplicate, localOrder, type Fingerprint, type FingerprintOptions } from './fingerprint.js';
import { finiteOrNull, SearchJournal, structureHash, type RelaxRecord, type SearchStorage } from './journal.js';
import {
  coordinateMutation, heredity, latticeMutation, normalizeFractions, OPERATORS, permutation, randomChild, randomP1Generator, softMutation,
  type ChildContext, type OperatorFractions, type OperatorName, type OperatorSettings, type RandomGenerator,
} from './operators.js';
import { symmetricGenerator } from './symmetric-generator.js';

const cube = (x: number) => x * x * x;

export interface SearchRelaxSettings {
  /** eV/Å, default 0.02. */
  fmax?: number;
  /** GPa, default 0.5. */
  smax?: number;
  /** Default 500. */
  maxSteps?: number;
  /** Default 'lbfgs'. */
  method?: RelaxMethod;
}

export interface SearchOptions {
  /** "H3S", or a parsed composition. */
  formula: string | Composition;
  /** Target pressures (GPa). */
  pressures: number[];
  /** Range of formula units per cell, inclusive. Default [1, 1]. */
  formulaUnits?: [number, number];
  seed: number | bigint;
  /** Default: 2 × largest atoms per cell, rounded to 10, in [10, 60]. */
  populationSize?: number;
  /** Size of the first (random) generation. Default: populationSize. */
  initialPopulation?: number;
  /** Default 30. */
  maxGenerations?: number;
  /** Stop when the best has not changed for this many generations. Default max(10, atoms per cell). */
  stallGenerations?: number;
  fractions?: Partial<OperatorFractions>;
  operators?: OperatorSettings;
  /** Elite fraction (default 0.15) and parent-pool fraction (default 0.4; physics.md 7.6 says 0.7, see docs/search.md). */
  elitism?: number;
  parentPool?: number;
  /**
   * Use the atoms' local degree of order (fingerprint.ts localOrder; Lyakhov et al. 2010): heredity
   * takes the most ordered of a few random slabs of each parent, coordinate mutation moves disordered
   * atoms preferentially. Default true.
   */
  localOrder?: boolean;
  /** d_min factor f (default 0.7) and per-pair overrides {"H-H": 0.8} (Å). */
  minDistanceFactor?: number;
  minDistances?: Record<string, number>;
  /** Reference volume per atom for the first generation (Å³); default: estimated by relaxing a few random structures. */
  volumePerAtom?: number;
  relax?: SearchRelaxSettings;
  /** Relaxations per batch (one lock-step relaxBatch; the journal's granularity). Default 8. */
  batchSize?: number;
  /** Symmetry tolerance (Å) for idealising relaxed structures and reporting space groups. Default 0.05. */
  symprec?: number;
  fingerprint?: FingerprintOptions;
  /** Duplicates: D < distance and |ΔH| < enthalpy (eV/atom). Default 0.008 and 0.005. */
  duplicate?: { distance?: number; enthalpy?: number };
  /** Ranked structures written per pressure. Default 10. */
  keep?: number;
  /**
   * Structures that open the first generation at their pressure (operator 'given'), before the random
   * ones: a search continued with another engine starts from what the previous one found (physics.md 8,
   * step 4). Their cells must hold whole formula units; without `volumePerAtom`, their mean volume
   * per atom is the reference volume at that pressure.
   */
  given?: { pressure: number; structure: Structure }[];
}

export interface SearchEnvironment {
  kernels: Kernels;
  calculator: Calculator;
  /** The run folder (journal and results); none: nothing is written. */
  storage?: SearchStorage;
  /** Random structures; default the random symmetric generator (symmetric-generator.ts; needs moyo registered). */
  generator?: RandomGenerator;
  /** Name of the generator (for the manifest). */
  generatorName?: string;
  signal?: AbortSignal;
  onRelaxed?: (ind: Individual, state: SearchProgress) => void;
  onGeneration?: (info: GenerationInfo) => void;
  /** Stop the current pressure early (e.g. a benchmark that has found its target). */
  stopWhen?: (state: SearchProgress) => boolean;
  /** Extra manifest fields that must match on resume (e.g. the potential's hash). */
  manifest?: Record<string, unknown>;
}

export interface Individual {
  id: string;
  pressure: number;
  generation: number;
  operator: OperatorName | 'seed' | 'given';
  parents: string[];
  status: 'converged' | 'max-steps' | 'failed';
  failure?: string;
  /** Relaxed structure (Niggli cell); the start structure when the relaxation failed early. */
  structure: Structure;
  natoms: number;
  energy: number;
  enthalpy: number;
  enthalpyPerAtom: number;
  volumePerAtom: number;
  spaceGroup: { number: number; symbol: string } | null;
  fp: Fingerprint | null;
  steps: number;
  forceCalls: number;
}

export interface SearchProgress {
  pressure: number;
  generation: number;
  relaxations: number;
  failed: number;
  best: Individual | null;
}

export interface GenerationInfo extends SearchProgress {
  pressureIndex: number;
  unique: number;
  volumePerAtom: number;
  /** Relaxations taken from the journal in this generation. */
  resumed: number;
  operators: Partial<Record<OperatorName | 'seed' | 'given', number>>;
  /** Children whose drawn operator found no acceptable child (a random structure was made instead). */
  operatorFailures: Partial<Record<OperatorName, number>>;
}

export interface RankedStructure {
  rank: number;
  id: string;
  formula: string;
  natoms: number;
  enthalpyPerAtom: number;
  energyPerAtom: number;
  volumePerAtom: number;
  spaceGroup: { number: number; symbol: string } | null;
  generation: number;
  operator: string;
  converged: boolean;
  files?: { cif: string; poscar: string };
  structure: Structure;
}

export interface PressureResult {
  pressure: number;
  volumePerAtom: number;
  generations: number;
  relaxations: number;
  failed: number;
  stopReason: 'stalled' | 'max-generations' | 'stopped';
  /** Best H/atom after each generation (eV/atom). */
  bestHistory: number[];
  ranking: RankedStructure[];
  /** Every relaxed individual (valid or not), in creation order. */
  individuals: Individual[];
}

export interface SearchResult {
  formula: string;
  pressures: PressureResult[];
  /** Relaxations taken from the journal instead of being computed. */
  resumedRelaxations: number;
}

export class SearchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchError';
  }
}

interface Resolved {
  composition: Composition;
  formula: string;
  pressures: number[];
  fu: [number, number];
  seed: bigint;
  popSize: number;
  initial: number;
  maxGenerations: number;
  stall: number;
  fractions: OperatorFractions;
  operators: OperatorSettings;
  elitism: number;
  parentPool: number;
  localOrder: boolean;
  md: MinDistances;
  volumePerAtom?: number;
  relax: Required<SearchRelaxSettings>;
  batchSize: number;
  symprec: number;
  fp: Required<FingerprintOptions>;
  dupD: number;
  dupH: number;
  keep: number;
  given: { pressure: number; structure: Structure }[];
}

const posInt = (name: string, v: number | undefined, d: number, min = 1) => {
  const x = v ?? d;
  if (!Number.isInteger(x) || x < min) throw new SearchInputError(`${name} must be an integer ≥ ${min}, got ${v}`);
  return x;
};
const fraction = (name: string, v: number | undefined, d: number) => {
  const x = v ?? d;
  if (!(x > 0 && x <= 1)) throw new SearchInputError(`${name} must be in (0, 1], got ${v}`);
  return x;
};

/** Validate the options and fill in the defaults (errors are SearchInputErrors). */
export function resolveSearchOptions(o: SearchOptions): Resolved {
  const composition = typeof o.formula === 'string' ? parseFormula(o.formula) : o.formula;
  if (composition.species.length === 0) throw new SearchInputError('the composition has no elements');
  const formula = reducedFormula(composition.species, composition.counts);
  if (!Array.isArray(o.pressures) || o.pressures.length === 0) throw new SearchInputError('give at least one pressure (GPa)');
  for (const p of o.pressures) if (!Number.isFinite(p)) throw new SearchInputError(`pressure must be a finite number of GPa, got ${p}`);
  if (new Set(o.pressures).size !== o.pressures.length) throw new SearchInputError(`pressures repeat: ${o.pressures.join(', ')}`);
  const fu = o.formulaUnits ?? [1, 1];
  if (!(Number.isInteger(fu[0]) && Number.isInteger(fu[1]) && fu[0] >= 1 && fu[1] >= fu[0])) {
    throw new SearchInputError(`formula units must be a range lo-hi of positive integers with lo ≤ hi, got ${fu.join('-')}`);
  }
  const maxAtoms = fu[1] * atomsPerUnit(composition);
  if (maxAtoms > 200) throw new SearchInputError(`${fu[1]} formula units of ${formula} are ${maxAtoms} atoms per cell; at most 200 are supported`);
  const popDefault = Math.min(60, Math.max(10, Math.round((2 * maxAtoms) / 10) * 10));
  const popSize = posInt('population size', o.populationSize, popDefault, 2);
  let seed: bigint;
  try {
    seed = BigInt(o.seed);
  } catch {
    throw new SearchInputError(`seed must be a non-negative integer, got ${o.seed}`);
  }
  if (seed < 0n || seed >= 1n << 64n) throw new SearchInputError(`seed must be in [0, 2^64), got ${o.seed}`);
  let fractions: OperatorFractions;
  try {
    fractions = normalizeFractions(o.fractions ?? {}, composition.species.length);
  } catch (e) {
    throw new SearchInputError((e as Error).message);
  }
  for (const k of Object.keys(o.fractions ?? {})) if (!(OPERATORS as readonly string[]).includes(k)) throw new SearchInputError(`unknown operator "${k}" (known: ${OPERATORS.join(', ')})`);
  if (o.volumePerAtom !== undefined && !(o.volumePerAtom > 0 && Number.isFinite(o.volumePerAtom))) throw new SearchInputError(`volume per atom must be a positive number of Å³, got ${o.volumePerAtom}`);
  const md = new MinDistances(composition.species, o.minDistanceFactor ?? 0.7, o.minDistances ?? {});
  if (o.volumePerAtom !== undefined) {
    // the atoms must fit: spheres of radius d_min/2 cannot fill more than ~74 % of space
    const need = composition.species.reduce((s, el, i) => s + composition.counts[i] * (Math.PI / 6) * cube(md.get(el, el)), 0) / atomsPerUnit(composition);
    if (need > 0.74 * o.volumePerAtom) {
      throw new SearchInputError(`volume per atom ${o.volumePerAtom} Å³ is too small for the minimum distances (spheres of diameter d_min need ${(need / 0.74).toFixed(2)} Å³ per atom)`);
    }
  }
  const r = o.relax ?? {};
  const relax = { fmax: r.fmax ?? 0.02, smax: r.smax ?? 0.5, maxSteps: r.maxSteps ?? 500, method: r.method ?? 'lbfgs' } as Required<SearchRelaxSettings>;
  if (!(relax.fmax > 0 && relax.smax > 0)) throw new SearchInputError('relaxation tolerances fmax and smax must be positive');
  posInt('relaxation steps', relax.maxSteps, 500);
  const f = o.fingerprint ?? {};
  return {
    composition,
    formula,
    pressures: [...o.pressures],
    fu: [fu[0], fu[1]],
    seed,
    popSize,
    initial: posInt('initial population', o.initialPopulation, popSize, 2),
    maxGenerations: posInt('maximum number of generations', o.maxGenerations, 30),
    stall: posInt('stall generations', o.stallGenerations, Math.max(10, maxAtoms)),
    fractions,
    operators: o.operators ?? {},
    elitism: fraction('elitism', o.elitism, 0.15),
    parentPool: fraction('parent pool', o.parentPool, 0.4),
    localOrder: o.localOrder ?? true,
    md,
    volumePerAtom: o.volumePerAtom,
    relax,
    batchSize: posInt('batch size', o.batchSize, 8),
    symprec: o.symprec ?? 0.05,
    fp: { rmax: f.rmax ?? 10, delta: f.delta ?? 0.08, sigma: f.sigma ?? 0.03 },
    dupD: o.duplicate?.distance ?? 0.008,
    dupH: o.duplicate?.enthalpy ?? 0.005,
    keep: posInt('structures kept', o.keep, 10),
    given: (o.given ?? []).map((x, i) => {
      if (!o.pressures.includes(x.pressure)) throw new SearchInputError(`given structure ${i + 1}: its pressure ${x.pressure} GPa is not one of the search's`);
      const want = new Map(composition.species.map((sp, q) => [sp, composition.counts[q]]));
      const have = new Map<string, number>();
      for (const sp of x.structure.species) have.set(sp, (have.get(sp) ?? 0) + 1);
      const units = x.structure.natoms / atomsPerUnit(composition);
      const whole = Number.isInteger(units) && [...have].every(([sp, n]) => want.has(sp) && n === units * want.get(sp)!) && have.size === want.size;
      if (!whole) throw new SearchInputError(`given structure ${i + 1} (${x.structure.natoms} atoms) does not hold whole formula units of ${formula}`);
      return x;
    }),
  };
}

/** The manifest fields that define a run (a resumed run must match them, except maxGenerations). */
function manifestOf(r: Resolved, env: SearchEnvironment): Record<string, unknown> {
  return {
    formula: r.formula,
    composition: { species: r.composition.species, counts: r.composition.counts },
    pressures: r.pressures,
    formulaUnits: r.fu,
    seed: r.seed.toString(),
    populationSize: r.popSize,
    initialPopulation: r.initial,
    maxGenerations: r.maxGenerations,
    stallGenerations: r.stall,
    fractions: r.fractions,
    operators: r.operators,
    elitism: r.elitism,
    parentPool: r.parentPool,
    localOrder: r.localOrder,
    minDistances: r.md.toJSON(),
    volumePerAtom: r.volumePerAtom ?? null,
    relax: r.relax,
    batchSize: r.batchSize,
    symprec: r.symprec,
    fingerprint: r.fp,
    duplicate: { distance: r.dupD, enthalpy: r.dupH },
    engine: env.calculator.name,
    ...(r.given.length ? { given: r.given.map((x) => ({ pressure: x.pressure, structure: structureHash(x.structure) })) } : {}),
    generator: env.generatorName ?? (env.generator ? 'custom' : 'random-symmetric'),
    ...(env.manifest ?? {}),
  };
}

/** Philox stream of child k of generation g at pressure index p (volume probes: g = 2^20 − 1). */
export function childStream(p: number, g: number, k: number): bigint {
  return (BigInt(p) << 40n) | (BigInt(g) << 20n) | BigInt(k);
}
const PROBE_GENERATION = (1 << 20) - 1;

/** Run the search (see the module comment). */
export async function runSearch(options: SearchOptions, env: SearchEnvironment): Promise<SearchResult> {
  const r = resolveSearchOptions(options);
  const journal = env.storage ? new SearchJournal(env.storage) : null;
  journal?.open(manifestOf(r, env), ['maxGenerations']);
  const search = new Search(r, env, journal);
  const pressures: PressureResult[] = [];
  for (let p = 0; p < r.pressures.length; p++) pressures.push(await search.runPressure(p));
  const result: SearchResult = { formula: r.formula, pressures, resumedRelaxations: search.resumed };
  if (env.storage) writeOutputs(env.storage, r, result);
  return result;
}

class Search {
  resumed = 0;
  private readonly gen: RandomGenerator;

  constructor(
    readonly r: Resolved,
    readonly env: SearchEnvironment,
    readonly journal: SearchJournal | null,
  ) {
    this.gen = env.generator ?? symmetricGenerator();
  }

  private checkAbort(): void {
    if (this.env.signal?.aborted) throw new SearchError('search aborted');
  }

  /** Relax a list of candidates in batches (journalled), at pressure index p, generation g. */
  private async relaxAll(
    p: number,
    g: number,
    cands: { id: string; op: OperatorName | 'seed' | 'given'; parents: string[]; structure: Structure }[],
    onBatch: (inds: Individual[]) => void,
  ): Promise<{ resumed: number }> {
    const r = this.r;
    const P = r.pressures[p];
    let resumed = 0;
    for (let b = 0; b * r.batchSize < cands.length; b++) {
      this.checkAbort();
      const chunk = cands.slice(b * r.batchSize, (b + 1) * r.batchSize);
      let recs = this.journal?.batch(p, g, b) ?? null;
      if (recs) {
        if (recs.length !== chunk.length || recs.some((x, q) => x.id !== chunk[q].id || x.in !== structureHash(chunk[q].structure))) {
          throw new SearchError(
            `${this.journal!.storage.location}: the journal's batch ${b} of generation ${g} at ${P} GPa does not match this run's candidates (written by another version or settings); use a new folder`,
          );
        }
        resumed += recs.length;
      } else {
        const res = await relaxBatch(this.env.calculator, chunk.map((c) => c.structure), {
          pressure: P,
          fmax: r.relax.fmax,
          smax: r.relax.smax,
          maxSteps: r.relax.maxSteps,
          method: r.relax.method,
          symmetrizeAfter: r.symprec,
          signal: this.env.signal,
        });
        this.checkAbort();
        recs = res.map((x, q) => toRecord(p, g, b, chunk.length, chunk[q], x));
        this.journal?.saveBatch(recs);
      }
      onBatch(recs.map((rec) => this.individual(rec, P)));
    }
    this.resumed += resumed;
    return { resumed };
  }

  /** An individual from a journal record: Niggli cell, sanity checks, symmetry, fingerprint. */
  private individual(rec: RelaxRecord, P: number): Individual {
    const start = new Structure({ cell: rec.cell, species: rec.species, frac: rec.frac });
    const ind: Individual = {
      id: rec.id,
      pressure: P,
      generation: rec.g,
      operator: rec.op as OperatorName,
      parents: rec.parents,
      status: rec.status,
      failure: rec.failure,
      structure: start,
      natoms: start.natoms,
      energy: rec.E ?? NaN,
      enthalpy: rec.H ?? NaN,
      enthalpyPerAtom: (rec.H ?? NaN) / start.natoms,
      volumePerAtom: start.volume / start.natoms,
      spaceGroup: null,
      fp: null,
      steps: rec.steps,
      forceCalls: rec.calls,
    };
    if (ind.status === 'failed') return ind;
    if (!Number.isFinite(ind.enthalpy)) return fail(ind, 'no finite enthalpy');
    try {
      ind.structure = niggliStructure(start);
    } catch (e) {
      return fail(ind, `degenerate cell after relaxation: ${(e as Error).message}`);
    }
    // an exploding engine can pull atoms together: reject anything below half the minimum distances
    const v = minDistanceViolation(ind.structure, this.r.md, 0.5);
    if (v) return fail(ind, `atoms ${v.i + 1} and ${v.j + 1} collapsed to ${v.distance.toFixed(3)} Å after relaxation`);
    try {
      const ds = analyzeSymmetry(ind.structure, this.r.symprec);
      ind.spaceGroup = { number: ds.number, symbol: ds.internationalShort };
    } catch {
      ind.spaceGroup = null;
    }
    ind.fp = fingerprint(ind.structure, this.r.fp);
    return ind;
  }

  private dup(a: Individual, b: Individual): boolean {
    return isDuplicate(a as { fp: Fingerprint; enthalpyPerAtom: number }, b as { fp: Fingerprint; enthalpyPerAtom: number }, this.r.dupD, this.r.dupH);
  }

  /** Valid individuals without duplicates (the lower enthalpy kept), sorted by H/atom. */
  private unique(inds: Individual[]): Individual[] {
    const sorted = inds.filter((x) => x.status !== 'failed').sort(byEnthalpy);
    const kept: Individual[] = [];
    for (const x of sorted) if (!kept.some((k) => this.dup(k, x))) kept.push(x);
    return kept;
  }

  /** Reference volume per atom of the first generation: the user's, or relaxed random structures. */
  private async referenceVolume(p: number): Promise<number> {
    const r = this.r;
    if (r.volumePerAtom) return r.volumePerAtom;
    // structures given at this pressure were relaxed there: their mean volume is the reference
    const given = r.given.filter((x) => x.pressure === r.pressures[p]);
    if (given.length) return given.reduce((a, x) => a + x.structure.volume / x.structure.natoms, 0) / given.length;
    const saved = this.journal?.volume(p);
    if (saved) return saved;
    // four random P1 structures of the smallest cell at 4× the covalent-sphere volume, relaxed loosely
    const species = cellSpecies(r.composition, r.fu[0]);
    let guess = 0;
    for (const s of species) guess += 4 * (4 / 3) * Math.PI * cube(covalentRadius(s));
    const probes: Structure[] = [];
    for (let k = 0; k < 4; k++) {
      const d = new Draws(this.env.kernels, r.seed, childStream(p, PROBE_GENERATION, k));
      const s = randomChild(randomP1Generator, d, species, { minDistances: r.md, volumePerAtom: guess / species.length, volumeRange: [0.2, 5] });
      if (s) probes.push(s);
    }
    this.checkAbort();
    const res = await relaxBatch(this.env.calculator, probes, {
      pressure: r.pressures[p],
      fmax: 0.05,
      smax: 1,
      maxSteps: 300,
      maxVolumeFactor: 100,
      minDistance: 0.3,
      signal: this.env.signal,
    });
    this.checkAbort();
    const vols = res.filter((x) => x.status !== 'failed' && Number.isFinite(x.enthalpy)).map((x) => x.volume / x.structure.natoms).sort((a, b) => a - b);
    if (vols.length === 0) {
      throw new SearchError(`could not estimate the volume at ${r.pressures[p]} GPa (every probe relaxation failed: ${res[0]?.failure?.message ?? 'no probe'}); give the volume per atom`);
    }
    const v = vols[Math.floor((vols.length - 1) / 2)];
    this.journal?.saveVolume(p, v);
    return v;
  }

  async runPressure(p: number): Promise<PressureResult> {
    const r = this.r;
    const P = r.pressures[p];
    let v0 = await this.referenceVolume(p);
    const all: Individual[] = [];
    const bestHistory: number[] = [];
    const usedModes = new Map<string, number>();
    let relaxations = 0, failed = 0;
    let best: Individual | null = null;
    let stallCount = 0;
    let stopReason: PressureResult['stopReason'] = 'max-generations';
    let population: Individual[] = [];
    let g = 0;
    const progress = (): SearchProgress => ({ pressure: P, generation: g, relaxations, failed, best });
    for (g = 0; g < r.maxGenerations; g++) {
      this.checkAbort();
      const ctx: ChildContext = { minDistances: r.md, volumePerAtom: v0 };
      const cands: { id: string; op: OperatorName | 'seed' | 'given'; parents: string[]; structure: Structure }[] = [];
      const ops: Partial<Record<OperatorName | 'seed' | 'given', number>> = {};
      if (g === 0) {
        const given = r.given.filter((x) => x.pressure === P);
        given.forEach((x, k) => cands.push({ id: `p${p}-given-${k}`, op: 'given', parents: [], structure: x.structure }));
        if (given.length) ops.given = given.length;
      }
      const opFailures: Partial<Record<OperatorName, number>> = {};
      const ranked = population; // unique, sorted
      const nElite = g === 0 ? 0 : Math.min(ranked.length, Math.ceil(r.elitism * r.popSize));
      const elites = ranked.slice(0, nElite);
      const nChildren = g === 0 ? r.initial : r.popSize - nElite;
      const pool = ranked.slice(0, Math.max(Math.min(2, ranked.length), Math.ceil(r.parentPool * ranked.length)));
      for (let k = 0; k < nChildren; k++) {
        const d = new Draws(this.env.kernels, r.seed, childStream(p, g, k));
        const c = this.makeChild(d, g, pool, ctx, usedModes);
        if (c?.failedOperator) opFailures[c.failedOperator] = (opFailures[c.failedOperator] ?? 0) + 1;
        if (!c) continue;
        ops[c.op] = (ops[c.op] ?? 0) + 1;
        cands.push({ id: `p${p}-g${g}-${k}`, op: c.op, parents: c.parents, structure: c.structure });
      }
      if (cands.length === 0) throw new SearchError(`generation ${g} at ${P} GPa: no candidate satisfies the constraints (minimum distances ${JSON.stringify(r.md.toJSON())}, volume ${v0.toFixed(2)} Å³/atom)`);
      let stopNow = false;
      let improved = false;
      const inds: Individual[] = [];
      const { resumed } = await this.relaxAll(p, g, cands, (batch) => {
        for (const ind of batch) {
          inds.push(ind);
          relaxations++;
          if (ind.status === 'failed') failed++;
          all.push(ind);
          if (ind.status !== 'failed' && (!best || ind.enthalpyPerAtom < best.enthalpyPerAtom)) {
            // a lower duplicate of the same structure does not count as a new best
            if (!best || !this.dup(best, ind)) improved = true;
            best = ind;
          }
          this.env.onRelaxed?.(ind, progress());
          if (!stopNow && this.env.stopWhen?.(progress())) stopNow = true;
        }
      });
      // (assigned in the callback: widen the type again for the checker)
      best = best as Individual | null;
      stallCount = improved ? 0 : stallCount + 1;
      population = this.unique([...elites, ...inds]).slice(0, r.popSize);
      bestHistory.push(best ? best.enthalpyPerAtom : NaN);
      // reference volume of the next generation: mean volume of the best 20 %
      if (population.length > 0) {
        const top = population.slice(0, Math.max(1, Math.ceil(0.2 * population.length)));
        v0 = top.reduce((s, x) => s + x.volumePerAtom, 0) / top.length;
      }
      const info: GenerationInfo = { ...progress(), pressureIndex: p, unique: population.length, volumePerAtom: v0, resumed, operators: ops, operatorFailures: opFailures };
      this.journal?.event({
        t: 'generation',
        p,
        g,
        pressure: P,
        relaxations,
        failed,
        unique: population.length,
        best: best ? { id: best.id, enthalpyPerAtom: best.enthalpyPerAtom, spaceGroup: best.spaceGroup } : null,
        operators: ops,
      });
      this.env.onGeneration?.(info);
      if (stopNow) {
        stopReason = 'stopped';
        g++;
        break;
      }
      if (g > 0 && stallCount >= r.stall) {
        stopReason = 'stalled';
        g++;
        break;
      }
    }
    const generations = Math.min(g, r.maxGenerations);
    this.journal?.event({ t: 'done', p, g: generations, pressure: P, reason: stopReason });
    const ranking = this.unique(all)
      .slice(0, r.keep)
      .map((x, i): RankedStructure => ({
        rank: i + 1,
        id: x.id,
        formula: reducedFormula(r.composition.species, r.composition.counts),
        natoms: x.natoms,
        enthalpyPerAtom: x.enthalpyPerAtom,
        energyPerAtom: x.energy / x.natoms,
        volumePerAtom: x.volumePerAtom,
        spaceGroup: x.spaceGroup,
        generation: x.generation,
        operator: x.operator,
        converged: x.status === 'converged',
        structure: x.structure,
      }));
    return { pressure: P, volumePerAtom: v0, generations, relaxations, failed, stopReason, bestHistory, ranking, individuals: all };
  }

  /** One child: the drawn operator, falling back to a random structure when the operator fails. */
  private makeChild(
    d: Draws,
    g: number,
    pool: Individual[],
    ctx: ChildContext,
    usedModes: Map<string, number>,
  ): { op: OperatorName | 'seed'; parents: string[]; structure: Structure; failedOperator?: OperatorName } | null {
    const r = this.r;
    const fu = r.fu[0] + d.int(r.fu[1] - r.fu[0] + 1);
    const species = cellSpecies(r.composition, fu);
    let failedOperator: OperatorName | undefined;
    if (g > 0 && pool.length > 0) {
      const op = OPERATORS[d.weighted(OPERATORS.map((k) => r.fractions[k]))];
      if (op !== 'random') {
        const a = pool[pickByRank(d, pool.length)];
        let s: Structure | null = null;
        let parents = [a.id];
        switch (op) {
          case 'heredity': {
            const b = this.secondParent(d, a, pool);
            if (b) {
              s = heredity(d, a.structure, b.structure, ctx, r.operators, r.localOrder ? { a: this.order(a), b: this.order(b) } : undefined);
              parents = [a.id, b.id];
            }
            break;
          }
          case 'lattice':
            s = latticeMutation(d, a.structure, ctx, r.operators);
            break;
          case 'permutation':
            s = permutation(d, a.structure, ctx, r.operators);
            break;
          case 'coordinate':
            s = coordinateMutation(d, a.structure, ctx, r.operators, r.localOrder ? this.order(a) : undefined);
            break;
          case 'soft': {
            const res = softMutation(this.env.kernels, d, a.structure, usedModes.get(a.id) ?? 0, ctx);
            usedModes.set(a.id, res.used);
            s = res.structure;
            break;
          }
        }
        if (s) return { op, parents, structure: s };
        failedOperator = op;
      }
    }
    const s = randomChild(this.gen, d, species, ctx) ?? randomChild(randomP1Generator, d, species, ctx);
    return s ? { op: g === 0 ? 'seed' : 'random', parents: [], structure: s, failedOperator } : null;
  }

  private readonly orders = new Map<string, Float64Array>();
  /** Local orders of an individual's atoms (computed once). */
  private order(x: Individual): Float64Array {
    let o = this.orders.get(x.id);
    if (!o) this.orders.set(x.id, (o = localOrder(x.structure, this.r.fp)));
    return o;
  }

  /** A second parent of the same composition, not a near copy of the first (D ≥ 0.01). */
  private secondParent(d: Draws, a: Individual, pool: Individual[]): Individual | null {
    const same = pool.filter((x) => x !== a && x.natoms === a.natoms && x.fp && a.fp && fingerprintDistance(x.fp, a.fp) >= 0.01);
    if (same.length === 0) return null;
    return same[pickByRank(d, same.length)];
  }
}

function fail(ind: Individual, why: string): Individual {
  ind.status = 'failed';
  ind.failure = why;
  ind.enthalpyPerAtom = NaN;
  return ind;
}

const byEnthalpy = (a: Individual, b: Individual) => a.enthalpyPerAtom - b.enthalpyPerAtom || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Rank index in [0, n) with probability decreasing linearly with rank: p_i ∝ n − i. */
export function pickByRank(d: Draws, n: number): number {
  return d.weighted(Array.from({ length: n }, (_, i) => n - i));
}

function toRecord(p: number, g: number, batch: number, size: number, c: { id: string; op: string; parents: string[]; structure: Structure }, x: RelaxResult): RelaxRecord {
  const s = x.structure;
  return {
    t: 'relax',
    p,
    g,
    batch,
    size,
    id: c.id,
    op: c.op,
    parents: c.parents,
    in: structureHash(c.structure),
    status: x.status,
    ...(x.failure ? { failure: `${x.failure.kind}: ${x.failure.message.replace(/^structure \d+: /, '')}` } : {}),
    E: finiteOrNull(x.energy),
    H: finiteOrNull(x.enthalpy),
    cell: Array.from(s.cell),
    species: [...s.species],
    frac: Array.from(s.frac),
    steps: x.steps,
    calls: x.forceCalls,
  };
}

// ------------------------------------------------------------------------------------------------
// Outputs: results.json, structures/<pressure>/<rank>-<formula>-<group>.{cif,vasp}, best-enthalpy.svg

const pressureDir = (P: number) => `structures/${String(P).replace(/[^0-9.\-]/g, '_')}GPa`;

function writeOutputs(storage: SearchStorage, r: Resolved, result: SearchResult): void {
  for (const pr of result.pressures) {
    for (const x of pr.ranking) {
      const sg = x.spaceGroup ? x.spaceGroup.symbol.replace(/\//g, '_') : 'P1';
      const base = `${pressureDir(pr.pressure)}/${String(x.rank).padStart(2, '0')}-${x.formula}-${sg}`;
      const comment = `${x.formula} ${x.spaceGroup ? `${x.spaceGroup.symbol} (${x.spaceGroup.number})` : ''} H = ${x.enthalpyPerAtom} eV/atom at ${pr.pressure} GPa`;
      storage.write(`${base}.cif`, writeCif(x.structure, { dataName: `${x.formula}_${sg}_${pr.pressure}GPa` }));
      storage.write(`${base}.vasp`, writePoscar(x.structure, { comment }));
      x.files = { cif: `${base}.cif`, poscar: `${base}.vasp` };
    }
  }
  storage.write('results.json', JSON.stringify(resultJson(r.formula, result), null, 1) + '\n');
  storage.write('best-enthalpy.svg', bestEnthalpySvg(result));
}

/** The JSON form of a result (what results.json and `anharm search --json` print). */
export function resultJson(formula: string, result: SearchResult): Record<string, unknown> {
  return {
    format: 'anharm-search-result',
    formula,
    resumedRelaxations: result.resumedRelaxations,
    pressures: result.pressures.map((pr) => ({
      pressure: pr.pressure,
      generations: pr.generations,
      relaxations: pr.relaxations,
      failed: pr.failed,
      stopReason: pr.stopReason,
      volumePerAtom: pr.volumePerAtom,
      bestHistory: pr.bestHistory,
      ranking: pr.ranking.map((x) => ({
        rank: x.rank,
        id: x.id,
        formula: x.formula,
        natoms: x.natoms,
        enthalpyPerAtom: x.enthalpyPerAtom,
        energyPerAtom: x.energyPerAtom,
        volumePerAtom: x.volumePerAtom,
        spaceGroup: x.spaceGroup,
        generation: x.generation,
        operator: x.operator,
        converged: x.converged,
        files: x.files ?? null,
      })),
    })),
  };
}

/** Best enthalpy per generation, relative to each pressure's final best (meV/atom). */
export function bestEnthalpySvg(result: SearchResult): string {
  const series = result.pressures.map((pr) => {
    const last = pr.bestHistory[pr.bestHistory.length - 1];
    return {
      x: pr.bestHistory.map((_, i) => i),
      y: pr.bestHistory.map((h) => 1000 * (h - last)),
      label: `${pr.pressure} GPa (best ${Number.isFinite(last) ? last.toFixed(4) : '—'} eV/atom)`,
    };
  });
  return linePlot({
    series,
    title: `${result.formula}: best enthalpy per generation`,
    xLabel: 'generation',
    yLabel: 'H − H_final (meV/atom)',
  });
}
