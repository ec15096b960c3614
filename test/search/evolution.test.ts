// The parts of the evolutionary search that steer it (docs/search.md, "What limits the search"):
// lattice matching of heredity's parents and the atoms' local degree of order, which heredity and
// coordinate mutation use.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { MinDistances } from '../../src/search/composition.js';
import { minDistanceViolation } from '../../src/search/constraints.js';
import { Draws } from '../../src/search/draws.js';
import { fingerprint, fingerprintDistance, localOrder } from '../../src/search/fingerprint.js';
import { coordinateMutation, heredity, matchLattice, type ChildContext } from '../../src/search/operators.js';
import { transformCell } from '../../src/search/constraints.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell } from '../../src/structure/supercell.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { diamond, fcc, rotateAndShift } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

const metric = (c: ArrayLike<number>) => {
  const g: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) g.push(c[3 * i] * c[3 * j] + c[3 * i + 1] * c[3 * j + 1] + c[3 * i + 2] * c[3 * j + 2]);
  return g;
};

describe('lattice matching of heredity parents', () => {
  it('recognises the same lattice in another cell and orientation; the atoms do not move', () => {
    const a = makeSupercell(diamond('Si', 5.43), [2, 1, 0, 0, 1, 0, 0, 1, 2]).structure;
    const M0 = [1, 1, 0, 0, 1, 0, -1, 0, 1]; // det 1
    const b = rotateAndShift(transformCell(a, M0), [1, 2, 3], 0.7, [0.1, 0.2, 0.3]);
    const { M, mismatch } = matchLattice(a.cell, b.cell);
    expect(mismatch).toBeLessThan(1e-12);
    const b2 = transformCell(b, M);
    const ga = metric(a.cell), gb = metric(b2.cell);
    for (let i = 0; i < 9; i++) expect(gb[i]).toBeCloseTo(ga[i], 9);
    // the same structure: same fingerprint, same volume
    expect(fingerprintDistance(fingerprint(b2), fingerprint(a))).toBeLessThan(1e-10);
    expect(b2.volume).toBeCloseTo(a.volume, 9);
  });

  it('measures the mismatch of different lattices at equal volume (cubic against tetragonal c/a = 1.5)', () => {
    const t = 1 / Math.cbrt(1.5); // a of the tetragonal cell of volume 1
    const cubic = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const tet = [t, 0, 0, 0, t, 0, 0, 0, 1.5 * t];
    const { mismatch } = matchLattice(cubic, tet);
    expect(mismatch).toBeCloseTo(Math.sqrt(2 * (t * t - 1) ** 2 + (2.25 * t * t - 1) ** 2) / 3, 12);
    // scale does not matter: B is compared at A's volume
    expect(matchLattice(cubic, tet.map((x) => 2 * x)).mismatch).toBeCloseTo(mismatch, 12);
  });
});

describe('local degree of order', () => {
  it('equals √(Δ/(N/Ω)^⅓)·‖F‖ of the structure fingerprint when all atoms are equivalent', () => {
    for (const s of [makeSupercell(fcc('Ar', 5.3), [2, 0, 0, 0, 2, 0, 0, 0, 2]).structure, makeSupercell(diamond('Si', 5.43), [1, 1, 0, 0, 2, 0, 0, 0, 1]).structure]) {
      const pi = localOrder(s);
      const want = Math.sqrt(0.08 / Math.cbrt(s.natoms / s.volume)) * fingerprint(s).norm;
      expect(want).toBeGreaterThan(0.5);
      for (const x of pi) expect(x).toBeCloseTo(want, 9);
    }
  });

  it('is lowest at a displaced atom and higher far from it than next to it', () => {
    const s0 = makeSupercell(diamond('Si', 5.43), [2, 0, 0, 0, 2, 0, 0, 0, 2]).structure;
    const cart = s0.cartesian();
    cart[0] += 0.35;
    cart[1] += 0.2;
    const s = s0.with({ cartesian: cart });
    const pi = localOrder(s);
    const dist = (i: number) => Math.hypot(cart[3 * i] - cart[0], cart[3 * i + 1] - cart[1], cart[3 * i + 2] - cart[2]);
    const others = [...pi.keys()].filter((i) => i > 0);
    expect(others.every((i) => pi[i] > pi[0])).toBe(true);
    // nearest neighbours of the displaced atom against the atoms farthest from it (in the cell)
    const byDist = others.sort((i, j) => dist(i) - dist(j));
    const near = byDist.slice(0, 3).reduce((t, i) => t + pi[i], 0) / 3;
    const far = byDist.slice(-3).reduce((t, i) => t + pi[i], 0) / 3;
    expect(far).toBeGreaterThan(near);
  });
});

describe('operators with local orders', () => {
  const md = new MinDistances(['Si'], 0.7, {});

  it('heredity and coordinate mutation keep the constraints and are reproducible', () => {
    const a = makeSupercell(diamond('Si', 5.43), [2, 0, 0, 0, 1, 0, 0, 0, 1]).structure;
    const cart = a.cartesian();
    cart[3] += 0.4;
    const a2 = a.with({ cartesian: cart });
    const b = rotateAndShift(transformCell(makeSupercell(diamond('Si', 5.6), [1, 0, 0, 0, 2, 0, 0, 0, 1]).structure, [1, 0, 0, 1, 1, 0, 0, 0, 1]), [0, 0, 1], 0.3, [0.2, 0, 0]);
    const ctx: ChildContext = { minDistances: md, volumePerAtom: 20 };
    const orders = { a: localOrder(a2), b: localOrder(b) };
    for (let stream = 0; stream < 6; stream++) {
      const c1 = heredity(new Draws(k, 5, stream), a2, b, ctx, {}, orders);
      const c2 = heredity(new Draws(k, 5, stream), a2, b, ctx, {}, orders);
      expect(c1).not.toBeNull();
      expect(c1!.natoms).toBe(4);
      expect(minDistanceViolation(c1!, md)).toBeNull();
      expect(c1!.volume / 4).toBeCloseTo(20, 8);
      expect(Array.from(c2!.frac)).toEqual(Array.from(c1!.frac));
      const m = coordinateMutation(new Draws(k, 5, stream), a2, ctx, {}, orders.a);
      expect(m).not.toBeNull();
      expect(minDistanceViolation(m!, md)).toBeNull();
    }
  });

  it('coordinate mutation draws the atoms to move with weights growing with their disorder', () => {
    const s0 = makeSupercell(diamond('Si', 5.43), [2, 0, 0, 0, 2, 0, 0, 0, 2]).structure;
    const cart = s0.cartesian();
    cart[0] += 0.4;
    const s = s0.with({ cartesian: cart });
    const pi = localOrder(s);
    const n = s.natoms;
    const lo = Math.min(...pi), hi = Math.max(...pi);
    expect(pi[0]).toBe(lo);
    const w = Array.from(pi, (x) => 0.1 + (hi - x) / (hi - lo));
    const p0 = w[0] / w.reduce((t, x) => t + x, 0); // chance that the displaced atom is the one moved
    const ctx: ChildContext = { minDistances: md, volumePerAtom: s.volume / n };
    const inv = (() => {
      const c = s.cell;
      const det = c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]);
      return [
        (c[4] * c[8] - c[5] * c[7]) / det, (c[2] * c[7] - c[1] * c[8]) / det, (c[1] * c[5] - c[2] * c[4]) / det,
        (c[5] * c[6] - c[3] * c[8]) / det, (c[0] * c[8] - c[2] * c[6]) / det, (c[2] * c[3] - c[0] * c[5]) / det,
        (c[3] * c[7] - c[4] * c[6]) / det, (c[1] * c[6] - c[0] * c[7]) / det, (c[0] * c[4] - c[1] * c[3]) / det,
      ];
    })();
    const trials = 300;
    let hits = 0;
    for (let t = 0; t < trials; t++) {
      // one atom (1/32 of 32) moved by at most 0.05 Å; the child's cell is a basis of the same lattice
      const c = coordinateMutation(new Draws(k, 9, t), s, ctx, { rattleFraction: [1 / n, 1 / n], rattleRadius: 0.05 }, pi)!;
      const cc = c.cartesian();
      const moved: number[] = [];
      for (let i = 0; i < n; i++) {
        const d = [0, 1, 2].map((q) => cc[3 * i + q] - cart[3 * i + q]);
        const f = [0, 1, 2].map((q) => d[0] * inv[q] + d[1] * inv[3 + q] + d[2] * inv[6 + q]).map((x) => x - Math.round(x));
        const r = [0, 1, 2].map((q) => f[0] * s.cell[q] + f[1] * s.cell[3 + q] + f[2] * s.cell[6 + q]);
        if (Math.hypot(...r) > 1e-9) moved.push(i);
      }
      expect(moved.length).toBe(1);
      if (moved[0] === 0) hits++;
    }
    // binomial(300, p0): within 4 standard deviations, and far above the uniform 1/32
    expect(p0).toBeGreaterThan(3 / n);
    expect(Math.abs(hits - trials * p0)).toBeLessThan(4 * Math.sqrt(trials * p0 * (1 - p0)));
  });
});
