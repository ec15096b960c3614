// `anharm sscha STRUCTURE --potential FILE --supercell N N N --temperature T [--pressure P]`: the stochastic
// self-consistent harmonic approximation (physics.md 5) with a built-in potential, in a run folder
// (--out DIR) that holds every population as it is computed and lets an interrupted run be resumed by
// running the same command again (src/sscha/persistence.ts for the format).
//
// Start: harmonic force constants by finite displacements (src/phonons), made positive definite when
// they have imaginary modes (physics.md 4.6), or --start-dyn PREFIX (a QE dynamical-matrix set).
// End: the free-energy Hessian (static bubble, physics.md 5.11) at the converged (R, Φ), optionally on
// a larger final ensemble (--hessian-configs N), and harmonic / auxiliary / Hessian frequencies (cm⁻¹)
// at every commensurate q and along the standard band path. Progress: one line per minimisation step
// on a terminal (stderr); --json: JSON lines on stdout (events) and the result object last.
//
// --pressure P runs the variable-cell driver of src/sscha/variable-cell.ts (one cell step per
// population) and reports G = F + PΩ and the relaxed cell; the Hessian is then taken in the final cell.
// Its populations (with their strain), results, cell history (cells.jsonl) and (cell, R, Φ) state are
// saved as they are computed, and it resumes like a fixed-cell run (runSschaVariableCellWithStore).
//
// Results also in the Quantum ESPRESSO / python-sscha format: the final auxiliary Φ as the
// dynamical-matrix set sscha.dyn0…N and the free-energy Hessian as hessian.dyn0…N (src/io/qe-dyn.ts;
// Φ(q) written with 16 significant digits) in the run folder, in the final cell; skipped with a note
// in result.json ("qeDyn") when the supercell is not diagonal.
//
// Exit codes: 0 done (converged or not: see "converged"), 1 engine failure (what was saved and how to
// resume is printed), 2 a user mistake (one line).
//
// Testing aids (environment): ANHARM_SSCHA_EVAL_DELAY_MS waits before every engine batch;
// ANHARM_SSCHA_FAIL_AFTER=K makes the engine fail after K configurations (both only for tests of the
// kill / resume paths).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { PotentialError } from '../calculators/builtin.js';
import { loadPotential } from '../node/potentials.js';
import { CalculatorError, type CalcOptions, type CalcResult, type Calculator } from '../calculators/calculator.js';
import { dynSetFromRealSpace, dynSetToRealSpace, writeQeDynSet } from '../io/qe-dyn.js';
import { loadKernels } from '../node/kernels.js';
import { loadMoyo } from '../node/moyo.js';
import { readStructureFile } from '../node/files.js';
import { openSschaRunDir } from '../node/sscha-store.js';
import { computeForceConstants, PhononError, standardBandPath, type BandPath } from '../phonons/index.js';
import { ForceConstants } from '../phonons/force-constants-model.js';
import { TAU_INV_TO_CM } from '../phonons/units.js';
import { auxiliaryModes, positiveDefiniteStart, SschaError, type SschaPartial, type SschaResult, type SschaSymmetry, type StepRecord } from '../sscha/index.js';
import { evaluatePopulation, samplePopulation, type Population } from '../sscha/ensemble.js';
import { FINAL_STREAM, runSschaVariableCellWithStore, runSschaWithStore, MemoryStorage, SschaRunStore } from '../sscha/persistence.js';
import { resumedPopulation } from '../sscha/run.js';
import {
  dispersionSvg, freeEnergySvg, gradientSvg, lowestWavenumber, phononSet, phononSetReport, pressureReport, qeDynTexts, roundArray, sschaHessian, splitHalfFrequencyErrors, tensor3, type PhononSet,
} from '../sscha/report.js';
import { StructureError, type Structure } from '../structure/structure.js';
import { makeSupercell, type Supercell } from '../structure/supercell.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import { symmetrizeStructure } from '../symmetry/idealize.js';
import { SymmetryError } from '../symmetry/moyo.js';
import { supercellOperations } from '../symmetry/operations.js';
import { Symmetrizer } from '../symmetry/symmetrize.js';
import { VariableCellError, type VariableCellPartial, type VariableCellResult } from '../sscha/variable-cell.js';
import { readQeDynSetFiles } from './convert.js';
import { intOption, seedOption, UserError } from './errors.js';

export interface SschaCliOptions {
  potential?: string;
  supercell?: string[];
  temperature?: string;
  configs: string;
  seed: string;
  maxPopulations: string;
  maxSteps: string;
  hessianConfigs?: string;
  startDyn?: string;
  floor: string;
  pressure?: string;
  symprec: string;
  batch: string;
  points: string;
  out?: string;
  json?: boolean;
  /** No progress or summary lines (a caller such as `anharm run` reports instead). */
  quiet?: boolean;
  /** Engine to use instead of the one built from --potential (whose file still identifies the run). */
  calculator?: Calculator;
}

const RESULT_FORMAT = 'anharm-sscha-result';
const MANIFEST_FORMAT = 'anharm-sscha-run';

function numberOption(name: string, value: string, opts: { positive?: boolean; nonNegative?: boolean } = {}): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || (opts.positive && !(v > 0)) || (opts.nonNegative && !(v >= 0))) {
    throw new UserError(`option ${name}: expected ${opts.positive ? 'a positive' : opts.nonNegative ? 'a non-negative' : 'a'} number, got "${value}"`);
  }
  return v;
}

function triple(name: string, values: string[] | undefined): [number, number, number] | undefined {
  if (!values) return undefined;
  const parts = values.flatMap((v) => v.split(/[\s,x×]+/)).filter((v) => v !== '');
  if (parts.length === 1) parts.push(parts[0], parts[0]);
  if (parts.length !== 3) throw new UserError(`option ${name}: expected three integers (e.g. ${name} 2 2 2), got "${values.join(' ')}"`);
  return parts.map((p) => intOption(name, p, 1, 100)) as [number, number, number];
}

function evenOption(name: string, value: string, min: number): number {
  const v = intOption(name, value, min, 10_000_000);
  if (v % 2 !== 0) throw new UserError(`option ${name}: must be even (configurations come in antithetic pairs), got ${v}`);
  return v;
}

/** Library errors that describe bad input → one-line UserErrors. */
function asUserError(e: unknown): never {
  if (e instanceof UserError) throw e;
  if (e instanceof PhononError || e instanceof PotentialError || e instanceof StructureError || e instanceof SymmetryError || e instanceof SschaError) {
    throw new UserError(e.message.split('\n')[0]);
  }
  throw e;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine, with the testing aids of the header. */
class CountingCalculator implements Calculator {
  readonly name: string;
  evaluations = 0;
  constructor(
    readonly inner: Calculator,
    readonly delayMs = 0,
    readonly failAfter = Infinity,
  ) {
    this.name = inner.name;
  }
  async compute(structures: readonly Structure[], options?: CalcOptions): Promise<CalcResult[]> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.evaluations + structures.length > this.failAfter) throw new CalculatorError(`${this.name}: engine died (ANHARM_SSCHA_FAIL_AFTER=${this.failAfter})`, this.failAfter - this.evaluations);
    const r = await this.inner.compute(structures, options);
    this.evaluations += structures.length;
    return r;
  }
  dispose() {
    return this.inner.dispose?.();
  }
}

interface Manifest {
  format: string;
  version: number;
  created: string;
  updated: string;
  status: 'running' | 'failed' | 'done';
  message?: string;
  runs: number;
  inputs: { structure: { file: string; sha256: string }; potential: { file: string; sha256: string }; startDyn?: { files: string[]; sha256: string } };
  options: { supercell: number[]; temperature: number; configs: number; seed: string; hessianConfigs: number | null; symprec: number; floorCm: number; maxSteps: number; pressure: number | null };
  maxPopulations: number;
  engine: { name: string; potentialSha256: string; toolkit: string };
}

/** Options that must agree with a saved run to resume it. */
function sameOptions(a: Manifest['options'], b: Manifest['options']): string | null {
  for (const key of Object.keys(b) as (keyof Manifest['options'])[]) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return `${key} ${JSON.stringify(a[key])} there, ${JSON.stringify(b[key])} here`;
  }
  return null;
}

/** What the report needs from a fixed-cell (runSscha) or variable-cell run. */
type Core = Pick<
  SschaResult,
  'converged' | 'populations' | 'populationReasons' | 'history' | 'R' | 'phi' | 'averages' | 'F' | 'Ferr' | 'FperCell' | 'FperCellErr' | 'FperAtom' | 'FperAtomErr' | 'frequenciesCm' | 'frequencyErrCm'
> & { reason: string };

export interface SschaRun {
  exitCode: number;
  result?: Record<string, unknown>;
  /** The engine died (not the physics): the run folder resumes once the engine works again. */
  engineFailure?: string;
}

/** The engine died while computing the harmonic starting point (a user error for `anharm sscha`). */
export class HarmonicStartEngineError extends UserError {}

export async function runSschaCli(file: string, o: SschaCliOptions): Promise<SschaRun> {
  // ---- options
  if (!o.potential) throw new UserError('option --potential <file> is required (a JSON potential file)');
  const supercellArg = triple('--supercell', o.supercell);
  if (!supercellArg && !o.startDyn) throw new UserError('option --supercell N N N is required (e.g. --supercell 2 2 2)');
  if (o.temperature === undefined) throw new UserError('option --temperature <K> is required (0 for the quantum ground state)');
  const T = numberOption('--temperature', o.temperature, { nonNegative: true });
  const nConfigs = evenOption('--configs', o.configs, 2);
  const seed = seedOption('--seed', o.seed);
  const maxPopulations = intOption('--max-populations', o.maxPopulations, 1, 10000);
  const maxSteps = intOption('--max-steps', o.maxSteps, 1, 1_000_000);
  const hessianConfigs = o.hessianConfigs !== undefined ? evenOption('--hessian-configs', o.hessianConfigs, 2) : null;
  const floorCm = numberOption('--floor', o.floor, { nonNegative: true });
  const symprec = numberOption('--symprec', o.symprec, { positive: true });
  const batch = intOption('--batch', o.batch, 1, 1_000_000);
  const points = intOption('--points', o.points, 2, 10000);
  const pressure: number | null = o.pressure !== undefined ? numberOption('--pressure', o.pressure) : null;
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  if (!existsSync(o.potential)) throw new UserError(`${o.potential}: no such file`);
  const delayMs = Number(process.env.ANHARM_SSCHA_EVAL_DELAY_MS ?? 0) || 0;
  const failAfter = process.env.ANHARM_SSCHA_FAIL_AFTER !== undefined ? Number(process.env.ANHARM_SSCHA_FAIL_AFTER) : Infinity;

  let unit: Structure;
  try {
    unit = await readStructureFile(file);
  } catch (e) {
    asUserError(e);
  }
  // ---- start from a QE dynamical-matrix set?
  let dynPhi: { phi: Float64Array; grid: [number, number, number]; files: string[]; sha: string } | null = null;
  if (o.startDyn) {
    let set;
    try {
      set = await readQeDynSetFiles(o.startDyn);
    } catch (e) {
      asUserError(e);
    }
    const grid = set.grid as [number, number, number];
    if (supercellArg && supercellArg.some((x, q) => x !== grid[q])) throw new UserError(`--start-dyn ${o.startDyn}: the set is on a ${grid.join('×')} grid, --supercell is ${supercellArg.join('×')}`);
    checkSameCrystal(unit, set.structure, o.startDyn);
    const { fc } = dynSetToRealSpace(set);
    const prefix = existsSync(o.startDyn + '0') ? o.startDyn : o.startDyn.slice(0, -1);
    const files = [prefix + '0', ...set.stars.map((_, i) => prefix + (i + 1))];
    dynPhi = { phi: fc.phi, grid, files, sha: sha256(files.map((f) => readFileSync(f, 'utf8')).join('\0')) };
  }
  const supercell = supercellArg ?? dynPhi!.grid;

  loadMoyo();
  // a variable-cell run strains the cell with the exact operations found at --symprec: a structure
  // symmetric only to that tolerance (a relaxed one) is made exactly symmetric first, or its strained
  // cell loses the symmetry
  if (pressure !== null && !o.startDyn) {
    try {
      unit = symmetrizeStructure(unit, symprec).structure;
    } catch {
      // left as it is: the symmetry analysis below reports what is wrong
    }
  }
  let sc: Supercell;
  try {
    sc = makeSupercell(unit, supercell);
  } catch (e) {
    asUserError(e);
  }
  let inner: Calculator;
  try {
    inner = o.calculator ?? (await loadPotential(o.potential, { reference: sc.structure }));
  } catch (e) {
    asUserError(e);
  }
  const calc = new CountingCalculator(inner, delayMs, failAfter);
  const k = await loadKernels();
  const json = !!o.json;
  const emit = (obj: Record<string, unknown>) => {
    if (json) process.stdout.write(JSON.stringify(obj) + '\n');
  };
  const tty = !json && !o.quiet && process.stderr.isTTY;
  const nAtoms = sc.structure.natoms;

  // ---- run folder
  const structureText = readFileSync(file);
  const potentialText = readFileSync(o.potential);
  const options: Manifest['options'] = { supercell: [...supercell], temperature: T, configs: nConfigs, seed: seed.toString(), hessianConfigs, symprec, floorCm, maxSteps, pressure };
  const inputs: Manifest['inputs'] = {
    structure: { file: basename(file), sha256: sha256(structureText) },
    potential: { file: basename(o.potential), sha256: sha256(potentialText) },
    ...(dynPhi ? { startDyn: { files: dynPhi.files.map((f) => basename(f)), sha256: dynPhi.sha } } : {}),
  };
  let store: SschaRunStore;
  let manifest: Manifest;
  const now = () => new Date().toISOString();
  if (o.out) {
    const existing = existsSync(join(o.out, 'manifest.json'));
    if (!existing && existsSync(o.out) && readdirSync(o.out).length > 0) throw new UserError(`--out ${o.out}: the folder exists and is not an SSCHA run folder (no manifest.json); give a new or empty folder`);
    store = openSschaRunDir(o.out);
    const old = existing ? store.readJson<Manifest>('manifest.json') : null;
    if (existing && (!old || old.format !== MANIFEST_FORMAT)) throw new UserError(`--out ${o.out}: manifest.json is not an anharm SSCHA run manifest`);
    if (old) {
      for (const key of ['structure', 'potential'] as const)
        if (old.inputs[key].sha256 !== inputs[key].sha256) throw new UserError(`--out ${o.out}: holds a run with another ${key} file (${old.inputs[key].file}); resume with the same inputs or use a new folder`);
      if ((old.inputs.startDyn?.sha256 ?? null) !== (inputs.startDyn?.sha256 ?? null)) throw new UserError(`--out ${o.out}: holds a run with another starting point (--start-dyn); resume with the same inputs or use a new folder`);
      const diff = sameOptions(old.options, options);
      if (diff) throw new UserError(`--out ${o.out}: holds a run with other options (${diff}); resume with the same options or use a new folder`);
    }
    manifest = {
      format: MANIFEST_FORMAT,
      version: 1,
      created: old?.created ?? now(),
      updated: now(),
      status: 'running',
      runs: (old?.runs ?? 0) + 1,
      inputs,
      options,
      maxPopulations,
      engine: { name: calc.name, potentialSha256: inputs.potential.sha256, toolkit: 'anharmonic-csp 0.1.0' },
    };
    if (!old) {
      mkdirSync(join(o.out, 'input'), { recursive: true });
      copyFileSync(file, join(o.out, 'input', basename(file)));
      copyFileSync(o.potential, join(o.out, 'input', basename(o.potential)));
      for (const f of dynPhi?.files ?? []) copyFileSync(f, join(o.out, 'input', basename(f)));
    }
    store.writeJson('manifest.json', manifest);
  } else {
    store = new SschaRunStore(new MemoryStorage());
    manifest = { format: MANIFEST_FORMAT, version: 1, created: now(), updated: now(), status: 'running', runs: 1, inputs, options, maxPopulations, engine: { name: calc.name, potentialSha256: inputs.potential.sha256, toolkit: 'anharmonic-csp 0.1.0' } };
  }
  const finish = (status: Manifest['status'], message?: string) => {
    if (!o.out) return;
    manifest.status = status;
    manifest.updated = now();
    if (message) manifest.message = message;
    else delete manifest.message;
    store.writeJson('manifest.json', manifest);
  };

  try {
    // ---- symmetry, band path, starting Φ
    let dataset, path: BandPath, symmetrizer: Symmetrizer, ops: ReturnType<typeof supercellOperations>;
    try {
      dataset = analyzeSymmetry(unit, symprec);
      path = standardBandPath(unit, { dataset });
      ops = supercellOperations(sc.structure, dataset.operations, Array.from(sc.matrix), dataset.mapTolerance);
      symmetrizer = new Symmetrizer(sc.structure.cell, ops);
    } catch (e) {
      asUserError(e);
    }
    const symmetry: SschaSymmetry = { symmetrizer, nTranslations: 3 };
    let phiHarm: Float64Array;
    if (dynPhi) phiHarm = dynPhi.phi;
    else {
      try {
        phiHarm = (await computeForceConstants(calc, unit, supercell, { symmetry: symprec })).phi;
      } catch (e) {
        if (e instanceof CalculatorError) throw new HarmonicStartEngineError(`harmonic force constants: ${e.message.split('\n')[0]}`);
        asUserError(e);
      }
    }
    phiHarm = symmetrizer.forceConstants(phiHarm, { asr: true });
    const startModes = auxiliaryModes(k, phiHarm, sc.structure.masses, T, { allowNonPositive: true });
    let phi0 = phiHarm;
    const start: Record<string, unknown> = { kind: dynPhi ? 'qe-dyn' : 'harmonic', source: dynPhi ? o.startDyn : 'finite displacements', flipped: 0, raised: 0, floorCm };
    if (startModes.nonPositive > 0) {
      const pd = positiveDefiniteStart(k, phiHarm, sc.structure.masses, { floorCm, symmetrizer });
      phi0 = pd.phi;
      start.flipped = pd.flipped;
      start.raised = pd.raised;
      const msg = `starting Φ had ${startModes.nonPositive} non-positive mode(s): ${pd.flipped} flipped, ${pd.raised} raised to ${floorCm} cm⁻¹ (physics.md 4.6)`;
      if (json) emit({ event: 'start', message: msg, ...start });
      else if (!o.quiet) process.stderr.write(`anharm: ${msg}\n`);
    }

    // ---- SSCHA
    const resumeInfo = { populations: 0, configurations: 0 };
    const progress = (rec: StepRecord) => {
      const r = (a: number, b: number) => (b > 0 ? (a / b).toFixed(3) : a === 0 ? '0' : 'inf');
      process.stderr.write(
        `pop ${String(rec.population).padStart(2)} step ${String(rec.step).padStart(3)}  F ${((1000 * rec.F) / nAtoms).toFixed(4)} ± ${((1000 * rec.Ferr) / nAtoms).toFixed(4)} meV/atom  ` +
          `|G|/err ${r(rec.GNorm, rec.GNormErr)}  |g_R|/err ${r(rec.gRNorm, rec.gRNormErr)}  N_eff/N ${rec.nEffRatio.toFixed(3)}\n`,
      );
    };
    let result: Core;
    let unitEnd = unit, scEnd = sc, symEnd = symmetry;
    let gibbs: Record<string, unknown> | null = null;
    if (pressure !== null) {
      // ---- variable cell (src/sscha/variable-cell.ts): everything saved as computed, resumable
      let vc: VariableCellResult;
      try {
        vc = await runSschaVariableCellWithStore(
          store,
          {
            kernels: k, calculator: calc, supercell: sc, symmetry: ops, phi0, T, pressure, nConfigs, seed, maxPopulations, batchSize: batch, minimize: { maxSteps },
            onStep: (rec) => {
              if (tty) progress(rec);
              emit({ event: 'step', ...rec, FmeVPerAtom: (1000 * rec.F) / nAtoms, FerrMeVPerAtom: (1000 * rec.Ferr) / nAtoms });
            },
            onEvaluated: (pop) => emit({ event: 'evaluated', population: pop.index, evaluated: pop.evaluated, total: pop.nConfigs }),
            onCellStep: ({ record: c }) => {
              emit({ event: 'population', population: c.population, reason: c.innerReason, converged: c.converged, volume: c.volume, pressure: c.pressureScalar, pressureErr: c.pressureScalarErr });
              if (tty) process.stderr.write(`pop ${String(c.population).padStart(2)} cell: V ${(c.volume / sc.ncells).toFixed(4)} Å³/cell  P ${c.pressureScalar.toFixed(4)} ± ${c.pressureScalarErr.toFixed(4)} GPa (target ${pressure})\n`);
            },
          },
          (info) => {
            Object.assign(resumeInfo, info);
            if (info.populations > 0) {
              const msg = `resuming from ${o.out}: ${info.populations} saved population(s), ${info.configurations} configuration(s) with results`;
              if (json) emit({ event: 'resume', ...info });
              else if (tty) process.stderr.write(`${msg}\n`);
            }
          },
        );
      } catch (e) {
        const partial = (e as { partial?: VariableCellPartial }).partial;
        // the engine died (possibly on a strained cell: the error says so): resumable like a fixed-cell run
        if (e instanceof CalculatorError || (e instanceof VariableCellError && (e as { cause?: unknown }).cause instanceof CalculatorError))
          return engineFailure(e, partial, store, o.out, finish);
        if (e instanceof VariableCellError) {
          const msg = `variable-cell SSCHA failed: ${e.message.split('\n')[0]}`;
          finish('failed', msg);
          process.stderr.write(`anharm: ${msg}\n`);
          return { exitCode: 1 };
        }
        asUserError(e);
      }
      unitEnd = unit.with({ cell: vc.unitCell! });
      scEnd = makeSupercell(unitEnd, supercell);
      symEnd = { symmetrizer: new Symmetrizer(scEnd.structure.cell, supercellOperations(scEnd.structure, dataset.operations, Array.from(scEnd.matrix), dataset.mapTolerance)), nTranslations: 3 };
      result = {
        converged: vc.converged, reason: vc.reason, populations: vc.populations, populationReasons: vc.cellHistory.map((c) => c.innerReason), history: vc.history,
        R: vc.R, phi: vc.phi, averages: vc.averages, F: vc.F, Ferr: vc.Ferr, FperCell: vc.F / vc.ncells, FperCellErr: vc.Ferr / vc.ncells, FperAtom: vc.F / nAtoms, FperAtomErr: vc.Ferr / nAtoms,
        frequenciesCm: vc.frequenciesCm, frequencyErrCm: new Float64Array(0),
      };
      gibbs = {
        targetPressure: pressure, perCell: vc.GperCell, perCellErr: vc.GperCellErr, perAtom: vc.GperAtom, perAtomErr: vc.GperAtomErr,
        volumePerCell: vc.volumePerCell, volumePerAtom: vc.volumePerAtom, volumePerAtomErr: vc.volumePerAtomErr,
        pressure: vc.pressureScalar, pressureErr: vc.pressureScalarErr, bulkModulus: vc.bulkModulus, bulkModulusSource: vc.bulkModulusSource,
        cellHistory: vc.cellHistory.map((c) => ({
          population: c.population, volume: c.volume, pressure: c.pressureScalar, pressureErr: c.pressureScalarErr, mismatchSigma: c.mismatchSigma, F: c.F, Ferr: c.Ferr, G: c.G,
          innerReason: c.innerReason, converged: c.converged, cell: roundArray(c.cell),
        })),
      };
    } else try {
      result = await runSschaWithStore(
        store,
        {
          kernels: k, calculator: calc, supercell: sc, symmetry: symmetrizer, phi0, T, nConfigs, seed, maxPopulations, batchSize: batch, minimize: { maxSteps },
          onStep: (rec) => {
            if (tty) progress(rec);
            emit({ event: 'step', ...rec, FmeVPerAtom: (1000 * rec.F) / nAtoms, FerrMeVPerAtom: (1000 * rec.Ferr) / nAtoms });
          },
          onEvaluated: (pop) => emit({ event: 'evaluated', population: pop.index, evaluated: pop.evaluated, total: pop.nConfigs }),
          onMinimized: (s) => emit({ event: 'population', population: s.population, reason: s.reason, converged: s.converged }),
        },
        (info) => {
          Object.assign(resumeInfo, info);
          if (info.populations > 0) {
            const msg = `resuming from ${o.out}: ${info.populations} saved population(s), ${info.configurations} configuration(s) with results`;
            if (json) emit({ event: 'resume', ...info });
            else if (tty) process.stderr.write(`${msg}\n`);
          }
        },
      );
    } catch (e) {
      if (e instanceof CalculatorError) return engineFailure(e, (e as { partial?: SschaPartial }).partial, store, o.out, finish);
      asUserError(e);
    }
    const lastPop = result.populations[result.populations.length - 1];
    const sameCell = lastPop.cell.every((x, q) => Math.abs(x - scEnd.structure.cell[q]) < 1e-9);
    // a Hessian needs an ensemble in the final cell: after a last cell step, draw one
    const finalConfigs = hessianConfigs ?? (sameCell ? null : nConfigs);

    // ---- final ensemble (optional) and Hessian
    let hessPop: Population = lastPop;
    let hessSource = 'last population, reweighted to the final (R, Φ)';
    let finalBlock: Record<string, unknown> | null = null;
    if (finalConfigs) {
      const index = FINAL_STREAM + result.populations.length;
      const input = { structure: scEnd.structure, centroids: result.R, phi: result.phi, temperature: T, nConfigs: finalConfigs, seed, index, nTranslations: 3 };
      const saved = store.loadPopulation('final', result.populations.length);
      let pop: Population;
      try {
        pop = saved ? resumedPopulation(k, saved.population, input) : samplePopulation(k, input);
      } catch (e) {
        asUserError(e);
      }
      if (!saved) store.savePopulationHeader(pop, 'final', { purpose: 'final ensemble at the converged (R, Φ) for F, pressure and the Hessian' });
      try {
        await evaluatePopulation(pop, calc, scEnd.structure, {
          batchSize: batch,
          onProgress: () => {
            store.saveResults(pop, 'final');
            emit({ event: 'evaluated', population: 'final', evaluated: pop.evaluated, total: pop.nConfigs });
          },
        });
      } catch (e) {
        store.saveResults(pop, 'final');
        if (e instanceof CalculatorError) return engineFailure(e, { populations: result.populations }, store, o.out, finish, pop);
        throw e;
      }
      hessPop = pop;
      hessSource = `final ensemble of ${finalConfigs} configurations at the final (R, Φ)`;
    }
    const hess = sschaHessian(k, hessPop, scEnd, symEnd, result.R, result.phi, T, { splitHalf: true });
    // stochastic error of the Hessian frequencies: half the difference of the two halves' frequencies
    const hessErr = hess.halves ? splitHalfFrequencyErrors(k, unitEnd, scEnd, hess.halves, supercell) : null;
    if (finalConfigs) {
      const a = hess.averages;
      finalBlock = {
        nConfigs: finalConfigs,
        F: a.F, Ferr: a.Ferr, FperCell: a.F / sc.ncells, FperCellErr: a.Ferr / sc.ncells, FperAtom: a.F / nAtoms, FperAtomErr: a.Ferr / nAtoms,
        pressure: pressureReport(a),
        GRatio: a.GNormErr > 0 ? a.GNorm / a.GNormErr : 0,
        gRRatio: a.gRNormErr > 0 ? a.gRNorm / a.gRNormErr : 0,
        gradientsBelowThreshold: (a.GNorm < 0.2 * a.GNormErr || a.GNorm < 1e-8) && (a.gRNorm < 0.2 * a.gRNormErr || a.gRNorm < 1e-8),
      };
    }

    // ---- frequencies and plots
    const grid = supercell;
    const sets: PhononSet[] = [
      phononSet(k, 'harmonic', unit, sc, phiHarm, grid, path, points),
      phononSet(k, 'SSCHA auxiliary Φ', unitEnd, scEnd, result.phi, grid, path, points),
      phononSet(k, 'SSCHA Hessian (static bubble)', unitEnd, scEnd, hess.hessian, grid, path, points),
    ];
    const a = result.averages;
    // centroids of the home-cell atoms in fractional coordinates of the unit cell
    const natPrim = unit.natoms;
    const inv = invCell(unitEnd.cell);
    const primFrac: number[] = [];
    for (let kap = 0; kap < natPrim; kap++) {
      const i = kap; // home cell c = 0 for a diagonal supercell (supercell.ts order)
      const x = [0, 1, 2].map((q) => result.R[3 * i + q]);
      for (let q = 0; q < 3; q++) primFrac.push(x[0] * inv[q] + x[1] * inv[3 + q] + x[2] * inv[6 + q]);
    }
    const ref = scEnd.structure.cartesian();
    let maxShift = 0;
    for (let i = 0; i < ref.length; i += 3) maxShift = Math.max(maxShift, Math.hypot(result.R[i] - ref[i], result.R[i + 1] - ref[i + 1], result.R[i + 2] - ref[i + 2]));
    const files: string[] = [];
    const report: Record<string, unknown> = {
      format: RESULT_FORMAT,
      version: 1,
      units: { energy: 'eV', freeEnergyPerCell: 'eV per primitive (input) cell', pressure: 'GPa (compression-positive P = −σ)', length: 'Å', wavenumber: 'cm^-1 (negative = imaginary)', history: 'F in eV per supercell' },
      structure: { file, formula: unit.formula(), natoms: natPrim, spaceGroup: { number: dataset.number, symbol: dataset.internationalShort } },
      supercell, ncells: sc.ncells, natomsSupercell: nAtoms,
      temperature: T, configs: nConfigs, seed: seed.toString(), maxPopulations,
      engine: { name: calc.name, potential: basename(o.potential), potentialSha256: inputs.potential.sha256 },
      converged: result.converged,
      reason: result.reason,
      populations: result.populations.length,
      populationReasons: result.populationReasons,
      resumed: resumeInfo,
      evaluationsThisRun: calc.evaluations,
      start,
      freeEnergy: {
        perCell: result.FperCell, perCellErr: result.FperCellErr, perAtom: result.FperAtom, perAtomErr: result.FperAtomErr,
        supercell: result.F, supercellErr: result.Ferr, harmonicPart: a.F0, anharmonicPart: a.dV,
        start: result.history[0] ? { perCell: result.history[0].F / sc.ncells, perCellErr: result.history[0].Ferr / sc.ncells } : null,
      },
      pressure: pressureReport(a),
      gibbs,
      gradients: { GRatio: a.GNormErr > 0 ? a.GNorm / a.GNormErr : 0, gRRatio: a.gRNormErr > 0 ? a.gRNorm / a.gRNormErr : 0, nEffRatio: a.nEff / a.nConfigs },
      cell: tensor3(unitEnd.cell),
      inputCell: tensor3(unit.cell),
      centroids: { primitiveFrac: roundArray(primFrac), supercellCartesian: roundArray(result.R), maxShiftFromInput: maxShift },
      auxiliaryModes: { wavenumbers: roundArray(result.frequenciesCm), errors: roundArray(result.frequencyErrCm) },
      frequencies: {
        units: 'cm^-1',
        path: { kind: path.kind, segments: path.segments.map((s) => s.join('-')) },
        harmonic: phononSetReport(sets[0]),
        auxiliary: phononSetReport(sets[1]),
        hessian: phononSetReport(sets[2]),
        lowest: { harmonic: lowestWavenumber(sets[0]), auxiliary: lowestWavenumber(sets[1]), hessian: lowestWavenumber(sets[2]) },
      },
      hessian: {
        source: hessSource, nConfigs: hess.nConfigs,
        method: `static bubble, ${hess.estimator} estimator, ${hess.thirdOrderSymmetrized ? 'Φ3 symmetrised (space group + permutations), all rows' : 'primitive rows + translations'}, H symmetrised + ASR`,
        estimator: hess.estimator, thirdOrderSymmetrized: hess.thirdOrderSymmetrized,
        timeMs: hess.timeMs, dynamicallyStable: lowestWavenumber(sets[2]) > -1,
        frequencyErrors: hessErr
          ? { method: 'split half (antithetic pairs kept together): |ν_A − ν_B|/2 per commensurate q and branch (ascending), cm^-1', commensurate: hessErr.map((e) => ({ q: e.q.map((x) => Number(x.toPrecision(12))), errors: roundArray(e.err) })) }
          : null,
      },
      final: finalBlock,
      qeDyn: null, // with --out: the QE dynamical-matrix sets written (below)
      history: result.history,
    };
    if (o.out) {
      const title = `${unit.formula()} ${dataset.internationalShort}, ${supercell.join('×')} supercell, T = ${T} K`;
      const write = (name: string, text: string) => {
        store.writeText(name, text);
        files.push(join(o.out!, name));
      };
      write('free-energy.svg', freeEnergySvg(result.history, nAtoms, { title: `SSCHA free energy — ${title}` }));
      write('gradients.svg', gradientSvg(result.history, { title: `SSCHA gradients / errors — ${title}` }));
      write(
        'dispersion.svg',
        dispersionSvg(
          [
            { label: 'harmonic', bands: sets[0].bands!, color: '#7f7f7f', dash: '5 3' },
            { label: 'SSCHA auxiliary', bands: sets[1].bands!, color: '#1f4e9c' },
            { label: 'SSCHA Hessian', bands: sets[2].bands!, color: '#c0392b' },
          ],
          { title: `Phonons — ${title}` },
        ),
      );
      // the final auxiliary Φ and the Hessian as QE dynamical-matrix sets (python-sscha's format), final cell
      const dyn: Record<string, unknown> = {
        format: 'Quantum ESPRESSO dynamical matrices (ph.x fildyn, as python-sscha / CellConstructor), ibrav 0, final cell',
        precision: 'Φ(q) in Ry/bohr² with 16 significant digits (read back, the frequencies agree with this file to < 2e-9 cm⁻¹); printed frequencies with 6 decimals',
      };
      for (const [key, prefix, phi, what] of [
        ['auxiliary', 'sscha.dyn', result.phi, 'SSCHA auxiliary force constants'],
        ['hessian', 'hessian.dyn', hess.hessian, 'SSCHA free-energy Hessian (static bubble)'],
      ] as const) {
        const t = qeDynTexts(k, unitEnd, scEnd, phi, `${what}: ${title}`);
        if ('skipped' in t) {
          dyn[key] = null;
          dyn.note = t.skipped;
          continue;
        }
        write(prefix + '0', t.index);
        t.files.forEach((f, i) => write(prefix + (i + 1), f));
        dyn[key] = { prefix, files: t.files.length + 1, grid: t.grid };
      }
      report.qeDyn = dyn;
      report.files = [...files, join(o.out, 'result.json')];
      store.writeJson('result.json', report);
      finish('done');
    }
    if (json) process.stdout.write(JSON.stringify({ event: 'result', ...report }) + '\n');
    else if (!o.quiet) {
      const lines = [
        `SSCHA ${result.converged ? 'converged' : `did NOT converge (${result.reason})`} after ${result.populations.length} population(s) of ${nConfigs} configurations (${result.history.length} steps), ${calc.evaluations} engine evaluations in this run` +
          (resumeInfo.populations ? ` (resumed: ${resumeInfo.configurations} saved configurations reused)` : ''),
        `  F = ${result.FperCell.toFixed(6)} ± ${result.FperCellErr.toExponential(2)} eV per cell (${((1000 * result.FperAtom)).toFixed(3)} ± ${(1000 * result.FperAtomErr).toFixed(3)} meV/atom), T = ${T} K`,
      ];
      const pr = pressureReport(a);
      if (pr.pressure !== null) lines.push(`  P = ${pr.pressure.toFixed(4)} ± ${pr.pressureErr!.toExponential(2)} GPa (ionic ${(((pr.ionic[0][0] ?? 0) + (pr.ionic[1][1] ?? 0) + (pr.ionic[2][2] ?? 0)) / 3).toFixed(4)} GPa)`);
      lines.push(`  lowest wavenumber (cm⁻¹, commensurate q): harmonic ${lowestWavenumber(sets[0]).toFixed(2)}, auxiliary ${lowestWavenumber(sets[1]).toFixed(2)}, Hessian ${lowestWavenumber(sets[2]).toFixed(2)} (${hessSource})`);
      if (files.length) {
        const dyn = files.filter((f) => /\.dyn\d+$/.test(f));
        const sets = [...new Set(dyn.map((f) => f.replace(/\d+$/, '')))].map((p) => `${p}0…${dyn.filter((f) => f.startsWith(p)).length - 1}`);
        lines.push(`  wrote ${[...files.filter((f) => !dyn.includes(f)), join(o.out!, 'result.json')].join(', ')}${sets.length ? `; QE dynamical-matrix sets ${sets.join(', ')}` : ''}`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    }
    return { exitCode: 0, result: report };
  } catch (e) {
    if (e instanceof UserError) finish('failed', e.message);
    throw e;
  } finally {
    // an engine handed in by the caller stays the caller's to release
    if (!o.calculator) await calc.dispose?.();
  }
}

function engineFailure(
  e: Error,
  partial: { populations: Population[] } | undefined,
  store: SschaRunStore,
  out: string | undefined,
  finish: (s: 'failed', m: string) => void,
  finalPop?: Population,
): SschaRun {
  const pops = partial?.populations ?? [];
  const last = finalPop ?? pops[pops.length - 1];
  const what = last ? `population ${finalPop ? 'final' : last.index}: ${last.evaluated} of ${last.nConfigs} configurations` : 'nothing';
  const first = e.message.split('\n')[0];
  let msg: string;
  if (out) {
    msg = `engine failed: ${first}; saved ${pops.length} population(s) in ${out} (${what} evaluated); fix the engine and run the same command again to resume`;
    finish('failed', msg);
  } else msg = `engine failed: ${first}; nothing was saved (no --out DIR): rerun with --out DIR to make the run resumable`;
  void store; // everything was written as it arrived (and the partial state by the caller)
  process.stderr.write(`anharm: ${msg}\n`);
  return { exitCode: 1, engineFailure: first };
}

function invCell(c: ArrayLike<number>): number[] {
  const [a, b, cc, d, e, f, g, h, i] = Array.from(c);
  const det = a * (e * i - f * h) - b * (d * i - f * g) + cc * (d * h - e * g);
  return [(e * i - f * h) / det, (cc * h - b * i) / det, (b * f - cc * e) / det, (f * g - d * i) / det, (a * i - cc * g) / det, (cc * d - a * f) / det, (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det];
}

/** The structure of a dyn set must be the input crystal (same atoms in the same order). */
function checkSameCrystal(unit: Structure, other: Structure, name: string): void {
  const fail = (why: string): never => {
    throw new UserError(`--start-dyn ${name}: ${why} differs from the structure file`);
  };
  if (other.natoms !== unit.natoms) fail(`the number of atoms (${other.natoms})`);
  for (let q = 0; q < 9; q++) if (Math.abs(other.cell[q] - unit.cell[q]) > 1e-3) fail('the cell');
  for (let i = 0; i < unit.natoms; i++) {
    if (other.species[i] !== unit.species[i]) fail(`the species of atom ${i + 1}`);
    for (let q = 0; q < 3; q++) {
      const d = other.frac[3 * i + q] - unit.frac[3 * i + q];
      if (Math.abs(d - Math.round(d)) > 1e-4) fail(`the position of atom ${i + 1}`);
    }
  }
}

export function registerSscha(program: Command): void {
  program
    .command('sscha')
    .description('stochastic self-consistent harmonic approximation (fixed cell; variable cell with --pressure): anharmonic free energy, pressure, auxiliary and Hessian phonons; resumable run folder')
    .argument('<structure>', 'structure file (POSCAR, CIF, extxyz): the primitive/unit cell')
    .option('--potential <file>', 'potential file: a built-in potential (JSON), an MLIP model (anharm train) or an ONNX model')
    .option('--supercell <n...>', 'supercell multiplicities along a1 a2 a3, e.g. --supercell 2 2 2')
    .option('--temperature <K>', 'temperature (K); 0 = quantum ground state')
    .option('--configs <n>', 'configurations per population (even: antithetic pairs)', '200')
    .option('--seed <s>', 'random seed (population p uses stream p)', '1')
    .option('--max-populations <n>', 'largest number of populations', '20')
    .option('--max-steps <n>', 'largest number of accepted minimisation steps per population', '200')
    .option('--hessian-configs <n>', 'draw a final ensemble of this size at the converged point for F, pressure and the Hessian')
    .option('--start-dyn <prefix>', 'start from a Quantum ESPRESSO dynamical-matrix set PREFIX0…PREFIXn instead of the harmonic force constants')
    .option('--floor <cm-1>', 'lowest |ω| of the positive-definite start when the starting Φ has imaginary modes', '50')
    .option('--pressure <GPa>', 'target pressure: variable-cell (NPT) SSCHA, one cell step per population')
    .option('--symprec <Å>', 'symmetry tolerance', '1e-3')
    .option('--batch <n>', 'configurations per engine call (each batch is saved as soon as it returns)', '1')
    .option('--points <n>', 'q-points per band-path segment', '31')
    .option('--out <dir>', 'run folder: inputs, manifest.json, populations/, history, result.json, plots, QE dyn files sscha.dyn* and hessian.dyn*; rerun the same command to resume')
    .option('--json', 'JSON lines on stdout: progress events, then the result object')
    .action(async (file: string, opts: SschaCliOptions) => {
      const r = await runSschaCli(file, opts);
      if (r.exitCode) process.exitCode = r.exitCode;
    });
}
