// i-PI protocol overhead per configuration (100 atoms, loopback TCP and UNIX socket) against the
// engine's own time. Run: npx tsc -p . && node dist/bench/ipi.bench.js   (env BENCH_QUICK=1: fewer repeats)
//
// Peer in the same run: the same 100-atom configurations evaluated in-process by the built-in
// Lennard-Jones (argon, cutoff 8.5 Å). Then, through IpiServer.compute with one client:
// - an IpiClient in a worker thread (its own event loop, as a separate engine) with a "null engine"
//   that answers zeros at once: the pure cost of the protocol (encode, write, read, decode;
//   3 round trips per configuration: STATUS/READY, POSDATA + STATUS/HAVEDATA, GETFORCE/FORCEREADY);
// - the same with the built-in Lennard-Jones, the engine time measured inside the client:
//   overhead = total − engine time;
// - `anharm serve` as a child process with the Lennard-Jones (overhead against the peer's time);
// - ASE 3.22's SocketClient (python3-ase) with a null calculator: the overhead with a Python engine
//   (ASE re-initialises after every result: 5 round trips per configuration).
// Each timing: batches of M configurations after a warm-up; the batch of median time of R.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IpiServer } from '../src/node/ipi-server.js';
import { loadPotential } from '../src/node/potentials.js';
import { Structure } from '../src/structure/structure.js';
import { lcg, report, runBenchmark, type ResultRow } from './lib.js';

const QUICK = !!process.env.BENCH_QUICK;
const M = QUICK ? 50 : 200; // configurations per batch
const R = QUICK ? 3 : 7; // timed batches
const BIN = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../bin/anharm.js' : '../dist/bin/anharm.js', import.meta.url));
const PY = '/usr/bin/python3';
const TMP = mkdtempSync(join(tmpdir(), 'ipi-bench-'));
const LJ_FILE = join(TMP, 'ar-lj.json');
writeFileSync(LJ_FILE, JSON.stringify({ type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 }] }));

/** fcc argon, 5×5×1 conventional cells (100 atoms), atoms displaced by up to ±0.1 Å. */
function argon100(seed: number): Structure {
  const a = 5.3;
  const basis = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
  const frac: number[] = [];
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) for (const b of basis) frac.push((b[0] + i) / 5, (b[1] + j) / 5, b[2]);
  const s = new Structure({ cell: [5 * a, 0, 0, 0, 5 * a, 0, 0, 0, a], species: Array(100).fill('Ar'), frac });
  const r = lcg(seed);
  return s.with({ cartesian: s.cartesian().map((x) => x + 0.2 * r()) });
}

const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];

/** Median ms per configuration of `server.compute` on batches of `configs` (after a warm-up batch). */
async function perConfig(server: IpiServer, configs: Structure[], repeats = R, spent?: Float64Array): Promise<{ ms: number; engineMs: number }> {
  await server.compute(configs.slice(0, Math.min(50, configs.length)), { stress: true });
  const t: number[] = [], e: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const s0 = spent ? spent[0] : 0;
    const t0 = performance.now();
    await server.compute(configs, { stress: true });
    t.push((performance.now() - t0) / configs.length);
    if (spent) e.push((spent[0] - s0) / configs.length);
  }
  // the batch with the median total time, and its own engine time
  const k = t.indexOf(median(t));
  return { ms: t[k], engineMs: spent ? e[k] : NaN };
}

type Transport = 'tcp' | 'unix';
const listen = (tr: Transport) => IpiServer.listen(tr === 'tcp' ? { port: 0 } : { unix: `anharm-bench-${process.pid}` });

/**
 * An IpiClient in a worker thread (its own event loop, like a separate engine process) running the
 * null engine or the built-in Lennard-Jones; it adds the time spent inside `compute` and the number
 * of calls to a shared array, so the overhead is measured against the engine time of that client.
 */
const WORKER = `
const { workerData } = require('node:worker_threads');
const spent = new Float64Array(workerData.spent);
Promise.all([import(workerData.client), import(workerData.potentials)]).then(async ([{ IpiClient }, { loadPotential }]) => {
  const inner = workerData.potential
    ? await loadPotential(workerData.potential)
    : { name: 'null engine', compute: async (ss) => ss.map((s) => ({ energy: 0, forces: new Float64Array(3 * s.natoms), stress: new Float64Array(9) })) };
  const calculator = { name: inner.name, compute: async (ss, o) => {
    const t0 = performance.now();
    const r = await inner.compute(ss, o);
    spent[0] += performance.now() - t0;
    spent[1] += 1;
    return r;
  } };
  const c = await IpiClient.connect({ calculator, species: 'Ar', ...workerData.where });
  await c.run();
});
`;
function workerClient(tr: Transport, potential: string | undefined, spent: Float64Array) {
  return (server: IpiServer) =>
    new Worker(WORKER, {
      eval: true,
      workerData: {
        client: new URL('../src/node/ipi-client.js', import.meta.url).href,
        potentials: new URL('../src/node/potentials.js', import.meta.url).href,
        potential,
        spent: spent.buffer,
        where: tr === 'tcp' ? { port: server.port } : { unix: `anharm-bench-${process.pid}` },
      },
    });
}

async function withChild(tr: Transport, configs: Structure[], start: (server: IpiServer) => ChildProcess | Worker, repeats = R, spent?: Float64Array): Promise<{ ms: number; engineMs: number }> {
  const server = await listen(tr);
  const p = start(server);
  let err = '';
  if (p instanceof Worker) p.on('error', (e) => (err += String(e)));
  else p.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => p.on('exit', () => r()));
  try {
    await Promise.race([server.waitForClients(1, 60), exited.then(() => { throw new Error(`client exited: ${err}`); })]);
    return await perConfig(server, configs, repeats, spent);
  } finally {
    await server.close();
    await exited;
  }
}

const serveChild = (tr: Transport) => (server: IpiServer) =>
  spawn(process.execPath, [BIN, 'serve', '--potential', LJ_FILE, '--quiet', '--wait', '10', ...(tr === 'tcp' ? ['--port', String(server.port)] : ['--unix', `anharm-bench-${process.pid}`])], { stdio: ['ignore', 'ignore', 'pipe'] });

const ASE_NULL = `
import sys, numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.socketio import SocketClient
class Null(Calculator):
    implemented_properties = ['energy', 'forces', 'stress']
    def calculate(self, atoms=None, properties=('energy',), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        self.results = {'energy': 0.0, 'forces': np.zeros((len(atoms), 3)), 'stress': np.zeros(6)}
atoms = Atoms('Ar100', positions=np.zeros((100, 3)), cell=np.eye(3) * 10, pbc=True)
atoms.calc = Null()
kind, where = sys.argv[1], sys.argv[2]
c = SocketClient(port=int(where), host='127.0.0.1') if kind != 'unix' else SocketClient(unixsocket=where)
if kind == 'tcp-nodelay':
    import socket
    c.protocol.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.run(atoms, use_stress=True)
`;
const aseChild = (tr: Transport, kind: string = tr) => (server: IpiServer) =>
  spawn(PY, ['-c', ASE_NULL, kind, tr === 'tcp' ? String(server.port) : `anharm-bench-${process.pid}`], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });

runBenchmark(async () => {
  const configs = Array.from({ length: M }, (_, i) => argon100(1 + i));
  const lj = await loadPotential(LJ_FILE);
  // the engine time: one configuration per call, as an engine computes them (same batches as below)
  for (const s of configs.slice(0, 50)) await lj.compute([s], { stress: true });
  const engine: number[] = [];
  for (let k = 0; k < R; k++) {
    const t0 = performance.now();
    for (const s of configs) await lj.compute([s], { stress: true });
    engine.push((performance.now() - t0) / M);
  }
  const engineMs = median(engine);

  const rows: ResultRow[] = [];
  const row = (path: string, transport: string, ms: number, engine: number | null, overhead: number) =>
    rows.push({
      path, transport, ms_per_config: +ms.toFixed(4), engine_ms: engine === null ? null : +engine.toFixed(4), overhead_ms: +overhead.toFixed(4),
      ratio_vs_direct: +(ms / engineMs).toFixed(2),
    });
  row('direct: built-in LJ in-process (peer)', '-', engineMs, engineMs, 0);
  for (const tr of ['tcp', 'unix'] as const) {
    const spent = new Float64Array(new SharedArrayBuffer(16));
    const r = await withChild(tr, configs, workerClient(tr, undefined, spent), R, spent);
    row('IpiClient (worker thread), null engine: pure protocol', tr, r.ms, null, r.ms);
  }
  for (const tr of ['tcp', 'unix'] as const) {
    const spent = new Float64Array(new SharedArrayBuffer(16));
    const r = await withChild(tr, configs, workerClient(tr, LJ_FILE, spent), R, spent);
    row('IpiClient (worker thread), built-in LJ', tr, r.ms, r.engineMs, r.ms - r.engineMs);
  }
  for (const tr of ['tcp', 'unix'] as const) {
    const r = await withChild(tr, configs, serveChild(tr));
    row('`anharm serve` (child process), built-in LJ', tr, r.ms, null, r.ms - engineMs);
  }
  const hasAse = spawnSync(PY, ['-c', 'import ase.calculators.socketio, numpy'], { stdio: 'ignore' }).status === 0;
  const notes = [
    `${M} configurations of 100 Ar atoms per batch, the batch of median time of ${R}; one client; Lennard-Jones cutoff 8.5 Å (cell 26.5×26.5×5.3 Å)`,
    'engine_ms: time inside the client\'s compute (worker rows, measured in the client); overhead_ms = ms_per_config − engine_ms; ' +
      'for `anharm serve` the in-process engine time of the peer row is subtracted instead (noisier)',
  ];
  if (hasAse) {
    // fewer configurations for ASE's default TCP client: it waits for a delayed ACK (see the notes)
    let r = await withChild('tcp', configs.slice(0, QUICK ? 20 : 60), aseChild('tcp'), 3);
    row('ASE 3.22 SocketClient (Python), null calculator, as ASE opens it', 'tcp', r.ms, null, r.ms);
    r = await withChild('tcp', configs, aseChild('tcp', 'tcp-nodelay'));
    row('ASE 3.22 SocketClient, null calculator, TCP_NODELAY set (our printed snippet)', 'tcp', r.ms, null, r.ms);
    r = await withChild('unix', configs, aseChild('unix'));
    row('ASE 3.22 SocketClient (Python), null calculator', 'unix', r.ms, null, r.ms);
    notes.push(
      'ASE over TCP: ASE 3.22 writes a message in several small send() calls on a socket without TCP_NODELAY, so Nagle\'s algorithm holds the rest of FORCEREADY ' +
        'until our side ACKs the first part, which Linux delays by up to 40 ms; `anharm engines clients` prints the ASE snippet with TCP_NODELAY set; UNIX sockets have no such wait',
    );
  } else notes.push('ASE rows skipped: /usr/bin/python3 cannot import ase (apt-get install python3-ase)');
  report('ipi', rows, notes);
});
