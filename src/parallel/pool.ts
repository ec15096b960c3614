// ParallelCalculator: a Calculator that evaluates a batch of configurations on a pool of workers
// (Web Workers in browsers, worker_threads in Node via src/node/workers.ts), each with its own kernel
// module and its own engine built from the same CalculatorSpec.
//
// Bit-identical to one thread: every configuration is computed on its own (spec.ts: `independent`),
// by the same WebAssembly code, and its result is stored at its index; nothing is summed across
// configurations here (the SSCHA's averages are taken afterwards, in a fixed order). So the
// numbers do not depend on the number of workers, on which worker got which chunk, or on timing.
// No SharedArrayBuffer: configurations and results travel by postMessage (results transferred), so
// browsers need no cross-origin isolation.
import { CalculatorError, type CalcOptions, type CalcResult, type Calculator } from '../calculators/calculator.js';
import { PotentialError } from '../calculators/builtin.js';
import type { Structure } from '../structure/structure.js';
import { defaultKernels, type Kernels } from '../wasm/kernels.js';
import type { FromWorker, ToWorker, WasmInput } from './evaluator.js';
import { createCalculator, structureToData, type CalculatorSpec } from './spec.js';
import './kinds.js'; // every kind, also for threads = 0

/** What the pool needs of a worker (adapters: browserWorker below, nodeWorker in src/node/workers.ts). */
export interface WorkerLike {
  postMessage(msg: ToWorker): void;
  onMessage(handler: (msg: FromWorker) => void): void;
  /** A crash of the worker itself (not an engine error, which arrives as a message). */
  onError(handler: (e: Error) => void): void;
  terminate(): void | Promise<unknown>;
}

export interface ParallelOptions {
  spec: CalculatorSpec;
  /** Number of workers; 0 computes in this thread (same results, by the same path). */
  threads: number;
  /** Starts one worker (required when threads > 0). */
  spawn?: () => WorkerLike;
  /** The kernel module for the workers (required when threads > 0): a compiled WebAssembly.Module (compiled once, cloned to each worker), its bytes, or a URL. */
  wasm?: WasmInput;
  /** Kernel module for threads = 0 (default: defaultKernels()). */
  kernels?: Kernels;
  /** Configurations per message (default: the batch split in about 4 chunks per worker, at least 1). */
  chunk?: number;
}

interface Job {
  id: number;
  start: number;
  count: number;
}

class PoolWorker {
  private waiting = new Map<number, { resolve: (r: FromWorker) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;
  private crashed: Error | null = null;

  constructor(
    readonly w: WorkerLike,
    wasm: WasmInput,
    spec: CalculatorSpec,
  ) {
    let readyResolve!: () => void, readyReject!: (e: Error) => void;
    this.ready = new Promise<void>((ok, bad) => {
      readyResolve = ok;
      readyReject = bad;
    });
    this.ready.catch(() => {}); // observed by compute()
    w.onMessage((msg) => {
      if (msg.type === 'ready') readyResolve();
      else if (msg.type === 'error' && msg.id === null) readyReject(rebuildError(msg));
      else if (msg.type === 'result' || msg.type === 'error') {
        const p = this.waiting.get(msg.id!);
        this.waiting.delete(msg.id!);
        p?.resolve(msg);
      }
    });
    w.onError((e) => {
      this.crashed = e;
      readyReject(e);
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
    });
    w.postMessage({ type: 'init', wasm, spec });
  }

  request(msg: ToWorker & { type: 'compute' }): Promise<FromWorker> {
    if (this.crashed) return Promise.reject(this.crashed);
    return new Promise((resolve, reject) => {
      this.waiting.set(msg.id, { resolve, reject });
      this.w.postMessage(msg);
    });
  }
}

function rebuildError(msg: FromWorker & { type: 'error' }, offset = 0): Error {
  if (msg.name === 'PotentialError') return new PotentialError(msg.message);
  if (msg.name === 'CalculatorError' || msg.index !== undefined) {
    if (msg.index === undefined) return new CalculatorError(msg.message);
    // the engine numbered the configuration within the chunk: renumber it within the whole batch,
    // so that the message is the one a single thread gives
    const message = offset ? msg.message.replace(new RegExp(`\\bconfiguration ${msg.index}\\b`), `configuration ${msg.index + offset}`) : msg.message;
    return new CalculatorError(message, msg.index + offset);
  }
  const e = new Error(msg.message);
  e.name = msg.name;
  return e;
}

export class ParallelCalculator implements Calculator {
  readonly name: string;
  readonly threads: number;
  private readonly workers: PoolWorker[] = [];
  private local: Promise<Calculator> | null = null;
  private nextId = 1;
  private disposed = false;

  private constructor(private readonly opts: ParallelOptions) {
    this.threads = opts.threads;
    const kind = opts.spec.kind === 'builtin' ? String((opts.spec.potential as { type?: unknown })?.type ?? 'builtin') : opts.spec.kind;
    this.name = kind;
  }

  /** Start the workers (or the local engine) and wait until every engine is built. */
  static async create(opts: ParallelOptions): Promise<ParallelCalculator> {
    if (!Number.isInteger(opts.threads) || opts.threads < 0) throw new RangeError(`threads must be a non-negative integer, got ${opts.threads}`);
    const pc = new ParallelCalculator(opts);
    if (opts.threads === 0) {
      pc.local = (opts.kernels ? Promise.resolve(opts.kernels) : defaultKernels()).then((k) => createCalculator(k, opts.spec, { independent: true }));
      await pc.local;
      return pc;
    }
    if (!opts.spawn) throw new Error('ParallelCalculator: threads > 0 needs spawn (a worker factory)');
    if (opts.wasm === undefined) throw new Error('ParallelCalculator: threads > 0 needs wasm (the kernel module, its bytes or URL)');
    try {
      for (let t = 0; t < opts.threads; t++) pc.workers.push(new PoolWorker(opts.spawn(), opts.wasm, opts.spec));
      await Promise.all(pc.workers.map((w) => w.ready));
    } catch (e) {
      await pc.dispose();
      throw e;
    }
    return pc;
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    if (this.disposed) throw new CalculatorError(`${this.name}: used after dispose`);
    if (this.local) return (await this.local).compute(structures, options);
    const n = structures.length;
    const results: (CalcResult | undefined)[] = new Array(n);
    const size = Math.max(1, Math.floor(this.opts.chunk ?? Math.ceil(n / (4 * this.workers.length))));
    const jobs: Job[] = [];
    for (let s = 0; s < n; s += size) jobs.push({ id: 0, start: s, count: Math.min(size, n - s) });
    let next = 0, done = 0;
    const errors: Error[] = [];
    const stress = !!options.stress;
    // each worker takes the next chunk when it is free (any assignment gives the same numbers)
    const run = async (w: PoolWorker) => {
      while (next < jobs.length && errors.length === 0) {
        if (options.signal?.aborted) {
          errors.push(new CalculatorError(`${this.name}: batch aborted after ${done} of ${n} configurations`, done));
          return;
        }
        const job = jobs[next++];
        job.id = this.nextId++;
        const data = structures.slice(job.start, job.start + job.count).map(structureToData);
        let msg: FromWorker;
        try {
          msg = await w.request({ type: 'compute', id: job.id, structures: data, stress });
        } catch (e) {
          errors.push(new CalculatorError(`${this.name}: worker failed: ${(e as Error).message}`, job.start));
          return;
        }
        if (msg.type === 'error') {
          errors.push(rebuildError(msg, job.start));
          return;
        }
        if (msg.type !== 'result' || msg.results.length !== job.count) {
          errors.push(new CalculatorError(`${this.name}: worker returned ${msg.type === 'result' ? msg.results.length : 0} results for ${job.count} configurations`, job.start));
          return;
        }
        msg.results.forEach((r, q) => {
          const res: CalcResult = { energy: r.energy, forces: r.forces };
          if (stress && r.stress) res.stress = r.stress;
          if (r.info) res.info = r.info;
          results[job.start + q] = res;
        });
        done += job.count;
        options.onProgress?.(done, n);
      }
    };
    await Promise.all(this.workers.map(run));
    if (errors.length) {
      // the lowest configuration index first, whatever the timing
      errors.sort((a, b) => ((a as CalculatorError).index ?? Infinity) - ((b as CalculatorError).index ?? Infinity));
      throw errors[0];
    }
    return results as CalcResult[];
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.local) (await this.local.catch(() => null))?.dispose?.();
    await Promise.all(this.workers.map((w) => w.w.terminate()));
  }
}

/** A pool worker over a browser Web Worker (module worker). */
export function browserWorker(w: Worker): WorkerLike {
  return {
    postMessage: (msg) => w.postMessage(msg),
    onMessage: (h) => w.addEventListener('message', (e: MessageEvent) => h(e.data as FromWorker)),
    onError: (h) => w.addEventListener('error', (e: ErrorEvent) => h(new Error(e.message || 'worker script failed to load'))),
    terminate: () => w.terminate(),
  };
}
