// `anharm train DATA.extxyz... --out MODEL.json`: fit a moment-tensor potential (physics.md 6.5) to
// labelled configurations (extended XYZ with energy or free_energy, forces, stress), hold out a
// seeded fraction for the report, build the active set (6.6) and write the model file.
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { DatasetError, datasetSpecies, type LabelledConfig, type ReadDatasetOptions } from '../mlip/dataset.js';
import { ActiveSetError, type ActiveSetMode } from '../mlip/active-set.js';
import { MtpBasis, MtpDomainError, MtpSpecError } from '../mlip/mtp.js';
import { holdoutSplit, trainModel, type FitErrors, type FitWeights, type TrainProgress } from '../mlip/train.js';
import { loadKernels } from '../node/kernels.js';
import { readDatasetFile, saveMlipModel } from '../node/mlip.js';
import { KernelError } from '../wasm/kernels.js';
import { intOption, numberOption, seedOption, UserError } from './errors.js';
import { requireFiles } from './inputs.js';

export interface TrainCliOptions {
  out?: string;
  level: string;
  rcut: string;
  rmin: string;
  radial: string;
  speciesPenalty: string;
  species?: string;
  holdout: string;
  seed: string;
  weights: string;
  energyKey: string;
  activeSet: string;
  json?: boolean;
  quiet?: boolean;
}

/** Read every data file; a malformed one is a one-line UserError naming the file and frame. */
export function readDataFiles(files: string[], opts: ReadDatasetOptions = {}): { data: LabelledConfig[]; counts: { name: string; configs: number }[] } {
  requireFiles(...files);
  const data: LabelledConfig[] = [];
  const counts: { name: string; configs: number }[] = [];
  for (const f of files) {
    try {
      const d = readDatasetFile(f, opts);
      data.push(...d);
      counts.push({ name: f, configs: d.length });
    } catch (e) {
      if (e instanceof DatasetError) throw new UserError(e.message);
      throw e;
    }
  }
  return { data, counts };
}

/** "E,F,S" square-root weights. */
function parseWeights(s: string): FitWeights {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.length !== 3 || !v.every((x) => Number.isFinite(x) && x >= 0) || !(v[0] > 0 || v[1] > 0)) {
    throw new UserError(`option --weights: expected three non-negative numbers E,F,S (not both E and F zero), got "${s}"`);
  }
  return { energy: v[0], forces: v[1], stress: v[2] };
}

/** One line of errors for the text report. */
export function errorLine(e: FitErrors): string {
  const st = Number.isFinite(e.stressRmse) ? `  σ ${e.stressRmse.toFixed(3)} GPa` : '';
  const f = Number.isFinite(e.forceRmse) ? `  F ${e.forceRmse.toFixed(4)} eV/Å (${((100 * e.forceRmse) / e.forceRms).toFixed(1)} % of the RMS force ${e.forceRms.toFixed(3)})` : '';
  return `E ${e.energyRmse.toFixed(3)} meV/atom${f}${st}   [${e.configs} configurations, ${e.atoms} atoms]`;
}

/** A progress reporter: a self-overwriting line on a TTY, JSON lines with --json, nothing otherwise. */
export function progressReporter(json: boolean | undefined, quiet: boolean | undefined): { report: (stage: string, done: number, total: number) => void; end: () => void } {
  const tty = !json && !quiet && process.stderr.isTTY;
  let last = 0;
  let shown = false;
  return {
    report(stage, done, total) {
      if (json) {
        const now = performance.now();
        if (done === total || now - last > 500) {
          last = now;
          process.stdout.write(JSON.stringify({ event: 'progress', stage, done, total }) + '\n');
        }
      } else if (tty) {
        process.stderr.write(`\r${stage} ${done}/${total}\x1b[K`);
        shown = true;
      }
    },
    end() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

const STAGES: Record<TrainProgress['stage'], string> = {
  design: 'design rows',
  normal: 'normal equations',
  cv: 'cross-validation',
  solve: 'solve',
};

export async function runTrain(files: string[], o: TrainCliOptions): Promise<void> {
  if (files.length === 0) throw new UserError('give at least one training data file (extended XYZ)');
  if (!o.out) throw new UserError('option --out <file> is required (the model file to write)');
  const level = intOption('--level', o.level, 2, 40);
  if (level % 2 !== 0) throw new UserError(`option --level: must be even, got ${level}`);
  const rcut = numberOption('--rcut', o.rcut, { positive: true });
  const rmin = numberOption('--rmin', o.rmin, { nonNegative: true });
  if (!(rmin < rcut)) throw new UserError(`option --rmin: must be below --rcut (${rcut} Å), got ${rmin}`);
  const radialSize = intOption('--radial', o.radial, 1, 16);
  const speciesPenalty = intOption('--species-penalty', o.speciesPenalty, 0, 40);
  const holdout = numberOption('--holdout', o.holdout, { nonNegative: true });
  if (!(holdout < 1)) throw new UserError(`option --holdout: expected a fraction in [0, 1), got "${o.holdout}"`);
  const seed = seedOption('--seed', o.seed);
  const weights = parseWeights(o.weights);
  if (!['auto', 'free_energy', 'energy'].includes(o.energyKey)) throw new UserError(`option --energy-key: expected auto, free_energy or energy, got "${o.energyKey}"`);
  if (!['neighbourhood', 'configuration', 'none'].includes(o.activeSet)) throw new UserError(`option --active-set: expected neighbourhood, configuration or none, got "${o.activeSet}"`);

  const t0 = performance.now();
  const { data, counts } = readDataFiles(files, { energyKey: o.energyKey as ReadDatasetOptions['energyKey'] });
  const found = datasetSpecies(data);
  let species = found;
  if (o.species) {
    species = o.species.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const missing = found.filter((s) => !species.includes(s));
    if (missing.length) throw new UserError(`option --species: the data contain ${missing.join(', ')}, not in "${o.species}"`);
  }
  const k = await loadKernels();
  const { train: ti, test: hi } = holdoutSplit(k, data.length, holdout, seed);
  if (ti.length === 0) throw new UserError(`no training configurations left after holding out ${hi.length} of ${data.length}`);
  const train = ti.map((i) => data[i]);
  const test = hi.map((i) => data[i]);

  let basis: MtpBasis;
  try {
    basis = MtpBasis.create(k, { species, level, rcut, rmin, radialSize, speciesPenalty });
  } catch (e) {
    if (e instanceof MtpSpecError) throw new UserError(e.message);
    throw e;
  }
  const progress = progressReporter(o.json, o.quiet);
  const log = (m: string) => {
    if (!o.json && !o.quiet) process.stdout.write(m + '\n');
  };
  log(`training on ${train.length} configurations (${hi.length} held out) from ${files.length} file(s); species ${species.join(' ')}, level ${level}, ${basis.nParams} parameters`);
  let result;
  try {
    result = trainModel(k, basis, train, test, {
      weights,
      seed,
      activeSet: o.activeSet as ActiveSetMode | 'none',
      onProgress: (p) => progress.report(STAGES[p.stage], p.done, p.total),
      onActiveSet: (d, t) => progress.report('active set rows', d, t),
      provenance: {
        files: counts,
        heldOutSources: test.map((c) => c.source),
        command: `anharm train ${files.join(' ')} --level ${level} --rcut ${rcut} --rmin ${rmin} --holdout ${holdout} --seed ${seed}`,
        tool: 'anharmonic-csp 0.1.0',
      },
    });
  } catch (e) {
    progress.end();
    if (e instanceof MtpDomainError) throw new UserError(`${e.message.split('\n')[0]} (lower --rmin or remove the configuration)`);
    if (e instanceof KernelError || e instanceof ActiveSetError) throw new UserError(`training failed: ${e.message}`);
    throw e;
  }
  progress.end();
  const seconds = (performance.now() - t0) / 1000;
  result.model.training!.seconds = Math.round(seconds * 10) / 10;
  saveMlipModel(o.out, result.model);
  const { report, fit, model } = result;
  if (o.json) {
    process.stdout.write(
      JSON.stringify({
        event: 'result',
        out: o.out,
        species,
        level,
        nParams: basis.nParams,
        configs: { train: train.length, test: test.length },
        lambda: fit.lambda,
        activeSet: model.activeSet ? { mode: model.activeSet.mode, virtualRows: model.activeSet.virtualRows } : null,
        train: report.train,
        test: report.test ?? null,
        seconds,
      }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n',
    );
  } else {
    const lines = [
      `model written to ${o.out}: ${basis.nParams} parameters (level ${level}, R_cut ${rcut} Å), λ = ${fit.lambda.toExponential(0)} by ${fit.folds}-fold cross-validation, ${seconds.toFixed(1)} s`,
      `  training  ${errorLine(report.train!)}`,
    ];
    if (report.test) lines.push(`  held out  ${errorLine(report.test)}`);
    if (model.activeSet) {
      lines.push(`  active set: ${model.activeSet.mode} mode${model.activeSet.virtualRows ? `, ${model.activeSet.virtualRows} directions not spanned by the data` : ''}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
  basis.dispose();
}

/** Register `anharm train` on the program. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a moment-tensor potential on labelled configurations (extended XYZ: energy or free_energy, forces, stress) and write the model file')
    .argument('<data...>', 'extended XYZ files')
    .option('--out <file>', 'model file to write (JSON)')
    .option('--level <L>', 'level of the moment-tensor basis (even)', '16')
    .option('--rcut <Å>', 'cutoff radius', '4.5')
    .option('--rmin <Å>', 'smallest distance of the model\'s domain', '0.5')
    .option('--radial <n>', 'number of Chebyshev radial functions', '8')
    .option('--species-penalty <n>', 'extra level of species-resolved moments', '2')
    .option('--species <list>', 'species of the model, comma-separated (default: those in the data)')
    .option('--holdout <fraction>', 'fraction of the configurations held out for the report', '0.1')
    .option('--seed <s>', 'seed of the hold-out split and the cross-validation folds', '0')
    .option('--weights <E,F,S>', 'weights of energy, force and stress residuals (square-root form)', '1,0.1,0.03')
    .option('--energy-key <key>', 'energy to fit: auto (free_energy if present), free_energy or energy', 'auto')
    .option('--active-set <mode>', 'neighbourhood, configuration or none', 'neighbourhood')
    .option('--json', 'JSON lines on stdout: progress events, then the result')
    .option('--quiet', 'no progress on stderr')
    .action(async (files: string[], opts: TrainCliOptions) => {
      await runTrain(files, opts);
    });
}
