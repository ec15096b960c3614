// Deterministic elementary functions for numbers that end up in results (docs/kernels.md, "Determinism").
//
// ECMAScript leaves Math.exp, log, sin, cos, acos, cbrt, hypot, pow … "implementation-approximated":
// V8 versions (Node 20 against a current Chromium) differ in their last bits. These replacements use
// only +, −, ×, ÷ and Math.sqrt/round/floor/abs (correctly rounded by IEEE 754 and the ECMAScript
// spec), and JavaScript never fuses a multiply-add, so every host computes the same bits.
//
// Accuracy: within 1 ulp of the exact value over the whole finite domain tested against mpmath
// (test/numeric/detmath.test.ts; measured maxima in docs/kernels.md). Methods: Cody–Waite argument
// reduction with double-double remainders, Taylor polynomials (more terms than a minimax fit would need,
// but coefficients that are plain 1/n!), error-free transformations (Dekker's product, Knuth's sum) where
// one rounding would cost more than half an ulp.
//
// Trigonometry is in turns (cos2pi, sin2pi: the angle 2π·t) and degrees: the reduction of t to its
// fractional part and of degrees modulo 90° is exact, so integer t gives exactly 1 and 0, t = ½ gives
// −1, t = ¼ gives 0 and 1 — a Bloch phase at Γ or on the zone boundary is exactly real.
/** 2^27 + 1, Veltkamp's splitter for Dekker's exact product. */
const SPLIT = 134217729;
// π/2, π, π/180 and ln 2 as double-double (hi + lo) or split so that k·HI is exact for |k| < 2^21.
const PIO2_H = 1.5707963267948966;
const PIO2_L = 6.123233995736766e-17;
const PI_H = 3.141592653589793;
const PI_L = 1.2246467991473532e-16;
const DEG_H = 0.017453292519943295;
const DEG_L = 2.9486522708701687e-19;
const LN2_HI = 0.6931471806019545; // 32 significant bits
const LN2_LO = -4.2009150726810846e-11;
const INV_LN2 = 1.4426950408889634;
const SQRT2 = 1.4142135623730951;
const splitHi = (a) => {
    const t = SPLIT * a;
    return t - (t - a);
};
const PIO2_HH = splitHi(PIO2_H), PIO2_HL = PIO2_H - PIO2_HH;
const DEG_HH = splitHi(DEG_H), DEG_HL = DEG_H - DEG_HH;
/** Rounding error of a·b (a·b = fl(a·b) + twoProdErr(a, b, fl(a·b)) exactly), by Dekker's algorithm. */
function twoProdErr(a, b, p) {
    const t = SPLIT * a;
    const ah = t - (t - a), al = a - ah;
    const u = SPLIT * b;
    const bh = u - (u - b), bl = b - bh;
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
/** 1/n! for n = 0 … 20 (n! is exact in binary64 up to 22!, so each is one correct rounding). */
const INV_FACT = [];
{
    let f = 1;
    for (let n = 0; n <= 20; n++) {
        if (n > 0)
            f *= n;
        INV_FACT.push(1 / f);
    }
}
const [, , , F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, F13, F14, F15, F16, F17, F18, F19, F20] = INV_FACT;
/** 2^k for k = −1074 … 1023 at POW2[1074 + k] (exact: repeated doubling and halving of 1). */
const POW2 = new Float64Array(2098);
{
    POW2[1074] = 1;
    for (let k = 1; k <= 1023; k++)
        POW2[1074 + k] = POW2[1073 + k] * 2;
    for (let k = 1; k <= 1074; k++)
        POW2[1074 - k] = POW2[1075 - k] * 0.5;
}
const TWO54 = 18014398509481984;
const TWOM54 = 1 / TWO54;
/** x · 2^k for integer k with x in [0.5, 2) or so; underflow rounds once (subnormal results). */
function scale2(x, k) {
    if (k > 1023)
        return x * 2 * POW2[1074 + k - 1];
    if (k < -1022)
        return x * POW2[1074 + k + 54] * TWOM54;
    return x * POW2[1074 + k];
}
const BITS = new DataView(new ArrayBuffer(8));
/** Binary exponent e of a positive normal x (2^e ≤ x < 2^(e+1)). */
function exponent(x) {
    BITS.setFloat64(0, x);
    return ((BITS.getUint32(0) >>> 20) & 0x7ff) - 1023;
}
// ---------------------------------------------------------------- sine and cosine
// Scratch results (a typed array: module-level `let`s cost a hole check on every access).
// W[0], W[1]: cos and sin from the kernel; W[2] = k, W[3], W[4]: ln 2 reduction; W[5], W[6]: e^r − 1.
const W = new Float64Array(8);
/** cos and sin of the double-double angle xh + xl with |xh| ≤ π/4 (+ a few ulp), into W[0], W[1]. */
function kernel(xh, xl) {
    const z = xh * xh;
    // sin x = x − x³/3! + … − x¹⁹/19! (truncation below 1e-19 relative on |x| ≤ π/4)
    const ps = -F3 + z * (F5 + z * (-F7 + z * (F9 + z * (-F11 + z * (F13 + z * (-F15 + z * (F17 - z * F19)))))));
    W[1] = xh + (xl * (1 - 0.5 * z) + xh * z * ps);
    // cos x = 1 − x²/2 + x⁴/4! − … + x²⁰/20!, with x² and 1 − x²/2 carried exactly
    const zl = twoProdErr(xh, xh, z) + 2 * xh * xl;
    const hz = 0.5 * z;
    const w = 1 - hz;
    const pc = F4 + z * (-F6 + z * (F8 + z * (-F10 + z * (F12 + z * (-F14 + z * (F16 + z * (-F18 + z * F20)))))));
    W[0] = w + ((((1 - w) - hz) - 0.5 * zl) + z * z * pc);
}
// θ = q·π/2 + a with cos a, sin a in W[0], W[1]: cos θ and sin θ. The + 0 turns the −0 of a negated
// exact zero into +0, so that results never depend on the sign of a zero.
function quadrantCos(q) {
    q &= 3;
    return (q === 0 ? W[0] : q === 1 ? -W[1] : q === 2 ? -W[0] : W[1]) + 0;
}
function quadrantSin(q) {
    q &= 3;
    return (q === 0 ? W[1] : q === 1 ? W[0] : q === 2 ? -W[1] : -W[0]) + 0;
}
/** Reduces 2π t to q·π/2 + a (exactly), puts cos a, sin a in W[0], W[1] and returns q. */
function turns(t) {
    const f = t - Math.round(t); // exact, in [−½, ½]
    const u = 4 * f; // exact
    const k = Math.round(u);
    const g = u - k; // exact, in [−½, ½]: θ = k·π/2 + g·π/2
    const xh = g * PIO2_H;
    // g·(π/2) as a double-double: Dekker's product with the pre-split π/2
    const gs = SPLIT * g;
    const gh = gs - (gs - g), gl = g - gh;
    const xl = ((gh * PIO2_HH - xh) + gh * PIO2_HL + gl * PIO2_HH) + gl * PIO2_HL + g * PIO2_L;
    kernel(xh, xl);
    return k;
}
/** cos(2π t), t in turns (e.g. q·R for a Bloch phase). Exact at multiples of ¼. */
export function cos2pi(t) {
    return quadrantCos(turns(t));
}
/** sin(2π t), t in turns. Exact at multiples of ¼. */
export function sin2pi(t) {
    return quadrantSin(turns(t));
}
/** cos(2π t) into out[o], sin(2π t) into out[o + 1] (one reduction for both). */
export function cosSin2pi(t, out, o = 0) {
    const q = turns(t);
    out[o] = quadrantCos(q);
    out[o + 1] = quadrantSin(q);
}
/** Reduces an angle d in degrees to q·90° + a (exactly), puts cos a, sin a in W[0], W[1], returns q. */
function degrees(d) {
    const k = Math.round(d / 90);
    const r = d - 90 * k; // exact for |d| < 2^46 (the result is a multiple of ulp(d) below 2^6)
    const xh = r * DEG_H;
    const rs = SPLIT * r;
    const rh = rs - (rs - r), rl = r - rh;
    const xl = ((rh * DEG_HH - xh) + rh * DEG_HL + rl * DEG_HH) + rl * DEG_HL + r * DEG_L;
    kernel(xh, xl);
    return k;
}
/** cos of an angle in degrees; exact 0, ±1 at multiples of 90°, ±½ at 60°, 120°, …. */
export function cosDeg(d) {
    return quadrantCos(degrees(d));
}
/** sin of an angle in degrees; exact at multiples of 90° and at 30°, 150°, …. */
export function sinDeg(d) {
    return quadrantSin(degrees(d));
}
// ---------------------------------------------------------------- exponential
// Taylor tail of e^r: (e^r − 1 − r − r²/2)/r³ = Σ_{n≥3} r^(n−3)/n!, through r²⁰/20! (|r| ≤ 1).
function expTail(r) {
    return F3 + r * (F4 + r * (F5 + r * (F6 + r * (F7 + r * (F8 + r * (F9 + r * (F10 + r * (F11 + r * (F12 + r * (F13 + r * (F14 + r * (F15 + r * (F16 + r * (F17 + r * (F18 + r * (F19 + r * F20))))))))))))))));
}
// Reduction x = k·ln 2 + (rh + rl), |rh| ≤ ln2/2 (+ rounding): k, rh, rl into W[2], W[3], W[4].
function reduceLn2(x) {
    const k = Math.round(x * INV_LN2);
    const hi = x - k * LN2_HI; // exact (k·LN2_HI has ≤ 43 bits; Sterbenz)
    const lo = k * LN2_LO;
    const rh = hi - lo;
    W[2] = k;
    W[3] = rh;
    W[4] = (hi - rh) - lo;
}
// e^(rh + rl) − 1 as sh + st (sh the leading double, st the rest) into W[5], W[6], |rh| ≤ 1.
function expm1Parts(rh, rl) {
    const z = rh * rh;
    const zl = twoProdErr(rh, rh, z);
    const hz = 0.5 * z;
    // rh + hz exactly as sh + e (Knuth's two-sum)
    const sh = rh + hz;
    const bb = sh - rh;
    const e = (rh - (sh - bb)) + (hz - bb);
    W[5] = sh;
    W[6] = e + (0.5 * zl + rh * z * expTail(rh) + rl * (1 + rh));
}
/** e^x. */
export function exp(x) {
    if (!(x > -746))
        return x === x ? 0 : x; // underflow; NaN stays NaN
    if (x > 710)
        return Infinity;
    reduceLn2(x);
    expm1Parts(W[3], W[4]);
    const sh = W[5];
    // 1 + sh exactly as h + e, then the small parts
    const h = 1 + sh;
    const e = sh - (h - 1);
    return scale2(h + (e + W[6]), W[2]);
}
/** e^x − 1, accurate for small x. */
export function expm1(x) {
    if (!(x === x))
        return x;
    if (Math.abs(x) <= 1) {
        if (x === 0)
            return x; // keeps −0
        expm1Parts(x, 0);
        return W[5] + W[6];
    }
    if (x < -37 || x > 709)
        return exp(x) - 1; // e^x below half an ulp of 1, or above 2^1000
    reduceLn2(x);
    expm1Parts(W[3], W[4]);
    const k = W[2], sh = W[5], st = W[6];
    const p = POW2[1074 + k];
    if (k > 52)
        return p * ((1 + sh) + st) - 1;
    // (2^k − 1) + 2^k·sh exactly as h + e (2^k − 1 is exact for −53 ≤ k ≤ 52), then 2^k·st
    const a = p - 1, b = p * sh;
    const h = a + b;
    const bb = h - a;
    const e = (a - (h - bb)) + (b - bb);
    return h + (e + p * st);
}
// ---------------------------------------------------------------- logarithm
/** log(1 + f) + k·ln 2 + c for f in [√½ − 1, √2 − 1], c a small correction. */
function logKernel(f, k, c) {
    // s = f/(2 + f): log(1 + f) = 2 atanh s = f − f²/2 + s·(f²/2 + R), R = Σ_{n≥1} 2 s^(2n)/(2n + 1)
    const s = f / (2 + f);
    const z = s * s;
    const R = z * (2 / 3 + z * (2 / 5 + z * (2 / 7 + z * (2 / 9 + z * (2 / 11 + z * (2 / 13 + z * (2 / 15 + z * (2 / 17 + z * (2 / 19 + z * (2 / 21 + z * (2 / 23)))))))))));
    const hfsq = 0.5 * f * f;
    return k * LN2_HI + (f - (hfsq - (s * (hfsq + R) + (k * LN2_LO + c))));
}
/** Natural logarithm. */
export function log(x) {
    if (!(x > 0))
        return x === 0 ? -Infinity : NaN;
    if (x === Infinity)
        return x;
    let k = 0;
    if (x < 2.2250738585072014e-308) {
        x *= TWO54; // subnormal: exact
        k = -54;
    }
    const e = exponent(x);
    let m = x * POW2[1074 - e]; // exact, in [1, 2)
    k += e;
    if (m > SQRT2) {
        m *= 0.5;
        k++;
    }
    return logKernel(m - 1, k, 0);
}
/** log(1 + x), accurate for small x. */
export function log1p(x) {
    if (!(x > -1))
        return x === -1 ? -Infinity : NaN;
    if (x === Infinity)
        return x;
    if (x > -0.2928932188134524 && x < 0.41421356237309503) {
        if (x === 0)
            return x; // keeps −0
        return logKernel(x, 0, 0);
    }
    const u = 1 + x;
    // 1 + x = u + err exactly; log(1 + x) = log u + err/u to first order
    const c = x < 9007199254740992 ? (x > 1 ? 1 - (u - x) : x - (u - 1)) / u : 0;
    const e = exponent(u);
    let m = u * POW2[1074 - e];
    let k = e;
    if (m > SQRT2) {
        m *= 0.5;
        k++;
    }
    return logKernel(m - 1, k, c);
}
// ---------------------------------------------------------------- inverse cosine
/** asin(t) − t for |t| ≤ ½: Σ_{n≥1} (2n)!/(4ⁿ (n!)² (2n+1)) t^(2n+1) (truncation < 1e-18 relative). */
function asinTail(t) {
    const z = t * t;
    let p = 0;
    for (let n = ASIN.length - 1; n >= 0; n--)
        p = ASIN[n] + z * p;
    return t * z * p;
}
const ASIN = (() => {
    const c = [];
    // c_n = (2n)!/(4ⁿ (n!)² (2n+1)) = [(2n−1)!!/(2n)!!]/(2n+1); the ratio (2n−1)/(2n) is exact, so the
    // running product b_n is a few roundings off, far below what the t³ factor makes visible.
    let b = 1;
    for (let n = 1; n <= 26; n++) {
        b = (b * (2 * n - 1)) / (2 * n);
        c.push(b / (2 * n + 1));
    }
    return c;
})();
/** Arc cosine (radians, in [0, π]). */
export function acos(x) {
    if (!(Math.abs(x) <= 1))
        return NaN;
    if (Math.abs(x) <= 0.5) {
        // π/2 − asin x, π/2 as a double-double
        return PIO2_H - (x - (PIO2_L - asinTail(x)));
    }
    // acos |x| = 2 asin √((1 − |x|)/2); (1 − |x|)/2 is exact, the square root carried as t + tl
    const z = (1 - Math.abs(x)) * 0.5;
    const t = Math.sqrt(z);
    const tt = t * t;
    const tl = t === 0 ? 0 : ((z - tt) - twoProdErr(t, t, tt)) / (2 * t);
    const a = t + (tl + asinTail(t)); // asin √z
    if (x > 0)
        return 2 * a;
    return PI_H - (2 * t - (PI_L - 2 * (tl + asinTail(t))));
}
// ---------------------------------------------------------------- cube root
/** Real cube root (sign kept). */
export function cbrt(x) {
    if (x === 0 || !Number.isFinite(x))
        return x;
    const neg = x < 0;
    let a = Math.abs(x);
    let k = 0;
    if (a < 2.2250738585072014e-308) {
        a *= TWO54; // subnormal: exact
        k = -18; // 2^54 = (2^18)^3
    }
    const e = exponent(a);
    const j = Math.floor(e / 3);
    const m = a * POW2[1074 - 3 * j]; // exact, in [1, 8)
    k += j;
    // start within 12 % (a line through (1, 1) and (8, 2)), then Halley's iteration (cubic convergence)
    let y = 1 + (m - 1) / 7;
    for (let i = 0; i < 4; i++) {
        const y3 = y * y * y;
        y = (y * (y3 + 2 * m)) / (2 * y3 + m);
    }
    // one Newton step on the exact residual m − y³ (y² and y·y² by Dekker's product)
    const y2 = y * y;
    const y2l = twoProdErr(y, y, y2);
    const y3 = y * y2;
    const y3l = twoProdErr(y, y2, y3) + y * y2l;
    y += ((m - y3) - y3l) / (3 * y2);
    const r = scale2(y, k);
    return neg ? -r : r;
}
// ---------------------------------------------------------------- Euclidean norms
/** √(a² + b²) (no overflow protection: for physical magnitudes). */
export function hypot2(a, b) {
    return Math.sqrt(a * a + b * b);
}
/** √(x² + y² + z²) (no overflow protection: for physical magnitudes). */
export function hypot3(x, y, z) {
    return Math.sqrt(x * x + y * y + z * z);
}
/** √(Σ xᵢ²), summed in order (no overflow protection: for physical magnitudes). */
export function hypot(...xs) {
    let s = 0;
    for (const x of xs)
        s += x * x;
    return Math.sqrt(s);
}
