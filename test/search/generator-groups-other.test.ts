// Every space group that Si8, NaCl (AB) and CaF2 (AB2, 2 f.u.) admit: generated structures have
// exactly that group (moyo at 1e-5 and 1e-2 Å) and respect the minimum distances.
import { beforeAll, describe, test } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { sweep, type SweepCase } from './generator-sweep.js';

let k: Kernels;
beforeAll(async () => {
  loadMoyo();
  k = await loadKernels();
});

const CASES: SweepCase[] = [
  { composition: { Si: 8 }, formulaUnits: 1, volume: 160, minDistances: { 'Si-Si': 1.9 }, seeds: 1 },
  { composition: { Na: 1, Cl: 1 }, formulaUnits: 1, volume: 45, minDistances: {}, seeds: 3 },
  { composition: { Ca: 1, F: 2 }, formulaUnits: 2, volume: 80, minDistances: {}, seeds: 1 },
];

describe.each(CASES)('every admissible group of $composition × $formulaUnits', (c) => {
  test('structures of exactly that group, with the composition, volume and minimum distances', () => sweep(k, c));
});
