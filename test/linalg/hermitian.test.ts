import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { eighHermitian, hermitianEigenvector, interleave } from '../../src/linalg/hermitian.js';
import { KernelError } from '../../src/wasm/kernels.js';
import { frob } from '../helpers/arrays.js';
import { centered, mulberry32 } from '../helpers/random.js';

// ---- deterministic random numbers (tests only) ----
const rng = (seed: number) => centered(mulberry32(seed));

// ---- interleaved complex n x n helpers (row-major) ----
type C = Float64Array;

function randomHermitian(n: number, r: () => number): C {
  const a = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const re = r(), im = i === j ? 0 : r();
      a[2 * (i * n + j)] = re;
      a[2 * (i * n + j) + 1] = im;
      a[2 * (j * n + i)] = re;
      a[2 * (j * n + i) + 1] = -im;
    }
  }
  return a;
}

/** C = A B for n x n complex. */
function cmul(a: C, b: C, n: number): C {
  const c = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < n; p++) {
      const ar = a[2 * (i * n + p)], ai = a[2 * (i * n + p) + 1];
      if (ar === 0 && ai === 0) continue;
      for (let j = 0; j < n; j++) {
        const br = b[2 * (p * n + j)], bi = b[2 * (p * n + j) + 1];
        c[2 * (i * n + j)] += ar * br - ai * bi;
        c[2 * (i * n + j) + 1] += ar * bi + ai * br;
      }
    }
  }
  return c;
}

function cadjoint(a: C, n: number): C {
  const c = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      c[2 * (j * n + i)] = a[2 * (i * n + j)];
      c[2 * (j * n + i) + 1] = -a[2 * (i * n + j) + 1];
    }
  return c;
}

/** Random unitary from Gram-Schmidt (twice) on random complex columns. */
function randomUnitary(n: number, r: () => number): C {
  const u = new Float64Array(2 * n * n);
  for (let i = 0; i < 2 * n * n; i++) u[i] = r();
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < j; k++) {
        let dr = 0, di = 0; // <u_k, u_j>
        for (let i = 0; i < n; i++) {
          const kr = u[2 * (i * n + k)], ki = u[2 * (i * n + k) + 1];
          const jr = u[2 * (i * n + j)], ji = u[2 * (i * n + j) + 1];
          dr += kr * jr + ki * ji;
          di += kr * ji - ki * jr;
        }
        for (let i = 0; i < n; i++) {
          const kr = u[2 * (i * n + k)], ki = u[2 * (i * n + k) + 1];
          u[2 * (i * n + j)] -= dr * kr - di * ki;
          u[2 * (i * n + j) + 1] -= dr * ki + di * kr;
        }
      }
      let nn = 0;
      for (let i = 0; i < n; i++) nn += u[2 * (i * n + j)] ** 2 + u[2 * (i * n + j) + 1] ** 2;
      nn = Math.sqrt(nn);
      for (let i = 0; i < n; i++) {
        u[2 * (i * n + j)] /= nn;
        u[2 * (i * n + j) + 1] /= nn;
      }
    }
  }
  return u;
}

/** U diag(l) U^H. */
function fromSpectrum(u: C, l: number[], n: number): C {
  const ud = new Float64Array(u);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      ud[2 * (i * n + j)] *= l[j];
      ud[2 * (i * n + j) + 1] *= l[j];
    }
  const a = cmul(ud, cadjoint(u, n), n);
  // exactly Hermitian (the kernel reads only the lower triangle anyway)
  for (let i = 0; i < n; i++) {
    a[2 * (i * n + i) + 1] = 0;
    for (let j = 0; j < i; j++) {
      a[2 * (j * n + i)] = a[2 * (i * n + j)];
      a[2 * (j * n + i) + 1] = -a[2 * (i * n + j) + 1];
    }
  }
  return a;
}

interface Quality {
  residual: number; // |A V - V L|_F / |A|_F
  orthogonality: number; // max |V^H V - I|
}

function quality(a: C, values: Float64Array, v: C, n: number): Quality {
  const av = cmul(a, v, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      av[2 * (i * n + j)] -= v[2 * (i * n + j)] * values[j];
      av[2 * (i * n + j) + 1] -= v[2 * (i * n + j) + 1] * values[j];
    }
  const g = cmul(cadjoint(v, n), v, n);
  let orth = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const re = g[2 * (i * n + j)] - (i === j ? 1 : 0), im = g[2 * (i * n + j) + 1];
      orth = Math.max(orth, Math.hypot(re, im));
    }
  const an = frob(a);
  return { residual: an === 0 ? frob(av) : frob(av) / an, orthogonality: orth };
}

const report: string[] = [];

describe('eighHermitian (complex Hermitian eigensolver)', () => {
  it.each([1, 2, 3, 10, 96, 200])('random Hermitian n = %i: residual and orthogonality <= 1e-12', async (n) => {
    const k = await loadKernels();
    const live = k.liveBuffers;
    const a = randomHermitian(n, rng(1000 + n));
    const { values, vectors } = eighHermitian(k, a, n);
    expect(k.liveBuffers).toBe(live);
    for (let j = 1; j < n; j++) expect(values[j]).toBeGreaterThanOrEqual(values[j - 1]);
    const q = quality(a, values, vectors, n);
    report.push(`random n=${n}: residual ${q.residual.toExponential(2)}, orthogonality ${q.orthogonality.toExponential(2)}`);
    expect(q.residual).toBeLessThanOrEqual(1e-12);
    expect(q.orthogonality).toBeLessThanOrEqual(1e-12);
    // trace is preserved
    let tr = 0, sw = 0;
    for (let i = 0; i < n; i++) tr += a[2 * (i * n + i)];
    for (let i = 0; i < n; i++) sw += values[i];
    expect(Math.abs(tr - sw)).toBeLessThanOrEqual(1e-12 * frob(a));
  });

  it('reads only the lower triangle (upper triangle and diagonal imaginary parts are ignored)', async () => {
    const k = await loadKernels();
    const n = 17;
    const a = randomHermitian(n, rng(7));
    const junk = new Float64Array(a);
    const r = rng(8);
    for (let i = 0; i < n; i++) {
      junk[2 * (i * n + i) + 1] = r() * 1e3;
      for (let j = i + 1; j < n; j++) {
        junk[2 * (i * n + j)] = r() * 1e3;
        junk[2 * (i * n + j) + 1] = Number.NaN;
      }
    }
    const e1 = eighHermitian(k, a, n);
    const e2 = eighHermitian(k, junk, n);
    expect(Array.from(e2.values)).toEqual(Array.from(e1.values));
    expect(Array.from(e2.vectors)).toEqual(Array.from(e1.vectors));
  });

  it.each([
    ['3-fold and 6-fold with exact zeros', [0, 0, 0, 1.5, 1.5, 1.5, 2, 2, 2, 2, 2, 2, -0.75, 4, 4, 4]],
    ['one 6-fold, one 3-fold, simple', [-1, -1, -1, -1, -1, -1, 3, 3, 3, 0.5, 7, 7, 7, 7, 7, 7, 0]],
    ['a 12-fold eigenvalue in 24', [...Array(12).fill(2.5), ...Array(6).fill(0), 1, 2, 3, 4, 5, 6]],
    ['n = 96: 16 levels, each 6-fold, incl. 0', Array.from({ length: 96 }, (_, i) => (i % 16) - 5)],
    ['n = 96: 32 levels, each 3-fold', Array.from({ length: 96 }, (_, i) => Math.sin(i % 32) * 10)],
    ['n = 150 (blocked back-transformation): 50 levels, each 3-fold', Array.from({ length: 150 }, (_, i) => ((i % 50) - 20) * 0.1)],
  ])('degenerate spectrum (%s): exact eigenvalues, orthonormal vectors, right eigenspaces', async (_name, spectrum) => {
    const k = await loadKernels();
    const n = spectrum.length;
    const u = randomUnitary(n, rng(n * 31 + 5));
    const a = fromSpectrum(u, spectrum, n);
    const { values, vectors } = eighHermitian(k, a, n);
    const sorted = [...spectrum].sort((x, y) => x - y);
    const an = Math.max(...spectrum.map(Math.abs));
    let maxErr = 0;
    for (let j = 0; j < n; j++) maxErr = Math.max(maxErr, Math.abs(values[j] - sorted[j]));
    const q = quality(a, values, vectors, n);
    report.push(
      `degenerate n=${n} (${_name}): eigenvalue error ${(maxErr / an).toExponential(2)}, residual ${q.residual.toExponential(2)}, orthogonality ${q.orthogonality.toExponential(2)}`,
    );
    expect(maxErr).toBeLessThanOrEqual(1e-12 * an);
    expect(q.residual).toBeLessThanOrEqual(1e-12);
    expect(q.orthogonality).toBeLessThanOrEqual(1e-12);
    // each computed eigenvector lies in the exact eigenspace of its eigenvalue:
    // |(I - P_lambda) v| <= 1e-12 with P_lambda = sum over the exact eigenvectors of that eigenvalue
    for (let j = 0; j < n; j++) {
      const vj = hermitianEigenvector({ n, values, vectors }, j);
      const out = new Float64Array(vj);
      for (let c = 0; c < n; c++) {
        if (spectrum[c] !== sorted[j]) continue;
        let dr = 0, di = 0; // <u_c, v_j>
        for (let i = 0; i < n; i++) {
          const ur = u[2 * (i * n + c)], ui = u[2 * (i * n + c) + 1];
          dr += ur * vj[2 * i] + ui * vj[2 * i + 1];
          di += ur * vj[2 * i + 1] - ui * vj[2 * i];
        }
        for (let i = 0; i < n; i++) {
          const ur = u[2 * (i * n + c)], ui = u[2 * (i * n + c) + 1];
          out[2 * i] -= dr * ur - di * ui;
          out[2 * i + 1] -= dr * ui + di * ur;
        }
      }
      expect(frob(out)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('real symmetric input (imaginary parts 0) gives real eigenvectors and matches eighSym', async () => {
    const k = await loadKernels();
    const n = 40;
    const r = rng(99);
    const re = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) re[i * n + j] = re[j * n + i] = r();
    const a = interleave(re, new Float64Array(n * n));
    const { values, vectors } = eighHermitian(k, a, n);
    const q = quality(a, values, vectors, n);
    expect(q.residual).toBeLessThanOrEqual(1e-12);
    expect(q.orthogonality).toBeLessThanOrEqual(1e-12);
    for (let i = 0; i < n * n; i++) expect(Math.abs(vectors[2 * i + 1])).toBe(0);
    if (typeof k.exports.eighSym === 'function') {
      const w = k.scope(() => {
        const A = k.f64(n * n, re);
        const W = k.f64(n);
        const V = k.f64(n * n);
        k.check('eighSym', k.fn<(...x: number[]) => number>('eighSym')(n, A.ptr, n, W.ptr, V.ptr, n));
        return W.toArray();
      });
      for (let j = 0; j < n; j++) expect(Math.abs(values[j] - w[j])).toBeLessThanOrEqual(1e-12 * frob(re));
    }
  });

  it('agrees with the real 2n embedding [[Re, -Im], [Im, Re]] (eigenvalues doubled)', async () => {
    const k = await loadKernels();
    for (const n of [5, 30, 96]) {
      const a = randomHermitian(n, rng(500 + n));
      const { values } = eighHermitian(k, a, n);
      const m = 2 * n;
      const big = new Float64Array(m * m);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const re = a[2 * (i * n + j)], im = a[2 * (i * n + j) + 1];
          big[i * m + j] = re;
          big[(i + n) * m + j + n] = re;
          big[i * m + j + n] = -im;
          big[(i + n) * m + j] = im;
        }
      const w = k.scope(() => {
        const A = k.f64(m * m, big);
        const W = k.f64(m);
        const V = k.f64(m * m);
        k.check('eighSym', k.fn<(...x: number[]) => number>('eighSym')(m, A.ptr, m, W.ptr, V.ptr, m));
        return W.toArray();
      });
      const an = frob(a);
      let err = 0;
      for (let j = 0; j < n; j++) {
        err = Math.max(err, Math.abs(w[2 * j] - values[j]), Math.abs(w[2 * j + 1] - values[j]));
      }
      report.push(`2n embedding n=${n}: max eigenvalue difference ${(err / an).toExponential(2)} |A|`);
      expect(err).toBeLessThanOrEqual(1e-12 * an);
    }
  });

  it('diatomic chain: dynamical matrix frequencies match the analytic dispersion (1-D and rotated 3-D)', async () => {
    const k = await loadKernels();
    const m1 = 1.0, m2 = 2.7, kl = 3.3, kt = 1.1, a0 = 1.0; // masses, longitudinal/transverse springs
    const analytic = (kk: number, q: number) => {
      const s = 1 / m1 + 1 / m2;
      const root = Math.sqrt(s * s - (4 * Math.sin((q * a0) / 2) ** 2) / (m1 * m2));
      return [kk * (s - root), kk * (s + root)];
    };
    // Random rotation of the chain axis for the 3-D version.
    const rr = rng(42);
    const R: number[][] = [];
    {
      const cols: number[][] = [];
      for (let c = 0; c < 3; c++) {
        let v = [rr(), rr(), rr()];
        for (const w of cols) {
          const d = v[0] * w[0] + v[1] * w[1] + v[2] * w[2];
          v = v.map((x, i) => x - d * w[i]);
        }
        const nv = Math.hypot(...v);
        cols.push(v.map((x) => x / nv));
      }
      for (let i = 0; i < 3; i++) R.push([cols[0][i], cols[1][i], cols[2][i]]);
    }
    let worst = 0;
    for (const q of [0, 0.3, 1.0, 2.2, Math.PI * 0.999, Math.PI]) {
      // cell convention: D_12(q) = -k (1 + e^{-i q a}) / sqrt(m1 m2)
      const off = (kk: number) => [(-kk * (1 + Math.cos(q * a0))) / Math.sqrt(m1 * m2), (kk * Math.sin(q * a0)) / Math.sqrt(m1 * m2)];
      // 1-D: 2 x 2
      const [o1r, o1i] = off(kl);
      const d1 = new Float64Array([(2 * kl) / m1, 0, o1r, o1i, o1r, -o1i, (2 * kl) / m2, 0]);
      const e1 = eighHermitian(k, d1, 2);
      const ex1 = analytic(kl, q);
      for (let j = 0; j < 2; j++) worst = Math.max(worst, Math.abs(e1.values[j] - ex1[j]) / ex1[1]);
      // 3-D: 6 x 6, dofs (atom, xyz); springs: kl along the chain axis e = R x-hat, kt across it.
      const n = 6;
      const D = new Float64Array(2 * n * n);
      const K = (alpha: number, beta: number, kk: number[]) =>
        // R diag(kk) R^T
        R[alpha][0] * kk[0] * R[beta][0] + R[alpha][1] * kk[1] * R[beta][1] + R[alpha][2] * kk[2] * R[beta][2];
      const ks = [kl, kt, kt];
      const ms = [m1, m2];
      for (let s = 0; s < 2; s++)
        for (let t = 0; t < 2; t++)
          for (let al = 0; al < 3; al++)
            for (let be = 0; be < 3; be++) {
              const kab = K(al, be, ks);
              let re = 0, im = 0;
              if (s === t) re = (2 * kab) / ms[s];
              else {
                const c = -kab / Math.sqrt(m1 * m2);
                const sg = s === 0 ? -1 : 1; // (0,1): 1 + e^{-iqa}; (1,0): 1 + e^{+iqa}
                re = c * (1 + Math.cos(q * a0));
                im = c * sg * Math.sin(q * a0);
              }
              D[2 * ((3 * s + al) * n + 3 * t + be)] = re;
              D[2 * ((3 * s + al) * n + 3 * t + be) + 1] = im;
            }
      const e3 = eighHermitian(k, D, n);
      const [la, lo] = analytic(kl, q);
      const [ta, to] = analytic(kt, q);
      const ex3 = [la, lo, ta, ta, to, to].sort((x, y) => x - y);
      for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(e3.values[j] - ex3[j]) / lo);
      const qq = quality(D, e3.values, e3.vectors, n);
      expect(qq.residual).toBeLessThanOrEqual(1e-13);
      expect(qq.orthogonality).toBeLessThanOrEqual(1e-13);
    }
    report.push(`diatomic chain: max relative frequency^2 error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-14);
  });

  it('scale invariance: tiny and huge matrices', async () => {
    const k = await loadKernels();
    const n = 12;
    const a = randomHermitian(n, rng(3));
    const ref = eighHermitian(k, a, n);
    for (const s of [2 ** -600, 2 ** 600]) {
      const e = eighHermitian(k, a.map((x) => x * s), n);
      for (let j = 0; j < n; j++) expect(e.values[j]).toBe(ref.values[j] * s); // power-of-two scaling is exact
      expect(Array.from(e.vectors)).toEqual(Array.from(ref.vectors));
    }
  });

  it('block-diagonal and tridiagonal complex inputs (reflector-free steps, phases)', async () => {
    const k = await loadKernels();
    // direct sum of Hermitian blocks of sizes 5, 1 and 7: several columns need no reflection
    const sizes = [5, 1, 7];
    const n = 13;
    const a = new Float64Array(2 * n * n);
    const expected: number[] = [];
    let off = 0;
    for (const [bi, m] of sizes.entries()) {
      const b = randomHermitian(m, rng(60 + bi));
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++) {
          a[2 * ((off + i) * n + off + j)] = b[2 * (i * m + j)];
          a[2 * ((off + i) * n + off + j) + 1] = b[2 * (i * m + j) + 1];
        }
      expected.push(...eighHermitian(k, b, m).values);
      off += m;
    }
    expected.sort((x, y) => x - y);
    const e = eighHermitian(k, a, n);
    const q = quality(a, e.values, e.vectors, n);
    expect(q.residual).toBeLessThanOrEqual(1e-14);
    expect(q.orthogonality).toBeLessThanOrEqual(1e-14);
    for (let j = 0; j < n; j++) expect(Math.abs(e.values[j] - expected[j])).toBeLessThanOrEqual(1e-14);
    // Hermitian tridiagonal with complex off-diagonal (only the phase transform is needed)
    const m = 9;
    const t = new Float64Array(2 * m * m);
    const r = rng(71);
    for (let i = 0; i < m; i++) {
      t[2 * (i * m + i)] = r();
      if (i + 1 < m) {
        const re = r(), im = r();
        t[2 * ((i + 1) * m + i)] = re;
        t[2 * ((i + 1) * m + i) + 1] = im;
        t[2 * (i * m + i + 1)] = re;
        t[2 * (i * m + i + 1) + 1] = -im;
      }
    }
    const et = eighHermitian(k, t, m);
    const qt = quality(t, et.values, et.vectors, m);
    expect(qt.residual).toBeLessThanOrEqual(1e-14);
    expect(qt.orthogonality).toBeLessThanOrEqual(1e-14);
  });

  it('raw kernel honours row strides lda, ldv > n (both the unblocked and blocked back-transformation)', async () => {
    const k = await loadKernels();
    for (const n of [7, 140]) {
      const lda = n + 3, ldv = n + 5;
      const a = randomHermitian(n, rng(n));
      const ref = eighHermitian(k, a, n);
      const padded = new Float64Array(2 * n * lda).fill(Number.NaN);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        padded[2 * (i * lda + j)] = a[2 * (i * n + j)];
        padded[2 * (i * lda + j) + 1] = a[2 * (i * n + j) + 1];
      }
      const { w, v } = k.scope(() => {
        const A = k.f64(2 * n * lda, padded);
        const W = k.f64(n);
        const V = k.f64(2 * n * ldv, new Float64Array(2 * n * ldv).fill(7));
        k.check('eighHerm', k.fn<(...x: number[]) => number>('eighHerm')(n, A.ptr, lda, W.ptr, V.ptr, ldv));
        return { w: W.toArray(), v: V.toArray() };
      });
      expect(Array.from(w)).toEqual(Array.from(ref.values));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          expect(v[2 * (i * ldv + j)]).toBe(ref.vectors[2 * (i * n + j)]);
          expect(v[2 * (i * ldv + j) + 1]).toBe(ref.vectors[2 * (i * n + j) + 1]);
        }
        for (let j = n; j < ldv; j++) expect(v[2 * (i * ldv + j)]).toBe(7); // padding untouched
      }
    }
  });

  it('zero matrix and diagonal matrices', async () => {
    const k = await loadKernels();
    const z = eighHermitian(k, new Float64Array(2 * 9), 3);
    expect(Array.from(z.values)).toEqual([0, 0, 0]);
    const d = new Float64Array(2 * 16);
    [3, -1, 2, 2].forEach((x, i) => (d[2 * (i * 4 + i)] = x));
    const e = eighHermitian(k, d, 4);
    expect(Array.from(e.values)).toEqual([-1, 2, 2, 3]);
    const q = quality(d, e.values, e.vectors, 4);
    expect(q.residual).toBe(0);
  });

  it('NaN or Inf in the lower triangle is a clear error; bad sizes are named', async () => {
    const k = await loadKernels();
    const live = k.liveBuffers;
    const a = randomHermitian(6, rng(1));
    const bad = new Float64Array(a);
    bad[2 * (4 * 6 + 2) + 1] = Number.NaN;
    expect(() => eighHermitian(k, bad, 6)).toThrow(KernelError);
    expect(() => eighHermitian(k, bad, 6)).toThrow('eighHermitian: input contains NaN or Inf');
    const inf = new Float64Array(a);
    inf[2 * (5 * 6 + 5)] = Number.POSITIVE_INFINITY;
    expect(() => eighHermitian(k, inf, 6)).toThrow(/NaN or Inf/);
    expect(() => eighHermitian(k, a, 5)).toThrow(/needs 50 numbers, got 72/);
    expect(() => eighHermitian(k, a, -1)).toThrow(/non-negative integer/);
    expect(k.liveBuffers).toBe(live);
  });

  it('prints the measured accuracy', () => {
    // eslint-disable-next-line no-console
    console.log(['eighHermitian accuracy:', ...report].join('\n  '));
  });
});
