// The GPAW reference engine of `anharm run --reference gpaw`: an IpiServer on a UNIX socket per
// group of configurations that share species order and k-point grid, each served by GPAW i-PI
// clients (scripts/gpaw_ipi_client.py, Debian's gpaw + python3-ase) that the toolkit starts and stops.
// i-PI carries no species, hence one group (server + clients) per species sequence.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CalcOptions, CalcResult, Calculator } from '../calculators/calculator.js';
import { CalculatorError } from '../calculators/calculator.js';
import type { Structure } from '../structure/structure.js';
import { IpiServer } from './ipi-server.js';

export interface GpawSettings {
  /** Plane-wave cutoff (eV). */
  cutoff: number;
  /** Largest k-point spacing (1/Å, without the 2π: n_i = ceil(|b_i| / kspacing), b = reciprocal rows with 2π). */
  kspacing: number;
  /** Fermi-Dirac width (eV). */
  smearing: number;
  /** GPAW processes per group. */
  clients: number;
}

/** Monkhorst-Pack grid for a cell (rows = lattice vectors): n_i = max(1, ceil(2π|b_i| / kspacing)). */
export function kpointGrid(cell: ArrayLike<number>, kspacing: number): [number, number, number] {
  const a = [0, 1, 2].map((i) => [cell[3 * i], cell[3 * i + 1], cell[3 * i + 2]]);
  const cross = (u: number[], v: number[]) => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const vol = Math.abs(a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]));
  const b = [cross(a[1], a[2]), cross(a[2], a[0]), cross(a[0], a[1])].map((v) => Math.hypot(v[0], v[1], v[2]) / vol);
  return b.map((x) => Math.max(1, Math.ceil((2 * Math.PI * x) / kspacing))) as [number, number, number];
}

// src/node (tests) or dist/src/node (the built package): the script lives in scripts/ at the root
const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPT = ['../../scripts', '../../../scripts'].map((d) => resolve(HERE, d, 'gpaw_ipi_client.py')).find((p) => existsSync(p)) ?? resolve(HERE, '../../../scripts/gpaw_ipi_client.py');

interface Group {
  server: IpiServer;
  clients: ChildProcess[];
  /** (Re)start client n of the group. */
  start(n: number): void;
}

/** Restarts of crashed clients per group before the group is left to fail. */
const MAX_RESTARTS = 5;

class GpawReference implements Calculator {
  private disposed = false;
  readonly name = 'GPAW (PBE, i-PI)';
  private readonly groups = new Map<string, Group>();
  private counter = 0;

  constructor(private readonly settings: GpawSettings, private readonly workdir: string, private readonly python: string) {}

  private async group(s: Structure): Promise<Group> {
    const kpts = kpointGrid(s.cell, this.settings.kspacing);
    const key = `${s.species.join(',')}|${kpts.join(',')}`;
    const found = this.groups.get(key);
    if (found) return found;
    const name = `anharm-gpaw-${process.pid}-${this.counter++}`;
    const server = await IpiServer.listen({ unix: name, timeout: 600 });
    const clients: ChildProcess[] = [];
    const start = (c: number) => {
      const log = join(this.workdir, `${name}-${c}.txt`);
      const child = spawn(this.python, [SCRIPT, '--unix', name, '--symbols', s.species.join(','), '--ecut', String(this.settings.cutoff), '--kpts', kpts.join(','), '--smearing', String(this.settings.smearing), '--txt', log], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      });
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      child.on('exit', (code, signal) => {
        if (this.disposed || (code === 0 && !signal)) return;
        // a crashed client is replaced (its configuration was requeued by the server), a few times
        const again = restarts++ < MAX_RESTARTS;
        process.stderr.write(`anharm: GPAW client ${name}-${c} ${signal ? `was killed (${signal})` : `exited with code ${code}: ${err.trim().split('\n').pop() ?? ''}`}${again ? '; restarting it' : ''}\n`);
        if (again) start(c);
      });
      clients[c] = child;
    };
    let restarts = 0;
    for (let c = 0; c < this.settings.clients; c++) start(c);
    const g = { server, clients, start };
    this.groups.set(key, g);
    return g;
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    const out: CalcResult[] = new Array(structures.length);
    const byGroup = new Map<Group, number[]>();
    for (const [i, s] of structures.entries()) {
      const g = await this.group(s);
      byGroup.set(g, [...(byGroup.get(g) ?? []), i]);
    }
    for (const [g, idx] of byGroup) {
      // a client that died (killed, out of memory, a crash in GPAW) is replaced before the next work
      g.clients.forEach((c, n) => {
        if (c.exitCode !== null || c.signalCode !== null) g.start(n);
      });
      const r = await g.server.compute(idx.map((i) => structures[i]), { ...options, stress: true });
      idx.forEach((i, j) => (out[i] = r[j]));
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const g of this.groups.values()) {
      await g.server.close();
      for (const c of g.clients) if (c.exitCode === null) c.kill();
    }
    this.groups.clear();
  }
}

/** Check that GPAW can be started, then the reference Calculator. */
export async function gpawReference(settings: GpawSettings, opts: { workdir: string; python?: string }): Promise<Calculator> {
  const python = opts.python ?? '/usr/bin/python3';
  if (!existsSync(SCRIPT)) throw new CalculatorError(`GPAW reference: ${SCRIPT} is missing from the installation`);
  const ok = await new Promise<string | null>((res) => {
    const p = spawn(python, ['-c', 'import gpaw, ase'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => res(e.message));
    p.on('exit', (code) => res(code === 0 ? null : err.trim().split('\n').pop() ?? `exit ${code}`));
  });
  if (ok !== null) throw new CalculatorError(`GPAW reference: ${python} cannot import gpaw and ase (${ok}); install Debian's gpaw, gpaw-data and python3-ase`);
  mkdirSync(opts.workdir, { recursive: true });
  return new GpawReference(settings, opts.workdir, python);
}
