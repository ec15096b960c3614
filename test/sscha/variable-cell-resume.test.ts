// Persistence and resume of constant-pressure (variable-cell) SSCHA runs (physics.md 5.10, 5.13;
// src/sscha/variable-cell.ts, runSschaVariableCellWithStore in src/sscha/persistence.ts).
//
// The anharmonic simple-cubic bond network (2×2×2, 8 atoms) relaxed at P₀ = 2 GPa with populations of
// 40 configurations: converged after three populations (two cell steps). Against an uninterrupted run:
// (a) the engine dies in the middle of a population (populations 0, 1 and the last one): the
//     resumed run evaluates exactly total − K configurations and ends with bit-identical G, F, cell,
//     strain, Φ, R, pressure tensor (± errors), frequencies, cell history and step history;
// (b) the process is "killed" at each storage operation of the run in turn (every write, append or
//     truncate may be the last one; the fatal append is torn half-way): the resume evaluates exactly the configurations that
//     were not on the storage and ends bit-identical as well;
// (c) the folder holds the whole run afterwards: populations with their strain, cells.jsonl, the final
//     (cell, R, Φ) state; a resume with another target pressure is refused.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CalculatorError } from '../../src/calculators/calculator.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { openSschaRunDir } from '../../src/node/sscha-store.js';
import { MemoryStorage, SschaRunStore, runSschaVariableCellWithStore } from '../../src/sscha/persistence.js';
import { VariableCellError, runSschaVariableCell, type VariableCellOptions, type VariableCellResult } from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { FlakyCalculator, SC_POT, crystalCase, simpleCubic, type CrystalCase } from './helpers.js';

let k: Kernels;
let anh: CrystalCase;
const NC = 40;
const P0 = 2;
let base: Omit<VariableCellOptions, 'calculator'>;
let full: VariableCellResult;
let total: number;

beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
  anh = await crystalCase(k, simpleCubic(), SC_POT(-8, 60), [2, 2, 2]);
  base = {
    kernels: k, supercell: anh.sc, symmetry: anh.symmetrizer, phi0: anh.phiHarm, T: 300, pressure: P0, nConfigs: NC, seed: 11, maxPopulations: 6, batchSize: 1,
    minimize: { maxSteps: 3 },
  };
  const ref = new FlakyCalculator(anh.calc);
  full = await runSschaVariableCell({ ...base, calculator: ref });
  total = ref.evaluations;
});

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `sscha-vc-${name}-`));
const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float64Array, b: Float64Array) => bits(a).equals(bits(b));


class Killed extends Error {}

/** In-memory storage whose process "dies" at the killAt-th write/append/truncate (an append is torn half-way). */
class KillableStorage extends MemoryStorage {
  ops = 0;
  constructor(readonly killAt = Infinity) {
    super();
  }
  private hit(): boolean {
    if (this.ops >= this.killAt) throw new Killed('already dead');
    return ++this.ops === this.killAt;
  }
  override write(name: string, data: Uint8Array | string): void {
    if (this.hit()) throw new Killed(`killed before writing ${name}`);
    super.write(name, data);
  }
  override append(name: string, data: Uint8Array | string): void {
    if (this.hit()) {
      const b = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      super.append(name, b.subarray(0, b.length >> 1));
      throw new Killed(`killed in the middle of appending to ${name}`);
    }
    super.append(name, data);
  }
  override truncate(name: string, length: number): void {
    if (this.hit()) throw new Killed(`killed before truncating ${name}`);
    super.truncate(name, length);
  }
  /** What a new process finds on the storage. */
  survivor(): MemoryStorage {
    const m = new MemoryStorage();
    for (const [name, b] of this.files) m.files.set(name, b.slice());
    return m;
  }
}

function expectSameResult(a: VariableCellResult, b: VariableCellResult) {
  for (const key of ['F', 'Ferr', 'G', 'Gerr', 'GperAtom', 'volume', 'volumeErr', 'pressureScalar', 'pressureScalarErr', 'bulkModulus', 'converged', 'reason'] as const)
    expect(Object.is(a[key], b[key]), key).toBe(true);
  for (const key of ['cell', 'strain', 'phi', 'R', 'pressure', 'pressureErr', 'omega', 'frequenciesCm'] as const) expect(sameBits(a[key], b[key]), key).toBe(true);
  expect(b.cellHistory).toEqual(a.cellHistory);
  expect(b.history).toEqual(a.history);
  expect(b.populations.length).toBe(a.populations.length);
}

const savedConfigs = (store: SschaRunStore) => store.loadPopulations().reduce((s, p) => s + p.population.evaluated, 0);

describe('variable-cell SSCHA: persistence and resume', () => {
  it('the reference run takes several cell steps (the resume has cells to replay)', () => {
    const np = full.populations.length;
    expect(np).toBeGreaterThanOrEqual(3);
    expect(full.converged).toBe(true);
    expect(total).toBe(np * NC);
    const vols = full.cellHistory.map((c) => c.volume);
    expect(new Set(vols).size).toBe(np); // every population in its own cell
    expect(full.cellHistory.slice(0, np - 1).every((c) => c.step !== null)).toBe(true);
    console.log(
      `reference: ${full.populations.length} populations, P history ${full.cellHistory.map((c) => c.pressureScalar.toFixed(3)).join(', ')} GPa, ` +
        `V ${vols.map((v) => (v / 8).toFixed(4)).join(', ')} Å³/atom, G = ${full.GperAtom.toFixed(8)} eV/atom`,
    );
  });

  it('engine death in the middle of populations 0, 1 and the last one: resumes to bit-identical numbers, evaluating exactly total − K', async () => {
    for (const K of [7, NC + 13, total - NC + 1]) {
      const dir = tmp(`death-${K}`);
      const dying = new FlakyCalculator(anh.calc, K);
      let err: unknown;
      try {
        await runSschaVariableCellWithStore(openSschaRunDir(dir), { ...base, calculator: dying });
      } catch (e) {
        err = e;
      }
      expect(dying.evaluations).toBe(K);
      // population 0: the engine error itself; later ones: the strained cell named, the cause kept
      if (K < NC) expect(err).toBeInstanceOf(CalculatorError);
      else {
        expect(err).toBeInstanceOf(VariableCellError);
        expect((err as Error & { cause?: unknown }).cause).toBeInstanceOf(CalculatorError);
      }
      expect((err as Error).message).toMatch(/engine died/);
      const saved = openSschaRunDir(dir).loadPopulations().map((s) => s.population.evaluated);
      expect(saved.reduce((a, b) => a + b, 0)).toBe(K);
      expect(saved[saved.length - 1]).toBe(K % NC);

      const healthy = new FlakyCalculator(anh.calc);
      let info = { populations: -1, configurations: -1 };
      const res = await runSschaVariableCellWithStore(openSschaRunDir(dir), { ...base, calculator: healthy }, (i) => (info = i));
      expect(info).toEqual({ populations: Math.floor(K / NC) + 1, configurations: K });
      expect(healthy.evaluations).toBe(total - K);
      expectSameResult(full, res);
      console.log(`engine death after K = ${K}: resumed with ${healthy.evaluations} = ${total} − ${K} evaluations; G, cell, Φ, R, P bit-identical`);
    }
  });

  it('a process killed at an arbitrary storage operation (torn appends included) resumes bit-identically, evaluating only what was not saved', async () => {
    // how many storage operations an uninterrupted run makes
    const probe = new KillableStorage();
    const ref = await runSschaVariableCellWithStore(new SschaRunStore(probe), { ...base, calculator: new FlakyCalculator(anh.calc) });
    expectSameResult(full, ref);
    const nOps = probe.ops;
    expect(nOps).toBeGreaterThan(total);
    // every storage operation of the run in turn is the last one
    for (let killAt = 1; killAt <= nOps; killAt++) {
      const storage = new KillableStorage(killAt);
      const first = new FlakyCalculator(anh.calc);
      await expect(runSschaVariableCellWithStore(new SschaRunStore(storage), { ...base, calculator: first })).rejects.toBeInstanceOf(Killed);
      const after = new SschaRunStore(storage.survivor());
      const kept = savedConfigs(after);
      expect(kept).toBeLessThanOrEqual(first.evaluations);
      const second = new FlakyCalculator(anh.calc);
      const res = await runSschaVariableCellWithStore(after, { ...base, calculator: second });
      expect(second.evaluations, `killed at operation ${killAt} of ${nOps}`).toBe(total - kept);
      expectSameResult(full, res);
    }
    console.log(`killed at each of the ${nOps} storage operations in turn: every resume bit-identical, evaluating total − saved configurations`);
  });

  it('the folder holds the whole run: populations with their strain, cells.jsonl, the final (cell, R, Φ); another target pressure is refused', async () => {
    const dir = tmp('folder');
    await expect(runSschaVariableCellWithStore(openSschaRunDir(dir), { ...base, calculator: new FlakyCalculator(anh.calc, NC + 5) })).rejects.toThrow(/engine died/);
    const res = await runSschaVariableCellWithStore(openSschaRunDir(dir), { ...base, calculator: anh.calc });
    const store = openSschaRunDir(dir);
    const pops = store.loadPopulations();
    expect(pops.map((p) => p.population.evaluated)).toEqual(full.populations.map(() => NC));
    pops.forEach((p, i) => {
      expect(sameBits(p.population.cell, full.cellHistory[i].cell)).toBe(true);
      expect(p.header.info).toMatchObject({ variableCell: true, strain: Array.from(full.cellHistory[i].strain), volume: full.cellHistory[i].volume });
    });
    const cells = store.loadCellHistory();
    expect(cells).toHaveLength(full.populations.length);
    cells.forEach((c, i) => {
      const r = full.cellHistory[i];
      expect(c.cell).toEqual(Array.from(r.cell));
      expect(c.pressure).toEqual(Array.from(r.pressure));
      expect(Object.is(c.G, r.G) && Object.is(c.F, r.F)).toBe(true);
      expect(c.step).toEqual(r.step ? Array.from(r.step) : null);
    });
    expect(store.loadHistory()).toHaveLength(full.history.length);
    const st = store.loadState()!;
    expect(st.population).toBe(full.populations.length - 1);
    expect(sameBits(st.cell!, res.cell) && sameBits(st.strain!, res.strain) && sameBits(st.R, res.R) && sameBits(st.phi, res.phi)).toBe(true);
    // a third pass evaluates nothing
    const idle = new FlakyCalculator(anh.calc, 0);
    expectSameResult(full, await runSschaVariableCellWithStore(openSschaRunDir(dir), { ...base, calculator: idle }));
    // population 0 is drawn in the reference cell either way; population 1 is not reached at another pressure
    await expect(runSschaVariableCellWithStore(openSschaRunDir(dir), { ...base, pressure: 3, calculator: idle })).rejects.toThrow(/saved population 1 was drawn in another cell than this run reaches/);
  });
});
