// Robustness of IpiServer: 8 clients / 500 configurations with two clients killed mid-run (every
// configuration answered exactly once, equal to direct evaluation), hostile clients (garbage,
// absurd lengths, NaN, floods, silence) dropped while the run completes, and the attempt cap.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Calculator } from '../../src/calculators/calculator.js';
import { CalculatorError } from '../../src/calculators/calculator.js';
import { encodeForceReady, encodeMessage, readHeader, readPosdataPayload } from '../../src/engines/ipi-protocol.js';
import { IpiClient } from '../../src/node/ipi-client.js';
import { type IpiEvent, IpiServer, SocketReader } from '../../src/node/ipi-server.js';
import { loadPotential } from '../../src/node/potentials.js';
import { FCC, randomCrystal } from '../calculators/helpers.js';
import { AR_LJ_FILE, relDiff, spawnServe, within } from './helpers.js';

const argon = (seed: number) => randomCrystal(FCC, 5.3, 2, () => 'Ar', seed, 0.08, 0.15); // 32 atoms

let lj: Calculator;
beforeAll(async () => {
  lj = await loadPotential(AR_LJ_FILE);
});
const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(report.join('\n'));
});

/** A scripted fake client: answers like an engine, but GETFORCE gets `reply(natoms)` bytes. */
function fakeClient(port: number, reply: (natoms: number) => Uint8Array): Socket {
  const sock = connect({ host: '127.0.0.1', port });
  const r = new SocketReader(sock);
  let state = 'NEEDINIT', natoms = 0;
  void (async () => {
    try {
      for (let k = 0; k < 100; k++) {
        const m = await readHeader(r);
        if (m === 'STATUS') sock.write(encodeMessage(state as 'READY'));
        else if (m === 'INIT') {
          await r.read(4);
          const len = new DataView((await r.read(4)).buffer).getInt32(0, true);
          await r.read(len);
          state = 'READY';
        } else if (m === 'POSDATA') {
          natoms = (await readPosdataPayload(r)).positions.length / 3;
          state = 'HAVEDATA';
        } else if (m === 'GETFORCE') sock.write(reply(natoms));
        else break;
      }
    } catch {
      /* dropped by the server: expected */
    }
  })();
  sock.on('error', () => {});
  return sock;
}
const closed = (s: Socket) => new Promise<void>((res) => (s.destroyed ? res() : s.on('close', () => res())));

describe('IpiServer under load and attack', () => {
  it('8 clients, 500 configurations, two clients killed mid-run: each configuration answered exactly once and equal to direct evaluation', async () => {
    const events: IpiEvent[] = [];
    const server = await IpiServer.listen({ port: 0, timeout: 20, onEvent: (e) => events.push(e) });
    const structures = Array.from({ length: 500 }, (_, i) => argon(1000 + i));
    // 2 `anharm serve` processes + 6 in-process clients; in-process client 0 drops its connection
    // right after reading its 20th POSDATA (a crash in the middle of a configuration), and one
    // child process is SIGKILLed when 150 configurations are done.
    const procs = [0, 1].map(() => spawnServe(['--potential', AR_LJ_FILE, '--port', String(server.port), '--wait', '10', '--quiet']));
    const clients: IpiClient[] = [];
    for (let i = 0; i < 6; i++) {
      let seen = 0;
      const c: IpiClient = await IpiClient.connect({
        calculator: lj, species: 'Ar', port: server.port,
        onPosdata: i === 0 ? () => { if (++seen === 20) c.kill(); } : undefined,
      });
      clients.push(c);
    }
    const runs = clients.map((c) => c.run());
    try {
      await server.waitForClients(8, 20);
      let last = 0;
      const t0 = performance.now();
      const got = await within(
        server.compute(structures, {
          stress: true,
          onProgress: (done, total) => {
            expect(done).toBe(last + 1);
            expect(total).toBe(500);
            last = done;
            if (done === 150) procs[0].kill('SIGKILL');
          },
        }),
        30_000,
        'compute of 500 configurations',
      );
      const seconds = (performance.now() - t0) / 1000;
      const count = new Array(500).fill(0);
      for (const e of events) if (e.type === 'result') count[e.index]++;
      expect(count.every((n) => n === 1)).toBe(true);
      const requeues = events.filter((e) => e.type === 'requeue');
      const dispatches = events.filter((e) => e.type === 'dispatch').length;
      expect(requeues.length).toBeGreaterThanOrEqual(1); // the mid-configuration crash
      expect(dispatches).toBe(500 + requeues.length);
      expect(events.filter((e) => e.type === 'leave').length).toBe(2);
      const ref = await lj.compute(structures, { stress: true });
      let worst = 0;
      got.forEach((g, i) => {
        const d = relDiff(g, ref[i]);
        worst = Math.max(worst, d.energy, d.forces, d.stress);
      });
      expect(worst).toBeLessThan(1e-12);
      const byClient = new Map<string, number>();
      for (const g of got) byClient.set(g.info!.client as string, (byClient.get(g.info!.client as string) ?? 0) + 1);
      expect(byClient.size).toBe(8);
      report.push(
        `load: 500 configurations (32 atoms) on 8 clients in ${seconds.toFixed(2)} s, ${requeues.length} requeued (${requeues.map((e) => (e as { reason: string }).reason).join('; ')}), ` +
          `per client ${[...byClient.values()].join('/')}, worst relative difference vs direct ${worst.toExponential(1)}`,
      );
    } finally {
      await server.close();
    }
    const summaries = await within(Promise.all(runs), 5000, 'clients');
    expect(summaries[0].ended).toBe('closed');
    expect(summaries.slice(1).every((s) => s.ended === 'exit')).toBe(true);
    expect(await within(procs[1].exited, 5000, 'serve exit')).toBe(0);
    await within(procs[0].exited, 5000, 'killed serve');
  });

  it('hostile clients (garbage, absurd lengths, NaN, flood, silence) are dropped and the run completes', async () => {
    const events: IpiEvent[] = [];
    const server = await IpiServer.listen({ port: 0, timeout: 1, maxAttempts: 10, onEvent: (e) => events.push(e) });
    const le32 = (v: number) => new Uint8Array(Int32Array.of(v).buffer);
    const good = (n: number, f = 0.1, extraLen?: number) => {
      const b = encodeForceReady({ energy: -1, forces: new Float64Array(3 * n).fill(f), virial: new Float64Array(9), extra: new Uint8Array(4) });
      if (extraLen !== undefined) b.set(le32(extraLen), b.length - 8);
      return b;
    };
    const hostile: Socket[] = [
      fakeClient(server.port!, () => new TextEncoder().encode('garbage bytes, not i-PI at all')),
      fakeClient(server.port!, (n) => { const b = good(n); b.set(le32(0x7fffffff), 20); return b; }), // natoms 2^31-1
      fakeClient(server.port!, (n) => good(n, 0.1, 0x7fffffff)), // extra string of 2 GB
      fakeClient(server.port!, (n) => good(n, NaN)), // NaN forces
      fakeClient(server.port!, () => new Uint8Array(0)), // never answers GETFORCE (timeout)
    ];
    try {
      // a client flooding an idle server with 1 MB nobody asked for
      const flood = connect({ host: '127.0.0.1', port: server.port! });
      flood.on('error', () => {});
      flood.write(new Uint8Array(1 << 20).fill(65));
      await within(closed(flood), 5000, 'flood client closed');
      await server.waitForClients(5, 10);
      const structures = Array.from({ length: 20 }, (_, i) => argon(5000 + i));
      const computing = server.compute(structures, { stress: true });
      await new Promise((r) => setTimeout(r, 100)); // let the hostile clients take their configurations
      const honest = await IpiClient.connect({ calculator: lj, species: 'Ar', port: server.port });
      const run = honest.run();
      const got = await within(computing, 15_000, 'compute with hostile clients');
      const ref = await lj.compute(structures, { stress: true });
      got.forEach((g, i) => expect(relDiff(g, ref[i]).forces).toBeLessThan(1e-12));
      await within(Promise.all(hostile.map(closed)), 5000, 'hostile clients closed');
      const reasons = events.filter((e) => e.type === 'leave').map((e) => (e as { reason: string }).reason);
      report.push(`hostile clients dropped: ${reasons.join(' | ')}`);
      expect(reasons.join('\n')).toMatch(/malformed header|unknown message/);
      expect(reasons.join('\n')).toMatch(/2147483647 atoms/);
      expect(reasons.join('\n')).toMatch(/extra-string length 2147483647/);
      expect(reasons.join('\n')).toMatch(/force on atom 1 of configuration \d+ is NaN/);
      expect(reasons.join('\n')).toMatch(/timeout: no FORCEREADY within 1 s/);
      expect(reasons.join('\n')).toMatch(/not asked for/);
      await server.close();
      expect((await within(run, 5000, 'honest client')).ended).toBe('exit');
    } finally {
      await server.close();
    }
  });

  it('a configuration that fails on every client fails the batch after maxAttempts, naming it', async () => {
    const server = await IpiServer.listen({ port: 0, timeout: 5, maxAttempts: 2 });
    try {
      const nan = (n: number) => encodeForceReady({ energy: NaN, forces: new Float64Array(3 * n), virial: new Float64Array(9), extra: new Uint8Array(1) });
      const socks = [fakeClient(server.port!, nan), fakeClient(server.port!, nan)];
      await server.waitForClients(2, 10);
      await expect(within(server.compute([argon(1)]), 10_000, 'compute')).rejects.toThrow(CalculatorError);
      await expect(server.compute([argon(1)], { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
      socks.forEach((s) => s.destroy());
    } finally {
      await server.close();
    }
  });
});
