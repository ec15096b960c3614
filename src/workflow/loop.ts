// The iterative learning loop (physics.md 8): explore with a relaxing potential, label a diverse
// subset with the reference engine, train the linear MLIP, run the SSCHA of the low-lying phases with
// the MLIP, label the ensemble configurations where the MLIP extrapolates, retrain and re-minimise
// until the free-energy differences stop moving; then rank phases by G(P).
//
// Isomorphic: the run folder is a SschaStorage, and the SSCHA runs come from the environment (the
// Node adapter drives `anharm sscha`'s run folders, which resume on their own). Every stage records
// its outcome in `loop.jsonl`; a resumed run replays finished stages from it and from the label store,
// so the reference engine is never asked twice for the same configuration.
import type { Calculator } from '../calculators/calculator.js';
import { writeCif } from '../io/cif.js';
import { writePoscar } from '../io/poscar.js';
import type { LabelledConfig } from '../mlip/dataset.js';
import { MtpBasis } from '../mlip/mtp.js';
import { MtpModel } from '../mlip/model.js';
import { selectCandidates, collectRows } from '../mlip/active-set.js';
import { evaluateErrors, trainModel, type FitErrors } from '../mlip/train.js';
import { relax } from '../relax/relax.js';
import { runSearch, type SearchResult } from '../search/search.js';
import { symmetricGenerator } from '../search/symmetric-generator.js';
import type { SschaStorage } from '../sscha/persistence.js';
import type { Structure } from '../structure/structure.js';
import { Structure as StructureClass } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import type { RunConfig } from './config.js';
import { LabelStore } from './labels.js';
import { ActiveLearningCalculator } from './active-calculator.js';
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

/** Run (or resume) the loop. */
export async function runLoop(config: RunConfig, env: LoopEnvironment): Promise<LoopResult> {
  const k = env.kernels;
  const journal = new Journal(env.storage);
  const labels = new LabelStore(env.storage);
  const say = (stage: string, message: string, extra: Record<string, unknown> = {}) => env.onEvent?.({ stage, message, ...extra });
  const species = [...new Set(config.formula.match(/[A-Z][a-z]?/g) ?? [])].sort();

  // ---- A. exploration with the relaxing potential
  let candidates = journal.get<{ phase: string; structure: ReturnType<typeof structureJson>; above: number }[]>('candidates')?.map((c) => ({ ...c, structure: structureFrom(c.structure) }));
  let searchFigure: string | undefined = journal.get<string>('search-figure');
  if (!candidates) {
    say('explore', `searching ${config.formula} at ${config.pressures.join(', ')} GPa with ${env.explorer.name}`);
    const fu = config.formulaUnits;
    const result: SearchResult = await runSearch(
      {
        formula: config.formula,
        pressures: config.pressures,
        formulaUnits: [Math.min(...fu), Math.max(...fu)],
        seed: stageSeed(config.seed, 1),
        populationSize: config.explore.population,
        maxGenerations: config.explore.generations,
        stallGenerations: Math.max(3, Math.ceil(config.explore.generations / 2)),
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
    candidates = pickCandidates(result, config, env.include);
    const { bestEnthalpySvg } = await import('../search/search.js');
    searchFigure = bestEnthalpySvg(result);
    journal.put('search-figure', searchFigure);
    journal.put('candidates', candidates.map((c) => ({ ...c, structure: structureJson(c.structure) })));
  }
  say('explore', `candidate phases: ${candidates.map((c) => `${c.phase} (+${(1000 * c.above).toFixed(1)} meV/atom)`).join(', ')}`);

  // ---- B. first MLIP: a diverse labelled subset, rattled copies, training
  let model: MtpModel;
  const modelKey = (r: number) => `model-${r}`;
  // models live in models/NAME.json; the journal records which one each step produced
  const saveModel = (key: string, name: string, m: MtpModel) => {
    env.storage.write(`models/${name}.json`, JSON.stringify(m.toJSON()));
    journal.put(key, name);
  };
  const loadModel = (key: string): MtpModel | undefined => {
    const name = journal.get<string>(key);
    const b = name ? env.storage.read(`models/${name}.json`) : null;
    return b ? MtpModel.fromJSON(k, JSON.parse(new TextDecoder().decode(b)), `${env.storage.location}/models/${name}.json`) : undefined;
  };
  const saved = loadModel(modelKey(0));
  if (saved) model = saved;
  else {
    // each phase relaxed at each pressure by the explorer, then a harmonic ensemble of it in the SSCHA
    // supercell, all labelled by the reference
    const pool: Structure[] = [];
    for (const c of candidates) {
      for (const p of config.pressures) {
        const key = `explore-relax-${c.phase}@${p}`;
        let s = journal.get<ReturnType<typeof structureJson>>(key);
        if (!s) {
          const r = await relax(env.explorer, c.structure, { pressure: p, keepSymmetry: true, symprec: 0.01, maxSteps: 400 });
          s = structureJson(r.status === 'failed' ? c.structure : r.structure);
          journal.put(key, s);
        }
        const relaxedS = structureFrom(s);
        pool.push(relaxedS);
        pool.push(...(await harmonicEnsemble(k, env.explorer, relaxedS, config.sscha.supercell, config.temperature, config.mlip.ensemble, stageSeed(config.seed, 3))));
      }
    }
    say('label', `labelling ${pool.length} structures with ${env.reference.name}`);
    await labels.label(pool, env.reference, 'explore');
    const data = [...env.initialData, ...labels.all()];
    const basis = env.initialModel
      ? MtpModel.fromJSON(k, env.initialModel, 'mlip.model').basis
      : MtpBasis.create(k, { species, level: config.mlip.level, rcut: config.mlip.rcut, rmin: config.mlip.rmin });
    say('train', `training on ${data.length} configurations (${basis.nParams} parameters)`);
    model = trainModel(k, basis, data, [], { seed: config.seed }).model;
    saveModel(modelKey(0), 'model-0', model);
  }

  // ---- C. SSCHA rounds; the MLIP learns on every population (ActiveLearningCalculator)
  const results = new Map<string, SschaOutcome>();
  const relaxed = new Map<string, Structure>();
  let previousGaps: Map<string, number> | null = null;
  let converged = false;
  let round = 0;
  let lastErrors: FitErrors | null = null;
  let lastLabelled = 0;
  model = loadModel('model-latest') ?? model;
  for (; round < config.sscha.maxRounds; round++) {
    const al = new ActiveLearningCalculator(k, model, env.reference, labels, {
      gradeSelect: config.mlip.gradeSelect, maxLabels: config.mlip.maxLabels, stage: `sscha-${round}`, baseData: env.initialData, seed: config.seed,
      recall: (batch) => loadModel(`model-batch-${batch}`),
      onModel: (m, n, err, batch) => {
        const name = `model-${round}-${batch}`;
        saveModel(`model-batch-${batch}`, name, m);
        journal.put('model-latest', name);
        say('learn', `round ${round}: labelled ${n} extrapolative configuration(s) (MLIP error on them ${err.energyRmse.toFixed(2)} meV/atom, ${err.forceRmse.toFixed(3)} eV/Å); retrained on ${env.initialData.length + labels.size}`);
      },
    });
    const roundLabelsBefore = labels.size;
    for (const c of candidates) {
      for (const p of config.pressures) {
        const id = `${c.phase}@${p}`;
        // static relaxation at P with the MLIP, keeping the phase's symmetry
        const rkey = `relax-${round}-${id}`;
        let s = journal.get<ReturnType<typeof structureJson>>(rkey);
        if (!s) {
          const start = journal.get<ReturnType<typeof structureJson>>(`explore-relax-${id}`);
          const from = start ? structureFrom(start) : c.structure;
          let r;
          try {
            r = await relax(al, from, { pressure: p, keepSymmetry: true, symprec: 0.01, maxSteps: 400 });
          } catch (e) {
            r = null;
            say('relax', `${id}: MLIP relaxation failed (${(e as Error).message.split('\n')[0]}); using the explorer's structure`);
          }
          const ok = r && r.status !== 'failed';
          s = structureJson(ok ? r!.structure : from);
          journal.put(rkey, s);
          journal.put(`hstatic-${round}-${id}`, ok ? r!.enthalpy / r!.structure.natoms : null);
        }
        relaxed.set(id, structureFrom(s));
        const job: SschaJob = {
          phase: c.phase, pressure: p, round, structure: structureFrom(s), model: al.model.toJSON(), calculator: al,
          folder: `sscha/${c.phase.replace(/[^A-Za-z0-9_-]/g, '_')}@${p}/round-${round}`, seed: stageSeed(config.seed, 10 + round),
        };
        say('sscha', `${id} round ${round}`);
        // asked again after a restart: the SSCHA run folder resumes on its own, so finished runs cost nothing
        let out: SschaOutcome;
        try {
          out = await env.sscha(job);
        } catch (e) {
          say('sscha', `${id} round ${round} failed: ${(e as Error).message.split('\n')[0]}`);
          results.delete(id);
          continue;
        }
        results.set(id, out);
        say('sscha', `${id}: G = ${out.g.toFixed(5)} ± ${out.gError.toExponential(1)} eV/atom, lowest Hessian ${out.lowestHessian?.toFixed(1) ?? '–'} cm⁻¹`, { phase: c.phase, pressure: p, g: out.g, gError: out.gError });
      }
    }
    model = al.model;
    const newLabels = labels.size - roundLabelsBefore;
    if (al.lastErrors) {
      lastErrors = al.lastErrors;
      lastLabelled = newLabels;
    }
    const gaps = phaseGaps(results, config.pressures);
    const settled = previousGaps !== null && gapsSettled(previousGaps, gaps, gapErrors(results, config.pressures));
    journal.put(`round-${round}`, { labels: newLabels, settled });
    const complete = results.size === candidates.length * config.pressures.length;
    if (!complete) say('sscha', `round ${round}: ${candidates.length * config.pressures.length - results.size} SSCHA run(s) failed`);
    if (newLabels === 0 && complete) {
      say('learn', `round ${round}: no configuration above grade ${config.mlip.gradeSelect}: the MLIP is trusted on every ensemble`);
      converged = true;
      break;
    }
    if (complete && settled && lastErrors && lastErrors.forceRmse < 0.1 && lastErrors.energyRmse < 3) {
      converged = true;
      break;
    }
    previousGaps = gaps;
  }
  const rounds = Math.min(round + 1, config.sscha.maxRounds);

  // ---- D. spot check of the model error (physics.md 8): the reference on configurations of each final
  // ensemble; ⟨V_ref − V_MLIP⟩ over the ensemble is the first-order correction of F (and G) for the
  // MLIP's error, and its standard error the model error of G.
  const spot = new Map<string, { delta: number; error: number; n: number }>();
  if (config.sscha.spotCheck > 0) {
    const final = model.calculator(k);
    for (const [id, out] of results) {
      const pick = out.configurations.slice(0, config.sscha.spotCheck);
      if (pick.length < 2) continue;
      const ref = await labels.label(pick, env.reference, 'spot-check');
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
      hStatic: journal.get<number>(`hstatic-${rounds - 1}-${id}`) ?? journal.get<number>(`hstatic-0-${id}`),
      spaceGroup: out.spaceGroup, volume: out.volumePerAtom, lowestHessian: out.lowestHessian, dispersionSvg: out.dispersionSvg, converged: out.converged,
    });
  }
  const referenceCalls = labels.countByStage();
  const notes = [
    converged ? `The loop converged after ${rounds} round(s).` : `The loop stopped after ${rounds} round(s) without meeting the convergence rules (physics.md 8).`,
    spot.size
      ? `G includes the spot-check correction ⟨V_ref − V_MLIP⟩ on ${config.sscha.spotCheck} configurations of each final ensemble; its standard error is the model error.`
      : `Model error of G: ${lastErrors ? `energy RMSE of the MLIP on the ${lastLabelled} configurations labelled last` : 'none estimated'}.`,
  ];
  const report: LoopReport = {
    title: `${config.formula}: phases by quantum anharmonic Gibbs free energy`, formula: config.formula, temperature: config.temperature,
    phases, referenceCalls, notes, figures: searchFigure ? { 'Search: best enthalpy per generation': searchFigure } : undefined,
    mlipErrors: lastErrors ? { energy: lastErrors.energyRmse, forces: lastErrors.forceRmse, labelled: lastLabelled } : undefined,
  };
  const html = reportHtml(report);
  const json = {
    format: 'anharm-run-result', version: 1, formula: config.formula, temperature: config.temperature, pressures: config.pressures,
    converged, rounds, referenceCalls,
    spotCheck: Object.fromEntries(spot),
    uncorrected: Object.fromEntries([...results].map(([id, o]) => [id, { g: o.g, gError: o.gError }])),
    ranking: config.pressures.map((p) => ({ pressure: p, phases: rankAtPressure(phases.filter((x) => x.pressure === p)).map((r) => { const { dispersionSvg: _d, ...rest } = r as typeof r & PhaseResult; return rest; }) })),
    transitions: transitions(phases),
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

/** Identity of a crystal phase: space group, Pearson symbol, and the species on each Wyckoff letter. */
export function phaseIdentity(s: Structure, symprec = 0.01): { key: string; symbol: string } {
  const ds = analyzeSymmetry(s, { symprec });
  const sites = s.species.map((sp, i) => `${sp}${ds.wyckoffs[i]}`).sort().join(' ');
  return { key: `${ds.number}|${ds.pearsonSymbol}|${sites}`, symbol: ds.internationalShort };
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
