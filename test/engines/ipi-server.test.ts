// IpiServer with real clients over loopback: our own client (the `anharm serve` CLI over TCP, an
// in-process IpiClient over a UNIX socket) and ASE's SocketClient; results equal the built-in
// potential called directly. Plus: port taken, stale UNIX sockets, EXIT at close.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import type { Calculator } from '../../src/calculators/calculator.js';
import { IpiClient } from '../../src/node/ipi-client.js';
import { IpiServer, unixSocketPath } from '../../src/node/ipi-server.js';
import { loadKernels } from '../../src/node/kernels.js';
import { fileReader, loadPotential } from '../../src/node/potentials.js';
import type { Structure } from '../../src/structure/structure.js';
import { DIAMOND, FCC, randomCrystal } from '../calculators/helpers.js';
import { fixturePath } from '../helpers/fixtures.js';
import { BIN, PYTHON, requirePython, runCli } from '../helpers/processes.js';
import { AR_LJ, AR_LJ_FILE, TMP, relDiff, spawnServe, within } from './helpers.js';

const argon = (seed: number) => randomCrystal(FCC, 5.3, 2, () => 'Ar', seed, 0.08, 0.15); // 32 atoms, triclinic
const silicon = (seed: number) => randomCrystal(DIAMOND, 5.43, 1, () => 'Si', seed, 0.05, 0.1); // 8 atoms

let lj: Calculator;
beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npx tsc -p ." first`);
  lj = await loadPotential(AR_LJ_FILE);
});

const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(report.join('\n'));
});

describe('IpiServer with our own client', () => {
  it('TCP: `anharm serve` (a child process) gives the energies, forces and stresses of the potential called directly (≤ 1e-12 relative)', async () => {
    const server = await IpiServer.listen({ port: 0, timeout: 20 });
    const cli = spawnServe(['--potential', AR_LJ_FILE, '--port', String(server.port), '--wait', '10']);
    try {
      await server.waitForClients(1, 20);
      const structures = Array.from({ length: 6 }, (_, i) => argon(100 + i));
      const got = await within(server.compute(structures, { stress: true }), 20_000, 'compute');
      const ref = await lj.compute(structures, { stress: true });
      let worst = { energy: 0, forces: 0, stress: 0 };
      got.forEach((g, i) => {
        const d = relDiff(g, ref[i]);
        worst = { energy: Math.max(worst.energy, d.energy), forces: Math.max(worst.forces, d.forces), stress: Math.max(worst.stress, d.stress) };
        expect(g.info?.engine).toBe('i-pi');
        expect(g.info?.client).toMatch(/^#\d+ \(127\.0\.0\.1:\d+\)$/);
        expect(g.info?.seconds).toBeGreaterThan(0);
        expect(JSON.parse(g.info?.extra as string)).toMatchObject({ engine: 'anharm' });
      });
      report.push(`TCP, anharm serve: worst relative difference vs direct: E ${worst.energy.toExponential(1)}, F ${worst.forces.toExponential(1)}, σ ${worst.stress.toExponential(1)}`);
      expect(worst.energy).toBeLessThan(1e-12);
      expect(worst.forces).toBeLessThan(1e-12);
      expect(worst.stress).toBeLessThan(1e-12);
      // without {stress: true} no stress is reported
      const [noStress] = await server.compute([structures[0]]);
      expect(noStress.stress).toBeUndefined();
    } finally {
      await server.close();
    }
    expect(await within(cli.exited, 10_000, 'anharm serve exit')).toBe(0);
    expect(cli.err()).toMatch(/server sent EXIT after 7 configurations/);
  });

  it('UNIX socket: an in-process client running Stillinger-Weber Si (with --structure species) matches the direct call', async () => {
    const name = `anharm-test-${process.pid}`;
    const k = await loadKernels();
    const sw = builtinCalculator(k, { type: 'stillinger-weber', file: 'Si.sw' }, { readFile: fileReader(fixturePath('potentials')) });
    const server = await IpiServer.listen({ unix: name, timeout: 20 });
    expect(existsSync(unixSocketPath(name))).toBe(true);
    const structures = Array.from({ length: 5 }, (_, i) => silicon(7 + i));
    const client = await IpiClient.connect({ calculator: sw, species: structures[0], unix: name });
    const served = client.run();
    try {
      const got = await within(server.compute(structures, { stress: true }), 20_000, 'compute');
      const ref = await sw.compute(structures, { stress: true });
      got.forEach((g, i) => {
        const d = relDiff(g, ref[i]);
        expect(d.energy).toBeLessThan(1e-12);
        expect(d.forces).toBeLessThan(1e-12);
        expect(d.stress).toBeLessThan(1e-12);
        expect(g.info?.client).toMatch(/unix/);
      });
    } finally {
      await server.close();
    }
    expect(await within(served, 5000, 'client')).toEqual({ configurations: 5, ended: 'exit' });
    expect(existsSync(unixSocketPath(name))).toBe(false);
  });

  it('a port that is taken gives a clear error naming the port; a live UNIX socket too; a stale UNIX socket file is reclaimed', async () => {
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    await expect(IpiServer.listen({ port })).rejects.toThrow(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*--port`));
    other.close();

    const name = `anharm-taken-${process.pid}`;
    const a = await IpiServer.listen({ unix: name });
    await expect(IpiServer.listen({ unix: name })).rejects.toThrow(/UNIX socket \/tmp\/ipi_anharm-taken-\d+ is already in use/);
    await a.close();
    writeFileSync(unixSocketPath(name), ''); // a stale file left by a crashed server
    const b = await IpiServer.listen({ unix: name });
    await b.close();
    await expect(IpiServer.listen({ unix: '../etc/passwd' })).rejects.toThrow(/UNIX socket name/);
  });

  it('`anharm serve` without a server: one line naming the address, exit code 2', () => {
    const r = runCli('serve', '--potential', AR_LJ_FILE, '--port', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^anharm: cannot connect to the i-PI server at 127\.0\.0\.1:1/);
  });
});

describe('IpiServer with ASE (python3-ase SocketClient + ase.calculators.lj.LennardJones)', () => {
  it('energies, forces and stresses equal our built-in Lennard-Jones to 1e-10', async () => {
    requirePython(['ase', 'numpy'], 'The i-PI test with ASE needs Debian package python3-ase: apt-get install -y --no-install-recommends python3-ase');
    const server = await IpiServer.listen({ port: 0, timeout: 30 });
    const p = AR_LJ.pairs[0];
    const structures = Array.from({ length: 4 }, (_, i) => argon(200 + i));
    const py = spawn(PYTHON, [fixturePath('scripts/ipi_ase_client.py'), '--port', String(server.port), '--natoms', '32', '--species', 'Ar',
      '--epsilon', String(p.epsilon), '--sigma', String(p.sigma), '--rc', String(p.cutoff)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    py.stdout.on('data', (d) => (out += d));
    py.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => py.on('exit', r));
    let got;
    try {
      await within(Promise.race([server.waitForClients(1, 30), exited.then(() => { throw new Error(`ASE client exited: ${err}`); })]), 30_000, 'ASE client');
      got = await within(server.compute(structures, { stress: true }), 30_000, 'compute');
    } finally {
      await server.close();
    }
    expect(await within(exited, 10_000, 'ASE exit'), err).toBe(0);
    expect(JSON.parse(out).configurations).toBe(4);
    const ref = await lj.compute(structures, { stress: true });
    let worst = { energy: 0, forces: 0, stress: 0 };
    got.forEach((g, i) => {
      const d = relDiff(g, ref[i]);
      worst = { energy: Math.max(worst.energy, d.energy), forces: Math.max(worst.forces, d.forces), stress: Math.max(worst.stress, d.stress) };
    });
    report.push(`ASE ${JSON.parse(out).ase} SocketClient + LennardJones: worst relative difference vs built-in: E ${worst.energy.toExponential(1)}, F ${worst.forces.toExponential(1)}, σ ${worst.stress.toExponential(1)}`);
    expect(worst.energy).toBeLessThan(1e-10);
    expect(worst.forces).toBeLessThan(1e-10);
    expect(worst.stress).toBeLessThan(1e-10);
  });
});
