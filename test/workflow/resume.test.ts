// `anharm run` survives being killed: the loop on the He/Ne Lennard-Jones model system is killed
// (SIGKILL) at points drawn from a seeded generator, and its reference engine and its SSCHA engine die
// once each (the testing aids ANHARM_RUN_REFERENCE_FAIL_AFTER and ANHARM_SSCHA_FAIL_AFTER); the same
// command is rerun each time until it finishes. The final result.json must equal that of an
// uninterrupted run in every number (ranking, G, errors, reference calls), and no configuration may
// have been labelled twice.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/processes.js';
import { mulberry32 } from '../helpers/random.js';

const EX = resolve('examples/lj-ab');

// the smallest loop that still explores, labels, trains, learns actively and runs the SSCHA twice
const CONFIG = {
  formula: 'HeNe', pressures: [1], formulaUnits: [1], seed: 5,
  explore: { potential: join(EX, 'potential.json'), generations: 1, population: 4 },
  reference: { engine: 'potential', potential: join(EX, 'potential.json') },
  mlip: { level: 12, rcut: 4.5, rmin: 0.8, maxLabels: 12, ensemble: 8 },
  sscha: { supercell: [2, 2, 2], configs: 32, phases: 0, include: { CsCl: join(EX, 'CsCl.vasp'), NaCl: join(EX, 'NaCl.vasp') }, maxRounds: 2, spotCheck: 8 },
};

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'anharm-resume-'));
  writeFileSync(join(dir, 'run.json'), JSON.stringify(CONFIG));
  return dir;
}

interface Attempt {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  events: string[];
}

/**
 * `anharm run DIR --json`, killed with SIGKILL `delayMs` after the `killAfter`-th stage event that no
 * earlier attempt got to (a resumed run repeats some events of the finished stages).
 */
function attempt(dir: string, seen: Map<string, number>, killAfter: number | null, delayMs: number, env: Record<string, string> = {}): Promise<Attempt> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'run', dir, '--json'], { env: { ...process.env, ...env } });
    const events: string[] = [];
    const counts = new Map<string, number>();
    let fresh = 0;
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const e = JSON.parse(line) as { event: string; stage?: string; message?: string };
        if (e.event !== 'stage') continue;
        const key = `${e.stage}: ${e.message}`;
        events.push(key);
        const n = (counts.get(key) ?? 0) + 1;
        counts.set(key, n);
        if (n > (seen.get(key) ?? 0)) {
          seen.set(key, n);
          if (++fresh === killAfter) setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.on('close', (status, signal) => done({ status, signal, stderr: err, events }));
  });
}

/** The configuration keys in the label file, in order. */
function labelKeys(dir: string): string[] {
  const f = join(dir, 'run', 'labels', 'labelled.extxyz');
  return existsSync(f) ? [...readFileSync(f, 'utf8').matchAll(/ key=(\S+)/g)].map((m) => m[1]) : [];
}

const result = (dir: string) => JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8'));

describe('anharm run resumes', () => {
  it('ends with the numbers of an uninterrupted run after kills and engine failures', async () => {
    const a = folder();
    const whole = spawnSync(process.execPath, [BIN, 'run', a, '--json'], { encoding: 'utf8' });
    expect(whole.stderr).toBe('');
    expect(whole.status).toBe(0);
    const expected = result(a);
    const events = whole.stdout.split('\n').filter((l) => l.includes('"event":"stage"')).length;

    const b = folder();
    const draw = mulberry32(20260508);
    const seen = new Map<string, number>();
    // the plan: SIGKILL in the search, SIGKILL, the reference dies, SIGKILL, the SSCHA engine dies,
    // SIGKILL ×2, then to the end
    const plan: ('search' | 'kill' | 'reference' | 'sscha')[] = ['search', 'kill', 'reference', 'kill', 'sscha', 'kill', 'kill'];
    const log: string[] = [];
    let kills = 0;
    let finished = false;
    for (const what of plan) {
      let r: Attempt;
      if (what === 'kill' || what === 'search') {
        // the first event announces the search, which takes about a second
        const k = what === 'search' ? 1 : 1 + Math.floor(draw() * Math.max(2, events / 4));
        const delay = Math.floor(draw() * (what === 'search' ? 600 : 400));
        r = await attempt(b, seen, k, delay);
        log.push(`kill after ${k} new events + ${delay} ms: ${r.signal ?? r.status}, last event "${r.events.at(-1)}"`);
        if (r.signal === 'SIGKILL') kills++;
      } else {
        const before = labelKeys(b).length;
        const after = Math.floor(draw() * 8);
        const env = what === 'reference' ? { ANHARM_RUN_REFERENCE_FAIL_AFTER: String(after) } : { ANHARM_SSCHA_FAIL_AFTER: String(after) };
        r = await attempt(b, seen, null, 0, env);
        log.push(`${Object.keys(env)[0]}=${after}: exit ${r.status}, ${r.stderr.trim()}`);
        // the run stops with one line naming the engine and saying how to resume
        expect(r.status).toBe(1);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        // everything computed is kept (the labels made before the failure too)
        expect(labelKeys(b).length).toBeGreaterThanOrEqual(before);
        expect(lines[0]).toMatch(what === 'reference' ? /^anharm: the reference engine \(lennard-jones\) failed: .*engine died.*run the same command again to resume$/ : /^anharm: SSCHA of \w+ at 1 GPa \(round \d\): engine failed: .*run the same command again to resume$/);
      }
      if (r.status === 0) {
        finished = true;
        break;
      }
    }
    console.log(log.join('\n'));
    expect(kills).toBeGreaterThanOrEqual(4);
    if (!finished) {
      const last = await attempt(b, seen, null, 0);
      expect(last.stderr).toBe('');
      expect(last.status).toBe(0);
    }
    const got = result(b);
    expect(got).toEqual(expected);

    // no configuration was sent to the reference twice
    const keys = labelKeys(b);
    const calls = Object.values(expected.referenceCalls as Record<string, number>).reduce((s, x) => s + x, 0);
    expect(keys.length).toBe(calls);
    expect(new Set(keys).size).toBe(keys.length);
  }, 300_000);
});
