// Real symmetric eigensolver: residuals, orthogonality, exact spectra, degenerate subspaces,
// D&C vs QL, NaN/Inf handling and determinism.
//
// Norms: residuals are max_ij |(AV - VL)_ij| divided by |A| = max_ij |a_ij| (the max-abs norm,
// which is smaller than the Frobenius and 2-norms, so this is the stricter bound). Orthogonality is
// max_ij |(V^T V - I)_ij|. Eigenvalue errors are absolute, divided by the same |A|.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { KernelError, type Kernels } from '../../src/wasm/kernels.js';
import { eigh, eighInPlace, eighValues, tridiagonalEigh } from '../../src/linalg/eigh.js';
import { maxAbs, maxAbsDiff } from '../helpers/arrays.js';
import { xorshift32 } from '../helpers/random.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

// ---------------------------------------------------------------------------------------------
// helpers (plain JS, test side only)

function gauss(r: () => number): () => number {
  return () => {
    const u = r() || 1e-12;
    const v = r();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function randomSymmetric(n: number, seed: number): Float64Array {
  const g = gauss(xorshift32(seed));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = g();
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  }
  return a;
}

/** Random orthogonal matrix: product of n-1 Householder reflectors with Gaussian vectors. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const g = gauss(xorshift32(seed));
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const u = new Float64Array(n);
  for (let c = 0; c < n - 1; c++) {
    let nrm = 0;
    for (let j = c; j < n; j++) {
      u[j] = g();
      nrm += u[j] * u[j];
    }
    const f = 2 / nrm;
    // Q <- Q H, H = I - f u u^T on indices c..n-1
    for (let i = 0; i < n; i++) {
      const o = i * n;
      let s = 0;
      for (let j = c; j < n; j++) s += q[o + j] * u[j];
      s *= f;
      for (let j = c; j < n; j++) q[o + j] -= s * u[j];
    }
  }
  return q;
}

/** A = Q diag(lam) Q^T, symmetrised exactly. */
function fromSpectrum(q: Float64Array, lam: ArrayLike<number>, n: number): Float64Array {
  const b = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] = q[i * n + j] * lam[j];
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const bi = i * n;
    for (let j = 0; j <= i; j++) {
      const qj = j * n;
      let s = 0;
      for (let t = 0; t < n; t++) s += b[bi + t] * q[qj + t];
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  return a;
}

/** max |AV - V diag(w)| / max|A| (or the raw value when A is zero). */
function residual(a: Float64Array, n: number, w: Float64Array, v: Float64Array): number {
  const av = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const o = i * n;
    for (let t = 0; t < n; t++) {
      const x = a[o + t];
      if (x === 0) continue;
      const vt = t * n;
      for (let j = 0; j < n; j++) av[o + j] += x * v[vt + j];
    }
  }
  let r = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) r = Math.max(r, Math.abs(av[i * n + j] - v[i * n + j] * w[j]));
  const am = maxAbs(a);
  return am > 0 ? r / am : r;
}

/** max |V^T V - I| */
function orthogonality(v: Float64Array, n: number): number {
  const g = new Float64Array(n * n);
  for (let t = 0; t < n; t++) {
    const o = t * n;
    for (let i = 0; i < n; i++) {
      const x = v[o + i];
      for (let j = i; j < n; j++) g[i * n + j] += x * v[o + j];
    }
  }
  let r = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) r = Math.max(r, Math.abs(g[i * n + j] - (i === j ? 1 : 0)));
  return r;
}

function sorted(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x).sort();
}

/** Groups of consecutive sorted eigenvalues closer than relGap * max|lam|. */
function groups(lam: Float64Array, relGap: number): [number, number][] {
  const s = relGap * Math.max(maxAbs(lam), 1e-300);
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= lam.length; i++) {
    if (i === lam.length || lam[i] - lam[i - 1] > s) {
      out.push([start, i]);
      start = i;
    }
  }
  return out;
}

/**
 * Distance of computed invariant subspaces from the exact ones, for every group [s, t) of the
 * exact sorted spectrum: max |V_G - Q_G (Q_G^T V_G)|, i.e. ||(I - P_exact) P_computed|| entrywise,
 * which is zero exactly when the projectors are equal. qs: exact eigenvectors (columns) in
 * sorted order.
 */
function subspaceError(qs: Float64Array, v: Float64Array, n: number, grp: [number, number][]): number {
  let worst = 0;
  for (const [s, t] of grp) {
    const g = t - s;
    const c = new Float64Array(g * g); // c[a][b] = q_a . v_b
    for (let a = 0; a < g; a++) {
      for (let b = 0; b < g; b++) {
        let x = 0;
        for (let i = 0; i < n; i++) x += qs[i * n + s + a] * v[i * n + s + b];
        c[a * g + b] = x;
      }
    }
    for (let i = 0; i < n; i++) {
      for (let b = 0; b < g; b++) {
        let x = v[i * n + s + b];
        for (let a = 0; a < g; a++) x -= qs[i * n + s + a] * c[a * g + b];
        worst = Math.max(worst, Math.abs(x));
      }
    }
  }
  return worst;
}

/** Columns of q permuted so that their eigenvalues lam are ascending. */
function sortColumns(q: Float64Array, lam: ArrayLike<number>, n: number): { lam: Float64Array; q: Float64Array } {
  const idx = Array.from({ length: n }, (_, i) => i).sort((x, y) => lam[x] - lam[y]);
  const qs = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qs[i * n + j] = q[i * n + idx[j]];
  return { lam: Float64Array.from(idx, (i) => lam[i]), q: qs };
}

function tridiagDense(d: ArrayLike<number>, e: ArrayLike<number>): Float64Array {
  const n = d.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    a[i * n + i] = d[i];
    if (i < n - 1) {
      a[i * n + i + 1] = e[i];
      a[(i + 1) * n + i] = e[i];
    }
  }
  return a;
}

const TOL = 1e-12;
const stats = { res: 0, orth: 0, eig: 0, sub: 0 };
function note(r: number, o: number, ev = 0, sub = 0): void {
  stats.res = Math.max(stats.res, r);
  stats.orth = Math.max(stats.orth, o);
  stats.eig = Math.max(stats.eig, ev);
  stats.sub = Math.max(stats.sub, sub);
}

/** Run eigh, check residual and orthogonality, return the result. */
function solveChecked(a: Float64Array, n: number) {
  const { values, vectors } = eigh(k, a, n);
  expect(values.length).toBe(n);
  for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  const r = residual(a, n, values, vectors);
  const o = orthogonality(vectors, n);
  note(r, o);
  expect(r).toBeLessThanOrEqual(TOL);
  expect(o).toBeLessThanOrEqual(TOL);
  return { values, vectors };
}

/** Constructed spectrum: eigenvalues exact, invariant subspaces of the groups exact. */
function constructedCase(lam: number[], seed: number, relGap = 1e-6) {
  const n = lam.length;
  const q = randomOrthogonal(n, seed);
  const a = fromSpectrum(q, lam, n);
  const { values, vectors } = solveChecked(a, n);
  const ex = sortColumns(q, lam, n);
  const scale = maxAbs(a);
  const ev = maxAbsDiff(values, ex.lam) / scale;
  expect(ev).toBeLessThanOrEqual(1e-13);
  const sub = subspaceError(ex.q, vectors, n, groups(ex.lam, relGap));
  note(0, 0, ev, sub);
  console.log(`constructed n = ${n}: eigenvalue error ${ev.toExponential(2)}, subspace error ${sub.toExponential(2)}`);
  return { ev, sub };
}

// ---------------------------------------------------------------------------------------------

describe('eigh: random symmetric matrices', () => {
  for (const n of [1, 2, 3, 4, 5, 10, 25, 26, 27, 51, 100, 129, 257]) {
    it(`n = ${n}`, () => {
      solveChecked(randomSymmetric(n, 1000 + n), n);
    });
  }
  it('n = 768 (through divide and conquer)', () => {
    const n = 768;
    const a = randomSymmetric(n, 7);
    solveChecked(a, n);
    expect(k.fn<() => number>('tridiagEigLastMerges')()).toBeGreaterThan(15);
  });
  it('accepts an array of rows and matches the Float64Array form', () => {
    const a = randomSymmetric(6, 3);
    const rows = Array.from({ length: 6 }, (_, i) => Array.from(a.subarray(i * 6, i * 6 + 6)));
    const r1 = eigh(k, rows);
    const r2 = eigh(k, a, 6);
    expect(Array.from(r1.values)).toEqual(Array.from(r2.values));
    expect(Array.from(r1.vectors)).toEqual(Array.from(r2.vectors));
  });
  it('kernel with padded strides (lda, ldv > n) gives the same result', () => {
    const n = 61;
    const a = randomSymmetric(n, 21);
    const ref = eigh(k, a, n);
    const lda = n + 3;
    const ldv = n + 5;
    k.scope(() => {
      const A = k.f64(n * lda);
      for (let i = 0; i < n; i++) A.view.set(a.subarray(i * n, i * n + n), i * lda);
      const w = k.f64(n);
      const v = k.f64(n * ldv);
      const st = k.fn<(n: number, a: number, lda: number, w: number, v: number, ldv: number) => number>('eighSym')(n, A.ptr, lda, w.ptr, v.ptr, ldv);
      expect(st).toBe(0);
      expect(maxAbsDiff(w.view, ref.values)).toBeLessThanOrEqual(1e-13 * maxAbs(a));
      const vv = new Float64Array(n * n);
      for (let i = 0; i < n; i++) vv.set(v.view.subarray(i * ldv, i * ldv + n), i * n);
      expect(residual(a, n, w.toArray(), vv)).toBeLessThanOrEqual(TOL);
      expect(orthogonality(vv, n)).toBeLessThanOrEqual(TOL);
    });
  });
  it('eighValues agrees with eigh', () => {
    const a = randomSymmetric(200, 11);
    const w = eighValues(k, a, 200);
    const { values } = eigh(k, a, 200);
    expect(maxAbsDiff(w, values) / maxAbs(a)).toBeLessThanOrEqual(1e-13);
  });
});

describe('eigh: graded matrices', () => {
  for (const n of [40, 200]) {
    it(`D S D with D = 10^(-5..3) along the diagonal, n = ${n}`, () => {
      const s = randomSymmetric(n, 50 + n);
      const a = new Float64Array(n * n);
      const dd = Array.from({ length: n }, (_, i) => 10 ** (-5 + (8 * i) / (n - 1)));
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = dd[i] * s[i * n + j] * dd[j];
      const { values } = solveChecked(a, n);
      expect(maxAbs(values)).toBeGreaterThan(1e5);
    });
  }
  it('constructed spectrum 1e-10 .. 1e6 (log-spaced, both signs), n = 150', () => {
    const n = 150;
    const lam = Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (-10 + (16 * i) / (n - 1)));
    constructedCase(lam, 77);
  });
});

describe('eigh: degenerate spectra (crystal symmetry)', () => {
  it('multiplicities 3 (zeros), 3, 3, 6, 12 and near-equal clusters, n = 96', () => {
    const lam: number[] = [];
    lam.push(0, 0, 0); // acoustic sum rule
    for (let i = 0; i < 3; i++) lam.push(1.5);
    for (let i = 0; i < 3; i++) lam.push(-2.25);
    for (let i = 0; i < 6; i++) lam.push(3.7);
    for (let i = 0; i < 12; i++) lam.push(5.0);
    // clusters with relative spacings 1e-14, 1e-12, 1e-10, 1e-9
    for (const [c, sp] of [[6.1, 1e-14], [7.3, 1e-12], [-4.4, 1e-10], [8.8, 1e-9]]) {
      for (let i = 0; i < 4; i++) lam.push(c + i * sp * 10);
    }
    const r = xorshift32(5);
    while (lam.length < 96) lam.push(-9 + 19 * r());
    const { sub } = constructedCase(lam, 123, 1e-7);
    expect(sub).toBeLessThanOrEqual(1e-11);
  });
  it('threefold and higher multiplicities only (no distinct eigenvalues), n = 216', () => {
    const lam: number[] = [0, 0, 0];
    const mult = [3, 3, 6, 12, 24, 48, 3, 6, 12, 3, 6, 12, 24, 6, 12, 6, 6, 6, 3, 3, 3, 3, 3];
    let v = 0.5;
    for (const m of mult) {
      for (let i = 0; i < m && lam.length < 216; i++) lam.push(v);
      v += 0.37;
    }
    while (lam.length < 216) lam.push(v);
    const { sub } = constructedCase(lam, 321, 1e-7);
    expect(sub).toBeLessThanOrEqual(1e-11);
  });
  it('n = 768 with multiplicities 3..48, three zeros and tight clusters', () => {
    const n = 768;
    const lam: number[] = [0, 0, 0];
    const mult = [3, 6, 12, 24, 48, 2, 1];
    let v = -3.1;
    let t = 0;
    while (lam.length < n - 20) {
      const m = mult[t++ % mult.length];
      for (let i = 0; i < m && lam.length < n - 20; i++) lam.push(v);
      v += 0.0417;
    }
    for (let i = 0; i < 20; i++) lam.push(40 + i * 1e-12 * 40);
    const { sub } = constructedCase(lam, 999, 1e-8);
    expect(sub).toBeLessThanOrEqual(1e-10);
  });
});

describe('eigh: Kronecker-structured supercells (block-circulant force constants)', () => {
  // circulant Laplacian of a ring of N cells: eigenvalues 2 - 2 cos(2 pi m / N)
  function ringLaplacian(N: number): Float64Array {
    const l = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      l[i * N + i] += 2;
      l[i * N + ((i + 1) % N)] -= 1;
      l[i * N + ((i + N - 1) % N)] -= 1;
    }
    return l;
  }
  function kron(a: Float64Array, na: number, b: Float64Array, nb: number): Float64Array {
    const n = na * nb;
    const c = new Float64Array(n * n);
    for (let i = 0; i < na; i++)
      for (let j = 0; j < na; j++) {
        const x = a[i * na + j];
        if (x === 0) continue;
        for (let p = 0; p < nb; p++) for (let q = 0; q < nb; q++) c[(i * nb + p) * n + j * nb + q] = x * b[p * nb + q];
      }
    return c;
  }
  function eye(n: number): Float64Array {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = 1;
    return a;
  }
  // 3x3 on-site "spring" tensor with eigenvalues 1, 1.7, 2.9 in a rotated frame
  const kq = randomOrthogonal(3, 42);
  const kappa = [1, 1.7, 2.9];
  const K = fromSpectrum(kq, kappa, 3);

  it('simple cubic 4x4x4 supercell x 3 dof (n = 192): analytic spectrum, 3 zeros', () => {
    const N = 4;
    const L = ringLaplacian(N);
    const I = eye(N);
    const lat = new Float64Array(N ** 3 * N ** 3);
    for (const [x, y, z] of [
      [L, I, I],
      [I, L, I],
      [I, I, L],
    ]) {
      const t = kron(kron(x, N, y, N), N * N, z, N);
      for (let i = 0; i < t.length; i++) lat[i] += t[i];
    }
    const a = kron(lat, N ** 3, K, 3);
    const n = 3 * N ** 3;
    const { values } = solveChecked(a, n);
    const exact: number[] = [];
    const mu = (m: number) => 2 - 2 * Math.cos((2 * Math.PI * m) / N);
    for (let p = 0; p < N; p++) for (let q = 0; q < N; q++) for (let r = 0; r < N; r++) for (const c of kappa) exact.push((mu(p) + mu(q) + mu(r)) * c);
    const ev = maxAbsDiff(values, sorted(exact)) / maxAbs(a);
    note(0, 0, ev);
    expect(ev).toBeLessThanOrEqual(1e-13);
    expect(Math.abs(values[0]) + Math.abs(values[1]) + Math.abs(values[2])).toBeLessThanOrEqual(1e-13 * maxAbs(a));
  });

  it('chain of 256 cells x 3 dof (n = 768): twofold degenerate branches, 3 zeros', () => {
    const N = 256;
    const a = kron(ringLaplacian(N), N, K, 3);
    const n = 3 * N;
    const { values } = solveChecked(a, n);
    const exact: number[] = [];
    for (let m = 0; m < N; m++) for (const c of kappa) exact.push((2 - 2 * Math.cos((2 * Math.PI * m) / N)) * c);
    const ev = maxAbsDiff(values, sorted(exact)) / maxAbs(a);
    note(0, 0, ev);
    expect(ev).toBeLessThanOrEqual(1e-13);
  });
});

describe('eigh: special matrices', () => {
  it('identity and zero matrix', () => {
    for (const n of [1, 2, 3, 50]) {
      const id = new Float64Array(n * n);
      for (let i = 0; i < n; i++) id[i * n + i] = 1;
      const r1 = solveChecked(id, n);
      expect(Array.from(r1.values)).toEqual(Array(n).fill(1));
      const z = new Float64Array(n * n);
      const r2 = solveChecked(z, n);
      expect(Array.from(r2.values)).toEqual(Array(n).fill(0));
    }
  });
  it('diagonal with repeated entries', () => {
    const n = 40;
    const dv = Array.from({ length: n }, (_, i) => [3, -1, 2, -1, 3, 0][i % 6]);
    const a = tridiagDense(dv, new Array(n - 1).fill(0));
    const { values, vectors } = solveChecked(a, n);
    expect(maxAbsDiff(values, sorted(dv))).toBe(0);
    // each vector is a unit vector on an index carrying its eigenvalue
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) if (dv[i] === values[j]) s += vectors[i * n + j] ** 2;
      expect(Math.abs(s - 1)).toBeLessThanOrEqual(1e-15);
    }
  });
  it('Wilkinson W21+', () => {
    const n = 21;
    const dv = Array.from({ length: n }, (_, i) => Math.abs(10 - i));
    const ev = new Array(n - 1).fill(1);
    const a = tridiagDense(dv, ev);
    const { values } = solveChecked(a, n);
    // reference values (close pairs 7e-14 and 6e-11 apart)
    const ref = [-1.1254415221199854, 9.210678647304919, 9.210678647361332, 10.746194182903322, 10.746194182903393];
    const got = [values[0], values[17], values[18], values[19], values[20]];
    expect(maxAbsDiff(got, ref)).toBeLessThanOrEqual(1e-13 * 10);
    for (const method of ['dc', 'ql'] as const) {
      const t = tridiagonalEigh(k, dv, ev, method);
      expect(maxAbsDiff(t.values, values)).toBeLessThanOrEqual(1e-13 * 10);
      const r = residual(a, n, t.values, t.vectors);
      const o = orthogonality(t.vectors, n);
      note(r, o);
      expect(r).toBeLessThanOrEqual(TOL);
      expect(o).toBeLessThanOrEqual(TOL);
    }
  });
  for (const [off, n] of [
    [1, 100],
    [-1, 500],
  ] as const) {
    it(`tridiagonal (${off}, 2, ${off}), n = ${n}: analytic eigenvalues and vectors`, () => {
      const dv = new Array(n).fill(2);
      const ev = new Array(n - 1).fill(off);
      const exact = sorted(Array.from({ length: n }, (_, j) => 2 + 2 * off * Math.cos(((j + 1) * Math.PI) / (n + 1))));
      const a = tridiagDense(dv, ev);
      for (const method of ['dc', 'ql'] as const) {
        const t = tridiagonalEigh(k, dv, ev, method);
        const evErr = maxAbsDiff(t.values, exact) / 2;
        note(0, 0, evErr);
        expect(evErr).toBeLessThanOrEqual(1e-13);
        const r = residual(a, n, t.values, t.vectors);
        const o = orthogonality(t.vectors, n);
        note(r, o);
        expect(r).toBeLessThanOrEqual(TOL);
        expect(o).toBeLessThanOrEqual(TOL);
        // eigenvector of 2 + 2 off cos(j pi/(n+1)) is sin(i j pi/(n+1)), i = 1..n (distinct eigenvalues)
        const j = 3;
        const jj = off > 0 ? n - j : j - 1; // ascending position
        let dotp = 0;
        let nrm = 0;
        for (let i = 0; i < n; i++) {
          const x = Math.sin(((i + 1) * j * Math.PI) / (n + 1));
          dotp += x * t.vectors[i * n + jj];
          nrm += x * x;
        }
        expect(Math.abs(Math.abs(dotp) / Math.sqrt(nrm) - 1)).toBeLessThanOrEqual(1e-12);
      }
      const r = solveChecked(a, n);
      expect(maxAbsDiff(r.values, exact) / 2).toBeLessThanOrEqual(1e-13);
    });
  }
});

describe('tridiagonal solver: divide and conquer vs QL', () => {
  it('agree on a random tridiagonal (n = 400), and D&C really merges', () => {
    const n = 400;
    const r = xorshift32(17);
    const dv = Array.from({ length: n }, () => r() - 0.5);
    const ev = Array.from({ length: n - 1 }, () => r() - 0.5);
    const dc = tridiagonalEigh(k, dv, ev, 'dc');
    const merges = k.fn<() => number>('tridiagEigLastMerges')();
    expect(merges).toBeGreaterThan(0);
    const ql = tridiagonalEigh(k, dv, ev, 'ql');
    expect(k.fn<() => number>('tridiagEigLastMerges')()).toBe(0);
    expect(maxAbsDiff(dc.values, ql.values)).toBeLessThanOrEqual(1e-13);
    const a = tridiagDense(dv, ev);
    for (const t of [dc, ql]) {
      const res = residual(a, n, t.values, t.vectors);
      const o = orthogonality(t.vectors, n);
      note(res, o);
      expect(res).toBeLessThanOrEqual(TOL);
      expect(o).toBeLessThanOrEqual(TOL);
    }
    // vectors of well separated eigenvalues agree up to sign
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const gap = Math.min(j > 0 ? dc.values[j] - dc.values[j - 1] : Infinity, j < n - 1 ? dc.values[j + 1] - dc.values[j] : Infinity);
      if (gap < 1e-4) continue;
      let s = 0;
      for (let i = 0; i < n; i++) s += dc.vectors[i * n + j] * ql.vectors[i * n + j];
      worst = Math.max(worst, (1 - Math.abs(s)) * gap);
    }
    expect(worst).toBeLessThanOrEqual(1e-12);
  });
  it('edge sizes n = 0, 1, 2, 3 and a split (zero off-diagonal) matrix', () => {
    expect(tridiagonalEigh(k, [], []).values.length).toBe(0);
    expect(Array.from(tridiagonalEigh(k, [4], []).values)).toEqual([4]);
    const t2 = tridiagonalEigh(k, [1, 1], [1]);
    expect(maxAbsDiff(t2.values, [0, 2])).toBeLessThanOrEqual(1e-15);
    const t3 = tridiagonalEigh(k, [2, 2, 2], [-1, -1]);
    expect(maxAbsDiff(t3.values, [2 - Math.SQRT2, 2, 2 + Math.SQRT2])).toBeLessThanOrEqual(1e-15);
    const n = 120;
    const dv = Array.from({ length: n }, (_, i) => (i * 7) % 5);
    const ev = Array.from({ length: n - 1 }, (_, i) => (i % 30 === 29 ? 0 : 0.5));
    const a = tridiagDense(dv, ev);
    for (const method of ['dc', 'ql'] as const) {
      const t = tridiagonalEigh(k, dv, ev, method);
      const res = residual(a, n, t.values, t.vectors);
      const o = orthogonality(t.vectors, n);
      note(res, o);
      expect(res).toBeLessThanOrEqual(TOL);
      expect(o).toBeLessThanOrEqual(TOL);
    }
  });
  it('a tridiagonal with a 1e-300 .. 1e300 range of scales is handled without overflow', () => {
    const t = tridiagonalEigh(k, [1e300, 2e300, 3e300], [1e299, 1e299]);
    expect(t.values.every(Number.isFinite)).toBe(true);
    const t2 = tridiagonalEigh(k, [1e-300, 2e-300, 3e-300], [1e-301, 1e-301]);
    expect(t2.values.every(Number.isFinite)).toBe(true);
    expect(t2.values[0]).toBeGreaterThan(0);
  });
});

describe('non-finite input and bad shapes', () => {
  it('eigh names the position of a NaN or Inf', () => {
    const a = randomSymmetric(5, 1);
    a[2 * 5 + 1] = NaN;
    expect(() => eigh(k, a, 5)).toThrow(/eigh: input contains NaN or Inf at \(2, 1\)/);
    const b = randomSymmetric(5, 1);
    b[0 * 5 + 3] = Infinity; // upper triangle: never read by the kernel, still rejected
    expect(() => eigh(k, b, 5)).toThrow(/NaN or Inf at \(0, 3\)/);
    expect(() => eighValues(k, b, 5)).toThrow(/NaN or Inf/);
  });
  it('the kernel itself returns status 1 (KernelError) for NaN/Inf, eighSym and tridiagEig', () => {
    const n = 40;
    const a0 = randomSymmetric(n, 2);
    for (const bad of [NaN, Infinity, -Infinity]) {
      k.scope(() => {
        const a = k.f64(n * n, a0);
        a.view[30 * n + 7] = bad;
        const w = k.f64(n);
        const v = k.f64(n * n);
        expect(() => eighInPlace(k, a, n, w, v)).toThrow(KernelError);
        a.set(a0);
        a.view[30 * n + 7] = bad;
        expect(() => eighInPlace(k, a, n, w, v)).toThrow(/eigh: input contains NaN or Inf/);
        const vals = k.fn<(n: number, a: number, lda: number, w: number) => number>('eighSymValues');
        a.set(a0);
        a.view[5 * n + 5] = bad;
        expect(vals(n, a.ptr, n, w.ptr)).toBe(1);
        const d = k.f64(n, a0.subarray(0, n));
        const e = k.f64(n, a0.subarray(n, 2 * n));
        e.view[n - 2] = bad;
        const z = k.f64(n * n);
        for (const name of ['tridiagEig', 'tridiagEigQL']) {
          const st = k.fn<(n: number, d: number, e: number, z: number, ldz: number) => number>(name)(n, d.ptr, e.ptr, z.ptr, n);
          expect(st).toBe(1);
          expect(() => k.check(name, st)).toThrow(/input contains NaN or Inf/);
        }
      });
    }
    expect(() => tridiagonalEigh(k, [1, 2, 3], [1, NaN])).toThrow(/tridiagonalEigh: off-diagonal contains NaN or Inf at 1/);
    expect(() => tridiagonalEigh(k, [1, Infinity, 3], [1, 1])).toThrow(/diagonal contains NaN or Inf at 1/);
  });
  it('rejects non-square and non-symmetric input', () => {
    expect(() => eigh(k, [[1, 2], [2]])).toThrow(/not square/);
    expect(() => eigh(k, new Float64Array(5))).toThrow(/perfect square/);
    expect(() => eigh(k, [[1, 2], [2.5, 1]])).toThrow(/not symmetric/);
    expect(() => tridiagonalEigh(k, [1, 2, 3], [1])).toThrow(/expected 2/);
  });
  it('frees every buffer it allocates', () => {
    const before = k.liveBuffers;
    eigh(k, randomSymmetric(30, 9), 30);
    expect(() => eigh(k, [[NaN]])).toThrow();
    tridiagonalEigh(k, [1, 2, 3], [1, 1]);
    expect(k.liveBuffers).toBe(before);
  });
});

describe('determinism', () => {
  it('the same input gives bit-identical output twice', () => {
    const n = 300;
    const q = randomOrthogonal(n, 5);
    const lam = Array.from({ length: n }, (_, i) => Math.floor(i / 3)); // threefold degenerate
    const a = fromSpectrum(q, lam, n);
    const r1 = eigh(k, a, n);
    const r2 = eigh(k, a, n);
    const b1 = new Uint8Array(r1.vectors.buffer);
    const b2 = new Uint8Array(r2.vectors.buffer);
    expect(Buffer.compare(Buffer.from(b1), Buffer.from(b2))).toBe(0);
    expect(Buffer.compare(Buffer.from(r1.values.buffer), Buffer.from(r2.values.buffer))).toBe(0);
  });
});

describe('summary', () => {
  it('prints the worst residual, orthogonality, eigenvalue and subspace errors seen', () => {
    console.log(
      `eigh worst: residual ${stats.res.toExponential(2)} (max|AV-VL|/max|A|), orthogonality ${stats.orth.toExponential(2)}, ` +
        `eigenvalue error ${stats.eig.toExponential(2)} (/max|A|), subspace error ${stats.sub.toExponential(2)}`,
    );
    expect(stats.res).toBeLessThanOrEqual(TOL);
  });
});
