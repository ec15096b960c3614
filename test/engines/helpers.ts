// Shared helpers of the i-PI tests (not a test file itself).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CalcResult } from '../../src/calculators/calculator.js';
import { BIN } from '../helpers/processes.js';

export const TMP = mkdtempSync(join(tmpdir(), 'ipi-test-'));

/** The Ar LJ of the ASE reference case (energy-shifted at rc = 8.5 Å). */
export const AR_LJ = { type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 }] };
export const AR_LJ_FILE = join(TMP, 'ar-lj.json');
writeFileSync(AR_LJ_FILE, JSON.stringify(AR_LJ));

/** Largest relative difference of two results (energy, forces, stress), relative to each quantity's scale. */
export function relDiff(a: CalcResult, b: CalcResult): { energy: number; forces: number; stress: number } {
  const scale = (x: ArrayLike<number>) => Math.max(...Array.from(x, Math.abs));
  const maxd = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    expect(x.length).toBe(y.length);
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
    return m;
  };
  return {
    energy: Math.abs(a.energy - b.energy) / Math.abs(b.energy),
    forces: maxd(a.forces, b.forces) / scale(b.forces),
    stress: a.stress && b.stress ? maxd(a.stress, b.stress) / scale(b.stress) : NaN,
  };
}

/** `anharm serve ARGS…` as a child process (stderr collected). */
export function spawnServe(args: string[]): ChildProcess & { err: () => string; exited: Promise<number | null> } {
  const p = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res) => p.on('exit', (code) => res(code)));
  return Object.assign(p, { err: () => err, exited });
}

/** Resolve `p` or fail after `ms` (every wait in these tests is bounded). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: not done within ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}
