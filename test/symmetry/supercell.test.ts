// Supercell operations (physics.md 3.1): primitive operations + the N_q pure translations, against
// spglib's operations and atom maps of the same supercells (fixtures) and against moyo run directly
// on the supercell.
import { beforeAll, describe, expect, test } from 'vitest';
import { loadMoyo } from '../../src/node/moyo.js';
import { Structure } from '../../src/structure/structure.js';
import { analyzeSymmetry, sameOp, supercellOperations, supercellTranslations, type SymOp } from '../../src/symmetry/index.js';
import { readFixtureJson } from '../helpers/fixtures.js';

interface FxCase {
  name: string;
  cell: number[][];
  species: string[];
  frac: number[][];
  results: { n_operations: number; rotations?: number[][][]; translations?: number[][]; atom_maps?: number[][] }[];
}
const FX: { cases: FxCase[] } = readFixtureJson('symmetry/spglib_reference.json');
const byName = (n: string) => FX.cases.find((c) => c.name === n)!;
const structureOf = (c: FxCase) => new Structure({ cell: c.cell.flat(), species: c.species, frac: c.frac.flat() });

function findOp(ops: readonly SymOp[], W: ArrayLike<number>, w: ArrayLike<number>): number {
  return ops.findIndex((op) => sameOp(op, { rotation: Int32Array.from(W), translation: Float64Array.from(w) }, 1e-8));
}

describe('supercell operations', () => {
  beforeAll(() => {
    loadMoyo();
  });

  test('translation group of a general integer supercell matrix', () => {
    const M = [1, 1, 0, -1, 1, 0, 0, 0, 3]; // |det| = 6
    const t = supercellTranslations(M);
    expect(t.length).toBe(6);
    // every vector is M⁻ᵀ L for an integer L: Mᵀ t is integer
    for (const v of t) {
      const L = [0, 1, 2].map((r) => M[r] * v[0] + M[3 + r] * v[1] + M[6 + r] * v[2]);
      for (const x of L) expect(Math.abs(x - Math.round(x))).toBeLessThan(1e-12);
    }
    expect(supercellTranslations([2, 0, 0, 0, 2, 0, 0, 0, 2]).length).toBe(8);
  });

  for (const [name, n] of [
    ['H3S_Im-3m_prim_221', [2, 2, 1]],
    ['H3S_Im-3m_prim_222', [2, 2, 2]],
    ['H3S_Im-3m_prim_444', [4, 4, 4]],
  ] as const) {
    test(`${name}: primitive operations × translations = spglib's supercell operations`, () => {
      const prim = structureOf(byName('H3S_Im-3m_prim'));
      const primDs = analyzeSymmetry(prim);
      const sup = structureOf(byName(name));
      const M = [n[0], 0, 0, 0, n[1], 0, 0, 0, n[2]];
      const t0 = performance.now();
      const res = supercellOperations(sup, primDs.operations, M);
      const t1 = performance.now();
      const ref = byName(name).results[0];
      const nq = n[0] * n[1] * n[2];
      expect(res.translations).toBe(nq);
      expect(res.operations.length).toBe(ref.n_operations);
      expect(res.pointOperations + res.dropped.length).toBe(48);
      if (n[0] === n[2]) expect(res.dropped.length).toBe(0);
      else expect(res.dropped.length).toBeGreaterThan(0);

      // same set as moyo on the supercell itself, same atom maps
      const direct = analyzeSymmetry(sup);
      expect(direct.operations.length).toBe(res.operations.length);
      res.operations.forEach((op, g) => {
        const k = findOp(direct.operations, op.rotation, op.translation);
        expect(k).toBeGreaterThanOrEqual(0);
        expect(Array.from(direct.atomMaps[k])).toEqual(Array.from(res.atomMaps[g]));
      });
      // spglib's operations and (independently found) atom maps, where stored
      if (ref.rotations) {
        ref.rotations.forEach((W, k) => {
          const g = findOp(res.operations, W.flat(), ref.translations![k]);
          expect(g).toBeGreaterThanOrEqual(0);
          expect(Array.from(res.atomMaps[g])).toEqual(ref.atom_maps![k]);
        });
      }
      console.log(`${name}: ${res.operations.length} operations (${res.pointOperations} point × ${nq}), dropped ${res.dropped.length}; ${(t1 - t0).toFixed(1)} ms`);
    });
  }
});
