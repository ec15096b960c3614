import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { cholesky, triangularSolve } from '../../src/linalg/cholesky.js';
import {
  symFromEigen,
  symFunction,
  symInvSqrt,
  symPinvExcluding,
  symSqrt,
  uniformTranslations,
} from '../../src/linalg/matfun.js';
import { KernelError } from '../../src/wasm/kernels.js';
import { diffNorm, eye, frob, matmul } from '../helpers/arrays.js';
import { centered, mulberry32 } from '../helpers/random.js';

const rng = (seed: number) => centered(mulberry32(seed));

function expectBitwiseSymmetric(a: Float64Array, n: number): void {
  let bad = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (!Object.is(a[i * n + j], a[j * n + i])) bad++;
  expect(bad).toBe(0);
}

/** Random orthogonal matrix (Gram-Schmidt twice), columns orthonormal. */
function randomOrthogonal(n: number, r: () => number): Float64Array {
  const q = new Float64Array(n * n).map(() => r());
  for (let pass = 0; pass < 2; pass++)
    for (let j = 0; j < n; j++) {
      for (let c = 0; c < j; c++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + c] * q[i * n + j];
        for (let i = 0; i < n; i++) q[i * n + j] -= d * q[i * n + c];
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += q[i * n + j] ** 2;
      s = Math.sqrt(s);
      for (let i = 0; i < n; i++) q[i * n + j] /= s;
    }
  return q;
}

/** Q diag(l) Q^T, exactly symmetric. */
function withSpectrum(q: Float64Array, l: number[], n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += q[i * n + c] * l[c] * q[j * n + c];
      a[i * n + j] = a[j * n + i] = s;
    }
  return a;
}

/**
 * Force constants of a periodic-like spring network of N atoms: every pair (i, j) gets a random
 * longitudinal spring k_ij along a random bond direction e_ij and a transverse one t_ij, block
 * K = k e e^T + t (I - e e^T); Phi_ii += K, Phi_jj += K, Phi_ij = Phi_ji -= K. Acoustic sum rule
 * holds exactly by construction: the three uniform translations are zero modes, and (t > 0) the
 * only ones.
 */
function springNetwork(nAtoms: number, r: () => number): Float64Array {
  const n = 3 * nAtoms;
  const phi = new Float64Array(n * n);
  for (let i = 0; i < nAtoms; i++)
    for (let j = 0; j < i; j++) {
      const e = [r(), r(), r()];
      const ne = Math.hypot(...e);
      for (let c = 0; c < 3; c++) e[c] /= ne;
      const kl = 1 + 2 * (r() + 0.5), kt = 0.2 + (r() + 0.5);
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++) {
          const K = kl * e[a] * e[b] + kt * ((a === b ? 1 : 0) - e[a] * e[b]);
          phi[(3 * i + a) * n + 3 * i + b] += K;
          phi[(3 * j + a) * n + 3 * j + b] += K;
          phi[(3 * i + a) * n + 3 * j + b] -= K;
          phi[(3 * j + a) * n + 3 * i + b] -= K;
        }
    }
  // exact symmetry
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) phi[j * n + i] = phi[i * n + j];
  return phi;
}

const report: string[] = [];

describe('symmetric matrix functions', () => {
  it.each([1, 2, 3, 20, 96])('n = %i: sqrt(A)^2 = A, A^-1/2 A A^-1/2 = I, results bitwise symmetric', async (n) => {
    const k = await loadKernels();
    const live = k.liveBuffers;
    const r = rng(300 + n);
    const spectrum = Array.from({ length: n }, (_, i) => 0.1 + 10 * ((i * 0.618) % 1));
    const a = withSpectrum(randomOrthogonal(n, r), spectrum, n);
    const s = symSqrt(k, a, n);
    const is = symInvSqrt(k, a, n);
    expect(k.liveBuffers).toBe(live);
    expectBitwiseSymmetric(s, n);
    expectBitwiseSymmetric(is, n);
    const e1 = diffNorm(matmul(s, s, n, n, n), a) / frob(a);
    const e2 = diffNorm(matmul(matmul(is, a, n, n, n), is, n, n, n), eye(n)) / Math.sqrt(n);
    const e3 = diffNorm(matmul(s, is, n, n, n), eye(n)) / Math.sqrt(n);
    report.push(`n=${n} (cond 100): |S^2-A|/|A| ${e1.toExponential(2)}, |A^-1/2 A A^-1/2 - I|/sqrt(n) ${e2.toExponential(2)}, |S A^-1/2 - I|/sqrt(n) ${e3.toExponential(2)}`);
    expect(e1).toBeLessThanOrEqual(1e-13);
    expect(e2).toBeLessThanOrEqual(1e-12);
    expect(e3).toBeLessThanOrEqual(1e-12);
  });

  it('exact cases: diagonal and 2x2 analytic', async () => {
    const k = await loadKernels();
    const d = [4, 0, 0, 0, 9, 0, 0, 0, 0.25];
    const s = symSqrt(k, d, 3);
    const ref = [2, 0, 0, 0, 3, 0, 0, 0, 0.5];
    for (let i = 0; i < 9; i++) expect(Math.abs(s[i] - ref[i])).toBeLessThanOrEqual(1e-15 * 3);
    const is = symInvSqrt(k, d, 3);
    const iref = [0.5, 0, 0, 0, 1 / 3, 0, 0, 0, 2];
    for (let i = 0; i < 9; i++) expect(Math.abs(is[i] - iref[i])).toBeLessThanOrEqual(1e-15 * 2);
    // sqrt([[a, b], [b, c]]) = (A + sqrt(det) I) / sqrt(tr + 2 sqrt(det))
    for (const [a, b, c] of [
      [5, 2, 1],
      [2, -1, 2],
      [1e-3, 3e-4, 2e-3],
    ]) {
      const sd = Math.sqrt(a * c - b * b);
      const t = Math.sqrt(a + c + 2 * sd);
      const exp = [(a + sd) / t, b / t, b / t, (c + sd) / t];
      const got = symSqrt(k, [a, b, b, c], 2);
      for (let i = 0; i < 4; i++) expect(Math.abs(got[i] - exp[i])).toBeLessThanOrEqual(4e-16 * Math.abs(exp[0] + exp[3]));
    }
    // rotation-invariant exact case: exp(0) = I, pow(A, 1) = A, inv, log
    const a = withSpectrum(randomOrthogonal(5, rng(3)), [1, 2, 3, 4, 5], 5);
    const p1 = symFunction(k, a, 5, 'pow', { p: 1 });
    expect(diffNorm(p1, a) / frob(a)).toBeLessThanOrEqual(1e-14);
    const inv = symFunction(k, a, 5, 'inv');
    expect(diffNorm(matmul(inv, a, 5, 5, 5), eye(5))).toBeLessThanOrEqual(1e-14);
    const ex = symFunction(k, symFunction(k, a, 5, 'log'), 5, 'exp', { p: 1 });
    expect(diffNorm(ex, a) / frob(a)).toBeLessThanOrEqual(1e-14);
    expect(Array.from(symFunction(k, new Float64Array(9), 3, 'exp', { p: 2 }))).toEqual(Array.from(eye(3)));
  });

  it('definiteness: tiny negative noise is clamped, a significant negative eigenvalue is an error', async () => {
    const k = await loadKernels();
    const n = 10;
    const q = randomOrthogonal(n, rng(77));
    // PSD with an exact zero and a -1e-16 noisy eigenvalue
    const psd = withSpectrum(q, [0, -1e-16, 1, 2, 3, 4, 5, 6, 7, 8], n);
    const s = symSqrt(k, psd, n);
    expect(diffNorm(matmul(s, s, n, n, n), psd) / frob(psd)).toBeLessThanOrEqual(1e-13);
    const neg = withSpectrum(q, [-1e-6, 1, 2, 3, 4, 5, 6, 7, 8, 9], n);
    expect(() => symSqrt(k, neg, n)).toThrow(KernelError);
    expect(() => symSqrt(k, neg, n)).toThrow('symSqrt: matrix has a significantly negative eigenvalue');
    expect(() => symSqrt(k, neg, n, { rtol: 1e-6 })).not.toThrow(); // looser tolerance accepts it
    expect(() => symInvSqrt(k, psd, n)).toThrow('symInvSqrt: matrix is not positive definite');
    expect(() => symFunction(k, psd, n, 'log')).toThrow(/not positive definite/);
    expect(() => symFunction(k, psd, n, 'pow')).toThrow(/finite parameter p/);
  });

  it('NaN/Inf input and bad sizes are clear errors', async () => {
    const k = await loadKernels();
    const live = k.liveBuffers;
    const a = [1, 0, 0, Number.NaN];
    expect(() => symSqrt(k, a, 2)).toThrow('symSqrt: input contains NaN or Inf');
    expect(() => symInvSqrt(k, [1, 0, Number.POSITIVE_INFINITY, 1], 2)).toThrow(/NaN or Inf/);
    expect(() => symPinvExcluding(k, a, 2, [1, 1], 1)).toThrow('symPinvExcluding: input contains NaN or Inf');
    expect(() => symPinvExcluding(k, eye(2), 2, [1, Number.NaN], 1)).toThrow(/NaN or Inf/);
    expect(() => symSqrt(k, [1, 2, 3], 2)).toThrow(/2x2 matrix needs 4 values, got 3/);
    expect(() => symPinvExcluding(k, eye(3), 3, [1, 1], 1)).toThrow(/3x1 row-major array \(3 values\), got 2/);
    expect(k.liveBuffers).toBe(live);
  });

  it('raw kernels honour row strides (lda, ldx, ldo > n)', async () => {
    const k = await loadKernels();
    const nAtoms = 6, n = 18, lda = 21, ldx = 4, ldo = 20;
    const phi = springNetwork(nAtoms, rng(8));
    const t = uniformTranslations(nAtoms);
    const ref = symPinvExcluding(k, phi, n, t, 3);
    const refSqrt = symSqrt(k, matmul(phi, phi, n, n, n), n);
    const ap = new Float64Array(n * lda).fill(Number.NaN);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) ap[i * lda + j] = phi[i * n + j];
    const xp = new Float64Array(n * ldx).fill(Number.NaN);
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) xp[i * ldx + j] = t[i * 3 + j];
    const a2 = matmul(phi, phi, n, n, n);
    const a2p = new Float64Array(n * lda);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a2p[i * lda + j] = a2[i * n + j];
    const { pinv, sq } = k.scope(() => {
      const A = k.f64(n * lda, ap);
      const X = k.f64(n * ldx, xp);
      const O = k.f64(n * ldo, new Float64Array(n * ldo).fill(5));
      const f = (name: string) => k.fn<(...x: number[]) => number>(name);
      k.check('symPinvExcluding', f('symPinvExcluding')(n, A.ptr, lda, X.ptr, 3, ldx, O.ptr, ldo, 1e-10));
      const pinv = O.toArray();
      const A2 = k.f64(n * lda, a2p);
      k.check('symSqrt', f('symSqrt')(n, A2.ptr, lda, O.ptr, ldo, 0));
      return { pinv, sq: O.toArray() };
    });
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        expect(pinv[i * ldo + j]).toBe(ref[i * n + j]);
        expect(sq[i * ldo + j]).toBe(refSqrt[i * n + j]);
      }
      for (let j = n; j < ldo; j++) expect(pinv[i * ldo + j]).toBe(5);
    }
  });

  it('symFromEigen rebuilds a matrix from part of its eigendecomposition', async () => {
    const k = await loadKernels();
    const n = 6;
    const q = randomOrthogonal(n, rng(12));
    const l = [1, -2, 3, 0.5, 7, 2];
    const a = symFromEigen(k, l, q, n);
    expectBitwiseSymmetric(a, n);
    expect(diffNorm(a, withSpectrum(q, l, n)) / frob(a)).toBeLessThanOrEqual(1e-15);
    // first two columns only
    const q2 = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) q2[i * 2 + j] = q[i * n + j];
    const b = symFromEigen(k, [1, -2], q2, n);
    expect(diffNorm(b, withSpectrum(q, [1, -2, 0, 0, 0, 0], n))).toBeLessThanOrEqual(1e-15);
  });
});

describe('symPinvExcluding (pseudo-inverse off the acoustic translations)', () => {
  it.each([4, 12, 32])('spring network of %i atoms: A A+ A = A, A+ t = 0, symmetric, inverse on the complement', async (nAtoms) => {
    const k = await loadKernels();
    const n = 3 * nAtoms;
    const phi = springNetwork(nAtoms, rng(nAtoms));
    const t = uniformTranslations(nAtoms); // n x 3, not normalised
    const live = k.liveBuffers;
    const pinv = symPinvExcluding(k, phi, n, t, 3);
    expect(k.liveBuffers).toBe(live);
    expectBitwiseSymmetric(pinv, n);
    const an = frob(phi), pn = frob(pinv);
    const e1 = diffNorm(matmul(matmul(phi, pinv, n, n, n), phi, n, n, n), phi) / an;
    const at = matmul(pinv, t, n, n, 3);
    const e2 = frob(at) / (pn * frob(t));
    // projector onto the complement: P = I - T (T^T T)^-1 T^T = I - (1/N) sum over translations
    const P = eye(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i % 3 === j % 3) P[i * n + j] -= 1 / nAtoms;
    const e3 = diffNorm(matmul(pinv, phi, n, n, n), P) / Math.sqrt(n);
    // independent reference: (A + T T^T / N)^-1 - T T^T / N through Cholesky
    const shifted = new Float64Array(phi);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i % 3 === j % 3) shifted[i * n + j] += 1 / nAtoms;
    const L = cholesky(k, shifted, n);
    const inv = triangularSolve(k, L, triangularSolve(k, L, eye(n), n, n), n, n, { transpose: true });
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i % 3 === j % 3) inv[i * n + j] -= 1 / nAtoms;
    const e4 = diffNorm(pinv, inv) / pn;
    report.push(
      `spring network N=${nAtoms} (n=${n}): |A A+ A - A|/|A| ${e1.toExponential(2)}, |A+ t|/(|A+||t|) ${e2.toExponential(2)}, |A+ A - P|/sqrt(n) ${e3.toExponential(2)}, |A+ - ref|/|A+| ${e4.toExponential(2)}`,
    );
    expect(e1).toBeLessThanOrEqual(1e-12);
    expect(e2).toBeLessThanOrEqual(1e-14);
    expect(e3).toBeLessThanOrEqual(1e-12);
    expect(e4).toBeLessThanOrEqual(1e-12);
  });

  it('non-orthonormal and dependent exclusion vectors give the same result', async () => {
    const k = await loadKernels();
    const nAtoms = 8, n = 24;
    const phi = springNetwork(nAtoms, rng(5));
    const ref = symPinvExcluding(k, phi, n, uniformTranslations(nAtoms), 3);
    // columns: 2 t_x + t_y, t_x + t_y, -3 t_z, t_x - t_z (dependent)
    const x = new Float64Array(n * 4);
    for (let a = 0; a < nAtoms; a++) {
      x[(3 * a) * 4 + 0] = 2; x[(3 * a + 1) * 4 + 0] = 1;
      x[(3 * a) * 4 + 1] = 1; x[(3 * a + 1) * 4 + 1] = 1;
      x[(3 * a + 2) * 4 + 2] = -3;
      x[(3 * a) * 4 + 3] = 1; x[(3 * a + 2) * 4 + 3] = -1;
    }
    const got = symPinvExcluding(k, phi, n, x, 4);
    expect(diffNorm(got, ref) / frob(ref)).toBeLessThanOrEqual(1e-13);
  });

  it('modes are excluded by overlap, not by eigenvalue: a tiny complement mode is still inverted', async () => {
    const k = await loadKernels();
    const n = 12;
    const r = rng(21);
    // Orthonormal basis whose first column spans x; spectrum: 0 on x, 1e-9 on a complement mode
    const q = randomOrthogonal(n, r);
    const spectrum = [0, 1e-9, -0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const a = withSpectrum(q, spectrum, n);
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = q[i * n] * 3; // a multiple of the zero mode
    const pinv = symPinvExcluding(k, a, n, x, 1, { rcond: 1e-12 });
    // expected: sum over the other modes of v v^T / lambda (including 1e9 and the negative mode)
    const expected = withSpectrum(q, [0, 1e9, -2, 1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 7, 1 / 8, 1 / 9], n);
    const err = diffNorm(pinv, expected) / frob(expected);
    report.push(`tiny complement mode (1e-9): |A+ - exact|/|A+| ${err.toExponential(2)}`);
    // The rounding of A itself (~eps |A| = 2e-15) moves the 1e-9 eigenvalue by ~1e-6 relative, so
    // that is the attainable accuracy; mixing the excluded zero mode with it would give O(1) errors.
    expect(err).toBeLessThanOrEqual(1e-4);
    expect(frob(matmul(pinv, x, n, n, 1)) / (frob(pinv) * frob(x))).toBeLessThanOrEqual(1e-14);
    // with the default rcond 1e-10 the 1e-9 mode is kept too; with rcond 1e-8 it is dropped
    const dropped = symPinvExcluding(k, a, n, x, 1, { rcond: 1e-8 });
    const expected2 = withSpectrum(q, [0, 0, -2, 1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 7, 1 / 8, 1 / 9], n);
    expect(diffNorm(dropped, expected2) / frob(expected2)).toBeLessThanOrEqual(1e-13);
    // no exclusion vectors: plain pseudo-inverse with threshold
    const plain = symPinvExcluding(k, a, n, new Float64Array(0), 0, { rcond: 1e-8 });
    expect(diffNorm(plain, expected2) / frob(expected2)).toBeLessThanOrEqual(1e-13);
  });

  it('prints the measured accuracy', () => {
    // eslint-disable-next-line no-console
    console.log(['matfun accuracy:', ...report].join('\n  '));
  });
});
