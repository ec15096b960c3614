// Random strained and rattled cells for the MLIP tests (plain JS random numbers from test/helpers).
import { Structure } from '../../src/structure/structure.js';
import { mulberry32 } from '../helpers/random.js';

/** Cubic cell of edge a·n with a simple-cubic lattice of n³ sites and the given species cycle, strained and rattled. */
export function rattledCubic(opts: {
  seed: number;
  n: number;
  a: number;
  species: string[];
  /** Draw each site's species at random from `species` (default: cycle through them). */
  randomSpecies?: boolean;
  strain?: number;
  rattle?: number;
}): Structure {
  const r = mulberry32(opts.seed);
  const u = () => 2 * r() - 1;
  const n = opts.n;
  const strain = opts.strain ?? 0.03;
  const e = [0, 1, 2].map(() => [0, 1, 2].map(() => 0));
  for (let i = 0; i < 3; i++)
    for (let j = i; j < 3; j++) {
      const v = strain * u();
      e[i][j] = v;
      e[j][i] = v;
    }
  const L = opts.a * n;
  const cell = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => L * ((i === j ? 1 : 0) + e[i][j])));
  const frac: number[] = [];
  const species: string[] = [];
  let k = 0;
  for (let x = 0; x < n; x++)
    for (let y = 0; y < n; y++)
      for (let z = 0; z < n; z++) {
        frac.push((x + 0.5) / n, (y + 0.5) / n, (z + 0.5) / n);
        species.push(opts.randomSpecies ? opts.species[Math.floor(r() * opts.species.length)] : opts.species[k++ % opts.species.length]);
      }
  const s = new Structure({ cell, species, frac });
  const cart = s.cartesian();
  const rattle = opts.rattle ?? 0.1;
  for (let i = 0; i < cart.length; i++) cart[i] += rattle * u();
  return s.with({ cartesian: cart });
}
