// Sequential random draws for the search, all from one Philox stream (src/random): uniforms and
// normals are fetched in small blocks, so a sequence of draws is a pure function of (seed, stream)
// and of the order of the calls. Every child of the search gets its own stream (search.ts), which
// makes a generation reproducible no matter how its relaxations were batched or resumed.
import { Rng } from '../random/rng.js';
const BLOCK = 64;
export class Draws {
    u = new Float64Array(0);
    ui = 0;
    g = new Float64Array(0);
    gi = 0;
    rng;
    constructor(a, seed, stream) {
        this.rng = a instanceof Rng ? a : new Rng(a, seed ?? 0, stream ?? 0);
    }
    /** Uniform in (0, 1). */
    uniform() {
        if (this.ui >= this.u.length) {
            this.u = this.rng.uniform(BLOCK);
            this.ui = 0;
        }
        return this.u[this.ui++];
    }
    /** Standard normal. */
    normal() {
        if (this.gi >= this.g.length) {
            this.g = this.rng.normal(BLOCK);
            this.gi = 0;
        }
        return this.g[this.gi++];
    }
    /** Uniform in [a, b). */
    range(a, b) {
        return a + (b - a) * this.uniform();
    }
    /** Integer in [0, n). */
    int(n) {
        return Math.min(n - 1, Math.floor(this.uniform() * n));
    }
    /** Index drawn with probabilities proportional to `weights` (non-negative, not all zero). */
    weighted(weights) {
        let total = 0;
        for (const w of weights)
            total += w;
        let x = this.uniform() * total;
        for (let i = 0; i < weights.length; i++) {
            if (weights[i] <= 0)
                continue;
            x -= weights[i];
            if (x < 0)
                return i;
        }
        for (let i = weights.length - 1; i >= 0; i--)
            if (weights[i] > 0)
                return i;
        throw new RangeError('weighted draw: all weights are zero');
    }
    /** A point uniformly inside the unit ball (3 numbers). */
    inBall() {
        for (;;) {
            const x = 2 * this.uniform() - 1, y = 2 * this.uniform() - 1, z = 2 * this.uniform() - 1;
            if (x * x + y * y + z * z <= 1)
                return [x, y, z];
        }
    }
    /** Fisher–Yates shuffle in place. */
    shuffle(a) {
        for (let i = a.length - 1; i > 0; i--) {
            const j = this.int(i + 1);
            [a[i], a[j]] = [a[j], a[i]];
        }
        return a;
    }
}
