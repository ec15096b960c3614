// Persistence and restart of SSCHA runs (physics.md 5.13): bitwise round trip of populations, state
// and history; torn last records ignored; a run whose engine dies in the middle of population 1
// resumes to bit-identical final numbers without recomputing or losing a configuration.
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { DirStorage, openSschaRunDir } from '../../src/node/sscha-store.js';
import {
  MemoryStorage, SschaRunStore, decodeRecords, fnv1a, recordValues, runSschaWithStore,
} from '../../src/sscha/persistence.js';
import { evaluatePopulation, projectPhi, runSscha, samplePopulation, type Population, type SschaOptions } from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { BOND_POT, FlakyCalculator, crystalCase, rockSalt, type CrystalCase } from './helpers.js';

let k: Kernels;
let cs: CrystalCase;
const T = 300;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
  cs = await crystalCase(k, rockSalt(), BOND_POT(-8, 60), [2, 2, 2]);
});

const bits = (a: Float64Array | null) => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : null);
const sameBits = (a: Float64Array | null, b: Float64Array | null) => {
  if (a === null || b === null) return a === b;
  return bits(a)!.equals(bits(b)!);
};
/** This test's engine fails with a plain Error (not a CalculatorError): the message is what counts. */
const PLAIN_ERROR = (m: string) => new Error(m);
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `sscha-${name}-`));


async function evaluatedPopulation(index: number, nc: number): Promise<Population> {
  const s = cs.sc.structure;
  const phi = projectPhi(cs.phiHarm, { symmetrizer: cs.symmetrizer, nTranslations: 3 });
  const pop = samplePopulation(k, { structure: s, centroids: s.cartesian(), phi, temperature: T, nConfigs: nc, seed: 12345678901234567890n, index });
  await evaluatePopulation(pop, cs.calc, s, { batchSize: 3 });
  return pop;
}

function expectSamePopulation(a: Population, b: Population) {
  for (const key of ['index', 'rng', 'seed', 'stream', 'nConfigs', 'nAtoms', 'nTranslations', 'nModes', 'temperature', 'evaluated', 'engine'] as const) expect(b[key], key).toEqual(a[key]);
  expect(b.species).toEqual(a.species);
  for (const key of ['cell', 'masses', 'centroids', 'phi', 'xi', 'positions', 'energies', 'forces', 'stresses'] as const) expect(sameBits(a[key], b[key]), key).toBe(true);
}

describe('SSCHA run store', () => {
  it('round trip of a population, the state and the history is bitwise (memory and folder storage)', async () => {
    const pop = await evaluatedPopulation(0, 10);
    expect(pop.stresses).not.toBeNull();
    for (const storage of [new MemoryStorage(), new DirStorage(tmp('rt'))]) {
      const store = new SschaRunStore(storage);
      const partial = { ...pop, evaluated: 0 };
      store.savePopulationHeader(partial);
      // configurations appended as they arrive, in two pieces
      store.saveResults({ ...pop, evaluated: 4 });
      store.saveResults({ ...pop, evaluated: 4 }); // idempotent
      store.saveResults(pop);
      const fresh = new SschaRunStore(storage); // a new session reads what is on the storage
      const [back, ...rest] = fresh.loadPopulations();
      expect(rest).toHaveLength(0);
      expectSamePopulation(pop, back.population);
      expect(back.header.kind).toBe('sscha');
      expect(back.header.seed).toBe('12345678901234567890');
      expect(Array.from(back.times).every((t) => t > 1.6e12)).toBe(true);
      expect(storage.size('populations/pop-000.res')).toBe(10 * 8 * recordValues(pop.nAtoms));
      // state and history
      const R = Float64Array.from(pop.centroids, (x, i) => x + 1e-3 * Math.sin(i));
      store.saveState({ population: 0, R, phi: pop.phi, lambda: 0.75, representation: 'normal', reason: 'max-steps', converged: false });
      const st = fresh.loadState()!;
      expect(sameBits(st.R, R) && sameBits(st.phi, pop.phi)).toBe(true);
      expect(st.lambda).toBe(0.75);
      store.resetHistory();
      const rec = { population: 0, step: 1, F: 0.1 + 1e-17, Ferr: 1 / 3, GNorm: Math.PI, GNormErr: 1e-300, gRNorm: 0, gRNormErr: 0, nEffRatio: 0.97, lambda: 0.5, representation: 'normal' as const, rejections: 2 };
      store.appendHistory(rec);
      storage.append('history.jsonl', '{"population":0,"st'); // a torn last line
      const h = fresh.loadHistory();
      expect(h).toHaveLength(1);
      expect(Object.is(h[0].F, rec.F) && Object.is(h[0].Ferr, rec.Ferr) && Object.is(h[0].GNormErr, rec.GNormErr)).toBe(true);
    }
  });

  it('ignores a truncated or corrupt last record and cuts it off before appending again', async () => {
    const pop = await evaluatedPopulation(1, 8);
    const dir = tmp('torn');
    const store = openSschaRunDir(dir);
    store.savePopulationHeader({ ...pop, evaluated: 5 });
    const res = join(dir, 'populations', 'pop-001.res');
    const rb = 8 * recordValues(pop.nAtoms);
    // a process killed in the middle of the 5th record
    truncateSync(res, 4 * rb + 100);
    let back = openSschaRunDir(dir).loadPopulation('sscha', 1)!;
    expect(back.population.evaluated).toBe(4);
    expect(readFileSync(res).length).toBe(4 * rb); // cut off on load
    expect(Number.isNaN(back.population.energies[4])).toBe(true);
    // a complete record with a flipped bit (checksum) is not trusted either, nor what follows
    const s2 = openSschaRunDir(dir);
    s2.loadPopulations();
    s2.saveResults(pop); // appends records 4..7
    const b = readFileSync(res);
    expect(b.length).toBe(8 * rb);
    b[6 * rb + 40] ^= 1;
    writeFileSync(res, b);
    back = openSschaRunDir(dir).loadPopulation('sscha', 1)!;
    expect(back.population.evaluated).toBe(6);
    for (let i = 0; i < 6; i++) expect(Object.is(back.population.energies[i], pop.energies[i])).toBe(true);
    // decodeRecords on its own: out-of-order records stop the scan
    const rec = decodeRecords(new Uint8Array(b.subarray(rb, 3 * rb)), pop.nAtoms, 8);
    expect(rec.count).toBe(0);
    // a header whose .bin does not match its checksum is not a population
    const bin = join(dir, 'populations', 'pop-001.bin');
    const hb = readFileSync(bin);
    hb[0] ^= 1;
    writeFileSync(bin, hb);
    expect(openSschaRunDir(dir).loadPopulation('sscha', 1)).toBeNull();
    expect(fnv1a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
  });

  it('resumes a run whose engine died in the middle of population 1: bit-identical F, Φ, R, nothing recomputed or lost', async () => {
    const nc = 20;
    const base: Omit<SschaOptions, 'calculator'> = {
      kernels: k, supercell: cs.sc, symmetry: cs.symmetrizer, phi0: cs.phiHarm, T, nConfigs: nc, seed: 7, maxPopulations: 3, batchSize: 1,
      minimize: { maxSteps: 2 },
    };
    const ref = new FlakyCalculator(cs.calc);
    const full = await runSscha({ ...base, calculator: ref });
    const total = ref.evaluations;
    expect(full.populations.length).toBeGreaterThanOrEqual(2);
    expect(total).toBe(full.populations.length * nc);

    const dir = tmp('resume');
    const K = nc + 7; // population 0 complete, 7 configurations of population 1
    const dying = new FlakyCalculator(cs.calc, K, PLAIN_ERROR);
    let err: unknown;
    try {
      await runSschaWithStore(openSschaRunDir(dir), { ...base, calculator: dying });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/population 1: batch of configurations 7–7: engine died/);
    expect(dying.evaluations).toBe(K);
    const saved = openSschaRunDir(dir).loadPopulations();
    expect(saved.map((s) => s.population.evaluated)).toEqual([nc, 7]);

    const healthy = new FlakyCalculator(cs.calc);
    let resumeInfo = { populations: -1, configurations: -1 };
    const res = await runSschaWithStore(openSschaRunDir(dir), { ...base, calculator: healthy }, (i) => (resumeInfo = i));
    expect(resumeInfo).toEqual({ populations: 2, configurations: K });
    expect(healthy.evaluations).toBe(total - K);
    expect(Object.is(res.F, full.F) && Object.is(res.Ferr, full.Ferr)).toBe(true);
    expect(sameBits(res.phi, full.phi)).toBe(true);
    expect(sameBits(res.R, full.R)).toBe(true);
    expect(res.history).toEqual(full.history);
    expect(res.populationReasons).toEqual(full.populationReasons);
    // the folder now holds the whole run, and a third pass evaluates nothing
    const store = openSschaRunDir(dir);
    expect(store.loadPopulations().map((s) => s.population.evaluated)).toEqual(full.populations.map(() => nc));
    expect(store.loadHistory()).toHaveLength(full.history.length);
    const st = store.loadState()!;
    expect(st.population).toBe(full.populations.length - 1);
    expect(sameBits(st.R, full.R) && sameBits(st.phi, full.phi)).toBe(true);
    const idle = new FlakyCalculator(cs.calc, 0, PLAIN_ERROR);
    const again = await runSschaWithStore(store, { ...base, calculator: idle });
    expect(Object.is(again.F, full.F)).toBe(true);
    // a resume with different options is refused, not silently mixed
    await expect(runSschaWithStore(openSschaRunDir(dir), { ...base, seed: 8, calculator: idle })).rejects.toThrow(/saved population 0 has seed 7, this run 8/);
    await expect(runSschaWithStore(openSschaRunDir(dir), { ...base, T: 301, calculator: idle })).rejects.toThrow(/saved population 0 was drawn at T = 300 K/);
  });
});
