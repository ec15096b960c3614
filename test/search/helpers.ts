// Test structures of the search tests (not a test file): textbook prototypes built from their
// definitions, and a rotation helper.
import { Structure } from '../../src/structure/structure.js';

export function fcc(el: string, a: number): Structure {
  return new Structure({ cell: [0, a / 2, a / 2, a / 2, 0, a / 2, a / 2, a / 2, 0], species: [el], frac: [0, 0, 0] });
}

export function fccConventional(el: string, a: number): Structure {
  return new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, a], species: [el, el, el, el], frac: [0, 0, 0, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5] });
}

export function bcc(el: string, a: number): Structure {
  return new Structure({ cell: [-a / 2, a / 2, a / 2, a / 2, -a / 2, a / 2, a / 2, a / 2, -a / 2], species: [el], frac: [0, 0, 0] });
}

/** Ideal hcp with nearest-neighbour distance d (c/a = √(8/3)). */
export function hcp(el: string, d: number): Structure {
  const c = d * Math.sqrt(8 / 3);
  return new Structure({
    cell: [d, 0, 0, -d / 2, (d * Math.sqrt(3)) / 2, 0, 0, 0, c],
    species: [el, el],
    frac: [1 / 3, 2 / 3, 0.25, 2 / 3, 1 / 3, 0.75],
  });
}

export function diamond(el: string, a: number): Structure {
  return new Structure({ cell: [0, a / 2, a / 2, a / 2, 0, a / 2, a / 2, a / 2, 0], species: [el, el], frac: [0, 0, 0, 0.25, 0.25, 0.25] });
}

export function cscl(a: string, b: string, l: number): Structure {
  return new Structure({ cell: [l, 0, 0, 0, l, 0, 0, 0, l], species: [a, b], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
}

export function rocksalt(a: string, b: string, l: number): Structure {
  return new Structure({ cell: [0, l / 2, l / 2, l / 2, 0, l / 2, l / 2, l / 2, 0], species: [a, b], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
}

/** Rotate the cell rigidly (rows times Rᵀ) by angle θ about a unit axis, and shift all atoms by t (fractional). */
export function rotateAndShift(s: Structure, axis: [number, number, number], theta: number, t: [number, number, number]): Structure {
  const [x, y, z] = axis.map((v) => v / Math.hypot(...axis));
  const c = Math.cos(theta), si = Math.sin(theta), C = 1 - c;
  const R = [c + x * x * C, x * y * C - z * si, x * z * C + y * si, y * x * C + z * si, c + y * y * C, y * z * C - x * si, z * x * C - y * si, z * y * C + x * si, c + z * z * C];
  const cell = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) cell[3 * r + k] = R[3 * k] * s.cell[3 * r] + R[3 * k + 1] * s.cell[3 * r + 1] + R[3 * k + 2] * s.cell[3 * r + 2];
  const frac = s.frac.map((v, i) => v + t[i % 3]);
  return s.with({ cell, frac });
}
