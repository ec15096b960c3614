import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { NeighborList, neighborPairs } from '../../src/neighbors/neighbor-list.js';
import { mulberry32 } from '../helpers/random.js';

function det(m: ArrayLike<number>): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/** Brute force over all images |S_k| <= M_k, M_k = ceil(rc / h_k) + 3 (h_k plane spacing). */
function bruteForce(cell: number[], frac: number[], rc: number, full: boolean) {
  const n = frac.length / 3;
  const V = Math.abs(det(cell));
  const row = (i: number) => [cell[3 * i], cell[3 * i + 1], cell[3 * i + 2]];
  const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const h = [0, 1, 2].map((k) => V / Math.hypot(...cross(row((k + 1) % 3), row((k + 2) % 3))));
  // positions lie in [-1, 2) in fractional units, so images up to ceil(rc/h) + 3 are needed
  const M = h.map((hk) => Math.ceil(rc / hk) + 3);
  const x = (a: number) => [0, 1, 2].map((c) => frac[3 * a] * cell[c] + frac[3 * a + 1] * cell[3 + c] + frac[3 * a + 2] * cell[6 + c]);
  const out: { key: string; d: number }[] = [];
  for (let i = 0; i < n; i++) {
    const xi = x(i);
    for (let j = 0; j < n; j++) {
      const xj = x(j);
      for (let s0 = -M[0]; s0 <= M[0]; s0++)
        for (let s1 = -M[1]; s1 <= M[1]; s1++)
          for (let s2 = -M[2]; s2 <= M[2]; s2++) {
            if (i === j && s0 === 0 && s1 === 0 && s2 === 0) continue;
            if (!full) {
              if (j < i) continue;
              if (j === i && !(s0 > 0 || (s0 === 0 && (s1 > 0 || (s1 === 0 && s2 > 0))))) continue;
            }
            const r = [0, 1, 2].map((c) => xj[c] + s0 * cell[c] + s1 * cell[3 + c] + s2 * cell[6 + c] - xi[c]);
            const d = Math.hypot(r[0], r[1], r[2]);
            if (d < rc) out.push({ key: `${i},${j},${s0},${s1},${s2}`, d });
          }
    }
  }
  return out;
}

function randomCell(r: () => number, lengths: number[], skew: number): number[] {
  // rows: a1 along x, a2 in xy, a3 general, with random skew components
  const c = [
    lengths[0], 0, 0,
    skew * (r() - 0.5) * lengths[1], lengths[1], 0,
    skew * (r() - 0.5) * lengths[2], skew * (r() - 0.5) * lengths[2], lengths[2],
  ];
  // random rotation-free shear is enough; add a small random perturbation to all components
  return c.map((v) => v + 0.1 * (r() - 0.5));
}

describe('periodic neighbour list', async () => {
  const k = await loadKernels();

  const cases: { name: string; lengths: number[]; skew: number; n: number; rc: number; seed: number }[] = [
    { name: 'moderately triclinic, cell > cutoff', lengths: [9, 10, 11], skew: 0.8, n: 30, rc: 4.0, seed: 1 },
    { name: 'very triclinic (strong shear)', lengths: [7, 8, 9], skew: 2.5, n: 12, rc: 5.0, seed: 2 },
    { name: 'one 1 Å lattice vector, cutoff 5 Å', lengths: [1, 6, 7], skew: 0.6, n: 5, rc: 5.0, seed: 3 },
    { name: 'single atom in a small cell (only self-images)', lengths: [2.1, 2.5, 3.0], skew: 0.5, n: 1, rc: 5.0, seed: 4 },
    { name: 'all vectors shorter than the cutoff', lengths: [3, 3.5, 2.5], skew: 1.2, n: 4, rc: 6.0, seed: 5 },
  ];

  for (const c of cases) {
    for (const full of [false, true]) {
      it(`${c.name}, ${full ? 'full' : 'half'} list equals brute force over images`, () => {
        const r = mulberry32(c.seed * 10 + (full ? 1 : 0));
        const cell = randomCell(r, c.lengths, c.skew);
        // fractional positions deliberately outside [0,1) too (the list must not care)
        const frac = Array.from({ length: 3 * c.n }, () => 3 * r() - 1);
        const ref = bruteForce(cell, frac, c.rc, full);
        const got = neighborPairs(k, cell, frac, c.rc, { full });
        expect(got.i.length).toBe(ref.length);
        expect(ref.length).toBeGreaterThan(0);
        const map = new Map(ref.map((p) => [p.key, p.d]));
        let maxErr = 0;
        const seen = new Set<string>();
        for (let p = 0; p < got.i.length; p++) {
          const key = `${got.i[p]},${got.j[p]},${got.shift[3 * p]},${got.shift[3 * p + 1]},${got.shift[3 * p + 2]}`;
          expect(map.has(key), `pair ${key} not in brute force`).toBe(true);
          expect(seen.has(key), `pair ${key} listed twice`).toBe(false);
          seen.add(key);
          maxErr = Math.max(maxErr, Math.abs(map.get(key)! - got.distances[p]));
          // r_ij = x_j + S·cell − x_i with the input (unwrapped) positions
          const xi = [0, 1, 2].map((q) => frac[3 * got.i[p]] * cell[q] + frac[3 * got.i[p] + 1] * cell[3 + q] + frac[3 * got.i[p] + 2] * cell[6 + q]);
          const xj = [0, 1, 2].map((q) => frac[3 * got.j[p]] * cell[q] + frac[3 * got.j[p] + 1] * cell[3 + q] + frac[3 * got.j[p] + 2] * cell[6 + q]);
          for (let q = 0; q < 3; q++) {
            const rq = xj[q] + got.shift[3 * p] * cell[q] + got.shift[3 * p + 1] * cell[3 + q] + got.shift[3 * p + 2] * cell[6 + q] - xi[q];
            expect(Math.abs(rq - got.vectors[3 * p + q])).toBeLessThan(1e-9);
          }
        }
        expect(maxErr).toBeLessThan(1e-10);
      });
    }
  }

  it('a half list has exactly half the entries of the full list', () => {
    const r = mulberry32(99);
    const cell = randomCell(r, [1, 6, 7], 0.6);
    const frac = Array.from({ length: 15 }, () => r());
    const half = neighborPairs(k, cell, frac, 5.0);
    const full = neighborPairs(k, cell, frac, 5.0, { full: true });
    expect(full.i.length).toBe(2 * half.i.length);
  });

  it('Verlet skin: the list is reused for small moves and gives the same pairs as a fresh build', () => {
    const r = mulberry32(7);
    const cell = randomCell(r, [10, 11, 12], 0.5);
    const frac0 = Array.from({ length: 3 * 60 }, () => r());
    const nl = new NeighborList(k, { cutoff: 4.0, skin: 0.6, full: false });
    expect(nl.update(cell, frac0)).toBe(true);
    // move every atom by < 0.3 Å (skin/2) and re-wrap some atoms by a lattice vector
    const frac1 = frac0.map((s, q) => s + 0.02 * (r() - 0.5) + (q % 7 === 0 ? 1 : 0));
    expect(nl.update(cell, frac1)).toBe(false);
    const reused = nl.pairs();
    const fresh = neighborPairs(k, cell, frac1, 4.0);
    expect(reused.i.length).toBe(fresh.i.length);
    const a = [...reused.distances].sort((x, y) => x - y);
    const b = [...fresh.distances].sort((x, y) => x - y);
    for (let q = 0; q < a.length; q++) expect(Math.abs(a[q] - b[q])).toBeLessThan(1e-12);
    // a big move forces a rebuild
    const frac2 = frac1.map((s, q) => (q === 0 ? s + 0.1 : s));
    expect(nl.update(cell, frac2)).toBe(true);
    expect(nl.builds).toBe(2);
    nl.dispose();
  });
});
