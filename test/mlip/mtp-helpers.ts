// Shared helpers of the MTP descriptor tests (not a test file itself).
import { Structure } from '../../src/structure/structure.js';
import type { MtpBasis } from '../../src/mlip/mtp.js';
import { mulberry32 } from '../helpers/random.js';
import { randomCrystal } from '../calculators/helpers.js';

/** Im-3m H3S, conventional cubic cell (8 atoms): S on the bcc sites, H on the edge/face centres. */
export const H3S_CUBIC = {
  species: ['S', 'S', 'H', 'H', 'H', 'H', 'H', 'H'],
  frac: [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]],
};

/** A strained, rattled, triclinic H3S-like cell (a ≈ 3.05 Å, n³ conventional cells). */
export function h3sCell(seed: number, n = 1, strain = 0.12, disp = 0.12): Structure {
  return randomCrystal(H3S_CUBIC.frac, 3.05, n, (q) => H3S_CUBIC.species[q % 8], seed, strain, disp);
}

/** Random θ that gives every basis function a comparable share of the energy of `s`. */
export function balancedTheta(basis: MtpBasis, s: Structure, seed: number): Float64Array {
  const row = basis.design(s).energy;
  const r = mulberry32(seed);
  const th = new Float64Array(basis.nParams);
  for (let c = 0; c < th.length; c++) {
    const scale = Math.abs(row[c]) / s.natoms;
    th[c] = scale > 0 ? (2 * r() - 1) / scale : 2 * r() - 1;
  }
  return th;
}

/** Max |a − b| / max |b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let q = 0; q < b.length; q++) {
    d = Math.max(d, Math.abs(a[q] - b[q]));
    m = Math.max(m, Math.abs(b[q]));
  }
  return d / m;
}

/** Rows (rows × cols, row-major) times θ. */
export function matVec(rows: Float64Array, theta: Float64Array): Float64Array {
  const m = rows.length / theta.length;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let c = 0; c < theta.length; c++) s += rows[i * theta.length + c] * theta[c];
    out[i] = s;
  }
  return out;
}
