// The cluster pattern (docs/engines.md, "Many engines on a cluster"): `anharm engines label` is the
// server (here on 127.0.0.2, a non-default address, port chosen by the system), engines are separate
// processes started at different times with the command lines the server printed — `anharm serve`
// and ASE's SocketClient snippet — joining late, crashing (SIGKILL) and being stopped (SIGTERM)
// mid-run. Every configuration is answered exactly once and equals the direct evaluation.
// Also: `anharm engines clients` (TCP, UNIX, JSON, wildcard address, mistakes).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Calculator } from '../../src/calculators/calculator.js';
import { ENGINE_NAMES, ENGINE_TITLES, type ClientCommands } from '../../src/engines/client-commands.js';
import { readExtxyz, writeExtxyz } from '../../src/io/extxyz.js';
import { loadPotential } from '../../src/node/potentials.js';
import { FCC, randomCrystal } from '../calculators/helpers.js';
import { BIN, PYTHON, requirePython, runCli } from '../helpers/processes.js';
import { AR_LJ, AR_LJ_FILE, TMP, relDiff, within } from './helpers.js';

const argon = (seed: number) => randomCrystal(FCC, 5.3, 2, () => 'Ar', seed, 0.08, 0.15); // 32 atoms, triclinic

/** The `## title` sections of `anharm engines clients` text, by engine. */
function sections(text: string): Partial<ClientCommands> {
  const byTitle = new Map(ENGINE_NAMES.map((e) => [`## ${ENGINE_TITLES[e]}`, e]));
  const out: Partial<ClientCommands> = {};
  let cur: keyof ClientCommands | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) {
      cur = byTitle.get(line);
      expect(cur, `unknown section ${line}`).toBeDefined();
      out[cur!] = '';
    } else if (cur && line !== '') out[cur] = out[cur] ? `${out[cur]}\n${line}` : line;
  }
  return out;
}

/** Split a printed shell command line into words (plain words and '…' quoting, as shellQuote writes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m; (m = re.exec(line)); ) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]);
  return words;
}

let lj: Calculator;
beforeAll(async () => {
  lj = await loadPotential(AR_LJ_FILE);
});

describe('anharm engines clients', () => {
  it('prints the exact client command lines for TCP and UNIX sockets; --json gives the same text', () => {
    const r = runCli('engines', 'clients', '--address', '10.1.2.3:40123', '--potential', 'my lj.json', '--structure', 'frames.xyz');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('# i-PI server at 10.1.2.3:40123 (TCP): start any number of engines, at any time, with one of:');
    const c = sections(r.stdout);
    expect(shellWords(c.anharm!)).toEqual(['anharm', 'serve', '--potential', 'my lj.json', '--structure', 'frames.xyz', '--address', '10.1.2.3', '--port', '40123', '--wait', '600']);
    expect(c.ase).toContain('client = SocketClient(host="10.1.2.3", port=40123)\nclient.protocol.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)');
    expect(c.ase).toContain('\nclient.run(atoms, use_stress=True)');
    expect(c.ase).toContain('atoms = read("frames.xyz")');
    expect(c.lammps!.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\s+#.*$/, ''))).toEqual([
      'fix 1 all ipi 10.1.2.3 40123', 'neigh_modify every 1 delay 0 check no', 'run 100000000',
    ]);
    expect(c.qe!.split('\n').pop()).toBe('pw.x --ipi 10.1.2.3:40123 -in pw.in > pw.out');
    const j = runCli('engines', 'clients', '--address', '10.1.2.3', '--port', '40123', '--potential', 'my lj.json', '--structure', 'frames.xyz', '--json');
    expect(JSON.parse(j.stdout)).toEqual({ server: { host: '10.1.2.3', port: 40123 }, clients: c });

    const u = sections(runCli('engines', 'clients', '--unix', 'run7').stdout);
    expect(shellWords(u.anharm!)).toEqual(['anharm', 'serve', '--potential', 'POTENTIAL.json', '--structure', 'POSCAR', '--unix', 'run7', '--wait', '600']);
    expect(u.ase).toContain('client = SocketClient(unixsocket="run7")\nclient.run(');
    expect(u.ase).not.toContain('TCP_NODELAY');
    expect(u.lammps).toContain('\nfix 1 all ipi run7 31415 unix\n');
    expect(u.qe!.split('\n').pop()).toBe('pw.x --ipi run7:UNIX -in pw.in > pw.out');

    // a server bound to every interface: the engines need this machine's name
    const w = runCli('engines', 'clients', '--address', '0.0.0.0', '--engine', 'qe');
    expect(Object.keys(sections(w.stdout))).toEqual(['qe']);
    expect(w.stdout).toContain(`pw.x --ipi ${hostname()}:31415 -in pw.in`);
  });

  it('mistakes are one-line errors with exit code 2', () => {
    for (const [args, msg] of [
      [['--engine', 'vasp'], /option --engine: expected some of anharm, ase, lammps, qe/],
      [['--unix', 'x', '--port', '3'], /either a TCP port .* or --unix/],
      [['--unix', '../x'], /option --unix: a socket name/],
      [['--port', '70000'], /option --port: expected an integer in \[1, 65535\]/],
      [['--address', 'a:1', '--port', '2'], /name different ports/],
    ] as [string[], RegExp][]) {
      const r = runCli('engines', 'clients', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const frames = join(TMP, 'one.extxyz');
    writeFileSync(frames, writeExtxyz({ structure: argon(1) }));
    expect(runCli('engines', 'label', frames).stderr).toMatch(/^anharm: option --out <file.extxyz> is required/);
    expect(runCli('engines', 'label', frames, '--out', 'x.cif').stderr).toMatch(/must be an extended XYZ file name/);
    expect(runCli('engines', 'label', join(TMP, 'nope.xyz'), '--out', 'x.xyz').stderr).toMatch(/nope\.xyz: no such file/);
  });

  it('label: a port that is taken is a one-line error', async () => {
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    const frames = join(TMP, 'one.extxyz');
    writeFileSync(frames, writeExtxyz({ structure: argon(1) }));
    const r = runCli('engines', 'label', frames, '--out', join(TMP, 'x.xyz'), '--port', String(port));
    other.close();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^anharm: port ${port} on 127\\.0\\.0\\.1 is already in use`));
  });
});

describe('scale-out: `anharm engines label` on 127.0.0.2 with engines joining and leaving', () => {
  it('engines started from the printed command lines at different times; one crashes, one is stopped; every configuration answered once', async () => {
    requirePython(['ase', 'numpy'], 'The scale-out test runs ASE\'s SocketClient: apt-get install -y --no-install-recommends python3-ase');
    const N = 240;
    const structures = Array.from({ length: N }, (_, i) => argon(7000 + i));
    const frames = join(TMP, 'scale-frames.extxyz');
    const out = join(TMP, 'scale-labelled.extxyz');
    writeFileSync(frames, writeExtxyz(structures.map((structure, i) => ({ structure, info: { config_id: i } }))));

    const server = spawn(process.execPath, [BIN, 'engines', 'label', frames, '--out', out, '--address', '127.0.0.2', '--port', '0', '--potential', AR_LJ_FILE, '--timeout', '20', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let serverErr = '';
    server.stderr!.on('data', (d) => (serverErr += d));
    const serverExit = new Promise<number | null>((r) => server.on('exit', r));

    const engines: { name: string; p: ChildProcess; exited: Promise<number | null>; signal: () => NodeJS.Signals | null; err: () => string }[] = [];
    const start = (name: string, cmd: string, args: string[], stdin?: string) => {
      const p = spawn(cmd, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'], env: { ...process.env, ANHARM_SERVE_DELAY_MS: '30' } });
      if (stdin !== undefined) p.stdin!.end(stdin);
      let err = '';
      p.stderr!.on('data', (d) => (err += d));
      let sig: NodeJS.Signals | null = null;
      const exited = new Promise<number | null>((r) => p.on('exit', (code, s) => { sig = s; r(code); }));
      engines.push({ name, p, exited, signal: () => sig, err: () => err });
    };

    let clients: ClientCommands | undefined;
    let listening: { host: string; port: number } | undefined;
    const events: Record<string, unknown>[] = [];
    let done: Record<string, unknown> | undefined;
    let anharmArgv: string[] = [];
    let aseScript = '';
    const steps = new Set<string>();
    const once = (key: string, f: () => void) => {
      if (!steps.has(key)) {
        steps.add(key);
        f();
      }
    };
    let buf = '';
    const finished = new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d) => {
        buf += d;
        let k;
        while ((k = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, k);
          buf = buf.slice(k + 1);
          const e = JSON.parse(line) as Record<string, unknown> & { type: string };
          events.push(e);
          try {
            if (e.type === 'listening') {
              clients = e.clients as ClientCommands;
              listening = e.server as { host: string; port: number };
              // the `anharm serve` line as printed, with `anharm` = this build
              anharmArgv = shellWords(clients.anharm);
              expect(anharmArgv[0]).toBe('anharm');
              // the ASE snippet as printed, with a calculator in place of `atoms.calc = ...`: ASE's
              // Lennard-Jones with our Ar parameters, slowed like the others (30 ms per call)
              const lines = clients.ase.split('\n');
              expect(lines[0]).toBe(`python3 - <<'EOF'`);
              expect(lines.at(-1)).toBe('EOF');
              const p = AR_LJ.pairs[0];
              aseScript = lines.slice(1, -1).map((l) => (l.startsWith('atoms.calc = ...')
                ? ['import time', 'from ase.calculators.lj import LennardJones',
                  'class SlowLJ(LennardJones):',
                  '    def calculate(self, *a, **k):',
                  '        time.sleep(0.03)',
                  '        super().calculate(*a, **k)',
                  `atoms.calc = SlowLJ(epsilon=${p.epsilon}, sigma=${p.sigma}, rc=${p.cutoff}, smooth=False)`].join('\n')
                : l)).join('\n') + '\n';
              start('A', process.execPath, [BIN, ...anharmArgv.slice(1)]);
            }
            if (e.type === 'progress') {
              const n = e.done as number;
              if (n >= 20) once('B+C', () => {
                start('B', process.execPath, [BIN, ...anharmArgv.slice(1)]);
                start('C (ASE)', PYTHON, ['-'], aseScript);
              });
              if (n >= 60) once('kill A', () => engines[0].p.kill('SIGKILL')); // a crashed engine
              if (n >= 90) once('D', () => start('D', process.execPath, [BIN, ...anharmArgv.slice(1)])); // a late one
              // B's job ends (scheduler), once D is in so that two engines are left
              const joined = events.filter((x) => x.type === 'join').length;
              if (n >= 180 && joined >= 4) once('stop B', () => engines[1].p.kill('SIGTERM'));
            }
            if (e.type === 'done') {
              done = e;
              resolve();
            }
          } catch (err) {
            reject(err);
          }
        }
      });
      void serverExit.then((c) => reject(new Error(`label server exited (${c}) before done: ${serverErr}`)));
    });
    try {
      await within(finished, 60_000, `labelling (stderr: ${serverErr})`);
    } finally {
      const t = setTimeout(() => {
        server.kill('SIGKILL');
        for (const e of engines) e.p.kill('SIGKILL');
      }, 20_000);
      await Promise.all([serverExit, ...engines.map((e) => e.exited)]);
      clearTimeout(t);
    }
    expect(await serverExit, serverErr).toBe(0);
    expect(listening!.host).toBe('127.0.0.2');
    expect(listening!.port).toBeGreaterThan(0);
    expect(anharmArgv.slice(1)).toEqual(['serve', '--potential', AR_LJ_FILE, '--structure', frames, '--address', '127.0.0.2', '--port', String(listening!.port), '--wait', '600']);
    expect(aseScript).toContain(`SocketClient(host="127.0.0.2", port=${listening!.port})`);
    expect(aseScript).toContain('TCP_NODELAY');

    // the engines: A killed, B stopped, C (ASE) and D ended by the server's EXIT
    const [A, B, C, D] = engines;
    expect([A, B, C, D].map((e) => e?.name)).toEqual(['A', 'B', 'C (ASE)', 'D']);
    expect(A.signal()).toBe('SIGKILL');
    expect(B.signal()).toBe('SIGTERM');
    expect(await C.exited, C.err()).toBe(0);
    expect(await D.exited, D.err()).toBe(0);
    expect(D.err()).toMatch(/server sent EXIT after [1-9]\d* configurations/);

    // exactly once: one result per configuration, dispatches = configurations + requeues
    const results = events.filter((e) => e.type === 'result');
    const count = new Array(N).fill(0);
    for (const e of results) count[e.index as number]++;
    expect(count.every((n) => n === 1)).toBe(true);
    expect(done!.configurations).toBe(N);
    expect(done!.dispatches).toBe(N + (done!.requeues as number));
    expect(events.filter((e) => e.type === 'requeue')).toHaveLength(done!.requeues as number);
    const joins = events.filter((e) => e.type === 'join').map((e) => e.client as string);
    const end = events.findIndex((e) => e.type === 'progress' && e.done === N);
    const leaves = events.slice(0, end).filter((e) => e.type === 'leave').map((e) => e.client as string);
    expect(joins).toHaveLength(4);
    expect(leaves).toHaveLength(2); // A and B during the run; C and D leave when the server closes
    const perClient = done!.clients as Record<string, number>;
    expect(Object.keys(perClient).sort()).toEqual([...joins].sort());
    for (const c of joins) expect(perClient[c], `${c} answered nothing`).toBeGreaterThan(0); // the late joiner too
    expect(Object.values(perClient).reduce((a, b) => a + b, 0)).toBe(N);

    // the file: N frames in input order, the input geometry and info kept, results equal direct evaluation
    const labelled = readExtxyz(readFileSync(out, 'utf8'), out);
    expect(labelled).toHaveLength(N);
    // the reference: what the server read from the frames file, evaluated in this process
    const input = readExtxyz(readFileSync(frames, 'utf8'), frames).map((f) => f.structure);
    const ref = await lj.compute(input, { stress: true });
    let worstOurs = 0, worstAse = 0, byAse = 0;
    labelled.forEach((f, i) => {
      expect(f.info.get('config_id')).toBe(i);
      const x = f.structure.cartesian(), x0 = input[i].cartesian();
      expect(Math.max(...x.map((v, k) => Math.abs(v - x0[k])))).toBeLessThan(1e-12);
      expect(f.info.get('ipi_attempts')).toBeGreaterThanOrEqual(1);
      expect(perClient[f.info.get('ipi_client') as string]).toBeGreaterThan(0);
      const d = relDiff({ energy: f.energy!, forces: f.forces!, stress: f.stress }, ref[i]);
      const w = Math.max(d.energy, d.forces, d.stress);
      // `anharm serve` says who it is in the extra string; ASE sends none
      if (f.info.has('ipi_extra')) {
        expect(JSON.parse(f.info.get('ipi_extra') as string)).toMatchObject({ engine: 'anharm' });
        worstOurs = Math.max(worstOurs, w);
      } else {
        byAse++;
        worstAse = Math.max(worstAse, w);
      }
    });
    console.log(
      `scale-out: ${N} configurations via 127.0.0.2:${listening!.port} in ${(done!.seconds as number).toFixed(1)} s, per engine ${Object.values(perClient).join('/')} ` +
        `(ASE ${byAse}), ${done!.requeues} re-queued; worst relative difference vs direct: anharm serve ${worstOurs.toExponential(1)}, ASE ${worstAse.toExponential(1)}`,
    );
    expect(byAse).toBeGreaterThan(0);
    expect(worstOurs).toBeLessThan(1e-12);
    // ASE 3.22 converts with its CODATA 2014 units (Ha 8e-9, bohr 4e-10 relative from ours); the
    // stress of these near-equilibrium cells amplifies the position scaling (seen: 1.4e-7). The exact
    // ASE check, with the units aligned, is in ipi-server.test.ts.
    expect(worstAse).toBeLessThan(1e-6);
  });
});
