// `anharm serve --potential FILE`: a built-in potential as an i-PI CLIENT (physics.md 9.4). It
// connects to an i-PI server (i-PI, ASE's SocketIOCalculator, `IpiServer`) and answers STATUS,
// POSDATA and GETFORCE until the server sends EXIT. Species and atom order come from --structure
// (also the reference of bond-network potentials); without it, a potential with one species serves
// any number of atoms of that species.
// Testing aid (environment): ANHARM_SERVE_DELAY_MS waits before every configuration (a slow engine,
// for the scale-out tests of clients joining and leaving during a run).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PotentialError } from '../calculators/builtin.js';
import type { Calculator } from '../calculators/calculator.js';
import { IpiProtocolError } from '../engines/ipi-protocol.js';
import { IpiClient, IpiClientError } from '../node/ipi-client.js';
import { DEFAULT_IPI_ADDRESS, DEFAULT_IPI_PORT, IpiServerError } from '../node/ipi-server.js';
import { loadPotential } from '../node/potentials.js';
import type { Structure } from '../structure/structure.js';
import { intOption, numberOption, UserError } from './errors.js';
import { readInputStructure, requireFiles } from './inputs.js';

export interface ServeCliOptions {
  potential?: string;
  address: string;
  port?: string;
  unix?: string;
  structure?: string;
  wait: string;
  quiet?: boolean;
}

/** The single species of a pair potential file ("pairs" all of one element), else undefined. */
function singleSpecies(file: string): string | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as { pairs?: { species?: unknown }[]; species?: unknown };
    if (Array.isArray(o.species)) return o.species.length === 1 ? String(o.species[0]) : undefined; // an MLIP model file
    const all = new Set((o.pairs ?? []).flatMap((p) => (Array.isArray(p.species) ? p.species : [])));
    return all.size === 1 ? String([...all][0]) : undefined;
  } catch {
    return undefined;
  }
}

export async function runServe(o: ServeCliOptions): Promise<void> {
  if (!o.potential) throw new UserError('option --potential <file> is required (a JSON potential file)');
  if (o.port !== undefined && o.unix !== undefined) throw new UserError('give either --port or --unix, not both');
  const port = o.port !== undefined ? intOption('--port', o.port, 1, 65535) : DEFAULT_IPI_PORT;
  const wait = numberOption('--wait', o.wait, { nonNegative: true });
  requireFiles(o.potential, ...(o.structure ? [o.structure] : []));
  const reference: Structure | undefined = o.structure ? await readInputStructure(o.structure) : undefined;
  const one = reference ? undefined : singleSpecies(o.potential);
  if (!reference && !one) throw new UserError(`${o.potential}: give --structure (species and atom order) for potentials with more than one species`);
  let calc: Calculator;
  try {
    calc = await loadPotential(o.potential, { reference });
  } catch (e) {
    if (e instanceof PotentialError) throw new UserError(e.message);
    throw e;
  }
  const delayMs = Number(process.env.ANHARM_SERVE_DELAY_MS ?? 0);
  if (delayMs > 0) {
    const inner = calc;
    calc = {
      name: inner.name,
      compute: async (structures, options) => {
        await new Promise((r) => setTimeout(r, delayMs));
        return inner.compute(structures, options);
      },
      dispose: () => inner.dispose?.(),
    };
  }
  const log = (m: string) => {
    if (!o.quiet) process.stderr.write(`anharm serve: ${m}\n`);
  };
  try {
    const client = await IpiClient.connect({
      calculator: calc,
      species: reference ?? one!,
      address: o.address,
      port,
      unix: o.unix,
      wait,
    });
    log(`connected to ${client.target} (${calc.name}${reference ? `, ${reference.natoms} atoms from ${o.structure}` : `, every atom ${one}`})`);
    const r = await client.run();
    log(`${r.ended === 'exit' ? 'server sent EXIT' : 'server closed the connection'} after ${r.configurations} configurations`);
  } catch (e) {
    if (e instanceof IpiClientError || e instanceof IpiServerError) throw new UserError(e.message);
    if (e instanceof IpiProtocolError) {
      process.stderr.write(`anharm: i-PI protocol error: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  } finally {
    await calc.dispose?.();
  }
}

/** Register `anharm serve` on the program. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a built-in potential as an i-PI client (engine): connect to an i-PI server and answer its force requests until it sends EXIT')
    .option('--potential <file>', 'potential file: a built-in potential (JSON), an MLIP model (anharm train) or an ONNX model')
    .option('--address <host>', 'server host for TCP', DEFAULT_IPI_ADDRESS)
    .option('--port <n>', `server TCP port (default ${DEFAULT_IPI_PORT})`)
    .option('--unix <name>', 'connect to the UNIX socket /tmp/ipi_<name> instead of TCP')
    .option('--structure <file>', 'structure whose species and atom order the server uses (required for several species and bond-network)')
    .option('--wait <s>', 'keep trying to connect for this many seconds', '0')
    .option('--quiet', 'no messages on stderr')
    .action(async (opts: ServeCliOptions) => {
      await runServe(opts);
    });
}
