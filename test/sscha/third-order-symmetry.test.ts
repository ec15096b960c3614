// Symmetrised third-order tensor before the bubble contraction (src/sscha/hessian.ts, physics.md 5.11):
// symmetrizeThirdOrder is the projection onto the fully symmetric subspace (idempotent, invariant under
// every space-group operation and index permutation; the factorised and the plain group sums agree),
// and with it the free-energy Hessian of a symmetric crystal has the symmetric degeneracies to round-off
// WITHOUT symmetrising H afterwards — which the row-streamed estimator of the raw Φ⁽³⁾ does not have.
// Ensemble: the 200-configuration rock-salt HS population of test/fixtures/sscha/same-ensemble.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { DirStorage } from '../../src/node/sscha-store.js';
import { Rng } from '../../src/random/rng.js';
import { permutationAverage3, symmetrizeThirdOrder } from '../../src/sscha/hessian.js';
import { SschaRunStore } from '../../src/sscha/persistence.js';
import type { Population } from '../../src/sscha/ensemble.js';
import { phononSet, sschaHessian } from '../../src/sscha/report.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell, type Supercell } from '../../src/structure/supercell.js';
import { analyzeSymmetry } from '../../src/symmetry/analyze.js';
import { supercellOperations } from '../../src/symmetry/operations.js';
import { Symmetrizer } from '../../src/symmetry/symmetrize.js';
import type { Kernels } from '../../src/wasm/kernels.js';

let k: Kernels;
let pop: Population;
let unit: Structure;
let sc: Supercell;
let sym: Symmetrizer;

beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
  const fx = JSON.parse(readFileSync(new URL('../fixtures/sscha/rs-hs-300K.json', import.meta.url), 'utf8'));
  const uc = fx.inputs.unit_cell;
  unit = new Structure({ cell: uc.cell.flat(), species: uc.species, frac: uc.frac.flat(), masses: uc.species.map((s: string) => uc.masses_amu[s]) });
  sc = makeSupercell(unit, fx.inputs.supercell);
  const ds = analyzeSymmetry(unit);
  sym = new Symmetrizer(sc.structure.cell, supercellOperations(sc.structure, ds.operations, Array.from(sc.matrix), ds.mapTolerance));
  const dir = new URL('../fixtures/sscha/same-ensemble/', import.meta.url).pathname;
  pop = new SschaRunStore(new DirStorage(dir)).loadPopulation('sscha', 0)!.population;
});

/** g·C: (g·C)_{π(i)π(j)π(k)} = R⊗R⊗R C_ijk. */
function act(C: Float64Array, n3: number, g: number): Float64Array {
  const R = sym.rotations.subarray(9 * g, 9 * g + 9), pm = sym.perms[g];
  const out = new Float64Array(C.length);
  const idx = (a: number) => 3 * pm[Math.floor(a / 3)];
  for (let a = 0; a < n3; a++)
    for (let b = 0; b < n3; b++)
      for (let c = 0; c < n3; c++) {
        const v = C[(a * n3 + b) * n3 + c];
        if (v === 0) continue;
        for (let x = 0; x < 3; x++)
          for (let y = 0; y < 3; y++)
            for (let z = 0; z < 3; z++)
              out[((idx(a) + x) * n3 + idx(b) + y) * n3 + idx(c) + z] += R[3 * x + (a % 3)] * R[3 * y + (b % 3)] * R[3 * z + (c % 3)] * v;
      }
  return out;
}
const maxAbs = (a: Float64Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('symmetrised third-order tensor', () => {
  it('symmetrizeThirdOrder is the projection onto the symmetric subspace (factorised = plain group sum)', () => {
    const n3 = 3 * sc.structure.natoms;
    const C = new Rng(k, 7).uniform(n3 ** 3).map((x) => x - 0.5);
    const S = symmetrizeThirdOrder(C, n3, sym);
    expect(sym.factorised).toBe(true);
    const plain = symmetrizeThirdOrder(C, n3, { rotations: sym.rotations, perms: sym.perms });
    expect(maxDiff(S, plain)).toBeLessThan(1e-14);
    // idempotent, and invariant under a few operations and every index permutation
    expect(maxDiff(symmetrizeThirdOrder(S, n3, sym), S)).toBeLessThan(1e-14);
    for (const g of [1, 7, 50, sym.order - 1]) expect(maxDiff(act(S, n3, g), S)).toBeLessThan(1e-14);
    const P = Float64Array.from(S);
    permutationAverage3(P, n3);
    expect(maxDiff(P, S)).toBeLessThan(1e-15);
    // a random tensor is far from symmetric (the checks above can fail)
    expect(maxDiff(act(C, n3, 7), C)).toBeGreaterThan(0.5);
    expect(maxAbs(S)).toBeGreaterThan(1e-4);
  });

  it('the Hessian from the symmetrised Φ⁽³⁾ has the space-group symmetry and degeneracies to round-off without symmetrising H', () => {
    const R = pop.centroids, T = pop.temperature;
    const n3 = R.length;
    const degeneracyError = (H: Float64Array) => {
      // invariance under every operation, and the multiplets at Γ, X, L (2 + 1 + 2 + 1 / 3 + 3)
      let inv = 0;
      for (let g = 0; g < sym.order; g += 7) inv = Math.max(inv, maxDiff(sym.transformForceConstants(H, g), H));
      const set = phononSet(k, 'h', unit, sc, H, [2, 2, 2]);
      let split = 0;
      for (const q of set.grid) {
        const v = q.cm;
        const isG = q.q.every((x) => x === 0);
        const groups = isG ? [[3, 4, 5]] : [[0, 1], [3, 4]];
        for (const gr of groups) split = Math.max(split, Math.max(...gr.map((i) => v[i])) - Math.min(...gr.map((i) => v[i])));
      }
      return { inv, split };
    };
    for (const estimator of ['biased', 'unbiased'] as const) {
      const h = sschaHessian(k, pop, sc, { symmetrizer: sym, nTranslations: 3 }, R, pop.phi, T, { estimator, symmetrizeThirdOrder: true, symmetrizeHessian: false });
      expect(h.thirdOrderSymmetrized).toBe(true);
      const raw = sschaHessian(k, pop, sc, { symmetrizer: sym, nTranslations: 3 }, R, pop.phi, T, { estimator, symmetrizeThirdOrder: false, symmetrizeHessian: false });
      const a = degeneracyError(h.hessian), b = degeneracyError(raw.hessian);
      console.log(`${estimator}: symmetrised Φ⁽³⁾: max |g·H − H| ${a.inv.toExponential(2)} eV/Å², multiplet splitting ${a.split.toExponential(2)} cm⁻¹; raw Φ⁽³⁾: ${b.inv.toExponential(2)} eV/Å², ${b.split.toFixed(2)} cm⁻¹`);
      expect(a.inv).toBeLessThan(1e-10 * maxAbs(h.hessian));
      expect(a.split).toBeLessThan(1e-7);
      expect(b.split).toBeGreaterThan(0.1); // without it the degeneracies are broken by the noise
    }
  });
});
