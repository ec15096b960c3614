// The iterative learning loop (physics.md 8): explore with a relaxing potential, label a diverse
// subset with the reference engine, train the linear MLIP, run the SSCHA of the low-lying phases with
// the MLIP, label the ensemble configurations where the MLIP extrapolates, retrain and re-minimise
// until the free-energy differences stop moving; then rank phases by G(P).
//
// Isomorphic: the run folder is a SschaStorage, and the SSCHA runs come from the environment (the
// Node adapter drives `anharm sscha`'s run folders, which resume on their own). Every stage records
// its outcome in `loop.jsonl`; a resumed run replays finished stages from it and from the label store,
// so the reference engine is never asked twice for the same configuration.
import type { CalcOptions, CalcResult, Calculator } from '../calculators/calculator.js';
import { writeCif } from '../io/cif.js';
import { writePoscar } from '../io/poscar.js';
import type { LabelledConfig } from '../mlip/dataset.js';
import { MtpBasis } from '../mlip/mtp.js';
import { MtpModel } from '../mlip/model.js';
import { selectCandidates, collectRows } from '../mlip/active-set.js';
import { evaluateErrors, trainModel, type FitErrors } from '../mlip/train.js';
import { relax } from '../relax/relax.js';
import { bestEnthalpySvg, runSearch, SearchError, type SearchResult } from '../search/search.js';
import { reducedFormulaKey } from '../search/composition.js';
import { symmetricGenerator } from '../search/symmetric-generator.js';
import type { SschaStorage } from '../sscha/persistence.js';
import type { Structure } from '../structure/structure.js';
import { Structure as StructureClass } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import type { RunConfig } from './config.js';
import { LabelStore } from './labels.js';
import { ActiveLearningCalculator, withinWindow, type ModelLedger } from './active-calculator.js';
import { reportHtml, type LoopReport, type PhaseResult } from './report.js';
import { rankAtPressure, transitions } from './ranking.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import { makeSupercell } from '../structure/supercell.js';
import { Symmetrizer } from '../symmetry/symmetrize.js';
import { supercellOperations } from '../symmetry/operations.js';
import { computeForceConstants } from '../phonons/index.js';
import { positiveDefiniteStart } from '../sscha/modes.js';
import { configuration, samplePopulation } from '../sscha/ensemble.js';
import { hypot2 } from '../numeric/detmath.js';

/** One SSCHA calculation the loop asks for. */
export interface SschaJob {
  phase: string;
  pressure: number;
  round: number;
  /** Relaxed (static) structure of the phase at this pressure. */
  structure: Structure;
  /** The MLIP of this round (JSON of the model file). */
  model: Record<string, unknown>;
  /** The engine: the MLIP learning on every population. */
  calculator: Calculator;
  /** Folder name inside the run folder for this job. */
  folder: string;
  seed: number;
}

export interface SschaOutcome {
  /** G = F + PV per atom (eV/atom) with its stochastic error. */
  g: number;
  gError: number;
  f: number;
  fError: number;
  volumePerAtom: number;
  lowestHessian: number | null;
  converged: boolean;
  spaceGroup: string;
  dispersionSvg?: string;
  /** Configurations of the last population (for the extrapolation grade). */
  configurations: Structure[];
}

export interface LoopEvent {
  stage: string;
  message: string;
  [key: string]: unknown;
}

export interface LoopEnvironment {
  kernels: Kernels;
  /** The run folder. */
  storage: SschaStorage;
  /** Relaxing potential of the exploration. */
  explorer: Calculator;
  /** Reference engine (DFT or a stand-in). */
  reference: Calculator;
  /** Starting training data (already labelled). */
  initialData: LabelledConfig[];
  /** Starting model JSON (mlip.model), or null to train from the data. */
  initialModel: Record<string, unknown> | null;
  /** Phases the user wants computed whatever the search finds: name → structure. */
  include: Record<string, Structure>;
  /**
   * The reference engine is the starting model itself (a bundled example without DFT): nothing can be
   * learnt, so nothing is labelled (no first labels, no active learning, no spot check, no continued
   * search) and the starting model is used as it is.
   */
  referenceIsModel?: boolean;
  sscha(job: SschaJob): Promise<SschaOutcome>;
  onEvent?(e: LoopEvent): void;
  signal?: AbortSignal;
}

export interface LoopResult {
  phases: PhaseResult[];
  rounds: number;
  converged: boolean;
  referenceCalls: Record<string, number>;
  report: LoopReport;
  html: string;
  json: Record<string, unknown>;
}

/** A view of a storage under a folder prefix. */
export function subStorage(s: SschaStorage, prefix: string): SschaStorage {
  const p = (n: string) => `${prefix}/${n}`;
  return {
    location: `${s.location}/${prefix}`,
    read: (n) => s.read(p(n)),
    write: (n, d) => s.write(p(n), d),
    append: (n, d) => s.append(p(n), d),
    truncate: (n, l) => s.truncate(p(n), l),
    size: (n) => s.size(p(n)),
    list: (d) => s.list(p(d)),
  };
}

const JOURNAL = 'loop.jsonl';

/** Stage outcomes recorded in loop.jsonl (one JSON object per line, key → value; the last wins). */
class Journal {
  private readonly done = new Map<string, unknown>();
  constructor(private readonly storage: SschaStorage) {
    const b = storage.read(JOURNAL);
    if (!b) return;
    const lines = new TextDecoder().decode(b).split('\n');
    let good = 0;
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as { key: string; value: unknown };
        this.done.set(e.key, e.value);
        good += new TextEncoder().encode(line).length + 1;
      } catch {
        break; // a torn last line: everything after it is redone
      }
    }
    if (good < b.length) storage.truncate(JOURNAL, good);
  }
  get<T>(key: string): T | undefined {
    return this.done.get(key) as T | undefined;
  }
  put(key: string, value: unknown): void {
    this.done.set(key, value);
    this.storage.append(JOURNAL, JSON.stringify({ key, value }) + '\n');
  }
}

interface Candidate {
  phase: string;
  structure: Structure;
  /** Best enthalpy above the best structure at its pressure (eV/atom). */
  above: number;
}

const structureJson = (s: Structure) => ({ cell: Array.from(s.cell), species: [...s.species], frac: Array.from(s.frac), masses: Array.from(s.masses) });
const structureFrom = (j: { cell: number[]; species: string[]; frac: number[]; masses?: number[] }) => new StructureClass({ cell: j.cell, species: j.species, frac: j.frac, masses: j.masses });

/** Derived seeds of the stages (so each stage's random stream is independent of the others). */
const stageSeed = (seed: number, stage: number) => seed * 1000 + stage;

/**
 * The run stopped because an engine died (the reference, or the SSCHA's engine): everything computed
 * so far is in the run folder, and running the same command again resumes it.
 */
export class EngineFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineFailure';
  }
}

/**
 * An engine (the reference, or the explorer outside the search) remembering its first failure.
 * Relaxations and SSCHA runs treat a failing engine call as a failed structure or a failed SSCHA, so
 * the loop asks this after each stage: a dead engine stops the run instead of being journalled as an
 * outcome (which a resumed run with a live engine would not reproduce).
 */
class GuardedEngine implements Calculator {
  readonly name: string;
  failure: EngineFailure | null = null;
  constructor(
    private readonly inner: Calculator,
    private readonly role: string,
  ) {
    this.name = inner.name;
  }
  async compute(structures: readonly Structure[], options?: CalcOptions): Promise<CalcResult[]> {
    if (this.failure) throw this.failure;
    try {
      return await this.inner.compute(structures, options);
    } catch (e) {
      this.failure = new EngineFailure(`the ${this.role} (${this.inner.name}) failed: ${(e as Error).message.split('\n')[0]}`);
      throw this.failure;
    }
  }
  /** Throw the failure, if there was one. */
  check(): void {
    if (this.failure) throw this.failure;
  }
}

/** The newest retrained model, as journalled (`model-latest`). */
interface LatestModel {
  name: string;
  seq: number;
  /** Ledger key of the batch it was trained for. */
  batch: string;
  labelled: number;
  errors: FitErrors;
  /** Label stage (sscha-R) it belongs to. */
  stage: string;
}

/** A relaxation at the start of a round, as journalled. */
interface RelaxRecord {
  structure: ReturnType<typeof structureJson>;
  /** Static enthalpy per atom (eV/atom), null when the relaxation failed. */
  hStatic: number | null;
}

/** Run (or resume) the loop. */
export async function runLoop(config: RunConfig, env: LoopEnvironment): Promise<LoopResult> {
  const k = env.kernels;
  const journal = new Journal(env.storage);
  const labels = new LabelStore(env.storage);
  const reference = new GuardedEngine(env.reference, 'reference engine');
  // the search keeps its own record of failed relaxations; after it, the explorer must not fail
  const explorer = new GuardedEngine(env.explorer, 'exploration potential');
  const say = (stage: string, message: string, extra: Record<string, unknown> = {}) => env.onEvent?.({ stage, message, ...extra });
  const species = [...new Set(config.formula.match(/[A-Z][a-z]?/g) ?? [])].sort();
  const labelProgress = (what: string) => (done: number, total: number) => say('label', `${what}: ${done}/${total} labelled`, { done, total });

  // ---- A. exploration with the relaxing potential
  let candidates = journal.get<{ phase: string; structure: ReturnType<typeof structureJson>; above: number }[]>('candidates')?.map((c) => ({ ...c, structure: structureFrom(c.structure) }));
  let searchFigure: string | undefined = journal.get<string>('search-figure');
  if (!candidates) {
    say('explore', `searching ${config.formula} at ${config.pressures.join(', ')} GPa with ${env.explorer.name}`);
    const fu = config.formulaUnits;
    let result: SearchResult | null = null;
    try {
      if (config.explore.generations === 0) {
        if (Object.keys(env.include).length === 0) throw new SearchError('explore.generations is 0 and sscha.include names no phase: nothing to compute');
        say('explore', 'no search (explore.generations = 0): the included phases only');
      } else result = await runSearch(
      {
        formula: config.formula,
        pressures: config.pressures,
        formulaUnits: [Math.min(...fu), Math.max(...fu)],
        seed: stageSeed(config.seed, 1),
        populationSize: config.explore.population,
        maxGenerations: config.explore.generations,
        stallGenerations: Math.max(3, Math.ceil(config.explore.generations / 2)),
        ...(config.explore.volumePerAtom ? { volumePerAtom: config.explore.volumePerAtom } : {}),
      },
      {
        kernels: k,
        calculator: env.explorer,
        storage: subStorage(env.storage, 'explore'),
        generator: symmetricGenerator(),
        generatorName: 'symmetric',
        signal: env.signal,
        onGeneration: (g) => say('explore', `${g.pressure} GPa generation ${g.generation}: best ${g.best ? `${g.best.enthalpyPerAtom.toFixed(4)} eV/atom ${g.best.spaceGroup?.symbol ?? ''}` : '–'}`, { pressure: g.pressure, generation: g.generation }),
      },
    );
    } catch (e) {
      // a search that cannot start with this explorer (e.g. an MLIP outside its domain on random
      // structures) leaves the user's included phases: say so and go on with them
      if (!(e instanceof SearchError) || Object.keys(env.include).length === 0 || env.signal?.aborted) throw e;
      say('explore', `search failed: ${e.message.split('\n')[0]}; going on with the included phases`);
    }
    candidates = pickCandidates(result ?? { formula: config.formula, pressures: [], resumedRelaxations: 0 }, config, env.include);
    if (result) {
      searchFigure = bestEnthalpySvg(result);
      journal.put('search-figure', searchFigure);
    }
    journal.put('candidates', candidates.map((c) => ({ ...c, structure: structureJson(c.structure) })));
  }
  say('explore', `candidate phases: ${candidates.map((c) => `${c.phase} (+${(1000 * c.above).toFixed(1)} meV/atom)`).join(', ')}`);

  // ---- B. first MLIP: the candidates' harmonic ensembles labelled, training
  // models live in models/NAME.json; the journal says which one each step produced
  const models = new Map<string, MtpModel>();
  const modelNamed = (name: string): MtpModel | undefined => {
    const cached = models.get(name);
    if (cached) return cached;
    const b = env.storage.read(`models/${name}.json`);
    if (!b) return undefined;
    const m = MtpModel.fromJSON(k, JSON.parse(new TextDecoder().decode(b)), `${env.storage.location}/models/${name}.json`);
    models.set(name, m);
    return m;
  };
  let model: MtpModel | undefined = journal.get<string>('model-0') ? modelNamed('model-0') : undefined;
  if (!model) {
    // each phase relaxed at each pressure by the explorer, then a harmonic ensemble of it in the SSCHA
    // supercell, all labelled by the reference
    const pool: Structure[] = [];
    for (const c of candidates) {
      for (const p of config.pressures) {
        const key = `explore-relax-${c.phase}@${p}`;
        let s = journal.get<ReturnType<typeof structureJson>>(key);
        if (!s) {
          say('relax', `${c.phase}@${p}: relaxing with ${env.explorer.name}`);
          let r = null;
          try {
            r = await relax(explorer, c.structure, { pressure: p, keepSymmetry: true, symprec: 0.01, maxSteps: 400 });
          } catch (e) {
            explorer.check();
            say('relax', `${c.phase}@${p}: relaxation failed (${(e as Error).message.split('\n')[0]}); using the structure as found`);
          }
          explorer.check();
          s = structureJson(r && r.status !== 'failed' ? r.structure : c.structure);
          journal.put(key, s);
        }
        const relaxedS = structureFrom(s);
        pool.push(relaxedS);
        pool.push(...(await harmonicEnsemble(k, explorer, relaxedS, config.sscha.supercell, config.temperature, config.mlip.ensemble, stageSeed(config.seed, 3))));
      }
    }
    if (env.referenceIsModel) say('label', `the reference is the starting model itself: nothing to label, the model is used as it is`);
    else {
      say('label', `labelling ${pool.length} structures with ${reference.name}`);
      await labels.label(pool, reference, 'explore', 8, labelProgress('first training set'));
    }
    const data = withinWindow([...env.initialData, ...labels.all()], config.mlip.trainWindow);
    if (env.initialModel && env.referenceIsModel) model = MtpModel.fromJSON(k, env.initialModel, 'mlip.model');
    else {
      const basis = env.initialModel
        ? MtpModel.fromJSON(k, env.initialModel, 'mlip.model').basis
        : MtpBasis.create(k, { species, level: config.mlip.level, rcut: config.mlip.rcut, rmin: config.mlip.rmin });
      say('train', `training on ${data.length} configurations (${basis.nParams} parameters)`);
      model = trainModel(k, basis, data, [], { seed: config.seed }).model;
    }
    // the file before the journal entry: a kill in between retrains the same model
    env.storage.write('models/model-0.json', JSON.stringify(model.toJSON()));
    models.set('model-0', model);
    journal.put('model-0', 'model-0');
  }

  // ---- C. SSCHA rounds; the MLIP learns on every population (ActiveLearningCalculator), and every
  // batch it evaluates is journalled with its model, so a resumed run replays it exactly
  // (a run folder of an earlier version journalled a bare name here: ignored, its batches are graded anew)
  const latest = () => {
    const m = journal.get<LatestModel | string>('model-latest');
    return typeof m === 'object' && m !== null ? m : undefined;
  };
  const ledger: ModelLedger = {
    recall: (batch) => {
      const name = journal.get<string>(`batch:${batch}`) ?? (latest()?.batch === batch ? latest()!.name : undefined);
      return name ? modelNamed(name) : undefined;
    },
    evaluated: (batch) => journal.put(`batch:${batch}`, latest()?.name ?? 'model-0'),
    stop: (batch, index) => journal.put(`stopped:${batch}`, index),
    stopped: (batch) => journal.get<number>(`stopped:${batch}`),
    retrained: (m, n, errors, batch) => {
      const seq = (latest()?.seq ?? 0) + 1;
      const name = `model-${seq}`;
      env.storage.write(`models/${name}.json`, JSON.stringify(m.toJSON()));
      models.set(name, m);
      journal.put('model-latest', { name, seq, batch, labelled: n, errors, stage: al.stage } satisfies LatestModel);
      say('learn', `${al.stage}: labelled ${n} extrapolative configuration(s) (MLIP error on them ${errors.energyRmse.toFixed(2)} meV/atom, ${errors.forceRmse.toFixed(3)} eV/Å); retrained on ${env.initialData.length + labels.size}`);
    },
  };
  const newest = latest();
  const al = new ActiveLearningCalculator(k, (newest && modelNamed(newest.name)) || model, reference, labels, {
    gradeSelect: env.referenceIsModel ? Infinity : config.mlip.gradeSelect, maxLabels: config.mlip.maxLabels, stage: 'sscha-0', baseData: env.initialData, seed: config.seed, trainWindow: config.mlip.trainWindow, ledger,
    onBatch: (n, replayed) => {
      // SSCHA populations (the force-constant and relaxation batches are smaller)
      const m = /^sscha-(\d+)-(.*)$/.exec(al.context);
      if (m && n >= config.sscha.configs) say('sscha', `${m[2]} round ${m[1]}: ${replayed ? 'replaying' : 'grading and evaluating'} a population of ${n} configurations`);
    },
  });

  // ---- B4. the search continued with the MLIP, learning on its relaxations (physics.md 8 step 4): it
  // starts from the candidates as the explorer relaxed them, and every relaxation step is graded; the
  // extrapolative ones are labelled and the model retrained before the step is evaluated, so the
  // ranking is the MLIP's, not the explorer's
  const mlipSearchKey = 'candidates-mlip';
  const mlipCandidates = journal.get<{ phase: string; structure: ReturnType<typeof structureJson>; above: number }[]>(mlipSearchKey);
  if (mlipCandidates) candidates = mlipCandidates.map((c) => ({ ...c, structure: structureFrom(c.structure) }));
  else if (config.mlip.searchGenerations > 0 && env.referenceIsModel) {
    say('explore', 'no search with the MLIP: the reference is the starting model itself, there is nothing to learn');
  } else if (config.mlip.searchGenerations > 0) {
    al.stage = 'search';
    al.context = 'search';
    al.stopGrade = config.mlip.gradeStop;
    const given = candidates.flatMap((c) =>
      config.pressures.map((p) => {
        const s = journal.get<ReturnType<typeof structureJson>>(`explore-relax-${c.phase}@${p}`);
        return { pressure: p, structure: s ? structureFrom(s) : c.structure };
      }),
    );
    say('explore', `searching again with the MLIP (active learning on every relaxation step), from ${given.length} explorer structures`);
    let result: SearchResult | null = null;
    try {
      result = await runSearch(
        {
          formula: config.formula,
          pressures: config.pressures,
          formulaUnits: [Math.min(...config.formulaUnits), Math.max(...config.formulaUnits)],
          seed: stageSeed(config.seed, 4),
          populationSize: config.explore.population,
          maxGenerations: config.mlip.searchGenerations,
          stallGenerations: Math.max(3, Math.ceil(config.mlip.searchGenerations / 2)),
          given,
          ...(config.explore.volumePerAtom ? { volumePerAtom: config.explore.volumePerAtom } : {}),
        },
        {
          kernels: k,
          calculator: al,
          storage: subStorage(env.storage, 'search-mlip'),
          generator: symmetricGenerator(),
          generatorName: 'symmetric',
          signal: env.signal,
          onGeneration: (g) => say('explore', `MLIP search ${g.pressure} GPa generation ${g.generation}: best ${g.best ? `${g.best.enthalpyPerAtom.toFixed(4)} eV/atom ${g.best.spaceGroup?.symbol ?? ''}` : '–'}; ${labels.countByStage().search ?? 0} labelled so far`, { pressure: g.pressure, generation: g.generation }),
        },
      );
    } catch (e) {
      reference.check();
      if (!(e instanceof SearchError) || env.signal?.aborted) throw e;
      say('explore', `MLIP search failed: ${e.message.split('\n')[0]}; going on with the explorer's candidates`);
    }
    reference.check();
    al.stopGrade = Infinity;
    if (result) {
      candidates = pickCandidates(result, config, env.include);
      const figure = bestEnthalpySvg(result);
      journal.put('search-mlip-figure', figure);
    }
    journal.put(mlipSearchKey, candidates.map((c) => ({ ...c, structure: structureJson(c.structure) })));
    say('explore', `candidate phases after the MLIP search: ${candidates.map((c) => `${c.phase} (+${(1000 * c.above).toFixed(1)} meV/atom)`).join(', ')}`);
  }
  const mlipSearchFigure = journal.get<string>('search-mlip-figure');

  const results = new Map<string, SschaOutcome>();
  const relaxed = new Map<string, Structure>();
  const hStatic = new Map<string, number | null>();
  let previousGaps: Map<string, number> | null = null;
  let converged = false;
  let round = 0;
  let lastErrors: FitErrors | null = null;
  let lastLabelled = 0;
  for (; round < config.sscha.maxRounds; round++) {
    al.stage = `sscha-${round}`;
    for (const c of candidates) {
      for (const p of config.pressures) {
        const id = `${c.phase}@${p}`;
        // static relaxation at P with the MLIP, keeping the phase's symmetry
        const rkey = `relax-${round}-${id}`;
        let rec = journal.get<RelaxRecord | ReturnType<typeof structureJson>>(rkey);
        // an earlier version journalled the structure alone, and the enthalpy under its own key
        if (rec && 'cell' in rec) rec = { structure: rec, hStatic: journal.get<number | null>(`hstatic-${round}-${id}`) ?? null };
        if (!rec) {
          const start = journal.get<ReturnType<typeof structureJson>>(`explore-relax-${id}`);
          const from = start ? structureFrom(start) : c.structure;
          say('relax', `${id} round ${round}: relaxing with the MLIP`);
          al.context = rkey;
          let r;
          try {
            r = await relax(al, from, { pressure: p, keepSymmetry: true, symprec: 0.01, maxSteps: 400 });
          } catch (e) {
            reference.check();
            r = null;
            say('relax', `${id}: MLIP relaxation failed (${(e as Error).message.split('\n')[0]}); using the explorer's structure`);
          }
          reference.check();
          const ok = r && r.status !== 'failed';
          rec = { structure: structureJson(ok ? r!.structure : from), hStatic: ok ? r!.enthalpy / r!.structure.natoms : null };
          journal.put(rkey, rec);
        }
        relaxed.set(id, structureFrom(rec.structure));
        hStatic.set(id, rec.hStatic);
        al.context = `sscha-${round}-${id}`;
        const job: SschaJob = {
          phase: c.phase, pressure: p, round, structure: structureFrom(rec.structure), model: al.model.toJSON(), calculator: al,
          folder: `sscha/${c.phase.replace(/[^A-Za-z0-9_-]/g, '_')}@${p}/round-${round}`, seed: stageSeed(config.seed, 10 + round),
        };
        say('sscha', `${id} round ${round}`);
        // asked again after a restart: the SSCHA run folder resumes on its own, so finished runs cost little
        let out: SschaOutcome;
        try {
          out = await env.sscha(job);
        } catch (e) {
          reference.check();
          if (e instanceof EngineFailure) throw e;
          say('sscha', `${id} round ${round} failed: ${(e as Error).message.split('\n')[0]}`);
          results.delete(id);
          continue;
        }
        reference.check();
        results.set(id, out);
        say('sscha', `${id}: G = ${out.g.toFixed(5)} ± ${out.gError.toExponential(1)} eV/atom, lowest Hessian ${out.lowestHessian?.toFixed(1) ?? '–'} cm⁻¹`, { phase: c.phase, pressure: p, g: out.g, gError: out.gError });
      }
    }
    // what the round labelled, and the MLIP's errors before its last retraining (journalled the first
    // time the round ends: "model-latest" only describes this round until the next one retrains)
    const newLabels = labels.countByStage()[al.stage] ?? 0;
    let summary = journal.get<{ labels: number; errors: FitErrors | null }>(`round-${round}`);
    if (!summary) {
      const m = latest();
      summary = { labels: newLabels, errors: m && m.stage === al.stage ? m.errors : null };
      journal.put(`round-${round}`, summary);
    }
    if (summary.errors) {
      lastErrors = summary.errors;
      lastLabelled = summary.labels;
    }
    const gaps = phaseGaps(results, config.pressures);
    const settled = previousGaps !== null && gapsSettled(previousGaps, gaps, gapErrors(results, config.pressures));
    const complete = results.size === candidates.length * config.pressures.length;
    if (!complete) say('sscha', `round ${round}: ${candidates.length * config.pressures.length - results.size} SSCHA run(s) failed`);
    if (newLabels === 0 && complete) {
      say('learn', env.referenceIsModel ? `round ${round}: the reference is the model itself: nothing to learn` : `round ${round}: no configuration above grade ${config.mlip.gradeSelect}: the MLIP is trusted on every ensemble`);
      converged = true;
      break;
    }
    if (complete && settled && lastErrors && lastErrors.forceRmse < 0.1 && lastErrors.energyRmse < 3) {
      say('learn', `round ${round}: free-energy gaps settled and MLIP errors below 3 meV/atom, 0.1 eV/Å`);
      converged = true;
      break;
    }
    previousGaps = gaps;
  }
  const rounds = Math.min(round + 1, config.sscha.maxRounds);
  model = al.model;

  // ---- D. spot check of the model error (physics.md 8): the reference on configurations of each final
  // ensemble; ⟨V_ref − V_MLIP⟩ over the ensemble is the first-order correction of F (and G) for the
  // MLIP's error, and its standard error the model error of G.
  const spot = new Map<string, { delta: number; error: number; n: number }>();
  if (config.sscha.spotCheck > 0 && !env.referenceIsModel) {
    const final = model.calculator(k);
    for (const [id, out] of results) {
      const pick = out.configurations.slice(0, config.sscha.spotCheck);
      if (pick.length < 2) continue;
      const ref = await labels.label(pick, reference, 'spot-check', 8, labelProgress(`spot check of ${id}`));
      const mine = await final.compute(pick);
      const d = pick.map((s, i) => (ref[i].energy - mine[i].energy) / s.natoms);
      const mean = d.reduce((a, x) => a + x, 0) / d.length;
      const variance = d.reduce((a, x) => a + (x - mean) * (x - mean), 0) / (d.length - 1);
      spot.set(id, { delta: mean, error: Math.sqrt(variance / d.length), n: d.length });
      say('check', `${id}: ⟨V_ref − V_MLIP⟩ = ${(1000 * mean).toFixed(2)} ± ${(1000 * Math.sqrt(variance / d.length)).toFixed(2)} meV/atom over ${d.length} configurations`);
    }
  }

  // ---- E. ranking and report (G corrected by the spot check when there is one)
  const phases: PhaseResult[] = [];
  for (const [id, out] of results) {
    const [phase, p] = id.split('@');
    const c = spot.get(id);
    phases.push({
      phase, pressure: Number(p), g: out.g + (c?.delta ?? 0), gError: out.gError, modelError: c ? c.error : lastErrors ? lastErrors.energyRmse / 1000 : 0,
      f: out.f + (c?.delta ?? 0), fError: out.fError,
      hStatic: hStatic.get(id) ?? journal.get<RelaxRecord>(`relax-0-${id}`)?.hStatic ?? undefined,
      spaceGroup: out.spaceGroup, volume: out.volumePerAtom, lowestHessian: out.lowestHessian, dispersionSvg: out.dispersionSvg, converged: out.converged,
    });
  }
  const referenceCalls = labels.countByStage();
  const notes = [
    env.referenceIsModel
      ? 'The reference engine is the starting model itself: nothing was labelled or learnt, and G carries no model error (the model\'s own validation errors are in its provenance). Rerun with --reference gpaw to learn from DFT.'
      : converged ? `The loop converged after ${rounds} round(s).` : `The loop stopped after ${rounds} round(s) without meeting the convergence rules (physics.md 8).`,
    spot.size
      ? `G includes the spot-check correction ⟨V_ref − V_MLIP⟩ on ${config.sscha.spotCheck} configurations of each final ensemble; its standard error is the model error.`
      : `Model error of G: ${lastErrors ? `energy RMSE of the MLIP on the ${lastLabelled} configurations labelled last` : 'none estimated'}.`,
    ...sameEndPoints(phases),
  ];
  const report: LoopReport = {
    title: `${config.formula}: phases by quantum anharmonic Gibbs free energy`, formula: config.formula, temperature: config.temperature,
    phases, referenceCalls, notes, figures: searchFigure || mlipSearchFigure
      ? { ...(searchFigure ? { 'Search with the explorer: best enthalpy per generation': searchFigure } : {}), ...(mlipSearchFigure ? { 'Search with the MLIP (active learning): best enthalpy per generation': mlipSearchFigure } : {}) }
      : undefined,
    mlipErrors: lastErrors ? { energy: lastErrors.energyRmse, forces: lastErrors.forceRmse, labelled: lastLabelled } : undefined,
    transitions: physicalTransitions(phases),
  };
  const html = reportHtml(report);
  const json = {
    format: 'anharm-run-result', version: 1, formula: config.formula, temperature: config.temperature, pressures: config.pressures,
    converged, rounds, referenceCalls, referenceIsModel: !!env.referenceIsModel,
    spotCheck: Object.fromEntries(spot),
    uncorrected: Object.fromEntries([...results].map(([id, o]) => [id, { g: o.g, gError: o.gError }])),
    ranking: config.pressures.map((p) => ({ pressure: p, phases: rankAtPressure(phases.filter((x) => x.pressure === p)).map((r) => { const { dispersionSvg: _d, ...rest } = r as typeof r & PhaseResult; return rest; }) })),
    transitions: physicalTransitions(phases),
    structures: Object.fromEntries([...relaxed].map(([id, s]) => [id, structureJson(s)])),
  };
  env.storage.write('report.html', html);
  env.storage.write('result.json', JSON.stringify(json, null, 1));
  for (const [id, s] of relaxed) {
    const name = id.replace(/[^A-Za-z0-9_@.-]/g, '_');
    env.storage.write(`structures/${name}.cif`, writeCif(s));
    env.storage.write(`structures/${name}.vasp`, writePoscar(s));
  }
  return { phases, rounds, converged, referenceCalls, report, html, json };
}

/**
 * Identity of a crystal phase: space group, Pearson symbol, the occupied Wyckoff letters and the
 * reduced formula. Which species sits on which letter is left out: an origin shift of the same
 * crystal swaps equivalent letters (CsCl: A on 1a and B on 1b, or the other way round); repeated
 * letters and counts are too: the search may return 2 formula units of a 1-unit crystal.
 */
export function phaseIdentity(s: Structure, symprec = 0.01): { key: string; symbol: string } {
  const ds = analyzeSymmetry(s, { symprec });
  const letters = [...new Set(ds.wyckoffs)].sort().join('');
  return { key: `${ds.number}|${ds.pearsonSymbol}|${letters}|${reducedFormulaKey(s.species)}`, symbol: ds.internationalShort };
}

/**
 * Phases for the SSCHA: the user's `include` structures (by their names), then the low-lying unique
 * structures of the search over all pressures (named by space group), at most `sscha.phases` of them.
 * Two structures are the same phase when space group, Pearson symbol and occupied Wyckoff sites agree.
 */
export function pickCandidates(result: SearchResult, config: RunConfig, include: Record<string, Structure> = {}): Candidate[] {
  const seen = new Set<string>();
  const names = new Set<string>();
  const out: Candidate[] = [];
  for (const [name, s] of Object.entries(include)) {
    seen.add(phaseIdentity(s).key);
    names.add(name);
    out.push({ phase: name, structure: s, above: 0 });
  }
  const found: Candidate[] = [];
  for (const pr of result.pressures) {
    const best = pr.ranking[0]?.enthalpyPerAtom;
    if (best === undefined) continue;
    for (const r of pr.ranking) {
      const above = r.enthalpyPerAtom - best;
      if (above <= config.explore.window) found.push({ phase: '', structure: r.structure, above });
    }
  }
  found.sort((a, b) => a.above - b.above);
  let added = 0;
  for (const c of found) {
    if (added >= config.sscha.phases) break;
    const id = phaseIdentity(c.structure);
    if (seen.has(id.key)) continue;
    seen.add(id.key);
    let name = id.symbol;
    for (let n = 2; names.has(name); n++) name = `${id.symbol}-${n}`;
    names.add(name);
    out.push({ ...c, phase: name });
    added++;
  }
  return out;
}

/**
 * An SSCHA-like ensemble before any SSCHA: Gaussian displacements at temperature T from the harmonic
 * force constants of `calc` (finite displacements, symmetrised, made positive definite), in the SSCHA
 * supercell. These are the configurations the first SSCHA population will look like, so the first
 * MLIP is trained where it will be used (physics.md 8, stage B).
 */
export async function harmonicEnsemble(k: Kernels, calc: Calculator, unit: Structure, supercell: [number, number, number], T: number, n: number, seed: number): Promise<Structure[]> {
  if (n <= 0) return [];
  const matrix = [supercell[0], 0, 0, 0, supercell[1], 0, 0, 0, supercell[2]];
  const sc = makeSupercell(unit, matrix);
  const ds = analyzeSymmetry(unit, { symprec: 0.01 });
  const symmetrizer = new Symmetrizer(sc.structure.cell, supercellOperations(sc.structure, ds.operations, matrix, ds.mapTolerance));
  let phi = symmetrizer.forceConstants((await computeForceConstants(calc, unit, matrix, { symmetry: 0.01 })).phi, { asr: true });
  phi = positiveDefiniteStart(k, phi, sc.structure.masses, { floorCm: 50, symmetrizer }).phi;
  const pop = samplePopulation(k, { structure: sc.structure, centroids: sc.structure.cartesian(), phi, temperature: T, nConfigs: n + (n % 2), seed, index: 0 });
  return Array.from({ length: n }, (_, i) => configuration(pop, sc.structure, i));
}

/**
 * Phases that start apart but end at the same SSCHA solution (same space group and volume within 0.2 %
 * at one pressure, e.g. R3m symmetrised into Im-3m): their G differ only by noise, which the ranking
 * alone would present as an ordering.
 */
export function sameEndPoints(phases: readonly PhaseResult[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < phases.length; i++) {
    for (let j = i + 1; j < phases.length; j++) {
      const a = phases[i];
      const b = phases[j];
      if (a.pressure !== b.pressure || !a.spaceGroup || a.spaceGroup !== b.spaceGroup || !a.volume || !b.volume) continue;
      if (Math.abs(a.volume - b.volume) > 0.002 * a.volume) continue;
      const sigma = hypot2(a.gError, b.gError);
      out.push(`At ${a.pressure} GPa ${a.phase} and ${b.phase} end as the same structure (${a.spaceGroup}, ${a.volume.toFixed(3)} Å³/atom): ` +
        `their G differ by ${(1000 * Math.abs(a.g - b.g)).toFixed(2)} ± ${(1000 * sigma).toFixed(2)} meV/atom (statistical), not a physical ordering.`);
    }
  }
  return out;
}

/**
 * G(P) crossings between phases that are different structures: a pair that ends as the same SSCHA
 * structure at both pressures of a crossing only crosses by noise.
 */
export function physicalTransitions(phases: readonly PhaseResult[]) {
  const same = (a: string, b: string, p: number) => sameEndPoints(phases.filter((x) => x.pressure === p && (x.phase === a || x.phase === b))).length > 0;
  const pressures = [...new Set(phases.map((x) => x.pressure))].sort((x, y) => x - y);
  return transitions(phases).filter((t) => {
    const i = pressures.findIndex((p) => p > t.pressure);
    const around = i <= 0 ? pressures : [pressures[i - 1], pressures[i]];
    return !around.every((p) => same(t.below, t.above, p));
  });
}

/** G of every phase minus the lowest G at each pressure (eV/atom), keyed "phase@P". */
function phaseGaps(results: Map<string, SschaOutcome>, pressures: number[]): Map<string, number> {
  const gaps = new Map<string, number>();
  for (const p of pressures) {
    const at = [...results].filter(([id]) => id.endsWith(`@${p}`));
    const min = Math.min(...at.map(([, o]) => o.g));
    for (const [id, o] of at) gaps.set(id, o.g - min);
  }
  return gaps;
}

function gapErrors(results: Map<string, SschaOutcome>, pressures: number[]): Map<string, number> {
  const errs = new Map<string, number>();
  for (const p of pressures) {
    const at = [...results].filter(([id]) => id.endsWith(`@${p}`));
    const best = at.reduce((a, b) => (b[1].g < a[1].g ? b : a), at[0]);
    for (const [id, o] of at) errs.set(id, hypot2(o.gError, best[1].gError));
  }
  return errs;
}

/** Free-energy differences moved by less than their combined error (or 1 meV/atom) between rounds. */
function gapsSettled(prev: Map<string, number>, now: Map<string, number>, err: Map<string, number>): boolean {
  for (const [id, g] of now) {
    const before = prev.get(id);
    if (before === undefined) return false;
    if (Math.abs(g - before) > Math.max(2 * (err.get(id) ?? 0), 0.001)) return false;
  }
  return true;
}
