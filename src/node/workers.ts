// Node adapter of the evaluation pool: worker_threads running src/node/worker-thread.ts, and a
// ParallelCalculator that gets the kernel module from the package's build/ folder.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Kernels } from '../wasm/kernels.js';
import { ParallelCalculator, type WorkerLike } from '../parallel/pool.js';
import type { CalculatorSpec } from '../parallel/spec.js';
import type { FromWorker } from '../parallel/evaluator.js';
import { readFile } from 'node:fs/promises';
import { loadKernels } from './kernels.js';

// compiled: dist/src/node/worker-thread.js next to this file; from source (vitest): the .ts file
// cannot run in a plain worker, so use the compiled one in dist/ (npm run build).
function workerScript(): URL {
  const js = new URL('./worker-thread.js', import.meta.url);
  if (existsSync(js)) return js;
  const dist = new URL('../../dist/src/node/worker-thread.js', import.meta.url);
  if (existsSync(dist)) return dist;
  throw new Error(`worker script not found (${js.pathname}): run "npm run build" first`);
}

// the package's build/anharmonic.wasm, from src/node/ or dist/src/node/
const WASM = [new URL('../../build/anharmonic.wasm', import.meta.url), new URL('../../../build/anharmonic.wasm', import.meta.url)].find((u) => existsSync(u)) ?? new URL('../../build/anharmonic.wasm', import.meta.url);

/**
 * A pool worker over a Node worker thread. It keeps the process alive only while a request is
 * pending (every request gets exactly one reply), so a forgotten dispose() does not hang Node.
 */
export function nodeWorker(): WorkerLike {
  const w = new Worker(workerScript());
  let pending = 0;
  w.unref();
  return {
    postMessage: (msg) => {
      if (pending++ === 0) w.ref();
      w.postMessage(msg);
    },
    onMessage: (h) =>
      w.on('message', (m: FromWorker) => {
        if (--pending === 0) w.unref();
        h(m);
      }),
    onError: (h) => {
      w.on('error', h);
      w.on('exit', (code) => {
        if (code !== 0) h(new Error(`worker thread exited with code ${code}`));
      });
    },
    terminate: () => w.terminate(),
  };
}

/** Workers worth starting here: the cores Node sees (at least 1). */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

let compiled: Promise<WebAssembly.Module> | null = null;

/**
 * A ParallelCalculator on `threads` worker threads (0: in this thread, on `kernels` or the default
 * module). Results are bit-identical for every thread count.
 */
export async function nodeParallelCalculator(spec: CalculatorSpec, threads = defaultThreads(), options: { kernels?: Kernels; chunk?: number } = {}): Promise<ParallelCalculator> {
  if (threads === 0) return ParallelCalculator.create({ spec, threads: 0, kernels: options.kernels ?? (await loadKernels()), chunk: options.chunk });
  compiled ??= readFile(WASM).then((b) => WebAssembly.compile(b));
  return ParallelCalculator.create({ spec, threads, spawn: nodeWorker, wasm: await compiled, chunk: options.chunk });
}
