// The real-space force-constant container: cell indices modulo any supercell, blocks ↔ full matrix.
import { describe, expect, it } from 'vitest';
import { ForceConstants } from '../../src/phonons/force-constants-model.js';
import { inv3, type Mat3 } from '../../src/structure/mat3.js';
import { Structure } from '../../src/structure/structure.js';
import { cellIndexer, supercellLatticePoints } from '../../src/structure/supercell.js';
import { centered, mulberry32 } from '../helpers/random.js';

const MATRICES = [[2, 3, 1], [-2, 2, 2, 2, -2, 2, 2, 2, -2], [1, 1, 0, -1, 1, 0, 0, 0, 2]];

describe('cellIndexer', () => {
  for (const M of MATRICES)
    it(`maps every L to the cell L_c with (L − L_c)·M⁻¹ integer, M = [${M.join(' ')}]`, () => {
      const cells = supercellLatticePoints(M);
      const full = M.length === 3 ? [M[0], 0, 0, 0, M[1], 0, 0, 0, M[2]] : M;
      const mi = inv3(Float64Array.from(full) as Mat3);
      const index = cellIndexer(M);
      for (let l1 = -4; l1 <= 4; l1++)
        for (let l2 = -4; l2 <= 4; l2++)
          for (let l3 = -4; l3 <= 4; l3++) {
            const c = index(l1, l2, l3);
            const d = [l1 - cells[3 * c], l2 - cells[3 * c + 1], l3 - cells[3 * c + 2]];
            for (let k = 0; k < 3; k++) {
              const f = d[0] * mi[k] + d[1] * mi[3 + k] + d[2] * mi[6 + k];
              expect(Math.abs(f - Math.round(f))).toBeLessThan(1e-9);
            }
          }
    });
});

describe('ForceConstants', () => {
  const prim = new Structure({ cell: [3, 0.2, 0, 0, 3.3, 0.1, 0.3, 0, 3.6], species: ['Na', 'Cl'], frac: [0, 0, 0, 0.5, 0.45, 0.55] });

  for (const M of MATRICES)
    it(`blocks → full matrix → blocks is exact, M = [${M.join(' ')}]`, () => {
      const fc = new ForceConstants(prim, M);
      const r = centered(mulberry32(7));
      for (let i = 0; i < fc.blocks.length; i++) fc.blocks[i] = r();
      const phi = fc.phi;
      expect(phi.length).toBe(9 * fc.natSupercell ** 2);
      const back = ForceConstants.fromSupercellMatrix(prim, fc.supercell, phi);
      expect(Array.from(back.blocks)).toEqual(Array.from(fc.blocks));
      expect(back.phi).toEqual(phi);
      // translation invariance of the expansion: Φ(i + L, j + L) = Φ(i, j)
      const n = fc.nat, N3 = 3 * fc.natSupercell;
      const home = fc.homeCell();
      expect(Array.from(fc.cells.subarray(3 * home, 3 * home + 3))).toEqual([0, 0, 0]);
      const c1 = (home + 1) % fc.ncells;
      for (let c = 0; c < fc.ncells; c++) {
        const cc = fc.cellIndex(fc.cells[3 * c] + fc.cells[3 * c1], fc.cells[3 * c + 1] + fc.cells[3 * c1 + 1], fc.cells[3 * c + 2] + fc.cells[3 * c1 + 2]);
        for (let x = 0; x < 3 * n; x++)
          for (let y = 0; y < 3 * n; y++)
            expect(phi[(3 * c1 * n + x) * N3 + 3 * cc * n + y]).toBe(phi[(3 * home * n + x) * N3 + 3 * c * n + y]);
      }
    });

  it('grid is the diagonal multiplicity and refuses other supercells', () => {
    expect(new ForceConstants(prim, [2, 3, 1]).grid).toEqual([2, 3, 1]);
    expect(() => new ForceConstants(prim, MATRICES[1]).grid).toThrow(/diagonal supercell/);
    expect(() => new ForceConstants(prim, [2, 0, 1])).toThrow(/three positive integers/);
  });
});
