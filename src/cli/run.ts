// `anharm run CONFIG`: the iterative learning loop (src/workflow/loop.ts, physics.md 8) from one
// configuration file (JSON or TOML; a folder means its run.json / run.toml). The run folder (--out,
// default CONFIG-DIR/run) journals every stage; running the same command again resumes it.
// Progress: one line per stage event on stderr, or JSON lines on stdout with --json.
//
// Exit codes: 0 done, 1 an engine died (one line says which; everything computed is kept and the same
// command resumes), 2 a user mistake. Testing aid (environment): ANHARM_RUN_REFERENCE_FAIL_AFTER=K
// makes the reference engine die after K configurations in this process (tests of the resume path).
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CalculatorError, type CalcOptions, type CalcResult, type Calculator } from '../calculators/calculator.js';
import { readDataset, type LabelledConfig } from '../mlip/dataset.js';
import { loadKernels } from '../node/kernels.js';
import { loadMoyo } from '../node/moyo.js';
import { readStructureFile } from '../node/files.js';
import { loadPotential } from '../node/potentials.js';
import { DirStorage, openSschaRunDir } from '../node/sscha-store.js';
import { gpawReference } from '../node/gpaw-reference.js';
import { writePoscar } from '../io/poscar.js';
import { Structure } from '../structure/structure.js';
import { ConfigError, parseRunConfig, type RunConfig } from '../workflow/config.js';
import { EngineFailure, runLoop, type SschaJob, type SschaOutcome } from '../workflow/loop.js';
import { HarmonicStartEngineError, runSschaCli } from './sscha.js';
import { probeSpecies } from './search.js';
import { parseFormula } from '../search/composition.js';
import { SearchError } from '../search/search.js';
import { UserError } from './errors.js';

export interface RunCliOptions {
  out?: string;
  json?: boolean;
  reference?: string;
}

/** Read CONFIG (file or folder) into a validated configuration and its folder. */
export async function readRunConfig(path: string): Promise<{ config: RunConfig; dir: string; file: string }> {
  if (!existsSync(path)) throw new UserError(`${path}: no such file or folder`);
  let file = path;
  if (statSync(path).isDirectory()) {
    const found = ['run.json', 'run.toml'].map((f) => join(path, f)).find((f) => existsSync(f));
    if (!found) throw new UserError(`${path}: a folder must hold run.json or run.toml`);
    file = found;
  }
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    if (file.endsWith('.toml')) {
      const { parse } = await import('smol-toml');
      raw = parse(text);
    } else raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return { config: parseRunConfig(raw, file), dir: dirname(resolve(file)), file };
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message);
    throw e;
  }
}

export async function runCli(path: string, o: RunCliOptions): Promise<number> {
  const { config, dir, file } = await readRunConfig(path);
  if (o.reference) {
    if (o.reference !== 'gpaw' && !o.reference.startsWith('ipi')) throw new UserError(`option --reference: expected "gpaw", got "${o.reference}"`);
    config.reference = o.reference === 'gpaw' ? { engine: 'gpaw', ...config.gpaw } : config.reference;
  }
  const at = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const out = o.out ?? join(dir, 'run');
  mkdirSync(out, { recursive: true });
  const json = !!o.json;
  const tty = process.stderr.isTTY;
  const t0 = Date.now();
  // our own lines go through the real stderr even while an SSCHA's are captured (below)
  const stderr = process.stderr.write.bind(process.stderr) as (s: string) => boolean;
  const say = (e: { stage: string; message: string }) => {
    if (json) process.stdout.write(JSON.stringify({ event: 'stage', time: (Date.now() - t0) / 1000, ...e }) + '\n');
    else stderr(`${tty ? `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ` : ''}${e.stage}: ${e.message}\n`);
  };

  loadMoyo();
  const k = await loadKernels();
  const load = async (p: string, what: string): Promise<Calculator> => {
    if (!existsSync(at(p))) throw new UserError(`${file}: ${what} ${p}: no such file`);
    try {
      return await loadPotential(at(p));
    } catch (e) {
      throw new UserError(`${file}: ${what} ${p}: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  const explorer = await load(config.explore.potential, 'explore.potential');
  // a potential without an element of the formula is a mistake to report before any work
  const composition = parseFormula(config.formula);
  await probeSpecies(explorer, composition, `${file}: explore.potential ${config.explore.potential}`);
  let reference: Calculator;
  if (config.reference.engine === 'potential') {
    reference = await load(config.reference.potential, 'reference.potential');
    await probeSpecies(reference, composition, `${file}: reference.potential ${config.reference.potential}`);
  }
  else if (config.reference.engine === 'gpaw') {
    try {
      reference = await gpawReference(config.reference, { workdir: join(out, 'gpaw') });
    } catch (e) {
      // GPAW missing or not importable: an installation to fix, said in one line
      if (e instanceof CalculatorError) throw new UserError(e.message.split('\n')[0]);
      throw e;
    }
  }
  else throw new UserError(`${file}: reference.engine "ipi" needs a running engine; use "potential" or "gpaw"`);
  const failAfter = process.env.ANHARM_RUN_REFERENCE_FAIL_AFTER;
  if (failAfter !== undefined) reference = new FailingAfter(reference, Number(failAfter));

  const initialData: LabelledConfig[] = [];
  for (const d of config.mlip.data) {
    if (!existsSync(at(d))) throw new UserError(`${file}: mlip.data ${d}: no such file`);
    try {
      initialData.push(...readDataset(readFileSync(at(d), 'utf8'), d));
    } catch (e) {
      throw new UserError((e as Error).message.split('\n')[0]);
    }
  }
  let initialModel: Record<string, unknown> | null = null;
  if (config.mlip.model) {
    if (!existsSync(at(config.mlip.model))) throw new UserError(`${file}: mlip.model ${config.mlip.model}: no such file`);
    initialModel = JSON.parse(readFileSync(at(config.mlip.model), 'utf8')) as Record<string, unknown>;
  }
  const include: Record<string, Structure> = {};
  for (const [name, f] of Object.entries(config.sscha.include)) {
    if (!existsSync(at(f))) throw new UserError(`${file}: sscha.include.${name} ${f}: no such file`);
    include[name] = await readStructureFile(at(f));
  }

  const sscha = async (job: SschaJob): Promise<SschaOutcome> => {
    const folder = join(out, job.folder);
    mkdirSync(folder, { recursive: true });
    const input = join(folder, 'input.vasp');
    const model = join(folder, 'model.json');
    // inputs are written once (a resumed SSCHA run checks they did not change), whole or not at all
    const once = (path: string, text: string) => {
      if (existsSync(path)) return;
      writeFileSync(path + '.tmp', text);
      renameSync(path + '.tmp', path);
    };
    once(input, writePoscar(job.structure));
    once(model, JSON.stringify(job.model));
    // a finished SSCHA is read back (the same numbers: JSON keeps every bit of a double) rather than
    // replayed, which keeps a resume of a long run cheap
    const store = openSschaRunDir(join(folder, 'sscha'));
    const finished = store.readJson<{ status?: string }>('manifest.json')?.status === 'done' ? store.readJson<Record<string, unknown>>('result.json') : null;
    // the SSCHA reports its own failures on stderr; here they become the run's messages
    const captured: string[] = [];
    let run;
    if (finished) run = { exitCode: 0, result: finished };
    else {
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string | Uint8Array) => {
        captured.push(String(chunk).trim());
        return true;
      }) as typeof process.stderr.write;
      try {
        run = await runSschaCli(input, {
          potential: model, supercell: config.sscha.supercell.map(String), temperature: String(config.temperature), configs: String(config.sscha.configs),
          seed: String(job.seed), maxPopulations: '12', maxSteps: '200', floor: '50', pressure: String(job.pressure), symprec: '0.01', batch: String(config.sscha.configs),
          points: '31', out: join(folder, 'sscha'), quiet: true, calculator: job.calculator,
        });
      } catch (e) {
        // the engine dying on the harmonic start is reported by the SSCHA as a user error
        if (e instanceof HarmonicStartEngineError) throw new EngineFailure(`SSCHA of ${job.phase} at ${job.pressure} GPa (round ${job.round}): engine failed: ${e.message}`);
        throw e;
      } finally {
        process.stderr.write = write;
      }
    }
    const said = captured.filter((l) => l).map((l) => l.replace(/^anharm: /, '')).join('; ');
    // the engine died (not the physics): stop the whole run, which resumes from here
    if (run.engineFailure !== undefined) throw new EngineFailure(`SSCHA of ${job.phase} at ${job.pressure} GPa (round ${job.round}): engine failed: ${run.engineFailure}`);
    if (run.exitCode !== 0 || !run.result) throw new UserError(`SSCHA of ${job.phase} at ${job.pressure} GPa failed${said ? ` (${said})` : ''} (see ${join(folder, 'sscha')})`);
    const r = run.result as Record<string, any>;
    const g = r.gibbs as Record<string, number>;
    const pops = store.loadPopulations();
    const last = pops[pops.length - 1]?.population;
    const configurations: Structure[] = [];
    if (last) {
      const n3 = 3 * last.nAtoms;
      for (let i = 0; i < last.nConfigs; i++) {
        configurations.push(new Structure({ cell: Array.from(last.cell), species: [...last.species], masses: Array.from(last.masses), cartesian: last.positions.subarray(i * n3, (i + 1) * n3) }));
      }
    }
    const svgPath = join(folder, 'sscha', 'dispersion.svg');
    return {
      g: g.perAtom, gError: g.perAtomErr, f: r.freeEnergy.perAtom, fError: r.freeEnergy.perAtomErr, volumePerAtom: g.volumePerAtom,
      lowestHessian: r.frequencies?.lowest?.hessian ?? null, converged: !!r.converged,
      spaceGroup: `${r.structure.spaceGroup.symbol} (${r.structure.spaceGroup.number})`,
      dispersionSvg: existsSync(svgPath) ? readFileSync(svgPath, 'utf8').replace(/^<\?xml[^>]*>\s*/, '') : undefined,
      configurations,
    };
  };

  try {
    // a bundled example without DFT names its own model as the reference: then nothing is labelled
    const referenceIsModel = config.reference.engine === 'potential' && config.mlip.model !== null && resolve(at(config.reference.potential)) === resolve(at(config.mlip.model));
    const result = await runLoop(config, { kernels: k, storage: new DirStorage(out), explorer, reference, initialData, initialModel, include, sscha, onEvent: say, referenceIsModel });
    const best = config.pressures.map((p) => {
      const at = result.phases.filter((x) => x.pressure === p).sort((a, b) => a.g - b.g);
      return `${p} GPa: ${at.map((x) => `${x.phase} ${(1000 * (x.g - at[0].g)).toFixed(1)}`).join(', ')} meV/atom`;
    });
    if (json) process.stdout.write(JSON.stringify({ event: 'result', ...result.json }) + '\n');
    else {
      process.stdout.write(
        `run ${result.converged ? 'converged' : 'did NOT converge'} after ${result.rounds} round(s); reference calculations: ${Object.values(result.referenceCalls).reduce((a, b) => a + b, 0)}\n` +
          best.map((l) => `  ${l}\n`).join('') +
          `  report: ${join(out, 'report.html')}, ${join(out, 'result.json')}\n`,
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof SearchError) {
      // e.g. every probe relaxation failed: the explorer cannot relax this composition
      stderr(`anharm: search failed: ${e.message.split('\n')[0]}; everything computed is kept in ${out}\n`);
      return 1;
    }
    if (!(e instanceof EngineFailure)) throw e;
    if (json) process.stdout.write(JSON.stringify({ event: 'error', time: (Date.now() - t0) / 1000, message: e.message }) + '\n');
    stderr(`anharm: ${e.message}; everything computed is kept in ${out}: run the same command again to resume\n`);
    return 1;
  } finally {
    await explorer.dispose?.();
    await reference.dispose?.();
  }
}

/** The testing aid ANHARM_RUN_REFERENCE_FAIL_AFTER: the engine dies after `after` configurations. */
class FailingAfter implements Calculator {
  readonly name: string;
  private done = 0;
  constructor(
    private readonly inner: Calculator,
    private readonly after: number,
  ) {
    this.name = inner.name;
  }
  async compute(structures: readonly Structure[], options?: CalcOptions): Promise<CalcResult[]> {
    if (this.done + structures.length > this.after) throw new CalculatorError(`${this.name}: engine died (ANHARM_RUN_REFERENCE_FAIL_AFTER=${this.after})`);
    const r = await this.inner.compute(structures, options);
    this.done += structures.length;
    return r;
  }
  dispose() {
    return this.inner.dispose?.();
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('the learning loop: search, reference labels, MLIP, SSCHA with active learning, phases ranked by G(P); resumable run folder')
    .argument('<config>', 'run configuration (JSON or TOML), or a folder holding run.json / run.toml')
    .option('--out <dir>', 'run folder (default: CONFIG-DIR/run); an existing one is resumed')
    .option('--reference <engine>', 'override the reference engine: gpaw (an i-PI GPAW client started by the toolkit)')
    .option('--json', 'JSON lines on stdout (stage events, then the result)')
    .action(async (config: string, opts: RunCliOptions) => {
      process.exitCode = await runCli(config, opts);
    });
}
