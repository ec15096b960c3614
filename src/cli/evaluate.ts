// `anharm evaluate MODEL DATA.extxyz... [--out DIR]`: errors of a trained MLIP on labelled data
// (RMSE/MAE of energies, forces, stresses), extrapolation grades, and parity plots as SVG.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { type MtpModel, ModelFileError, BREAK_GRADE, SELECT_GRADE } from '../mlip/model.js';
import { MtpDomainError } from '../mlip/mtp.js';
import { fitErrors, parityData, type Parity } from '../mlip/train.js';
import { loadKernels } from '../node/kernels.js';
import { loadMlipModel } from '../node/mlip.js';
import { linePlot } from '../plot/svg.js';
import { UserError } from './errors.js';
import { requireFiles } from './inputs.js';
import { errorLine, progressReporter, readDataFiles } from './train.js';

export interface EvaluateCliOptions {
  out?: string;
  energyKey: string;
  json?: boolean;
  quiet?: boolean;
}

/** At most `max` points, every k-th (deterministic), for plots of very many force components. */
function thin(p: { ref: number[]; pred: number[] }, max: number): { ref: number[]; pred: number[]; stride: number } {
  const stride = Math.max(1, Math.ceil(p.ref.length / max));
  if (stride === 1) return { ...p, stride };
  return { ref: p.ref.filter((_, i) => i % stride === 0), pred: p.pred.filter((_, i) => i % stride === 0), stride };
}

/** A parity plot (prediction against reference, with the diagonal) as SVG. */
export function paritySvg(p: { ref: number[]; pred: number[] }, title: string, unit: string): string {
  const t = thin(p, 5000);
  let lo = Infinity, hi = -Infinity;
  for (const v of [...t.ref, ...t.pred]) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const pad = 0.04 * (hi - lo);
  const range: [number, number] = [lo - pad, hi + pad];
  return linePlot({
    series: [
      { x: range, y: range, color: '#888', width: 1, dash: '4 3' },
      { x: t.ref, y: t.pred, color: '#1f77b4', marker: 2 },
    ],
    width: 520,
    height: 520,
    title: t.stride > 1 ? `${title} (every ${t.stride}th point)` : title,
    xLabel: `reference (${unit})`,
    yLabel: `model (${unit})`,
    xRange: range,
    yRange: range,
  });
}

/** Write energy.svg, forces.svg, stress.svg (those with data) into `dir`; returns the file names. */
export function writeParityPlots(dir: string, p: Parity, label: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, svg: string) => {
    writeFileSync(join(dir, name), svg);
    written.push(name);
  };
  if (p.energy.ref.length) put('energy.svg', paritySvg(p.energy, `${label}: energy per atom`, 'eV/atom'));
  if (p.forces.ref.length) put('forces.svg', paritySvg(p.forces, `${label}: force components`, 'eV/Å'));
  if (p.stress.ref.length) put('stress.svg', paritySvg(p.stress, `${label}: stress components`, 'GPa'));
  return written;
}

export async function runEvaluate(modelFile: string, files: string[], o: EvaluateCliOptions): Promise<void> {
  if (files.length === 0) throw new UserError('give at least one data file (extended XYZ) after the model');
  if (!['auto', 'free_energy', 'energy'].includes(o.energyKey)) throw new UserError(`option --energy-key: expected auto, free_energy or energy, got "${o.energyKey}"`);
  requireFiles(modelFile);
  const k = await loadKernels();
  let model: MtpModel;
  try {
    model = await loadMlipModel(modelFile, { kernels: k, source: modelFile });
  } catch (e) {
    if (e instanceof ModelFileError) throw new UserError(e.message);
    throw e;
  }
  const { data } = readDataFiles(files, { energyKey: o.energyKey as 'auto' });
  for (const c of data) {
    const bad = c.structure.species.find((s) => !model.species.includes(s));
    if (bad) throw new UserError(`${c.source}: species ${bad} is not in the model (${model.species.join(' ')})`);
  }
  // --json prints one object: no progress events.
  const progress = progressReporter(false, o.quiet || o.json);
  let p: Parity;
  const grades: number[] = [];
  try {
    p = parityData(model.basis, model.theta, data);
    if (model.activeSet) {
      data.forEach((c, i) => {
        grades.push(model.grade(k, c.structure).grade);
        progress.report('grades', i + 1, data.length);
      });
    }
  } catch (e) {
    progress.end();
    if (e instanceof MtpDomainError) throw new UserError(e.message.split('\n')[0]);
    throw e;
  }
  progress.end();
  const errors = fitErrors(p, data.reduce((a, c) => a + c.structure.natoms, 0));
  const gradeSummary = grades.length
    ? {
        max: Math.max(...grades),
        above: { [SELECT_GRADE]: grades.filter((g) => g > SELECT_GRADE).length, [BREAK_GRADE]: grades.filter((g) => g > BREAK_GRADE).length },
      }
    : null;
  const plots = o.out ? writeParityPlots(o.out, p, files.length === 1 ? basename(files[0]) : `${files.length} files`) : [];
  if (o.out) {
    writeFileSync(
      join(o.out, 'errors.json'),
      JSON.stringify(
        { model: modelFile, files, units: { energy: 'meV/atom', forces: 'eV/Å', stress: 'GPa' }, errors, grades: grades.length ? grades : null, sources: data.map((c) => c.source) },
        (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
        1,
      ) + '\n',
    );
  }
  if (o.json) {
    process.stdout.write(
      JSON.stringify({ event: 'result', model: modelFile, errors, grades: gradeSummary, out: o.out ?? null, plots }, (_, v) =>
        typeof v === 'number' && !Number.isFinite(v) ? null : v,
      ) + '\n',
    );
  } else {
    const lines = [`${modelFile} on ${files.join(' ')}:`, `  ${errorLine(errors)}`];
    if (gradeSummary) {
      lines.push(
        `  extrapolation grade: max ${gradeSummary.max.toPrecision(3)}; ${gradeSummary.above[SELECT_GRADE]} configuration(s) above ${SELECT_GRADE}, ${gradeSummary.above[BREAK_GRADE]} above ${BREAK_GRADE}`,
      );
    }
    if (o.out) lines.push(`  parity plots ${plots.join(', ')} and errors.json written to ${o.out}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
}

/** Register `anharm evaluate` on the program. */
export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('errors of a trained MLIP model on labelled configurations (extended XYZ), extrapolation grades, parity plots')
    .argument('<model>', 'model file written by anharm train')
    .argument('<data...>', 'extended XYZ files with energy (or free_energy), forces, stress')
    .option('--out <dir>', 'write energy.svg, forces.svg, stress.svg and errors.json here')
    .option('--energy-key <key>', 'reference energy: auto (free_energy if present), free_energy or energy', 'auto')
    .option('--json', 'print one JSON object instead of text')
    .option('--quiet', 'no progress on stderr')
    .action(async (modelFile: string, files: string[], opts: EvaluateCliOptions) => {
      await runEvaluate(modelFile, files, opts);
    });
}
