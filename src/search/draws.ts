// Sequential random draws for the search, all from one Philox stream (src/random): uniforms and
// normals are fetched in small blocks, so a sequence of draws is a pure function of (seed, stream)
// and of the order of the calls. Every child of the search gets its own stream (search.ts), which
// makes a generation reproducible no matter how its relaxations were batched or resumed.
import { Rng } from '../random/rng.js';
import type { Kernels } from '../wasm/kernels.js';

const BLOCK = 64;

export class Draws {
  private u: Float64Array = new Float64Array(0);
  private ui = 0;
  private g: Float64Array = new Float64Array(0);
  private gi = 0;
  readonly rng: Rng;

  constructor(rng: Rng);
  constructor(k: Kernels, seed: number | bigint, stream: number | bigint);
  constructor(a: Rng | Kernels, seed?: number | bigint, stream?: number | bigint) {
    this.rng = a instanceof Rng ? a : new Rng(a, seed ?? 0, stream ?? 0);
  }

  /** Uniform in (0, 1). */
  uniform(): number {
    if (this.ui >= this.u.length) {
      this.u = this.rng.uniform(BLOCK);
      this.ui = 0;
    }
    return this.u[this.ui++];
  }

  /** Standard normal. */
  normal(): number {
    if (this.gi >= this.g.length) {
      this.g = this.rng.normal(BLOCK);
      this.gi = 0;
    }
    return this.g[this.gi++];
  }

  /** Uniform in [a, b). */
  range(a: number, b: number): number {
    return a + (b - a) * this.uniform();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }

  /** Index drawn with probabilities proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] <= 0) continue;
      x -= weights[i];
      if (x < 0) return i;
    }
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    throw new RangeError('weighted draw: all weights are zero');
  }

  /** A point uniformly inside the unit ball (3 numbers). */
  inBall(): [number, number, number] {
    for (;;) {
      const x = 2 * this.uniform() - 1, y = 2 * this.uniform() - 1, z = 2 * this.uniform() - 1;
      if (x * x + y * y + z * z <= 1) return [x, y, z];
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}
