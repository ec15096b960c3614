// Node adapter: the toolkit's calculators as an i-PI CLIENT (physics.md 9.4), so that i-PI, ASE's
// SocketIOCalculator or our own IpiServer can use them as an engine. Answers STATUS, INIT, POSDATA,
// GETFORCE and EXIT. Atom order and species are fixed at start-up (a reference structure); the
// server must send exactly that many atoms in that order.
import { createConnection, type Socket } from 'node:net';
import type { Calculator } from '../calculators/calculator.js';
import {
  DEFAULT_LIMITS, type IpiLimits, IpiProtocolError, cellVolume, encodeForceReady, encodeMessage, fromWirePositions,
  readHeader, readInitPayload, readPosdataPayload, toWireForces,
} from '../engines/ipi-protocol.js';
import { Structure } from '../structure/structure.js';
import { DEFAULT_IPI_ADDRESS, DEFAULT_IPI_PORT, SocketReader, unixSocketPath } from './ipi-server.js';

export interface IpiClientOptions {
  /** The engine. */
  calculator: Calculator;
  /**
   * Species (and masses) in the server's atom order: a reference structure, a species list, or one
   * element symbol for every atom (then any atom count is accepted).
   */
  species: Structure | readonly string[] | string;
  /** Server host (default 127.0.0.1) and TCP port (default 31415). */
  address?: string;
  port?: number;
  /** Connect to the UNIX socket /tmp/ipi_<unix> instead. */
  unix?: string;
  /** Keep trying to connect for this many seconds (default 0: one attempt). */
  wait?: number;
  /** Send the stress (as the virial) (default true). */
  stress?: boolean;
  /** The "extra" string of every FORCEREADY (default a small JSON naming the engine). */
  extra?: string;
  /** Called with the number of atoms after each POSDATA is read, before computing (tests). */
  onPosdata?: (natoms: number) => void;
  limits?: Partial<IpiLimits>;
}

export interface IpiClientSummary {
  /** Configurations computed. */
  configurations: number;
  /** How the session ended: the server's EXIT, or the server closing the connection. */
  ended: 'exit' | 'closed';
}

export class IpiClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpiClientError';
  }
}

export class IpiClient {
  private readonly reader: SocketReader;
  private readonly limits: IpiLimits;
  private readonly species: string[] | string;
  private readonly masses?: Float64Array;
  private killed = false;

  private constructor(
    readonly socket: Socket,
    private readonly opts: IpiClientOptions,
    /** Where it is connected ("127.0.0.1:31415" or "/tmp/ipi_name"). */
    readonly target: string,
  ) {
    this.reader = new SocketReader(socket, 1 << 16);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    if (opts.species instanceof Structure) {
      this.species = [...opts.species.species];
      this.masses = opts.species.masses;
    } else if (typeof opts.species === 'string') {
      this.species = opts.species;
    } else {
      this.species = [...opts.species];
    }
    if (this.species.length === 0) throw new IpiClientError('the species list is empty');
  }

  /** Connect to a server (retrying for `wait` seconds). */
  static async connect(opts: IpiClientOptions): Promise<IpiClient> {
    const target = opts.unix !== undefined ? unixSocketPath(opts.unix) : `${opts.address ?? DEFAULT_IPI_ADDRESS}:${opts.port ?? DEFAULT_IPI_PORT}`;
    const deadline = Date.now() + 1000 * (opts.wait ?? 0);
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = opts.unix !== undefined ? createConnection({ path: target }) : createConnection({ host: opts.address ?? DEFAULT_IPI_ADDRESS, port: opts.port ?? DEFAULT_IPI_PORT, noDelay: true });
          s.once('connect', () => {
            s.off('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
        socket.setNoDelay(true);
        return new IpiClient(socket, opts, target);
      } catch (e) {
        if (Date.now() >= deadline) throw new IpiClientError(`cannot connect to the i-PI server at ${target}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Serve until the server sends EXIT or closes the connection. Rejects on a protocol violation. */
  async run(): Promise<IpiClientSummary> {
    const extra = new TextEncoder().encode(this.opts.extra ?? JSON.stringify({ engine: 'anharm', calculator: this.opts.calculator.name }));
    const stress = this.opts.stress ?? true;
    let state: 'NEEDINIT' | 'READY' | 'HAVEDATA' = 'NEEDINIT';
    let pending: Uint8Array | undefined;
    let configurations = 0;
    const send = (b: Uint8Array) => {
      if (!this.socket.destroyed) this.socket.write(b);
    };
    try {
      for (;;) {
        let msg;
        try {
          msg = await readHeader(this.reader);
        } catch (e) {
          if (e instanceof IpiProtocolError) throw e;
          return { configurations, ended: 'closed' };
        }
        switch (msg) {
          case 'STATUS':
            send(encodeMessage(state));
            break;
          case 'INIT':
            await readInitPayload(this.reader, this.limits);
            if (state === 'NEEDINIT') state = 'READY';
            break;
          case 'POSDATA': {
            if (state !== 'READY') throw new IpiProtocolError(`POSDATA while ${state}`);
            const p = await readPosdataPayload(this.reader, this.limits);
            const n = p.positions.length / 3;
            if (typeof this.species !== 'string' && n !== this.species.length) {
              throw new IpiProtocolError(`server sent ${n} atoms, this engine was started for ${this.species.length}`);
            }
            this.opts.onPosdata?.(n);
            if (this.killed) return { configurations, ended: 'closed' };
            const { cell, cartesian } = fromWirePositions(p);
            const species = typeof this.species === 'string' ? new Array<string>(n).fill(this.species) : this.species;
            const s = new Structure({ cell, cartesian, species, masses: this.masses });
            const [r] = await this.opts.calculator.compute([s], { stress });
            pending = encodeForceReady(toWireForces(r, cellVolume(cell), extra));
            state = 'HAVEDATA';
            configurations++;
            break;
          }
          case 'GETFORCE':
            if (state !== 'HAVEDATA' || !pending) throw new IpiProtocolError('GETFORCE before any POSDATA');
            send(pending);
            pending = undefined;
            state = 'READY';
            break;
          case 'EXIT':
            this.socket.end();
            return { configurations, ended: 'exit' };
          default:
            throw new IpiProtocolError(`unexpected message ${msg} from the server`);
        }
      }
    } catch (e) {
      this.socket.destroy();
      if (this.killed) return { configurations, ended: 'closed' };
      throw e;
    }
  }

  /** Drop the connection at once (as a crashed engine would). */
  kill(): void {
    this.killed = true;
    this.socket.destroy();
  }
}
