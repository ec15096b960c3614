// Every space group that H3S admits with 1, 2 and 4 formula units per primitive cell: generated
// structures have exactly that group (moyo at 1e-5 and 1e-2 Å) and respect the minimum distances.
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

const D = { 'H-H': 0.8, 'H-S': 1.1, 'S-S': 1.8 };
const CASES: SweepCase[] = [
  { composition: { H: 3, S: 1 }, formulaUnits: 1, volume: 22, minDistances: D, seeds: 2 },
  { composition: { H: 3, S: 1 }, formulaUnits: 2, volume: 44, minDistances: D, seeds: 1 },
  { composition: { H: 3, S: 1 }, formulaUnits: 4, volume: 88, minDistances: D, seeds: 1 },
];

describe.each(CASES)('every admissible group of $composition × $formulaUnits', (c) => {
  test('structures of exactly that group, with the composition, volume and minimum distances', () => sweep(k, c));
});
