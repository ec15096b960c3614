// Invariances of the MTP energy: rotation, translation, permutation of like atoms, choice of the
// periodic cell (supercells, other cells of the same lattice), and cells shorter than 2 R_cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { MtpBasis } from '../../src/mlip/mtp.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell } from '../../src/structure/supercell.js';
import { mulberry32 } from '../helpers/random.js';
import { balancedTheta, h3sCell, relErr } from './mtp-helpers.js';

let k: Kernels;
let basis: MtpBasis;
let theta: Float64Array;
let s0: Structure;
beforeAll(async () => {
  k = await loadKernels();
  basis = MtpBasis.create(k, { species: ['H', 'S'], level: 14, rcut: 4.0, rmin: 0.5 });
  s0 = h3sCell(31);
  theta = balancedTheta(basis, s0, 9);
});
afterAll(() => basis.dispose());

const ev = (s: Structure) => basis.evaluate(s, theta);

/** A random rotation matrix (row-major) from a random unit quaternion. */
function rotation(seed: number): number[] {
  const r = mulberry32(seed);
  let q = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
  const n = Math.hypot(...q);
  q = q.map((v) => v / n);
  const [w, x, y, z] = q;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}

/** Rows v (3 per row) times Rᵀ: every vector rotated by R. */
function rotateRows(v: ArrayLike<number>, R: number[]): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length / 3; i++) {
    for (let a = 0; a < 3; a++) out[3 * i + a] = R[3 * a] * v[3 * i] + R[3 * a + 1] * v[3 * i + 1] + R[3 * a + 2] * v[3 * i + 2];
  }
  return out;
}

describe('MTP invariances', () => {
  it('rotation: energy unchanged, forces and stress rotate', () => {
    const a = ev(s0);
    const R = rotation(4);
    const s = new Structure({ cell: rotateRows(s0.cell, R), species: [...s0.species], frac: s0.frac });
    const b = ev(s);
    expect(Math.abs(b.energy - a.energy)).toBeLessThan(1e-11 * Math.abs(a.energy));
    expect(relErr(b.forces, rotateRows(a.forces, R))).toBeLessThan(1e-10);
    // σ' = R σ Rᵀ
    const sr = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let v = 0;
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) v += R[3 * i + p] * a.stress[3 * p + q] * R[3 * j + q];
      sr[3 * i + j] = v;
    }
    expect(relErr(b.stress, sr)).toBeLessThan(1e-10);
  });

  it('translation', () => {
    const a = ev(s0);
    const t = [0.37, -0.81, 2.3];
    const b = ev(s0.with({ frac: s0.frac.map((v, q) => v + t[q % 3]) }));
    expect(Math.abs(b.energy - a.energy)).toBeLessThan(1e-11 * Math.abs(a.energy));
    expect(relErr(b.forces, a.forces)).toBeLessThan(1e-10);
  });

  it('permutation of like atoms (and any reordering)', () => {
    const a = ev(s0);
    const n = s0.natoms;
    const perm = Array.from({ length: n }, (_, q) => (q * 5 + 3) % n); // a bijection for n = 8
    expect(new Set(perm).size).toBe(n);
    const s = new Structure({ cell: s0.cell, species: perm.map((p) => s0.species[p]), frac: perm.flatMap((p) => Array.from(s0.frac.subarray(3 * p, 3 * p + 3))) });
    const b = ev(s);
    expect(Math.abs(b.energy - a.energy)).toBeLessThan(1e-11 * Math.abs(a.energy));
    const fp = new Float64Array(3 * n);
    perm.forEach((p, q) => fp.set(a.forces.subarray(3 * p, 3 * p + 3), 3 * q));
    expect(relErr(b.forces, fp)).toBeLessThan(1e-10);
  });

  it('choice of periodic cell: supercells and another cell of the same lattice', () => {
    const a = ev(s0);
    for (const M of [[2, 1, 1], [[1, 1, 0], [0, 1, 0], [0, 0, 2]], [[2, 0, 0], [1, 1, 0], [0, 1, 1]]]) {
      const sc = makeSupercell(s0, M);
      const b = ev(sc.structure);
      expect(Math.abs(b.energy / sc.structure.natoms - a.energy / s0.natoms)).toBeLessThan(1e-11 * Math.abs(a.energy / s0.natoms));
      // forces of the images equal those of their primitive atoms
      const fp = new Float64Array(3 * sc.structure.natoms);
      for (let i = 0; i < sc.structure.natoms; i++) fp.set(a.forces.subarray(3 * sc.prim[i], 3 * sc.prim[i] + 3), 3 * i);
      expect(relErr(b.forces, fp)).toBeLessThan(1e-10);
      expect(relErr(b.stress, a.stress)).toBeLessThan(1e-10);
    }
    // a unimodular change of cell (det 1): same crystal, same atoms
    const U = [1, 2, 0, 0, 1, 1, 1, 1, 0];
    expect(U[0] * (U[4] * U[8] - U[5] * U[7]) - U[1] * (U[3] * U[8] - U[5] * U[6]) + U[2] * (U[3] * U[7] - U[4] * U[6])).toBe(1);
    const cell = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let p = 0; p < 3; p++) cell[3 * i + j] += U[3 * i + p] * s0.cell[3 * p + j];
    const b = ev(new Structure({ cell, species: [...s0.species], cartesian: s0.cartesian() }));
    expect(Math.abs(b.energy - a.energy)).toBeLessThan(1e-11 * Math.abs(a.energy));
    expect(relErr(b.forces, a.forces)).toBeLessThan(1e-10);
  });

  it('small cells (shorter than 2 R_cut) equal the same crystal in a large supercell', () => {
    // rattled 4-atom bcc primitive cell of H3S: every cell vector (2.64 Å) is shorter than R_cut
    const a0 = 3.05;
    const cell = [-a0 / 2, a0 / 2, a0 / 2, a0 / 2, -a0 / 2, a0 / 2, a0 / 2, a0 / 2, -a0 / 2];
    const prim = new Structure({ cell, species: ['S', 'H', 'H', 'H'], cartesian: [0.02, -0.03, 0.01, a0 / 2 + 0.08, 0.02, -0.05, 0.04, a0 / 2 - 0.11, 0.03, -0.02, 0.05, a0 / 2 + 0.07] });
    const a = ev(prim);
    const sc = makeSupercell(prim, [3, 3, 3]); // 7.9 Å cell edges: no self-images within R_cut
    const b = ev(sc.structure);
    expect(Math.abs(b.energy / 108 - a.energy / 4)).toBeLessThan(1e-11 * Math.abs(a.energy / 4));
    const fp = new Float64Array(3 * 108);
    for (let i = 0; i < 108; i++) fp.set(a.forces.subarray(3 * sc.prim[i], 3 * sc.prim[i] + 3), 3 * i);
    expect(relErr(b.forces, fp)).toBeLessThan(1e-10);
    expect(relErr(b.stress, a.stress)).toBeLessThan(1e-10);
    // and the design rows scale with the number of cells
    const ra = basis.design(prim, { forces: true }), rb = basis.design(sc.structure);
    expect(relErr(rb.energy.map((v) => v / 27), ra.energy)).toBeLessThan(1e-11);
  });
});
