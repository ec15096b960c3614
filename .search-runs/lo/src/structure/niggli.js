// Niggli reduction of a lattice: the Křivý–Gruber algorithm (I. Křivý & B. Gruber, Acta Cryst. A32
// (1976) 297) with the ε-comparisons of Grosse-Kunstleve, Sauter & Adams (Acta Cryst. A60 (2004) 1).
//
// The cell is kept as actual basis vectors (rows = lattice vectors) and every step is an integer
// unimodular row operation on them; the metric parameters
//   A = a·a, B = b·b, C = c·c, ξ = 2 b·c, η = 2 a·c, ζ = 2 a·b
// are recomputed from the vectors after each step, so rounding cannot accumulate in them.
// The result satisfies reduced = T·cell with T integer, det T = +1 (handedness is preserved), and the
// Niggli conditions hold to within ε.
import { det3, mul3 } from './mat3.js';
import { StructureError } from './structure.js';
import { acos, cbrt } from '../numeric/detmath.js';
function metric(c) {
    const dot = (i, j) => c[3 * i] * c[3 * j] + c[3 * i + 1] * c[3 * j + 1] + c[3 * i + 2] * c[3 * j + 2];
    return [dot(0, 0), dot(1, 1), dot(2, 2), 2 * dot(1, 2), 2 * dot(0, 2), 2 * dot(0, 1)];
}
/** Niggli-reduce a cell (9 numbers, rows = lattice vectors). */
export function niggliReduce(cell, options = {}) {
    let c = Float64Array.from(cell);
    if (c.length !== 9 || !c.every(Number.isFinite))
        throw new StructureError('niggliReduce: cell must be 9 finite numbers');
    const vol = Math.abs(det3(c));
    if (!(vol > 1e-10))
        throw new StructureError(`niggliReduce: degenerate cell (volume ${vol} Å³)`);
    const eps = options.eps ?? 1e-5 * cbrt(vol) * cbrt(vol);
    const maxSteps = options.maxSteps ?? 10000;
    const lt = (x, y) => x < y - eps;
    const gt = (x, y) => y < x - eps;
    const eq = (x, y) => !(lt(x, y) || lt(y, x));
    // ε-sign: −1, 0, +1.
    const sgn = (x) => (x > eps ? 1 : x < -eps ? -1 : 0);
    let T = Int32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    const apply = (S) => {
        T = Int32Array.from(mul3(S, Array.from(T)), (x) => Math.round(x));
        c = mul3(S, c);
    };
    let steps = 0;
    for (;;) {
        if (++steps > maxSteps)
            throw new StructureError(`niggliReduce did not converge in ${maxSteps} steps (eps = ${eps})`);
        let [A, B, C, xi, eta, zeta] = metric(c);
        // A1: order A ≤ B (a' = −b, b' = −a, c' = −c).
        if (gt(A, B) || (eq(A, B) && gt(Math.abs(xi), Math.abs(eta)))) {
            apply([0, -1, 0, -1, 0, 0, 0, 0, -1]);
            [A, B, C, xi, eta, zeta] = metric(c);
        }
        // A2: order B ≤ C (a' = −a, b' = −c, c' = −b); restart at A1.
        if (gt(B, C) || (eq(B, C) && gt(Math.abs(eta), Math.abs(zeta)))) {
            apply([-1, 0, 0, 0, 0, -1, 0, -1, 0]);
            continue;
        }
        // A3 / A4: make ξ, η, ζ all positive or all non-positive by flipping vector signs (det stays +1).
        const l = sgn(xi), m = sgn(eta), n = sgn(zeta);
        if (l * m * n === 1) {
            // A3: all strictly positive afterwards. Flip vector k by the sign of the product of the other two.
            const i = l, j = m, k = n; // a' = i a etc.: ξ' = j k ξ = |ξ| since l·m·n = 1
            apply([i, 0, 0, 0, j, 0, 0, 0, k]);
        }
        else {
            // A4: all non-positive afterwards.
            let i = 1, j = 1, k = 1;
            let zero = -1;
            if (l === 1)
                i = -1;
            else if (l === 0)
                zero = 0;
            if (m === 1)
                j = -1;
            else if (m === 0)
                zero = 1;
            if (n === 1)
                k = -1;
            else if (n === 0)
                zero = 2;
            if (i * j * k < 0) {
                if (zero === 0)
                    i = -1;
                else if (zero === 1)
                    j = -1;
                else if (zero === 2)
                    k = -1;
                else
                    throw new Error('internal error in Niggli step A4');
            }
            if (i !== 1 || j !== 1 || k !== 1)
                apply([i, 0, 0, 0, j, 0, 0, 0, k]);
        }
        [A, B, C, xi, eta, zeta] = metric(c);
        // A5: |ξ| ≤ B (c' = c − sign(ξ) b).
        if (gt(Math.abs(xi), B) || (eq(xi, B) && lt(2 * eta, zeta)) || (eq(xi, -B) && lt(zeta, 0))) {
            const s = Math.sign(xi);
            apply([1, 0, 0, 0, 1, 0, 0, -s, 1]);
            continue;
        }
        // A6: |η| ≤ A (c' = c − sign(η) a).
        if (gt(Math.abs(eta), A) || (eq(eta, A) && lt(2 * xi, zeta)) || (eq(eta, -A) && lt(zeta, 0))) {
            const s = Math.sign(eta);
            apply([1, 0, 0, 0, 1, 0, -s, 0, 1]);
            continue;
        }
        // A7: |ζ| ≤ A (b' = b − sign(ζ) a).
        if (gt(Math.abs(zeta), A) || (eq(zeta, A) && lt(2 * xi, eta)) || (eq(zeta, -A) && lt(eta, 0))) {
            const s = Math.sign(zeta);
            apply([1, 0, 0, -s, 1, 0, 0, 0, 1]);
            continue;
        }
        // A8: ξ + η + ζ + A + B ≥ 0 (c' = c + a + b).
        const sum = xi + eta + zeta + A + B;
        if (lt(sum, 0) || (eq(sum, 0) && gt(2 * (A + eta) + zeta, 0))) {
            apply([1, 0, 0, 0, 1, 0, 1, 1, 1]);
            continue;
        }
        return { cell: c, transform: T, g6: [A, B, C, xi, eta, zeta], steps };
    }
}
/** Lattice parameters (a, b, c in Å; α, β, γ in degrees) from a Niggli metric (A, B, C, ξ, η, ζ). */
export function g6ToParameters(g) {
    const a = Math.sqrt(g[0]), b = Math.sqrt(g[1]), c = Math.sqrt(g[2]);
    const deg = (x) => (acos(Math.max(-1, Math.min(1, x))) * 180) / Math.PI;
    return [a, b, c, deg(g[3] / (2 * b * c)), deg(g[4] / (2 * a * c)), deg(g[5] / (2 * a * b))];
}
