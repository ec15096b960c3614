// Node adapter of the ONNX calculator: read a .onnx file and pick the runtime — onnxruntime-web
// (default: WebAssembly, one thread, the same bits as in a browser) or onnxruntime-node (native,
// faster, not bit-identical; an optional package the user installs, never a dependency of ours).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { OnnxCalculator, type OnnxOptions, type OnnxRuntime, type OrtModule, onnxRuntimeWeb } from '../calculators/onnx.js';
import { PotentialError } from '../calculators/wasm-calculator.js';
import type { Kernels } from '../wasm/kernels.js';
import { loadKernels } from './kernels.js';

export type OnnxBackend = 'web' | 'node';

/** Environment variable that selects the backend of `--potential model.onnx` (web | node). */
export const ONNX_BACKEND_ENV = 'ANHARM_ONNX_BACKEND';

const NODE_PACKAGE = 'onnxruntime-node';

/**
 * onnxruntime-node's CPU backend, imported on demand. `threads` = intra-op threads (default 1).
 * Throws a PotentialError with install instructions when the package is absent.
 */
export async function onnxRuntimeNode(opts: { threads?: number; module?: OrtModule } = {}): Promise<OnnxRuntime> {
  const threads = opts.threads ?? 1;
  let ort = opts.module;
  if (!ort) {
    try {
      const name = NODE_PACKAGE; // a variable: TypeScript must not require the package to be installed
      ort = (await import(name)) as OrtModule;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        throw new PotentialError(
          `the ONNX backend "node" needs the optional package onnxruntime-node, which is not installed: run ` +
            `"npm install --save-exact onnxruntime-node@1.30.0" (keep onnxruntime-node-install=skip in .npmrc: ` +
            `the CPU library is inside the package), or use the default backend "web" (${ONNX_BACKEND_ENV}=web)`,
        );
      }
      throw new PotentialError(`onnxruntime-node could not be loaded: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const version = ort.env.versions?.node ?? ort.env.versions?.common ?? '?';
  return {
    name: `onnxruntime-node ${version} (cpu, ${threads} thread${threads > 1 ? 's' : ''})`,
    InferenceSession: ort.InferenceSession,
    Tensor: ort.Tensor,
    sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 },
  };
}

export interface LoadOnnxOptions extends Omit<OnnxOptions, 'runtime'> {
  /** "web" (default, or $ANHARM_ONNX_BACKEND) or "node". */
  backend?: OnnxBackend;
  /** Runtime threads (default 1). */
  threads?: number;
  /** An explicit runtime (overrides backend). */
  runtime?: OnnxRuntime;
  kernels?: Kernels;
}

/** Which backend: the option, else $ANHARM_ONNX_BACKEND, else "web". */
export function onnxBackend(option?: string): OnnxBackend {
  const v = option ?? process.env[ONNX_BACKEND_ENV] ?? 'web';
  if (v !== 'web' && v !== 'node') {
    throw new PotentialError(`${option !== undefined ? 'ONNX backend' : ONNX_BACKEND_ENV} must be "web" or "node", got "${v}"`);
  }
  return v;
}

/** Read an ONNX model file and make its calculator. */
export async function loadOnnxModel(path: string, opts: LoadOnnxOptions = {}): Promise<OnnxCalculator> {
  const source = opts.source ?? basename(path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new PotentialError(`${source}: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const runtime =
    opts.runtime ??
    (onnxBackend(opts.backend) === 'node' ? await onnxRuntimeNode({ threads: opts.threads }) : await onnxRuntimeWeb(opts.threads ? { threads: opts.threads } : {}));
  const k = opts.kernels ?? (await loadKernels());
  return OnnxCalculator.create(k, bytes, { ...opts, source, runtime });
}
