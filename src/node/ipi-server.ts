// Node adapter: an i-PI socket server (physics.md 9.3) as a batch Calculator. External engines
// (ASE SocketClient, LAMMPS `fix ipi`, Quantum ESPRESSO `pw.x --ipi`, `anharm serve`) connect as
// clients over TCP (127.0.0.1:31415 unless told otherwise; TCP_NODELAY) or a UNIX socket
// (/tmp/ipi_<name>). `compute(structures)` puts the configurations on a queue; each idle client
// gets one at a time (STATUS → NEEDINIT/INIT → READY → POSDATA → STATUS … HAVEDATA → GETFORCE).
//
// Guarantees and decisions (docs/engines.md):
// - A configuration is answered exactly once: its result is stored only from the client it is
//   currently assigned to, and a client that disconnects, times out, or sends anything malformed
//   is closed and its configuration goes back to the FRONT of the queue.
// - Malformed or hostile input (unknown header, absurd lengths, natoms mismatch, too many
//   unrequested bytes) and non-finite numbers (NaN/Inf energy, forces or virial) close THAT client,
//   not the run; the configuration is retried on another client. After `maxAttempts` failed
//   attempts on one configuration the batch rejects with a CalculatorError naming it (so a
//   configuration that makes every engine produce NaN cannot loop forever).
// - A connection is bound to the atom count and species of its first configuration (engines fix
//   both at start-up); it is only given configurations with the same signature.
// - Provenance per configuration in `info`: engine "i-pi", client label, seconds (POSDATA sent →
//   FORCEREADY read), attempts, and the client's extra string.
import { existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { CalculatorError, validateResult, type CalcOptions, type CalcResult, type Calculator } from '../calculators/calculator.js';
import {
  type ByteSource, DEFAULT_LIMITS, type IpiLimits, IpiProtocolError, cellVolume, encodeInit, encodeMessage, encodePosdata,
  fromWireForces, readForceReadyPayload, readHeader, toWirePositions,
} from '../engines/ipi-protocol.js';
import type { Structure } from '../structure/structure.js';

export const DEFAULT_IPI_PORT = 31415;
export const DEFAULT_IPI_ADDRESS = '127.0.0.1';

/** Path of the UNIX socket of an i-PI address name (/tmp/ipi_<name>, as i-PI, QE and LAMMPS use). */
export function unixSocketPath(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$/.test(name)) throw new IpiServerError(`UNIX socket name must be letters, digits, "_", "." or "-", got ${JSON.stringify(name)}`);
  return `/tmp/ipi_${name}`;
}

export class IpiServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpiServerError';
  }
}

class Disconnected extends Error {
  constructor(message = 'client disconnected') {
    super(message);
    this.name = 'Disconnected';
  }
}
class Timeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Timeout';
  }
}

/**
 * Exact-length reads from a socket (physics.md 9.4: loop until all bytes arrived; a closed socket
 * is a disconnection). At most `maxUnrequested` bytes may be buffered beyond the pending read; more
 * destroys the socket (a client flooding the server).
 */
export class SocketReader implements ByteSource {
  private chunks: Buffer[] = [];
  private size = 0;
  private pending: { n: number; resolve: (b: Uint8Array) => void; reject: (e: Error) => void; timer?: ReturnType<typeof setTimeout> } | undefined;
  private error: Error | undefined;
  /** Timeout of each read (ms); Infinity = wait forever. */
  timeoutMs = Infinity;
  /** What the timeout message calls the awaited reply. */
  waitingFor = 'reply';

  constructor(
    readonly socket: Socket,
    readonly maxUnrequested = 1 << 16,
  ) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.size += d.length;
      if (this.size > (this.pending?.n ?? 0) + this.maxUnrequested) {
        this.fail(new IpiProtocolError(`peer sent ${this.size} bytes that were not asked for`));
        socket.destroy();
        return;
      }
      this.pump();
    });
    socket.on('close', () => this.fail(new Disconnected()));
    socket.on('error', (e) => this.fail(new Disconnected(`connection error: ${e.message}`)));
  }

  private fail(e: Error): void {
    if (!this.error) this.error = e;
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      if (p.timer) clearTimeout(p.timer);
      p.reject(this.error);
    }
  }

  private take(n: number): Uint8Array {
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    const out = new Uint8Array(buf.subarray(0, n)); // copy: own buffer, 8-byte aligned offset 0
    const rest = buf.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    return out;
  }

  private pump(): void {
    const p = this.pending;
    if (p && this.size >= p.n) {
      this.pending = undefined;
      if (p.timer) clearTimeout(p.timer);
      p.resolve(this.take(p.n));
    }
  }

  read(n: number): Promise<Uint8Array> {
    if (this.pending) return Promise.reject(new Error('SocketReader: concurrent reads'));
    if (n === 0) return Promise.resolve(new Uint8Array(0));
    if (this.size >= n) return Promise.resolve(this.take(n));
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.pending = { n, resolve, reject };
      if (Number.isFinite(this.timeoutMs)) {
        const ms = this.timeoutMs, what = this.waitingFor;
        this.pending.timer = setTimeout(() => this.fail(new Timeout(`no ${what} within ${ms / 1000} s`)), Math.max(0, ms));
      }
    });
  }

  /** Why the reader stopped (disconnection, timeout, flood), if it did. */
  get failure(): Error | undefined {
    return this.error;
  }

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.size;
  }
}

export interface IpiServerOptions {
  /** TCP address to bind (default 127.0.0.1; "0.0.0.0" or a host name exposes the server to the network). */
  address?: string;
  /** TCP port (default 31415; 0 picks a free port, see `server.port`). */
  port?: number;
  /** Listen on the UNIX socket /tmp/ipi_<unix> instead of TCP. */
  unix?: string;
  /** Seconds a client may take to answer a protocol message (STATUS, GETFORCE) (default 60). */
  timeout?: number;
  /** Seconds from POSDATA to HAVEDATA (the engine's computation) before the client is dropped (default: no limit). */
  jobTimeout?: number;
  /** Attempts per configuration before the batch fails (default 4). */
  maxAttempts?: number;
  /** Decoding limits for untrusted input (atoms, string bytes). */
  limits?: Partial<IpiLimits>;
  /** Events (joins, dispatches, results, requeues, drops), e.g. for logs and tests. */
  onEvent?: (e: IpiEvent) => void;
}

export type IpiEvent =
  | { type: 'join'; client: string }
  | { type: 'leave'; client: string; reason: string }
  | { type: 'dispatch'; client: string; index: number; attempt: number }
  | { type: 'result'; client: string; index: number; seconds: number }
  | { type: 'requeue'; client: string; index: number; reason: string };

interface Batch {
  results: (CalcResult | undefined)[];
  remaining: number;
  total: number;
  stress: boolean;
  settled: boolean;
  onProgress?: (done: number, total: number) => void;
  resolve: (r: CalcResult[]) => void;
  reject: (e: unknown) => void;
}

interface Job {
  batch: Batch;
  index: number;
  structure: Structure;
  signature: string;
  attempts: number;
  failures: string[];
}

interface Conn {
  id: number;
  label: string;
  socket: Socket;
  reader: SocketReader;
  busy: boolean;
  dead: boolean;
  signature?: string;
  job?: Job;
  answered: number;
}

export interface IpiClientInfo {
  label: string;
  busy: boolean;
  natoms?: number;
  answered: number;
}

const POLL_MS_MIN = 1, POLL_MS_MAX = 100, HANDSHAKE_ROUNDS = 8;

/** The i-PI server as a Calculator. Create with `IpiServer.listen(options)`. */
export class IpiServer implements Calculator {
  readonly name: string;
  private readonly server: Server;
  private readonly conns = new Set<Conn>();
  private queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly jobTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly limits: IpiLimits;
  private readonly onEvent?: (e: IpiEvent) => void;
  private readonly unixPath?: string;
  private readonly idleWaiters: (() => void)[] = [];
  /** Requeues so far (disconnections, timeouts, bad messages). */
  requeues = 0;

  private constructor(server: Server, opts: IpiServerOptions, readonly port: number | undefined, readonly address: string) {
    this.server = server;
    this.timeoutMs = 1000 * (opts.timeout ?? 60);
    this.jobTimeoutMs = opts.jobTimeout === undefined ? Infinity : 1000 * opts.jobTimeout;
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.onEvent = opts.onEvent;
    this.unixPath = opts.unix !== undefined ? address : undefined;
    this.name = opts.unix !== undefined ? `i-pi server (unix ${address})` : `i-pi server (tcp ${address}:${port})`;
    server.on('connection', (s) => this.accept(s));
  }

  /** Start listening. Rejects with a clear IpiServerError when the port (or UNIX socket) is taken. */
  static async listen(opts: IpiServerOptions = {}): Promise<IpiServer> {
    if (opts.unix !== undefined && opts.port !== undefined) throw new IpiServerError('give either a TCP port or a UNIX socket name, not both');
    for (const [k, v] of [['timeout', opts.timeout], ['jobTimeout', opts.jobTimeout]] as const) {
      if (v !== undefined && !(v > 0)) throw new IpiServerError(`${k} must be a positive number of seconds, got ${v}`);
    }
    if (opts.maxAttempts !== undefined && !(Number.isInteger(opts.maxAttempts) && opts.maxAttempts >= 1)) throw new IpiServerError(`maxAttempts must be a positive integer`);
    const server = createServer({ noDelay: true });
    if (opts.unix !== undefined) {
      const path = unixSocketPath(opts.unix);
      try {
        await listenOn(server, { path });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new IpiServerError(`cannot listen on UNIX socket ${path}: ${(e as Error).message}`);
        if (await isAlive(path)) throw new IpiServerError(`UNIX socket ${path} is already in use by a running server; choose another name`);
        try {
          unlinkSync(path); // stale file of a server that died
        } catch (e2) {
          throw new IpiServerError(`UNIX socket ${path} exists and cannot be removed: ${(e2 as Error).message}`);
        }
        await listenOn(server, { path }).catch((e3: Error) => {
          throw new IpiServerError(`cannot listen on UNIX socket ${path}: ${e3.message}`);
        });
      }
      return new IpiServer(server, opts, undefined, path);
    }
    const host = opts.address ?? DEFAULT_IPI_ADDRESS;
    const port = opts.port ?? DEFAULT_IPI_PORT;
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new IpiServerError(`port must be an integer in [0, 65535], got ${port}`);
    try {
      await listenOn(server, { host, port });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        throw new IpiServerError(`port ${port} on ${host} is already in use (another i-PI server or program listens there); choose another port (--port) or stop that program`);
      }
      if (code === 'EACCES') throw new IpiServerError(`no permission to listen on port ${port} on ${host} (ports below 1024 need privileges); choose another port`);
      throw new IpiServerError(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
    }
    const a = server.address();
    return new IpiServer(server, opts, typeof a === 'object' && a ? a.port : port, host);
  }

  /** Connected clients. */
  get clients(): IpiClientInfo[] {
    return [...this.conns].map((c) => ({ label: c.label, busy: c.busy, natoms: c.signature ? Number(c.signature.split(':')[0]) : undefined, answered: c.answered }));
  }

  /** Resolves once at least `n` clients are connected (rejects after `timeout` seconds). */
  waitForClients(n: number, timeout = 60): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.conns.size >= n) {
          clearTimeout(timer);
          resolve();
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        const i = this.idleWaiters.indexOf(waiter);
        if (i >= 0) this.idleWaiters.splice(i, 1);
        reject(new IpiServerError(`only ${this.conns.size} of ${n} clients connected within ${timeout} s`));
      }, timeout * 1000);
      const waiter = () => {
        if (check()) this.idleWaiters.splice(this.idleWaiters.indexOf(waiter), 1);
      };
      if (!check()) this.idleWaiters.push(waiter);
    });
  }

  compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    if (this.closed) return Promise.reject(new IpiServerError(`${this.name} is closed`));
    if (structures.length === 0) return Promise.resolve([]);
    return new Promise<CalcResult[]>((resolve, reject) => {
      const batch: Batch = {
        results: new Array(structures.length).fill(undefined),
        remaining: structures.length,
        total: structures.length,
        stress: !!options.stress,
        settled: false,
        onProgress: options.onProgress,
        resolve,
        reject,
      };
      const signal = options.signal;
      if (signal) {
        if (signal.aborted) return reject(signal.reason);
        const onAbort = () => this.failBatch(batch, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        batch.resolve = (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        batch.reject = (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        };
      }
      structures.forEach((structure, index) => {
        this.queue.push({ batch, index, structure, signature: `${structure.natoms}:${structure.species.join(',')}`, attempts: 0, failures: [] });
      });
      this.schedule();
    });
  }

  /** Send EXIT to every client, stop listening, reject unfinished batches. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new IpiServerError(`${this.name} was closed`);
    for (const j of this.queue) this.failBatch(j.batch, err);
    for (const c of this.conns) if (c.job) this.failBatch(c.job.batch, err);
    this.queue = [];
    for (const c of [...this.conns]) {
      c.dead = true;
      if (!c.socket.destroyed) c.socket.end(encodeMessage('EXIT'));
      setTimeout(() => c.socket.destroy(), 200).unref();
    }
    await new Promise<void>((res) => this.server.close(() => res()));
    if (this.unixPath && existsSync(this.unixPath)) {
      try {
        unlinkSync(this.unixPath);
      } catch {
        /* already gone */
      }
    }
  }

  dispose(): Promise<void> {
    return this.close();
  }

  // ------------------------------------------------------------------ internals

  private emit(e: IpiEvent): void {
    try {
      this.onEvent?.(e);
    } catch {
      /* a broken listener must not break the server */
    }
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const id = this.nextId++;
    const where = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
    const c: Conn = { id, label: `#${id} (${where})`, socket, reader: new SocketReader(socket), busy: false, dead: false, answered: 0 };
    this.conns.add(c);
    socket.on('close', () => {
      const f = c.reader.failure;
      this.drop(c, f instanceof IpiProtocolError ? `bad message: ${f.message}` : 'disconnected');
    });
    socket.on('error', () => {
      /* reported through 'close' */
    });
    this.emit({ type: 'join', client: c.label });
    for (const w of [...this.idleWaiters]) w();
    this.schedule();
  }

  /** Close a client; its configuration (if any) goes back to the front of the queue. */
  private drop(c: Conn, reason: string): void {
    if (!this.conns.has(c)) return;
    this.conns.delete(c);
    c.dead = true;
    c.socket.destroy();
    this.emit({ type: 'leave', client: c.label, reason });
    const job = c.job;
    c.job = undefined;
    if (job) this.requeue(job, c, reason);
    this.schedule();
  }

  private requeue(job: Job, c: Conn, reason: string): void {
    if (job.batch.settled) return;
    job.failures.push(`${c.label}: ${reason}`);
    this.requeues++;
    this.emit({ type: 'requeue', client: c.label, index: job.index, reason });
    if (job.attempts >= this.maxAttempts) {
      this.failBatch(job.batch, new CalculatorError(`${this.name}: configuration ${job.index} failed ${job.attempts} times (${job.failures.join('; ')})`, job.index));
      return;
    }
    this.queue.unshift(job);
  }

  private failBatch(batch: Batch, err: unknown): void {
    if (batch.settled) return;
    batch.settled = true;
    this.queue = this.queue.filter((j) => j.batch !== batch);
    batch.reject(err);
  }

  private schedule(): void {
    if (this.closed) return;
    for (const c of this.conns) {
      if (c.busy || c.dead) continue;
      const k = this.queue.findIndex((j) => c.signature === undefined || j.signature === c.signature);
      if (k < 0) continue;
      const [job] = this.queue.splice(k, 1);
      void this.run(c, job);
    }
  }

  private async send(c: Conn, bytes: Uint8Array): Promise<void> {
    if (c.dead || c.socket.destroyed) throw new Disconnected();
    c.socket.write(bytes);
  }

  private async run(c: Conn, job: Job): Promise<void> {
    c.busy = true;
    c.job = job;
    job.attempts++;
    this.emit({ type: 'dispatch', client: c.label, index: job.index, attempt: job.attempts });
    const r = c.reader;
    try {
      // 1. handshake: STATUS until READY (NEEDINIT → INIT; a stale HAVEDATA is collected and discarded)
      r.timeoutMs = this.timeoutMs;
      r.waitingFor = 'reply to STATUS';
      for (let round = 0; ; round++) {
        if (round >= HANDSHAKE_ROUNDS) throw new IpiProtocolError(`client not READY after ${HANDSHAKE_ROUNDS} STATUS rounds`);
        await this.send(c, encodeMessage('STATUS'));
        const m = await readHeader(r);
        if (m === 'READY') break;
        if (m === 'NEEDINIT') await this.send(c, encodeInit(0, new Uint8Array(1)));
        else if (m === 'HAVEDATA') {
          await this.send(c, encodeMessage('GETFORCE'));
          if ((await readHeader(r)) !== 'FORCEREADY') throw new IpiProtocolError('expected FORCEREADY after GETFORCE');
          await readForceReadyPayload(r, undefined, this.limits);
        } else throw new IpiProtocolError(`unexpected reply ${m} to STATUS`);
      }
      // 3. POSDATA
      const s = job.structure;
      const t0 = performance.now();
      await this.send(c, encodePosdata(toWirePositions(s.cell, s.cartesian())));
      // 4. STATUS until HAVEDATA, within the job timeout
      const deadline = t0 + this.jobTimeoutMs;
      r.waitingFor = 'result (HAVEDATA)';
      for (let poll = POLL_MS_MIN; ; poll = Math.min(POLL_MS_MAX, 2 * poll)) {
        r.timeoutMs = deadline - performance.now();
        if (r.timeoutMs <= 0) throw new Timeout(`no result within ${this.jobTimeoutMs / 1000} s`);
        await this.send(c, encodeMessage('STATUS'));
        const m = await readHeader(r);
        if (m === 'HAVEDATA') break;
        if (m !== 'READY') throw new IpiProtocolError(`unexpected reply ${m} to STATUS while computing`);
        await new Promise((res) => setTimeout(res, Math.min(poll, Math.max(0, deadline - performance.now()))));
      }
      // 5. GETFORCE → FORCEREADY
      r.timeoutMs = this.timeoutMs;
      r.waitingFor = 'FORCEREADY';
      await this.send(c, encodeMessage('GETFORCE'));
      const h = await readHeader(r);
      if (h !== 'FORCEREADY') throw new IpiProtocolError(`expected FORCEREADY after GETFORCE, got ${h}`);
      const wire = await readForceReadyPayload(r, s.natoms, this.limits);
      const seconds = (performance.now() - t0) / 1000;
      // 6. convert and check
      const f = fromWireForces(wire, cellVolume(s.cell));
      const res: CalcResult = { energy: f.energy, forces: f.forces };
      if (job.batch.stress) res.stress = f.stress;
      try {
        validateResult({ ...res, stress: f.stress }, s.natoms, job.index, 'i-PI client');
      } catch (e) {
        throw new IpiProtocolError((e as Error).message);
      }
      res.info = { engine: 'i-pi', client: c.label, seconds, attempts: job.attempts, ...(f.extra ? { extra: f.extra } : {}) };
      c.signature ??= job.signature;
      c.answered++;
      c.job = undefined;
      c.busy = false;
      this.complete(job, res, c, seconds);
    } catch (e) {
      const reason = e instanceof Disconnected ? e.message : e instanceof Timeout ? `timeout: ${e.message}` : `bad message: ${(e as Error).message}`;
      this.drop(c, reason);
      return;
    }
    this.schedule();
  }

  private complete(job: Job, res: CalcResult, c: Conn, seconds: number): void {
    const b = job.batch;
    if (b.settled) return;
    if (b.results[job.index] !== undefined) throw new Error(`internal: configuration ${job.index} answered twice`);
    b.results[job.index] = res;
    b.remaining--;
    this.emit({ type: 'result', client: c.label, index: job.index, seconds });
    try {
      b.onProgress?.(b.total - b.remaining, b.total);
    } catch (e) {
      this.failBatch(b, e);
      return;
    }
    if (b.remaining === 0) {
      b.settled = true;
      b.resolve(b.results as CalcResult[]);
    }
  }
}

function listenOn(server: Server, where: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(where);
  });
}

/** Is a server accepting connections on this UNIX socket path? */
function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ path });
    const done = (alive: boolean) => {
      s.destroy();
      resolve(alive);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 1000).unref();
  });
}
