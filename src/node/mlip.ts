// Node adapter of the MLIP: training data and model files on disk.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DatasetError, type LabelledConfig, readDataset, type ReadDatasetOptions } from '../mlip/dataset.js';
import { ModelFileError, MtpModel } from '../mlip/model.js';
import type { Kernels } from '../wasm/kernels.js';
import { loadKernels } from './kernels.js';

/** Labelled configurations of an extended XYZ file (errors name the file as given and the frame). */
export function readDatasetFile(path: string, opts: ReadDatasetOptions = {}): LabelledConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DatasetError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return readDataset(text, path, opts);
}

// the pure check lives with the model file format (src/mlip/model.ts), for the browser too
export { isMlipModelJson } from '../mlip/model.js';

/** Read a model file; errors (ModelFileError) name the file and the field. */
export async function loadMlipModel(path: string, opts: { kernels?: Kernels; source?: string } = {}): Promise<MtpModel> {
  const source = opts.source ?? basename(path);
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(`${source}: ${code === 'ENOENT' ? 'no such file' : e instanceof SyntaxError ? `not a JSON model file (${e.message})` : (e as Error).message}`);
  }
  return MtpModel.fromJSON(opts.kernels ?? (await loadKernels()), obj, source);
}

/** The model file text: one top-level field per line (θ and the active set stay on their lines). */
export function modelFileText(model: MtpModel): string {
  const o = model.toJSON();
  return '{\n' + Object.entries(o).map(([key, v]) => `  ${JSON.stringify(key)}: ${JSON.stringify(v)}`).join(',\n') + '\n}\n';
}

/** Write a model file. */
export function saveMlipModel(path: string, model: MtpModel): void {
  writeFileSync(path, modelFileText(model));
}
