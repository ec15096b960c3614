// `anharm engines clients`: the exact command lines that connect ASE, LAMMPS, Quantum ESPRESSO or
// `anharm serve` to an i-PI server at an address (for a scheduler script on a cluster).
// `anharm engines label FRAMES --out OUT.extxyz`: an i-PI server that has its connected engines
// evaluate energy, forces and stress of every structure of FRAMES and writes them as extended XYZ
// (the scale-out pattern of docs/engines.md: the server on a head node, engines started by SLURM).
// It prints the client command lines as soon as it listens; engines may join and leave at any time.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { CalculatorError, type CalcResult } from '../calculators/calculator.js';
import { clientCommands, ENGINE_NAMES, formatClientCommands, type EngineName, type IpiTarget } from '../engines/client-commands.js';
import { ParseError } from '../io/errors.js';
import { formatFromName } from '../io/index.js';
import { readFramesFile, writeFramesFile } from '../node/files.js';
import { DEFAULT_IPI_ADDRESS, DEFAULT_IPI_PORT, IpiServer, IpiServerError, type IpiEvent } from '../node/ipi-server.js';
import { StructureError } from '../structure/structure.js';
import { intOption, numberOption, UserError } from './errors.js';
import { requireFiles } from './inputs.js';

/** `--address HOST`, `HOST:PORT` or `[IPv6]:PORT` → host and optional port. */
export function parseAddress(value: string): { host: string; port?: number } {
  const v = value.trim();
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:\s]+):(\d+)$/.exec(v);
  const host = m ? m[1] : v;
  if (!host || /\s/.test(host)) throw new UserError(`option --address: expected HOST or HOST:PORT, got "${value}"`);
  return { host, port: m?.[2] !== undefined ? intOption('--address (port)', m[2], 1, 65535) : undefined };
}

interface TargetOptions {
  address?: string;
  port?: string;
  unix?: string;
}

function target(o: TargetOptions, allowZeroPort: boolean): { bind: IpiTarget } {
  const a = parseAddress(o.address ?? DEFAULT_IPI_ADDRESS);
  if (o.unix !== undefined) {
    if (o.port !== undefined || a.port !== undefined) throw new UserError('give either a TCP port (--port, --address HOST:PORT) or --unix, not both');
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$/.test(o.unix)) throw new UserError(`option --unix: a socket name of letters, digits, "_", "." or "-" (it becomes /tmp/ipi_<name>), got "${o.unix}"`);
    return { bind: { unix: o.unix } };
  }
  if (o.port !== undefined && a.port !== undefined && Number(o.port) !== a.port) throw new UserError(`--port ${o.port} and --address ${o.address} name different ports`);
  const port = o.port !== undefined ? intOption('--port', o.port, allowZeroPort ? 0 : 1, 65535) : (a.port ?? DEFAULT_IPI_PORT);
  return { bind: { host: a.host, port } };
}

/** Clients cannot connect to a wildcard address: they need this machine's name. */
function connectHost(bindHost: string): string {
  return bindHost === '0.0.0.0' || bindHost === '::' ? hostname() : bindHost;
}

function engineList(value: string | undefined): EngineName[] {
  if (!value) return [...ENGINE_NAMES];
  const list = value.split(',').map((s) => s.trim().toLowerCase());
  for (const e of list) if (!(ENGINE_NAMES as readonly string[]).includes(e)) throw new UserError(`option --engine: expected some of ${ENGINE_NAMES.join(', ')} (comma-separated), got "${e}"`);
  return list as EngineName[];
}

// ------------------------------------------------------------------------------------------------
// anharm engines clients

export interface ClientsCliOptions extends TargetOptions {
  potential?: string;
  structure?: string;
  engine?: string;
  json?: boolean;
}

export function runClients(o: ClientsCliOptions): void {
  const { bind } = target(o, false);
  const to: IpiTarget = 'host' in bind ? { host: connectHost(bind.host), port: bind.port } : bind;
  const cmds = clientCommands(to, { potential: o.potential, structure: o.structure });
  const engines = engineList(o.engine);
  if (o.json) {
    process.stdout.write(JSON.stringify({ server: to, clients: Object.fromEntries(engines.map((e) => [e, cmds[e]])) }) + '\n');
    return;
  }
  process.stdout.write(formatClientCommands(to, cmds, engines));
}

// ------------------------------------------------------------------------------------------------
// anharm engines label

export interface LabelCliOptions extends TargetOptions {
  out?: string;
  potential?: string;
  timeout: string;
  jobTimeout?: string;
  maxAttempts: string;
  stress: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function runLabel(file: string, o: LabelCliOptions): Promise<void> {
  if (!o.out) throw new UserError('option --out <file.extxyz> is required (energies, forces and stresses are written as extended XYZ)');
  if (formatFromName(o.out) !== 'extxyz') throw new UserError(`option --out: "${o.out}" must be an extended XYZ file name (.xyz or .extxyz)`);
  const { bind } = target(o, true);
  const timeout = numberOption('--timeout', o.timeout, { positive: true });
  const jobTimeout = o.jobTimeout !== undefined ? numberOption('--job-timeout', o.jobTimeout, { positive: true }) : undefined;
  const maxAttempts = intOption('--max-attempts', o.maxAttempts, 1, 1000);
  requireFiles(file);
  let frames;
  try {
    frames = await readFramesFile(file);
  } catch (e) {
    if (e instanceof ParseError || e instanceof StructureError) throw new UserError((e as Error).message.split('\n')[0]);
    throw e;
  }
  if (frames.length === 0) throw new UserError(`${file}: no structures`);
  const structures = frames.map((f) => f.structure);

  const json = !!o.json;
  const say = (m: string) => {
    if (!json && !o.quiet) process.stderr.write(`anharm engines label: ${m}\n`);
  };
  const emit = (obj: Record<string, unknown>) => {
    if (json) process.stdout.write(JSON.stringify(obj) + '\n');
  };
  const tty = !json && !o.quiet && process.stderr.isTTY;

  let dispatches = 0;
  let finished = false; // engines leave after EXIT: not worth a message
  const onEvent = (e: IpiEvent) => {
    if (e.type === 'dispatch') dispatches++;
    if (e.type === 'join') say(`engine ${e.client} connected`);
    if (e.type === 'leave' && !finished) say(`engine ${e.client} left (${e.reason})`);
    if (e.type === 'requeue') say(`configuration ${e.index + 1} re-queued (${e.reason})`);
    if (e.type !== 'dispatch') emit({ ...e });
  };
  let server: IpiServer;
  try {
    server = await IpiServer.listen({ ...('host' in bind ? { address: bind.host, port: bind.port } : { unix: bind.unix }), timeout, jobTimeout, maxAttempts, onEvent });
  } catch (e) {
    if (e instanceof IpiServerError) throw new UserError(e.message);
    throw e;
  }
  const to: IpiTarget = 'host' in bind ? { host: connectHost(bind.host), port: server.port! } : bind;
  const cmds = clientCommands(to, { potential: o.potential, structure: file });
  emit({ type: 'listening', server: to, configurations: structures.length, clients: cmds });
  if (!json && !o.quiet) {
    say(`${structures.length} configurations of ${file}; waiting for engines`);
    process.stderr.write(formatClientCommands(to, cmds));
  }

  // Ctrl-C / scheduler kill: stop the engines (EXIT) and end without writing a partial file.
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new UserError(`stopped by ${sig}; nothing written to ${o.out}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const t0 = performance.now();
  let results: CalcResult[];
  try {
    results = await server.compute(structures, {
      stress: o.stress,
      signal: abort.signal,
      onProgress: (done, total) => {
        emit({ type: 'progress', done, total });
        if (tty) process.stderr.write(`\r  ${done}/${total} configurations labelled`);
      },
    });
  } catch (e) {
    if (tty) process.stderr.write('\n');
    if (e instanceof CalculatorError) {
      process.stderr.write(`anharm: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  } finally {
    finished = true;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server.close(); // EXIT to every engine
  }
  if (tty) process.stderr.write('\n');
  const seconds = (performance.now() - t0) / 1000;

  await writeFramesFile(
    o.out,
    frames.map((f, i) => {
      const r = results[i];
      const info = new Map(f.info);
      for (const k of ['energy', 'stress', 'forces']) info.delete(k);
      info.set('ipi_client', String(r.info?.client ?? ''));
      info.set('ipi_seconds', Number(r.info?.seconds ?? 0));
      info.set('ipi_attempts', Number(r.info?.attempts ?? 1));
      if (typeof r.info?.extra === 'string' && r.info.extra !== '') info.set('ipi_extra', r.info.extra);
      return { structure: f.structure, energy: r.energy, forces: r.forces, stress: r.stress, pbc: f.pbc, info, arrays: f.arrays };
    }),
  );
  const perClient: Record<string, number> = {};
  for (const r of results) perClient[String(r.info?.client)] = (perClient[String(r.info?.client)] ?? 0) + 1;
  emit({ type: 'done', configurations: results.length, seconds, dispatches, requeues: server.requeues, clients: perClient, out: o.out });
  say(
    `${results.length} configurations labelled in ${seconds.toFixed(1)} s by ${Object.keys(perClient).length} engine(s) ` +
      `(${Object.entries(perClient).map(([c, n]) => `${c}: ${n}`).join(', ')}), ${server.requeues} re-queued; written to ${o.out}`,
  );
}

/** Register `anharm engines` (clients, label) on the program. */
export function registerEngines(program: Command): void {
  const engines = program.command('engines').description('external force engines over the i-PI socket protocol (ASE, LAMMPS, Quantum ESPRESSO, anharm serve)');
  engines
    .command('clients')
    .description('print the exact command lines that connect ASE, LAMMPS, Quantum ESPRESSO or `anharm serve` to an i-PI server')
    .option('--address <host[:port]>', `server host the engines connect to (0.0.0.0 prints this machine's name)`, DEFAULT_IPI_ADDRESS)
    .option('--port <n>', `server TCP port (default ${DEFAULT_IPI_PORT})`)
    .option('--unix <name>', 'the server listens on the UNIX socket /tmp/ipi_<name> (engines on the same machine)')
    .option('--potential <file>', 'potential file for the `anharm serve` line')
    .option('--structure <file>', 'structure file with the species and atom order of the server\'s structures')
    .option('--engine <list>', `only these engines (comma-separated: ${ENGINE_NAMES.join(', ')})`)
    .option('--json', 'one JSON object {server, clients: {engine: text}}')
    .action((opts: ClientsCliOptions) => {
      runClients(opts);
    });
  engines
    .command('label')
    .argument('<structures>', 'structures to evaluate (extended XYZ with any number of frames, POSCAR, CIF)')
    .description('run an i-PI server: connected engines compute energy, forces and stress of every structure; write them as extended XYZ')
    .option('--out <file>', 'output extended XYZ file (energy, forces, stress; ipi_client, ipi_seconds, ipi_attempts, ipi_extra per frame)')
    .option('--address <host[:port]>', 'address to listen on (0.0.0.0: every interface, for engines on other nodes)', DEFAULT_IPI_ADDRESS)
    .option('--port <n>', `TCP port (default ${DEFAULT_IPI_PORT}; 0 picks a free one, printed)`)
    .option('--unix <name>', 'listen on the UNIX socket /tmp/ipi_<name> instead of TCP')
    .option('--potential <file>', 'potential file named in the printed `anharm serve` line')
    .option('--timeout <s>', 'seconds an engine may take to answer a protocol message', '60')
    .option('--job-timeout <s>', 'seconds an engine may take for one configuration before it is dropped and the configuration re-queued (default: no limit)')
    .option('--max-attempts <n>', 'attempts per configuration before the run fails', '4')
    .option('--no-stress', 'do not ask for the stress')
    .option('--json', 'JSON lines on stdout (listening with the client command lines, join, leave, requeue, result, progress, done)')
    .option('--quiet', 'no messages on stderr')
    .action(async (file: string, opts: LabelCliOptions) => {
      await runLabel(file, opts);
    });
}
