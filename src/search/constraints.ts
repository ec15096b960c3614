// Hard constraints on new individuals (physics.md 7.1), checked after every variation operator:
// per-pair minimum distances, cell shape after Niggli reduction, volume near the reference volume.
//
// Deviation from physics.md 7.1: the rule "all cell lengths ≥ 2·max d_min" would reject the
// primitive cell of bcc H3S (|a_i| = a√3/2 ≈ 2.6 Å at 150 GPa against 2·0.7·(1.05+1.05) = 2.94 Å), so
// the factor is 1 by default (`minCellLengthFactor`); a lattice vector shorter than d_min(A,A) is
// anyway an atom too close to its own image.
import { inv3, mul3 } from '../structure/mat3.js';
import { niggliReduce } from '../structure/niggli.js';
import type { Structure } from '../structure/structure.js';
import type { MinDistances } from './composition.js';
import { cbrt, hypot3 } from '../numeric/detmath.js';

export interface ConstraintOptions {
  minDistances: MinDistances;
  /** Reference volume of this cell (Å³); the candidate's volume must lie in [lo, hi]× it. */
  referenceVolume?: number;
  volumeRange?: [number, number];
  /** Lattice vectors of the Niggli cell must be ≥ factor · max d_min. Default 1. */
  minCellLengthFactor?: number;
}

/** Plane spacings h_k = V / |a_i × a_j| of a cell. */
export function planeSpacings(c: ArrayLike<number>): [number, number, number] {
  const cr = (i: number, j: number) =>
    hypot3(c[3 * i + 1] * c[3 * j + 2] - c[3 * i + 2] * c[3 * j + 1], c[3 * i + 2] * c[3 * j] - c[3 * i] * c[3 * j + 2], c[3 * i] * c[3 * j + 1] - c[3 * i + 1] * c[3 * j]);
  const v = Math.abs(
    c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]),
  );
  return [v / cr(1, 2), v / cr(2, 0), v / cr(0, 1)];
}

/** Lattice translations (Cartesian, 3 per vector, without 0) that can bring two atoms within `rmax`. */
export function imageTranslations(cell: ArrayLike<number>, rmax: number): Float64Array {
  const h = planeSpacings(cell);
  const r = h.map((hk) => Math.ceil(0.5 + rmax / hk));
  const out: number[] = [];
  for (let a = -r[0]; a <= r[0]; a++)
    for (let b = -r[1]; b <= r[1]; b++)
      for (let g = -r[2]; g <= r[2]; g++) {
        if (a === 0 && b === 0 && g === 0) continue;
        out.push(a * cell[0] + b * cell[3] + g * cell[6], a * cell[1] + b * cell[4] + g * cell[7], a * cell[2] + b * cell[5] + g * cell[8]);
      }
  return Float64Array.from(out);
}

export interface DistanceViolation {
  i: number;
  j: number;
  distance: number;
  limit: number;
}

/** The first pair (i ≤ j; i = j: an atom and its own image) closer than d_min(A,B), or null. */
export function minDistanceViolation(s: Structure, md: MinDistances, scale = 1): DistanceViolation | null {
  const c = s.cell, f = s.frac, n = s.natoms;
  const T = imageTranslations(c, md.max * scale);
  const nt = T.length;
  for (let i = 0; i < n; i++) {
    const dii = md.get(s.species[i], s.species[i]) * scale;
    for (let m = 0; m < nt; m += 3) {
      const d = hypot3(T[m], T[m + 1], T[m + 2]);
      if (d < dii) return { i, j: i, distance: d, limit: dii };
    }
    for (let j = i + 1; j < n; j++) {
      const lim = md.get(s.species[i], s.species[j]) * scale;
      const l2 = lim * lim;
      let u = f[3 * j] - f[3 * i], v = f[3 * j + 1] - f[3 * i + 1], w = f[3 * j + 2] - f[3 * i + 2];
      u -= Math.round(u);
      v -= Math.round(v);
      w -= Math.round(w);
      const x = u * c[0] + v * c[3] + w * c[6], y = u * c[1] + v * c[4] + w * c[7], z = u * c[2] + v * c[5] + w * c[8];
      let best = x * x + y * y + z * z;
      for (let m = 0; m < nt; m += 3) {
        const p = x + T[m], q = y + T[m + 1], r = z + T[m + 2];
        const d2 = p * p + q * q + r * r;
        if (d2 < best) best = d2;
      }
      if (best < l2) return { i, j, distance: Math.sqrt(best), limit: lim };
    }
  }
  return null;
}

/** The same atoms in the Niggli-reduced cell, positions wrapped into [0, 1). */
export function niggliStructure(s: Structure): Structure {
  const r = niggliReduce(s.cell);
  // the reduced cell as the reduction computed it (T·L up to round-off)
  return transformCell(s, r.transform).with({ cell: r.cell });
}

/** The same structure in the cell M·L (M unimodular): x = f·L = (f·M⁻¹)·(M·L), fractions wrapped to [0, 1). */
export function transformCell(s: Structure, M: ArrayLike<number>): Structure {
  const cell = mul3(Float64Array.from(M), s.cell);
  const Mi = inv3(Float64Array.from(M));
  const f = new Float64Array(s.frac.length);
  for (let i = 0; i < s.natoms; i++)
    for (let k = 0; k < 3; k++) {
      const x = s.frac[3 * i] * Mi[k] + s.frac[3 * i + 1] * Mi[3 + k] + s.frac[3 * i + 2] * Mi[6 + k];
      const y = x - Math.floor(x);
      f[3 * i + k] = y >= 1 ? 0 : y;
    }
  return s.with({ cell, frac: f });
}

/** Scale the cell isotropically to volume V (fractional positions kept). */
export function scaleToVolume(s: Structure, volume: number): Structure {
  const k = cbrt(volume / s.volume);
  return s.with({ cell: s.cell.map((x) => x * k) });
}

/** Multiply the cell (rows) by a 3×3 matrix from the right: a_i → a_i·M. */
export function deformCell(s: Structure, M: ArrayLike<number>): Structure {
  return s.with({ cell: mul3(s.cell, Float64Array.from(M)) });
}

/** Why a candidate breaks a hard constraint, or null when it is acceptable. */
export function constraintViolation(s: Structure, o: ConstraintOptions): string | null {
  const v = s.volume;
  if (o.referenceVolume) {
    const [lo, hi] = o.volumeRange ?? [0.5, 2];
    if (v < lo * o.referenceVolume || v > hi * o.referenceVolume) return `volume ${v.toFixed(2)} Å³ outside [${lo}, ${hi}]× ${o.referenceVolume.toFixed(2)} Å³`;
  }
  const l = s.lattice();
  const minLen = (o.minCellLengthFactor ?? 1) * o.minDistances.max;
  if (Math.min(l.a, l.b, l.c) < minLen) return `cell length ${Math.min(l.a, l.b, l.c).toFixed(3)} Å below ${minLen.toFixed(3)} Å`;
  for (const ang of [l.alpha, l.beta, l.gamma]) if (ang < 59.9 || ang > 120.1) return `cell angle ${ang.toFixed(1)}° outside [60°, 120°]`;
  const d = minDistanceViolation(s, o.minDistances);
  if (d) return `atoms ${d.i + 1} and ${d.j + 1} are ${d.distance.toFixed(3)} Å apart (minimum ${d.limit.toFixed(3)} Å)`;
  return null;
}


