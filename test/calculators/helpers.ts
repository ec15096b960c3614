// Shared helpers of the calculator tests (not a test file itself).
import { Structure } from '../../src/structure/structure.js';
import { mulberry32 } from '../helpers/random.js';

/** Fractional coordinates of a lattice basis repeated n×n×n. */
export function supercell(basis: number[][], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < n; k++) for (const b of basis) out.push((b[0] + i) / n, (b[1] + j) / n, (b[2] + k) / n);
  return out;
}

export const FCC = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
export const DIAMOND = [...FCC, ...FCC.map((p) => p.map((x) => x + 0.25))];

/**
 * A displaced supercell of a cubic lattice (edge a, n cells) with a random general (triclinic,
 * rotated) deformation of strength `strain` and random displacements up to `disp` Å.
 */
export function randomCrystal(
  basis: number[][], a: number, n: number, species: (q: number) => string, seed: number, strain = 0.12, disp = 0.1,
): Structure {
  const r = mulberry32(seed);
  const F = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? 1 : 0) + strain * (r() - 0.5)));
  const L = a * n;
  const cell = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => L * F[i][j]));
  const frac = supercell(basis, n);
  const s0 = new Structure({ cell, species: Array.from({ length: frac.length / 3 }, (_, q) => species(q)), frac });
  const x = s0.cartesian().map((v) => v + disp * 2 * (r() - 0.5));
  return s0.with({ cartesian: x });
}

/** Move atom `a` along Cartesian direction `c` by h. */
export function displaced(s: Structure, a: number, c: number, h: number): Structure {
  const x = s.cartesian();
  x[3 * a + c] += h;
  return s.with({ cartesian: x });
}

/** Homogeneous strain x -> x (1 + eps) with eps = h e_alpha e_beta (positions follow the cell). */
export function strained(s: Structure, alpha: number, beta: number, h: number): Structure {
  const cell = Float64Array.from(s.cell);
  for (let i = 0; i < 3; i++) cell[3 * i + beta] += h * s.cell[3 * i + alpha];
  return s.with({ cell });
}

/** Five-point central difference of f at 0 with step h. */
export function d5(f: (h: number) => number, h: number): number {
  return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h);
}
