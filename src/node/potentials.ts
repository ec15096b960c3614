// Node adapter: read a JSON potential file (and the files it names, e.g. a LAMMPS .sw file, relative
// to it) and build its calculator.
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { type BuiltinOptions, builtinCalculator, PotentialError } from '../calculators/builtin.js';
import type { Calculator } from '../calculators/calculator.js';
import { loadKernels } from './kernels.js';
import { ModelFileError, MtpModel } from '../mlip/model.js';
import { isMlipModelJson } from './mlip.js';
import { loadOnnxModel } from './onnx.js';

/** Reads paths relative to `dir` (absolute paths as they are). */
export function fileReader(dir: string): (path: string) => string {
  return (path) => readFileSync(isAbsolute(path) ? path : join(dir, path), 'utf8');
}

/** Read a JSON potential file (or an ONNX model, `*.onnx`: docs/onnx.md) and build its calculator. */
export async function loadPotential(path: string, opts: BuiltinOptions = {}): Promise<Calculator> {
  const source = opts.source ?? basename(path);
  if (path.toLowerCase().endsWith('.onnx')) return loadOnnxModel(path, { source, kernels: opts.kernels });
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PotentialError(`${source}: ${(e as Error).message}`);
  }
  const k = opts.kernels ?? (await loadKernels());
  // A trained MLIP model file (src/mlip/model.ts) is a potential too.
  if (isMlipModelJson(obj)) {
    try {
      return MtpModel.fromJSON(k, obj, source).calculator(k);
    } catch (e) {
      if (e instanceof ModelFileError) throw new PotentialError(e.message);
      throw e;
    }
  }
  return builtinCalculator(k, obj, { ...opts, source, readFile: opts.readFile ?? fileReader(dirname(path)) });
}
