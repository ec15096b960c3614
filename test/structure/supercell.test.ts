import { describe, expect, it } from 'vitest';
import { det3, inv3, mul3, vecMul3 } from '../../src/structure/mat3.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell, supercellLatticePoints } from '../../src/structure/supercell.js';
import { readFixtureJson } from '../helpers/fixtures.js';

// Reference: ASE 3.22 Atoms.repeat and ase.build.make_supercell (test/fixtures/scripts/make_structure_fixtures.py).
interface AtomsJson {
  symbols: string[];
  cell: number[][];
  positions: number[][];
  scaled_positions: number[][];
}
const ref = readFixtureJson('structures/supercell_ase.json') as {
  prim: AtomsJson;
  repeat: { n: number[]; atoms: AtomsJson };
  make_supercell: { P: number[][]; atoms: AtomsJson }[];
};

const prim = new Structure({ cell: ref.prim.cell.flat(), species: ref.prim.symbols, frac: ref.prim.scaled_positions.flat() });

/** Deterministic pseudo-random integers (LCG) so failures are reproducible. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (lo: number, hi: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

describe('makeSupercell', () => {
  it('diagonal (2,3,2) reproduces ASE Atoms.repeat atom by atom, in the same order', () => {
    const sc = makeSupercell(prim, [2, 3, 2]);
    const a = ref.repeat.atoms;
    expect(sc.structure.natoms).toBe(a.symbols.length);
    expect([...sc.structure.species]).toEqual(a.symbols);
    const cell = sc.structure.cell;
    a.cell.flat().forEach((v, k) => expect(cell[k]).toBeCloseTo(v, 12));
    const x = sc.structure.cartesian();
    a.positions.flat().forEach((v, k) => expect(Math.abs(x[k] - v)).toBeLessThan(1e-12));
  });

  it('diagonal order is i = ((l1·n2 + l2)·n3 + l3)·nat + κ with prim/lat maps', () => {
    const [n1, n2, n3] = [3, 2, 4];
    const sc = makeSupercell(prim, [n1, n2, n3]);
    const nat = prim.natoms;
    for (let l1 = 0; l1 < n1; l1++)
      for (let l2 = 0; l2 < n2; l2++)
        for (let l3 = 0; l3 < n3; l3++)
          for (let k = 0; k < nat; k++) {
            const i = ((l1 * n2 + l2) * n3 + l3) * nat + k;
            expect(sc.prim[i]).toBe(k);
            expect([...sc.lat.subarray(3 * i, 3 * i + 3)]).toEqual([l1, l2, l3]);
            expect(sc.structure.frac[3 * i]).toBeCloseTo((prim.frac[3 * k] + l1) / n1, 14);
          }
    expect(sc.ncells).toBe(24);
  });

  it.each(ref.make_supercell.map((c, k) => [k, c] as const))('non-diagonal matrix %i gives the same atoms as ASE make_supercell', (_k, c) => {
    const sc = makeSupercell(prim, c.P);
    const s = sc.structure;
    // Cell = P·cell exactly as ASE.
    c.atoms.cell.flat().forEach((v, k) => expect(s.cell[k]).toBeCloseTo(v, 12));
    expect(s.natoms).toBe(c.atoms.symbols.length);
    expect(s.natoms).toBe(Math.abs(Math.round(det3(c.P.flat()))) * prim.natoms);
    // Same set of positions (order differs): each of ours matches exactly one of ASE's modulo the supercell.
    const theirs = c.atoms.scaled_positions;
    const used = new Set<number>();
    for (let i = 0; i < s.natoms; i++) {
      const f = [...s.frac.subarray(3 * i, 3 * i + 3)];
      const hits = theirs
        .map((t, j) => [t, j] as const)
        .filter(([t, j]) => c.atoms.symbols[j] === s.species[i] && t.every((x, a) => Math.abs(x - f[a] - Math.round(x - f[a])) < 1e-9));
      expect(hits.length, `atom ${i}`).toBe(1);
      used.add(hits[0][1]);
    }
    expect(used.size).toBe(s.natoms);
  });

  it('random integer matrices: every coset of the supercell lattice is enumerated exactly once', () => {
    const rnd = lcg(12345);
    let tested = 0;
    while (tested < 60) {
      const M = Array.from({ length: 9 }, () => rnd(-3, 3));
      const det = Math.round(det3(M));
      if (det === 0 || Math.abs(det) > 40) continue;
      tested++;
      const pts = supercellLatticePoints(M);
      expect(pts.length / 3).toBe(Math.abs(det));
      const minv = inv3(M);
      const key = (l: number[]) => {
        const f = vecMul3(l, minv);
        return Array.from(f, (x) => {
          const y = x - Math.floor(x + 1e-9);
          return Math.round(y * Math.abs(det));
        }).join(',');
      };
      const keys = new Set<string>();
      for (let c = 0; c < pts.length / 3; c++) {
        const l = [pts[3 * c], pts[3 * c + 1], pts[3 * c + 2]];
        const f = vecMul3(l, minv);
        for (const x of f) {
          expect(x).toBeGreaterThanOrEqual(-1e-12);
          expect(x).toBeLessThan(1 - 1e-12);
        }
        keys.add(key(l));
      }
      expect(keys.size).toBe(Math.abs(det));
      // Any lattice translation falls in one of the enumerated cosets.
      for (let t = 0; t < 5; t++) expect(keys.has(key([rnd(-9, 9), rnd(-9, 9), rnd(-9, 9)]))).toBe(true);
      // Deterministic, lexicographic order.
      expect(supercellLatticePoints(M)).toEqual(pts);
      for (let c = 1; c < pts.length / 3; c++) {
        const a = [pts[3 * c - 3], pts[3 * c - 2], pts[3 * c - 1]];
        const b = [pts[3 * c], pts[3 * c + 1], pts[3 * c + 2]];
        const cmp = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
        expect(cmp).toBeLessThan(0);
      }
    }
  });

  it('x_i = x_prim[i] + lat[i]·cell, with and without wrapping, for a non-diagonal matrix', () => {
    const M = [[2, -1, 0], [1, 1, 1], [0, 1, -2]];
    for (const wrap of [true, false]) {
      const sc = makeSupercell(prim, M, { wrap });
      const x = sc.structure.cartesian();
      const xp = prim.cartesian();
      expect(sc.structure.natoms).toBe(Math.abs(Math.round(det3(M.flat()))) * prim.natoms);
      for (let i = 0; i < sc.structure.natoms; i++) {
        const k = sc.prim[i];
        const t = vecMul3([sc.lat[3 * i], sc.lat[3 * i + 1], sc.lat[3 * i + 2]], prim.cell);
        for (let a = 0; a < 3; a++) expect(Math.abs(x[3 * i + a] - xp[3 * k + a] - t[a])).toBeLessThan(1e-11);
        if (wrap) for (let a = 0; a < 3; a++) {
          expect(sc.structure.frac[3 * i + a]).toBeGreaterThanOrEqual(0);
          expect(sc.structure.frac[3 * i + a]).toBeLessThan(1);
        } else expect([...sc.lat.subarray(3 * i, 3 * i + 3)]).toEqual([...sc.cells.subarray(3 * Math.floor(i / prim.natoms), 3 * Math.floor(i / prim.natoms) + 3)]);
      }
      // Cell = M·cell, and masses/species follow the primitive atoms.
      const want = mul3(M.flat(), prim.cell);
      want.forEach((v, k) => expect(sc.structure.cell[k]).toBe(v));
      for (let i = 0; i < sc.structure.natoms; i++) {
        expect(sc.structure.species[i]).toBe(prim.species[sc.prim[i]]);
        expect(sc.structure.masses[i]).toBe(prim.masses[sc.prim[i]]);
      }
    }
  });

  it('keeps isotope masses and labels, and handles a negative determinant', () => {
    const p = new Structure({ cell: [3, 0, 0, 0, 3, 0, 0, 0, 3], species: ['D', 'S'], frac: [0, 0, 0, 0.5, 0.5, 0.5], labels: ['D1', 'S1'] });
    const sc = makeSupercell(p, [[0, 1, 0], [1, 0, 0], [0, 0, 2]]);
    expect(sc.ncells).toBe(2);
    expect(sc.structure.natoms).toBe(4);
    expect([...sc.structure.masses]).toEqual([2.014101778, 32.06, 2.014101778, 32.06]);
    expect(sc.structure.labels).toEqual(['D1', 'S1', 'D1', 'S1']);
    expect(det3(sc.structure.cell)).toBeLessThan(0);
  });

  it('refuses singular and non-integer matrices', () => {
    expect(() => makeSupercell(prim, [[1, 0, 0], [2, 0, 0], [0, 0, 1]])).toThrow(/singular/);
    expect(() => makeSupercell(prim, [2, 0, 1])).toThrow(/singular/);
    expect(() => makeSupercell(prim, [2, 1.5, 1])).toThrow(/integers/);
    expect(() => makeSupercell(prim, [1, 2, 3, 4])).toThrow(/3 \(diagonal\) or 9/);
  });
});
