import { describe, expect, it } from 'vitest';
import { det3, mul3 } from '../../src/structure/mat3.js';
import { g6ToParameters, niggliReduce } from '../../src/structure/niggli.js';
import { readFixtureJson } from '../helpers/fixtures.js';

// Reference: ase.build.tools.niggli_reduce_cell (ASE 3.22), see test/fixtures/scripts/make_structure_fixtures.py.
// ASE returns the reduced cell rotated to standard orientation and `op` with reduced ∝ opᵀ·input.
const ref = readFixtureJson('structures/niggli_ase.json') as {
  cases: { name: string; input: number[][]; reduced: number[][]; op: number[][] }[];
};

function g6(c: ArrayLike<number>): number[] {
  const d = (i: number, j: number) => c[3 * i] * c[3 * j] + c[3 * i + 1] * c[3 * j + 1] + c[3 * i + 2] * c[3 * j + 2];
  return [d(0, 0), d(1, 1), d(2, 2), 2 * d(1, 2), 2 * d(0, 2), 2 * d(0, 1)];
}

function expectG6Close(a: number[], b: number[], rel = 1e-9) {
  const scale = Math.max(a[0], a[1], a[2]);
  for (let k = 0; k < 6; k++) expect(Math.abs(a[k] - b[k]), `g6[${k}]: ${a} vs ${b}`).toBeLessThan(rel * scale);
}

/** Niggli conditions (Křivý & Gruber 1976) up to eps. */
function expectNiggli(g: number[], eps: number) {
  const [A, B, C, xi, eta, zeta] = g;
  expect(A).toBeLessThanOrEqual(B + eps);
  expect(B).toBeLessThanOrEqual(C + eps);
  expect(Math.abs(xi)).toBeLessThanOrEqual(B + eps);
  expect(Math.abs(eta)).toBeLessThanOrEqual(A + eps);
  expect(Math.abs(zeta)).toBeLessThanOrEqual(A + eps);
  const allPos = xi > eps && eta > eps && zeta > eps;
  const allNonPos = xi <= eps && eta <= eps && zeta <= eps;
  expect(allPos || allNonPos).toBe(true);
  expect(xi + eta + zeta + A + B).toBeGreaterThanOrEqual(-eps);
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return (lo: number, hi: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

/** Product of random elementary shears: an integer matrix with det +1. */
function randomUnimodular(rnd: (lo: number, hi: number) => number, steps = 8): number[] {
  let m = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let s = 0; s < steps; s++) {
    const i = rnd(0, 2);
    let j = rnd(0, 2);
    if (j === i) j = (i + 1) % 3;
    const e = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    e[3 * i + j] = rnd(-2, 2);
    m = Array.from(mul3(e, m));
  }
  return m;
}

describe('niggliReduce', () => {
  it.each(ref.cases.map((c) => [c.name, c] as const))('%s: same Niggli cell as ASE niggli_reduce_cell', (_n, c) => {
    const input = c.input.flat();
    const r = niggliReduce(input);
    // Same metric (lattice parameters) as ASE's reduced cell.
    expectG6Close(r.g6, g6(c.reduced.flat()));
    // Same integer transformation as ASE (ASE's op is in column convention).
    const opT = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => c.op[j][i]));
    expect(Array.from(r.transform)).toEqual(opT);
    // reduced = T·input, det T = +1.
    const t = mul3(Array.from(r.transform), input);
    t.forEach((v, k) => expect(Math.abs(v - r.cell[k])).toBeLessThan(1e-9));
    expect(Math.round(det3(Array.from(r.transform)))).toBe(1);
    expectNiggli(r.g6, 1e-9);
  });

  it('random unimodular transforms of known cells all reduce to the same Niggli parameters', () => {
    const rnd = lcg(777);
    const cells: Record<string, number[]> = {
      // H3S Im-3m at ~150 GPa: bcc primitive cell of the a = 3.09 Å cube.
      h3s_bcc: [-1.545, 1.545, 1.545, 1.545, -1.545, 1.545, 1.545, 1.545, -1.545],
      fcc: [0, 1.8, 1.8, 1.8, 0, 1.8, 1.8, 1.8, 0],
      hexagonal: [3.2, 0, 0, -1.6, 2.7712812921102037, 0, 0, 0, 5.2],
      triclinic: [4.1, 0, 0, 0.9, 5.3, 0, -1.2, 0.7, 6.2],
      rhombohedral: [2.5, 0.4, 0.4, 0.4, 2.5, 0.4, 0.4, 0.4, 2.5],
    };
    for (const [name, cell] of Object.entries(cells)) {
      const ref0 = niggliReduce(cell);
      expectNiggli(ref0.g6, 1e-9);
      for (let k = 0; k < 25; k++) {
        const T = randomUnimodular(rnd);
        const skewed = mul3(T, cell);
        const r = niggliReduce(skewed);
        expectG6Close(r.g6, ref0.g6, 1e-8);
        // Volume and handedness are preserved.
        expect(det3(r.cell) / det3(cell)).toBeCloseTo(1, 9);
        const back = mul3(Array.from(r.transform), skewed);
        back.forEach((v, i) => expect(Math.abs(v - r.cell[i]), name).toBeLessThan(1e-8));
      }
    }
  });

  it('known Niggli parameters: fcc primitive is the 60° rhombohedron, bcc primitive has 109.47° angles', () => {
    const a = 3.6;
    const fcc = niggliReduce([0, a / 2, a / 2, a / 2, 0, a / 2, a / 2, a / 2, 0]);
    const [fa, fb, fc, fal, fbe, fga] = g6ToParameters(fcc.g6);
    for (const x of [fa, fb, fc]) expect(x).toBeCloseTo(a / Math.SQRT2, 12);
    for (const x of [fal, fbe, fga]) expect(x).toBeCloseTo(60, 9);
    const bcc = niggliReduce([-1.545, 1.545, 1.545, 1.545, -1.545, 1.545, 1.545, 1.545, -1.545]);
    const p = g6ToParameters(bcc.g6);
    for (const x of p.slice(0, 3)) expect(x).toBeCloseTo((3.09 * Math.sqrt(3)) / 2, 12);
    expect(p[3]).toBeCloseTo(109.47122063449069, 8);
  });

  it('an already reduced cell is returned with the identity transform; a left-handed cell stays left-handed', () => {
    const cell = [4, 0, 0, 0, 5, 0, 0, 0, 6];
    const r = niggliReduce(cell);
    expect(Array.from(r.transform)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(r.cell)).toEqual(cell);
    const left = [4, 0, 0, 0, 5, 0, 3, 2, -6];
    const rl = niggliReduce(left);
    expect(det3(rl.cell)).toBeCloseTo(det3(left), 9);
    expectNiggli(rl.g6, 1e-9);
  });

  it('refuses degenerate input', () => {
    expect(() => niggliReduce([1, 0, 0, 2, 0, 0, 0, 0, 1])).toThrow(/degenerate/);
    expect(() => niggliReduce([1, 0, 0])).toThrow(/9 finite numbers/);
  });
});
