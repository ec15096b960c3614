// Tests of the static-bubble free-energy Hessian (src/sscha/hessian.ts, assembly/sscha/hessian.ts),
// physics.md 5.11 and 5.15.3.
//
// Two kinds of ensembles:
//  - stochastic: y ~ N(0, 1) from the project's Philox generator, antithetic pairs (y, −y), all
//    weights 1; compared with the exact answer in units of the jackknife standard error;
//  - exact: a tensor grid of 3-point Gauss–Hermite nodes (0, ±√3; weights 2/3, 1/6, 1/6) used as
//    configurations with the quadrature weights as importance weights. It integrates every
//    polynomial of degree ≤ 5 in each y_μ exactly, and Φ⁽³⁾'s integrand (y_μy_ν − δ)·u_b u_c is of
//    degree ≤ 4 in each, so the ensemble estimate equals the exact Φ⁽³⁾ to round-off.
// The default estimator is the unbiased U-statistic (same-unit terms removed); a quadrature grid is
// not a random sample, so the exact-ensemble tests use the plug-in estimator (estimator: 'biased'),
// which is exact there. The unbiased one is checked against a brute-force O(N_c²) U-statistic and, on
// small stochastic ensembles, by its mean over many seeds (where the plug-in one is visibly biased).
// Exact references are computed here independently of the module: ℓ from the closed form
// A² = (ħ/2ω)coth(ħω/2k_BT) and its analytic derivative, Ψ̃ by explicit contraction.
// Timing (N = 128 atoms, M = 381, N_c = 1000) is measured in bench/, not here.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { Rng } from '../../src/random/rng.js';
import { eigh } from '../../src/linalg/eigh.js';
import {
  isDegenerate,
  sschaLMatrix,
  staticBubbleHessian,
  staticBubbleRows,
  thirdOrderMixed,
  type StaticBubbleInput,
} from '../../src/sscha/hessian.js';
import type { Kernels } from '../../src/wasm/kernels.js';

const HBAR = 0.0646541513;
const KB = 8.617333262e-5;

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

// ---------------------------------------------------------------------------------------------
// independent references

function a2Closed(w: number, T: number): number {
  if (T === 0) return HBAR / (2 * w);
  const x = (HBAR * w) / (2 * KB * T);
  return (HBAR / (2 * w)) / Math.tanh(x);
}

/** d/dω of (ħ/2ω)coth(ħω/2kT). */
function da2Closed(w: number, T: number): number {
  if (T === 0) return -HBAR / (2 * w * w);
  const c = HBAR / (2 * KB * T);
  const x = c * w;
  const sh = Math.sinh(x);
  return -(HBAR / (2 * w * w)) / Math.tanh(x) - (HBAR / (2 * w)) * (c / (sh * sh));
}

function ellRef(wm: number, wn: number, T: number, degenerate: boolean): number {
  if (degenerate) return da2Closed(wm, T) / (4 * wm);
  return (0.5 * (a2Closed(wm, T) - a2Closed(wn, T))) / (wm * wm - wn * wn);
}

function xorshift(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296 - 0.5;
  };
}

interface Model {
  n3: number;
  masses: Float64Array; // per component (3 per atom, or 1 for the 1-D oscillator)
  K: Float64Array; // n3×n3, the auxiliary Φ (= harmonic part of V)
  Psi: Float64Array; // n3³, symmetric
  omega: Float64Array;
  A: Float64Array;
  Et: Float64Array; // M×n3 rows ẽ_μ
  T: number;
}

function modes(k: Kernels, K: Float64Array, masses: Float64Array, T: number): { omega: Float64Array; A: Float64Array; Et: Float64Array } {
  const n = masses.length;
  const D = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) D[a * n + b] = K[a * n + b] / Math.sqrt(masses[a] * masses[b]);
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) D[a * n + b] = D[b * n + a] = 0.5 * (D[a * n + b] + D[b * n + a]);
  const { values, vectors } = eigh(k, D, n);
  const omega = new Float64Array(n);
  const A = new Float64Array(n);
  const Et = new Float64Array(n * n);
  for (let m = 0; m < n; m++) {
    omega[m] = Math.sqrt(values[m]);
    A[m] = Math.sqrt(a2Closed(omega[m], T));
    for (let a = 0; a < n; a++) Et[m * n + a] = vectors[a * n + m] / Math.sqrt(masses[a]);
  }
  return { omega, A, Et };
}

function randomSymmetricPsi(n: number, r: () => number, scale: number): Float64Array {
  const P = new Float64Array(n * n * n);
  for (let a = 0; a < n; a++) for (let b = a; b < n; b++) for (let c = b; c < n; c++) {
    const v = scale * r();
    for (const [i, j, l] of [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]) P[(i * n + j) * n + l] = v;
  }
  return P;
}

/** Ψ̃_aμν = Σ_bc Ψ_abc ẽ_μ^b ẽ_ν^c. */
function psiMixed(m: Model): Float64Array {
  const n = m.n3;
  const M = m.omega.length;
  const out = new Float64Array(n * M * M);
  const tmp = new Float64Array(n * M); // Σ_c Ψ_abc ẽ_ν^c for fixed a: [b, ν]
  for (let a = 0; a < n; a++) {
    tmp.fill(0);
    for (let b = 0; b < n; b++) for (let nu = 0; nu < M; nu++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += m.Psi[(a * n + b) * n + c] * m.Et[nu * n + c];
      tmp[b * M + nu] = s;
    }
    for (let mu = 0; mu < M; mu++) for (let nu = 0; nu < M; nu++) {
      let s = 0;
      for (let b = 0; b < n; b++) s += m.Et[mu * n + b] * tmp[b * M + nu];
      out[(a * M + mu) * M + nu] = s;
    }
  }
  return out;
}

/** Π_ab = Σ ℓ_μν Ψ̃_aμν Ψ̃_bμν with the reference ℓ. */
function piExact(m: Model): Float64Array {
  const n = m.n3;
  const M = m.omega.length;
  const pm = psiMixed(m);
  const L = new Float64Array(M * M);
  for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) {
    L[a * M + b] = ellRef(m.omega[a], m.omega[b], m.T, a === b || Math.abs(m.omega[a] - m.omega[b]) < 1e-9 * m.omega[a]);
  }
  const out = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
    let s = 0;
    for (let e = 0; e < M * M; e++) s += L[e] * pm[a * M * M + e] * pm[b * M * M + e];
    out[a * n + b] = s;
  }
  return out;
}

/** u = Σ_μ ẽ_μ A_μ y_μ and δf = −½ Ψ:uu (R = 0, Φ = K: δf is the cubic force exactly). */
function configs(m: Model, y: Float64Array): { df: Float64Array; u: Float64Array } {
  const n = m.n3;
  const M = m.omega.length;
  const nc = y.length / M;
  const u = new Float64Array(nc * n);
  const df = new Float64Array(nc * n);
  for (let i = 0; i < nc; i++) {
    for (let mu = 0; mu < M; mu++) {
      const s = m.A[mu] * y[i * M + mu];
      for (let a = 0; a < n; a++) u[i * n + a] += m.Et[mu * n + a] * s;
    }
    const ui = u.subarray(i * n, (i + 1) * n);
    for (let a = 0; a < n; a++) {
      let s = 0;
      for (let b = 0; b < n; b++) for (let c = 0; c < n; c++) s += m.Psi[(a * n + b) * n + c] * ui[b] * ui[c];
      df[i * n + a] = -0.5 * s;
    }
  }
  return { df, u };
}

/** N_c/2 normal vectors and their antithetic partners, rows 2k and 2k+1. */
function antitheticNormals(M: number, nc: number, seed: number, stream = 0): Float64Array {
  const z = new Rng(k, seed, stream).normal((nc / 2) * M);
  const y = new Float64Array(nc * M);
  for (let p = 0; p < nc / 2; p++) for (let mu = 0; mu < M; mu++) {
    y[2 * p * M + mu] = z[p * M + mu];
    y[(2 * p + 1) * M + mu] = -z[p * M + mu];
  }
  return y;
}

/** 3-point Gauss–Hermite tensor grid in M dimensions: nodes (3^M × M) and weights. */
function ghGrid(M: number): { y: Float64Array; w: Float64Array } {
  const x = [0, Math.sqrt(3), -Math.sqrt(3)];
  const wx = [2 / 3, 1 / 6, 1 / 6];
  const n = 3 ** M;
  const y = new Float64Array(n * M);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let r = i;
    let wi = 1;
    for (let mu = 0; mu < M; mu++) {
      const d = r % 3;
      r = (r - d) / 3;
      y[i * M + mu] = x[d];
      wi *= wx[d];
    }
    w[i] = wi;
  }
  return { y, w };
}

function input(m: Model, y: Float64Array, df: Float64Array, w?: Float64Array): StaticBubbleInput {
  return { n3: m.n3, M: m.omega.length, Etilde: m.Et, omega: m.omega, A: m.A, T: m.T, y, df, w, phi: m.K };
}

function maxAbs(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s = Math.max(s, Math.abs(x[i]));
  return s;
}

function maxDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s = Math.max(s, Math.abs(x[i] - y[i]));
  return s;
}

/** A pinned multi-mode model: K = BBᵀ + k0·I (or with prescribed degenerate spectrum), random Ψ. */
function pinnedModel(natoms: number, seed: number, T: number, spectrum?: number[]): Model {
  const n3 = 3 * natoms;
  const r = xorshift(seed);
  const masses = new Float64Array(n3);
  let K: Float64Array;
  if (spectrum) {
    // equal masses, K = Q diag(spectrum) Qᵀ with a random orthogonal Q: exactly degenerate ω
    masses.fill(2.5);
    const G = new Float64Array(n3 * n3);
    for (let i = 0; i < n3 * n3; i++) G[i] = r();
    const S = new Float64Array(n3 * n3);
    for (let i = 0; i < n3; i++) for (let j = 0; j < n3; j++) {
      let s = 0;
      for (let l = 0; l < n3; l++) s += G[i * n3 + l] * G[j * n3 + l];
      S[i * n3 + j] = s;
    }
    const Q = eigh(k, S, n3).vectors;
    K = new Float64Array(n3 * n3);
    for (let i = 0; i < n3; i++) for (let j = 0; j < n3; j++) {
      let s = 0;
      for (let l = 0; l < n3; l++) s += Q[i * n3 + l] * spectrum[l] * Q[j * n3 + l];
      K[i * n3 + j] = s;
    }
    for (let i = 0; i < n3; i++) for (let j = 0; j < i; j++) K[i * n3 + j] = K[j * n3 + i] = 0.5 * (K[i * n3 + j] + K[j * n3 + i]);
  } else {
    for (let at = 0; at < natoms; at++) {
      const mm = 1 + 3 * (r() + 0.5);
      for (let al = 0; al < 3; al++) masses[3 * at + al] = mm;
    }
    const B = new Float64Array(n3 * n3);
    for (let i = 0; i < n3 * n3; i++) B[i] = r();
    K = new Float64Array(n3 * n3);
    for (let i = 0; i < n3; i++) for (let j = 0; j < n3; j++) {
      let s = i === j ? 1.5 : 0;
      for (let l = 0; l < n3; l++) s += B[i * n3 + l] * B[j * n3 + l];
      K[i * n3 + j] = s;
    }
  }
  const { omega, A, Et } = modes(k, K, masses, T);
  return { n3, masses, K, Psi: randomSymmetricPsi(n3, r, 4), omega, A, Et, T };
}

// ---------------------------------------------------------------------------------------------
describe('ℓ_μν', () => {
  it('matches the closed form (coth) off and on the diagonal, at T = 0 and T > 0', () => {
    const omega = [0.3, 0.7, 1.1, 2.5];
    for (const T of [0, 50, 300, 3000]) {
      const L = sschaLMatrix(omega, T);
      for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) {
        const ref = ellRef(omega[a], omega[b], T, a === b);
        expect(Math.abs(L[a * 4 + b] - ref)).toBeLessThan(1e-12 * Math.abs(ref));
        expect(L[a * 4 + b]).toBeLessThan(0);
      }
    }
    // T = 0 exactly: ℓ_μμ = −ħ/(8ω³)
    expect(sschaLMatrix([0.9], 0)[0]).toBeCloseTo(-HBAR / (8 * 0.9 ** 3), 15);
  });

  it('is continuous across the degeneracy tolerance |Δω| < 1e-5·√(ω_μω_ν)', () => {
    for (const T of [0, 400]) {
      const w = 0.8;
      const inside = sschaLMatrix([w, w * (1 + 9e-6)], T)[1]; // degenerate branch
      const outside = sschaLMatrix([w, w * (1 + 1.1e-5)], T)[1]; // difference quotient
      expect(isDegenerate(w, w * (1 + 9e-6))).toBe(true);
      expect(isDegenerate(w, w * (1 + 1.1e-5))).toBe(false);
      expect(Math.abs(inside - outside)).toBeLessThan(3e-5 * Math.abs(outside));
      expect(Number.isFinite(sschaLMatrix([w, w], T)[1])).toBe(true);
    }
  });
});

describe('1-D cubic oscillator (physics.md 5.15.3): V = ½kx² + (c/6)x³', () => {
  const kk = 2.0;
  const c = 1.5;
  const m = 3.0;
  /** Mode data at centroid R: Φ = k + cR, ω² = Φ/m, ẽ = 1/√m. */
  function oneD(R: number, T: number) {
    const phi = kk + c * R;
    const omega = Math.sqrt(phi / m);
    const A = Math.sqrt(a2Closed(omega, T));
    return { phi, omega, A };
  }
  /** δf = f + Φu with f = −V'(R + u). */
  function forces(R: number, phi: number, u: Float64Array): Float64Array {
    return u.map((x) => {
      const X = R + x;
      return -(kk * X + 0.5 * c * X * X) + phi * x;
    });
  }
  /** SSCHA centroid: V'(R) + (c/2)⟨u²⟩ = 0 with ⟨u²⟩ = A²/m at ω(R). */
  function equilibriumR(T: number): number {
    let R = 0;
    for (let it = 0; it < 100; it++) R = (-(0.5 * c) * (oneD(R, T).A ** 2 / m) - 0.5 * c * R * R) / kk;
    return R;
  }
  function run(R: number, T: number, y: Float64Array, w?: Float64Array, errorGroups = 0, estimator: 'unbiased' | 'biased' = w ? 'biased' : 'unbiased') {
    const { phi, omega, A } = oneD(R, T);
    const u = y.map((v) => (A * v) / Math.sqrt(m));
    const df = forces(R, phi, u);
    return staticBubbleHessian(
      k,
      { n3: 1, M: 1, Etilde: [1 / Math.sqrt(m)], omega: [omega], A: [A], T, y, df, w, phi: [phi] },
      { errorGroups, estimator },
    );
  }

  it('exact (Gauss–Hermite) ensemble: Π = −ħc²/(8m²ω³) at T = 0 and c²ℓ_μμ/m² at T > 0, any R', () => {
    const { y, w } = ghGrid(1);
    for (const R of [0, 0.2, -0.3]) {
      const { omega, phi } = oneD(R, 0);
      const res = run(R, 0, y, w);
      const exact = (-HBAR * c * c) / (8 * m * m * omega ** 3);
      expect(Math.abs(res.pi[0] - exact)).toBeLessThan(1e-12 * Math.abs(exact));
      expect(res.hessian[0]).toBeCloseTo(phi + exact, 12);
      for (const T of [100, 500, 2000]) {
        const { omega: wT } = oneD(R, T);
        const rT = run(R, T, y, w);
        const ref = ((c * c) / (m * m)) * (da2Closed(wT, T) / (4 * wT));
        expect(Math.abs(rT.pi[0] - ref)).toBeLessThan(1e-12 * Math.abs(ref));
      }
    }
  });

  it('H = Φ + Π equals d²F/dR² by finite differences of the minimised F(R) = V(R) + ħω(R)/2 (T = 0)', () => {
    const F = (R: number) => 0.5 * kk * R * R + (c / 6) * R ** 3 + 0.5 * HBAR * oneD(R, 0).omega;
    const { y, w } = ghGrid(1);
    for (const R of [0, 0.25, -0.4]) {
      const h = 1e-3;
      const fd = (F(R + h) - 2 * F(R) + F(R - h)) / (h * h);
      const H = run(R, 0, y, w).hessian[0];
      expect(Math.abs(H - fd)).toBeLessThan(1e-6 * Math.abs(fd));
    }
  });

  it('stochastic ensemble at T = 0: Π within 4σ of −ħc²/(8m²ω³), converging as N grows', () => {
    const R = equilibriumR(0);
    const { omega } = oneD(R, 0);
    const exact = (-HBAR * c * c) / (8 * m * m * omega ** 3);
    const rows: string[] = [];
    const out: { z: number; sigma: number; ratio: number; err: number }[] = [];
    for (const nc of [2_000, 20_000, 200_000]) {
      const y = antitheticNormals(1, nc, 1234, nc);
      const res = run(R, 0, y, undefined, 20);
      const sigma = res.errorEstimate![0];
      // analytic σ: δf = −(c/2)(u² − ⟨u²⟩) ⇒ Φ⁽³⁾ estimator (c/2m)·mean((y²−1)²), relative σ √56/2/√(N/2)
      const sigmaTheory = (2 * Math.abs(exact) * (Math.sqrt(56) / 2)) / Math.sqrt(nc / 2);
      const z = (res.pi[0] - exact) / sigma;
      out.push({ z, sigma, ratio: sigma / sigmaTheory, err: Math.abs(res.pi[0] - exact) });
      rows.push(`N=${nc}: Π=${res.pi[0].toExponential(5)} exact=${exact.toExponential(5)} σ_jk=${sigma.toExponential(2)} σ_th=${sigmaTheory.toExponential(2)} z=${z.toFixed(2)}`);
    }
    console.log(`1-D cubic, T = 0, R = ${R.toFixed(5)}:\n  ${rows.join('\n  ')}`);
    for (const o of out) {
      expect(Math.abs(o.z)).toBeLessThan(4);
      expect(o.ratio).toBeGreaterThan(0.5);
      expect(o.ratio).toBeLessThan(2);
    }
    // σ ∝ N^{-1/2}: the analytic σ drops by √10 per step; the jackknife σ follows it (up to its own noise)
    expect(out[2].sigma).toBeLessThan(out[0].sigma / 5);
    expect(out[2].err).toBeLessThan(4 * out[2].sigma);
  });

  it('small ensembles (N_c = 200, 2000): the mean of Π over many seeds equals −ħc²/(8m²ω³) (unbiased); the plug-in estimator is biased by the predicted (28/N_c)·Π', () => {
    // At the SCHA equilibrium δf = −(cA²/2m)(y² − 1), so the plug-in Φ⁽³⁾ ∝ mean over N_c/2 antithetic
    // pairs of (y² − 1)²: relative variance Var((y²−1)²)/(E² · N_c/2) = 56/(4 · N_c/2) = 28/N_c, and
    // E[Φ⁽³⁾²] = Φ⁽³⁾²(1 + 28/N_c): the plug-in Π is biased by exactly (28/N_c)·Π (softer).
    const R = equilibriumR(0);
    const { omega } = oneD(R, 0);
    const exact = (-HBAR * c * c) / (8 * m * m * omega ** 3);
    const lines: string[] = [];
    for (const [nc, S, stream] of [[200, 4000, 3], [2000, 1000, 4]] as const) {
      const est = { unbiased: [] as number[], biased: [] as number[] };
      for (let s = 0; s < S; s++) {
        const y = antitheticNormals(1, nc, 5000 + s, stream);
        est.unbiased.push(run(R, 0, y, undefined, 0, 'unbiased').pi[0]);
        est.biased.push(run(R, 0, y, undefined, 0, 'biased').pi[0]);
      }
      const stat = (v: number[]) => {
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
        return { mean, se: sd / Math.sqrt(v.length), sd };
      };
      const u = stat(est.unbiased);
      const b = stat(est.biased);
      const predicted = (28 / nc) * exact;
      const zU = (u.mean - exact) / u.se;
      const zB = (b.mean - exact) / b.se;
      const zBpred = (b.mean - exact - predicted) / b.se;
      lines.push(
        `N_c = ${nc}, ${S} seeds: unbiased mean Π/Π_exact − 1 = ${(u.mean / exact - 1).toExponential(2)} ± ${(u.se / Math.abs(exact)).toExponential(2)} (${zU.toFixed(2)}σ; σ of one estimate ${(u.sd / Math.abs(exact)).toFixed(3)}); ` +
          `biased ${(b.mean / exact - 1).toExponential(2)} ± ${(b.se / Math.abs(exact)).toExponential(2)} (${zB.toFixed(2)}σ from exact; predicted bias 28/N_c = ${(28 / nc).toExponential(2)}, ${zBpred.toFixed(2)}σ from it)`,
      );
      expect(Math.abs(zU)).toBeLessThan(4);
      expect(Math.abs(zBpred)).toBeLessThan(4);
      if (nc === 200) expect(zB).toBeLessThan(-5); // Π more negative: the bias is significant here
    }
    console.log(`1-D cubic, T = 0, small ensembles:\n  ${lines.join('\n  ')}`);
  });

  it('stochastic ensemble at T = 500 K off equilibrium: Π within 4σ of c²ℓ/m²', () => {
    const T = 500;
    const R = 0.2;
    const { omega } = oneD(R, T);
    const ref = ((c * c) / (m * m)) * (da2Closed(omega, T) / (4 * omega));
    const res = run(R, T, antitheticNormals(1, 400_000, 99), undefined, 20);
    const z = (res.pi[0] - ref) / res.errorEstimate![0];
    console.log(`1-D cubic, T = 500 K, R = 0.2: Π=${res.pi[0].toExponential(5)} ref=${ref.toExponential(5)} z=${z.toFixed(2)}`);
    expect(Math.abs(z)).toBeLessThan(4);
  });
});

describe('multi-mode pinned cubic potential V = ½uᵀKu + (1/6)Ψ:uuu', () => {
  it('exact (Gauss–Hermite grid) ensemble: Φ⁽³⁾ = Ψ̃ and Π = Σℓ Ψ̃Ψ̃ to round-off (n3 = 6, 3^6 configurations)', () => {
    for (const T of [0, 300]) {
      const md = pinnedModel(2, 7, T);
      const { y, w } = ghGrid(md.omega.length);
      const { df } = configs(md, y);
      const inp = input(md, y, df, w);
      const phi3 = thirdOrderMixed(k, inp, Array.from({ length: md.n3 }, (_, i) => i));
      const ref = psiMixed(md);
      expect(maxDiff(phi3, ref)).toBeLessThan(1e-11 * maxAbs(ref));
      const res = staticBubbleHessian(k, inp, { estimator: 'biased' });
      const pe = piExact(md);
      expect(maxDiff(res.pi, pe)).toBeLessThan(1e-11 * maxAbs(pe));
      for (let i = 0; i < md.n3 * md.n3; i++) expect(res.hessian[i]).toBeCloseTo(md.K[i] + res.pi[i], 13);
    }
  });

  it('stochastic antithetic ensemble (n3 = 9, N_c = 20000): Φ⁽³⁾ and Π agree with the exact contraction within errors', () => {
    const md = pinnedModel(3, 11, 200);
    const M = md.omega.length;
    const nc = 20_000;
    const y = antitheticNormals(M, nc, 4242);
    const { df } = configs(md, y);
    const inp = input(md, y, df);
    // Φ⁽³⁾: element-wise standard error from the pairs (the unit of independence)
    const rowsAll = Array.from({ length: md.n3 }, (_, i) => i);
    const phi3 = thirdOrderMixed(k, inp, rowsAll);
    const ref = psiMixed(md);
    const np = nc / 2;
    let maxZ = 0;
    let sumZ2 = 0;
    for (let a = 0; a < md.n3; a++) for (let mu = 0; mu < M; mu++) for (let nu = mu; nu < M; nu++) {
      const e = (a * M + mu) * M + nu;
      let s2 = 0;
      for (let p = 0; p < np; p++) {
        let o = 0;
        for (const i of [2 * p, 2 * p + 1]) o += (-(y[i * M + mu] * y[i * M + nu] - (mu === nu ? 1 : 0)) * df[i * md.n3 + a]) / (md.A[mu] * md.A[nu]) / 2;
        s2 += (o - phi3[e]) ** 2;
      }
      const sig = Math.sqrt(s2 / (np - 1) / np);
      const z = (phi3[e] - ref[e]) / sig;
      maxZ = Math.max(maxZ, Math.abs(z));
      sumZ2 += z * z;
    }
    const nz = (md.n3 * M * (M + 1)) / 2;
    const rmsZ = Math.sqrt(sumZ2 / nz);
    expect(maxZ).toBeLessThan(5);
    expect(rmsZ).toBeGreaterThan(0.7);
    expect(rmsZ).toBeLessThan(1.3);

    const res = staticBubbleHessian(k, inp, { errorGroups: 20 });
    const pe = piExact(md);
    let maxZp = 0;
    let sumZp = 0;
    const n3 = md.n3;
    for (let a = 0; a < n3; a++) for (let b = a; b < n3; b++) {
      const z = (res.pi[a * n3 + b] - pe[a * n3 + b]) / res.errorEstimate![a * n3 + b];
      maxZp = Math.max(maxZp, Math.abs(z));
      sumZp += z * z;
    }
    const rmsZp = Math.sqrt(sumZp / ((n3 * (n3 + 1)) / 2));
    const relErr = maxDiff(res.pi, pe) / maxAbs(pe);
    console.log(
      `multi-mode n3 = 9, N_c = ${nc}: Φ⁽³⁾ max|z| = ${maxZ.toFixed(2)}, rms z = ${rmsZ.toFixed(2)}; ` +
        `Π max|z| = ${maxZp.toFixed(2)}, rms z = ${rmsZp.toFixed(2)}, max|ΔΠ|/max|Π| = ${relErr.toExponential(2)}`,
    );
    expect(maxZp).toBeLessThan(5);
    expect(rmsZp).toBeLessThan(2);
  });

  it('exactly degenerate ω: degenerate limit of ℓ used, Π exact, invariant under rotations inside degenerate subspaces', () => {
    for (const T of [0, 250]) {
      const md = pinnedModel(2, 3, T, [1, 1, 2.2, 2.2, 2.2, 3.1]);
      const M = md.omega.length;
      expect(isDegenerate(md.omega[0], md.omega[1])).toBe(true);
      expect(isDegenerate(md.omega[2], md.omega[4])).toBe(true);
      const { y, w } = ghGrid(M);
      const { df } = configs(md, y);
      const res = staticBubbleHessian(k, input(md, y, df, w), { estimator: 'biased' });
      const pe = piExact(md);
      expect(res.pi.every(Number.isFinite)).toBe(true);
      expect(maxDiff(res.pi, pe)).toBeLessThan(1e-10 * maxAbs(pe));
      // rotate modes 2..4 (and 0..1) by orthogonal matrices: Ẽ → OẼ, y → yOᵀ. Π must not change.
      const O = new Float64Array(M * M);
      const c1 = Math.cos(0.7), s1 = Math.sin(0.7);
      O[0] = c1; O[1] = -s1; O[M] = s1; O[M + 1] = c1;
      const th = [0.3, -1.1, 0.5];
      const R3 = eigh(k, [[2, th[0], th[1]], [th[0], 1, th[2]], [th[1], th[2], -1]]).vectors;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) O[(2 + i) * M + 2 + j] = R3[i * 3 + j];
      O[5 * M + 5] = 1;
      const Et2 = new Float64Array(M * md.n3);
      for (let mu = 0; mu < M; mu++) for (let a = 0; a < md.n3; a++) {
        let s = 0;
        for (let nu = 0; nu < M; nu++) s += O[mu * M + nu] * md.Et[nu * md.n3 + a];
        Et2[mu * md.n3 + a] = s;
      }
      const y2 = new Float64Array(y.length);
      const nc = w.length;
      for (let i = 0; i < nc; i++) for (let mu = 0; mu < M; mu++) {
        let s = 0;
        for (let nu = 0; nu < M; nu++) s += O[mu * M + nu] * y[i * M + nu];
        y2[i * M + mu] = s;
      }
      const res2 = staticBubbleHessian(k, { ...input(md, y2, df, w), Etilde: Et2 }, { estimator: 'biased' });
      expect(maxDiff(res2.pi, res.pi)).toBeLessThan(1e-12 * maxAbs(res.pi));
      // the unbiased estimator is invariant as well (K_ij is a scalar of the mode space)
      const u1 = staticBubbleHessian(k, input(md, y, df, w), { pairs: false });
      const u2 = staticBubbleHessian(k, { ...input(md, y2, df, w), Etilde: Et2 }, { pairs: false });
      expect(maxDiff(u2.pi, u1.pi)).toBeLessThan(1e-11 * maxAbs(u1.pi));
    }
  });
});

describe('paths: blocks, row subsets, stream, translations, memory', () => {
  /** Random data (y, δf, w) for a model: the identities are algebraic, no physics needed. */
  function randomCase(n3: number, M: number, nc: number, seed: number, T = 150) {
    const r = xorshift(seed);
    const omega = Float64Array.from({ length: M }, (_, i) => 0.4 + 0.1 * i + 0.05 * r());
    const A = omega.map((w) => Math.sqrt(a2Closed(w, T)));
    const y = new Rng(k, seed, 1).normal(nc * M);
    const df = Float64Array.from({ length: nc * n3 }, () => r());
    const w = Float64Array.from({ length: nc }, () => 0.2 + r() + 0.5);
    const phi = new Float64Array(n3 * n3);
    for (let i = 0; i < n3; i++) phi[i * n3 + i] = 3;
    return { n3, M, omega, A, T, y, df, w, phi } as StaticBubbleInput;
  }

  it('block sizes, the stream method and row subsets equal the one-block path to round-off; Π symmetric (both estimators)', () => {
    const inp = randomCase(12, 11, 400, 5);
    for (const estimator of ['unbiased', 'biased'] as const) {
      const ref = staticBubbleHessian(k, inp, { blockRows: 12, estimator });
      const scale = maxAbs(ref.pi);
      for (const o of [{ blockRows: 1 }, { blockRows: 5 }, { method: 'stream' as const, blockRows: 4 }, { method: 'stream' as const, blockRows: 12 }]) {
        const r = staticBubbleHessian(k, inp, { ...o, estimator });
        expect(maxDiff(r.pi, ref.pi)).toBeLessThan(1e-13 * scale);
        expect(maxDiff(r.hessian, ref.hessian)).toBeLessThan(1e-13 * scale);
      }
      for (let a = 0; a < 12; a++) for (let b = 0; b < 12; b++) expect(ref.pi[a * 12 + b]).toBe(ref.pi[b * 12 + a]);
      // the unsymmetrised rows are symmetric to round-off as well (same estimator, two orders)
      const all = staticBubbleRows(k, inp, Array.from({ length: 12 }, (_, i) => i), { estimator }).rows;
      let asym = 0;
      for (let a = 0; a < 12; a++) for (let b = 0; b < 12; b++) asym = Math.max(asym, Math.abs(all[a * 12 + b] - all[b * 12 + a]));
      expect(asym).toBeLessThan(1e-13 * scale);
      const sub = [3, 7, 11, 0];
      for (const method of ['reassociated', 'stream'] as const) {
        const rs = staticBubbleRows(k, inp, sub, { method, blockRows: 3, estimator }).rows;
        sub.forEach((a, i) => {
          for (let b = 0; b < 12; b++) expect(Math.abs(rs[i * 12 + b] - all[a * 12 + b])).toBeLessThan(1e-13 * scale);
        });
      }
    }
  });

  it('unbiased estimator = brute-force U-statistic over distinct units (pairs and singles, weights, odd N_c, both methods)', () => {
    /** Σ_{u≠v} Σ_{i∈u, j∈v} w_i w_j δf_ia δf_jb K_ij / Σ_{u≠v} W_u W_v, K_ij = Σ ℓ_μν x_iμν x_jμν, x = (y yᵀ − I)/(A Aᵀ). */
    function bruteForce(inp: StaticBubbleInput, unit: number): Float64Array {
      const { n3, M } = inp;
      const nc = inp.y.length / M;
      const L = sschaLMatrix(inp.omega, inp.T);
      const w = inp.w ?? new Float64Array(nc).fill(1);
      const x = (i: number, mu: number, nu: number) => (inp.y[i * M + mu] * inp.y[i * M + nu] - (mu === nu ? 1 : 0)) / (inp.A[mu] * inp.A[nu]);
      const K = new Float64Array(nc * nc);
      for (let i = 0; i < nc; i++) for (let j = 0; j < nc; j++) {
        let s = 0;
        for (let mu = 0; mu < M; mu++) for (let nu = 0; nu < M; nu++) s += L[mu * M + nu] * x(i, mu, nu) * x(j, mu, nu);
        K[i * nc + j] = s;
      }
      const u = (i: number) => Math.floor(i / unit);
      const out = new Float64Array(n3 * n3);
      let norm = 0;
      for (let i = 0; i < nc; i++) for (let j = 0; j < nc; j++) if (u(i) !== u(j)) norm += w[i] * w[j];
      for (let a = 0; a < n3; a++) for (let b = 0; b < n3; b++) {
        let s = 0;
        for (let i = 0; i < nc; i++) for (let j = 0; j < nc; j++) {
          if (u(i) !== u(j)) s += w[i] * w[j] * inp.df[i * n3 + a] * inp.df[j * n3 + b] * K[i * nc + j];
        }
        out[a * n3 + b] = s / norm;
      }
      return out;
    }
    for (const nc of [30, 31]) {
      const inp = randomCase(5, 4, nc, 13 + nc);
      for (const pairs of nc % 2 === 0 ? [true, false] : [false, true]) {
        const ref = bruteForce(inp, pairs ? 2 : 1);
        for (const method of ['reassociated', 'stream'] as const) {
          const r = staticBubbleHessian(k, inp, { pairs, method, blockRows: 2 });
          expect(maxDiff(r.pi, ref)).toBeLessThan(1e-12 * maxAbs(ref));
        }
        const rows = staticBubbleRows(k, inp, [4, 1], { pairs }).rows;
        for (let b = 0; b < 5; b++) expect(Math.abs(rows[b] - ref[4 * 5 + b])).toBeLessThan(1e-12 * maxAbs(ref));
      }
    }
    // one unit only: no pair of distinct units, refused
    const one = randomCase(3, 3, 2, 3);
    expect(() => staticBubbleHessian(k, one)).toThrow(/two antithetic pairs/);
    expect(staticBubbleHessian(k, one, { pairs: false }).pi.every(Number.isFinite)).toBe(true);
  });

  it('primitive rows + translation map fill the full matrix: equal to all rows for a translation-invariant ensemble', () => {
    // a pinned ring of 4 atoms, circulant K (on-site + anisotropic nearest-neighbour springs)
    const nat = 4;
    const n3 = 3 * nat;
    const C = [[0.6, 0.1, -0.2], [0.1, 0.4, 0.05], [-0.2, 0.05, 0.3]];
    const K = new Float64Array(n3 * n3);
    for (let j = 0; j < nat; j++) {
      const jp = (j + 1) % nat;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
        K[(3 * j + a) * n3 + 3 * j + b] += (a === b ? 1.2 : 0) + 2 * C[a][b];
        K[(3 * j + a) * n3 + 3 * jp + b] -= C[a][b];
        K[(3 * jp + a) * n3 + 3 * j + b] -= C[a][b];
      }
    }
    const masses = new Float64Array(n3).fill(1.7);
    const T = 300;
    const { omega, A, Et } = modes(k, K, masses, T);
    const M = n3;
    const perms = Array.from({ length: nat }, (_, t) => Array.from({ length: nat }, (_, j) => (j + t) % nat));
    // base configurations, then every translation of each: u'_{t(j)} = u_j, δf'_{t(j)} = δf_j
    const nbase = 60;
    const r = xorshift(17);
    const ybase = new Rng(k, 77, 0).normal(nbase * M);
    const ncf = nbase * nat;
    const y = new Float64Array(ncf * M);
    const df = new Float64Array(ncf * n3);
    for (let i = 0; i < nbase; i++) {
      const u = new Float64Array(n3);
      for (let mu = 0; mu < M; mu++) for (let a = 0; a < n3; a++) u[a] += Et[mu * n3 + a] * A[mu] * ybase[i * M + mu];
      const f = Float64Array.from({ length: n3 }, () => r());
      for (let t = 0; t < nat; t++) {
        const row = i * nat + t;
        const ut = new Float64Array(n3);
        for (let j = 0; j < nat; j++) for (let al = 0; al < 3; al++) {
          ut[3 * perms[t][j] + al] = u[3 * j + al];
          df[row * n3 + 3 * perms[t][j] + al] = f[3 * j + al];
        }
        // y_μ = e_μ·(M^{1/2} u)/A_μ = (ẽ_μ·M u)/A_μ
        for (let mu = 0; mu < M; mu++) {
          let s = 0;
          for (let a = 0; a < n3; a++) s += Et[mu * n3 + a] * masses[a] * ut[a];
          y[row * M + mu] = s / A[mu];
        }
      }
    }
    const inp: StaticBubbleInput = { n3, M, Etilde: Et, omega, A, T, y, df, phi: K };
    // the ensemble is translation invariant as a set of configurations; units of the unbiased
    // estimator must be too, so single configurations here (consecutive rows are translated copies)
    const full = staticBubbleHessian(k, inp, { pairs: false });
    const prim = staticBubbleHessian(k, { ...inp, primitiveRows: [0, 1, 2], translations: perms }, { pairs: false });
    expect(prim.stats.rowsComputed).toBe(3);
    expect(maxDiff(prim.pi, full.pi)).toBeLessThan(1e-11 * maxAbs(full.pi));
    // without the identity in the list, and a primitive atom other than 0
    const prim2 = staticBubbleHessian(k, { ...inp, primitiveRows: [6, 7, 8], translations: perms.slice(1) }, { method: 'stream', pairs: false });
    expect(maxDiff(prim2.pi, full.pi)).toBeLessThan(1e-11 * maxAbs(full.pi));
    const fullB = staticBubbleHessian(k, inp, { estimator: 'biased' });
    const primB = staticBubbleHessian(k, { ...inp, primitiveRows: [0, 1, 2], translations: perms }, { estimator: 'biased' });
    expect(maxDiff(primB.pi, fullB.pi)).toBeLessThan(1e-11 * maxAbs(fullB.pi));
    // bad maps are refused with a reason
    expect(() => staticBubbleHessian(k, { ...inp, primitiveRows: [0, 1], translations: perms })).toThrow(/not reached/);
    expect(() => staticBubbleHessian(k, { ...inp, primitiveRows: [0, 1, 2, 3, 4, 5], translations: perms })).toThrow(/reached twice/);
    expect(() => staticBubbleHessian(k, { ...inp, primitiveRows: [0, 1, 2] })).toThrow(/translations/);
  });

  it('streamed memory is bounded by the budget (n3 = 60, M = 57, N_c = 2000, budget 8 MB) and equals the unbounded result', () => {
    const inp = randomCase(60, 57, 2000, 9);
    const budget = 8 * 2 ** 20;
    const bounded = staticBubbleHessian(k, inp, { memoryBudgetBytes: budget });
    const unbounded = staticBubbleHessian(k, inp, { blockRows: 60 });
    console.log(
      `memory: budget 8 MiB -> block ${bounded.stats.blockRows} rows, peak ${(bounded.stats.peakBytes / 2 ** 20).toFixed(2)} MiB ` +
        `(one block: ${(unbounded.stats.peakBytes / 2 ** 20).toFixed(2)} MiB); ${bounded.stats.timeMs.toFixed(0)} ms`,
    );
    expect(bounded.stats.blockRows).toBeLessThan(60);
    expect(bounded.stats.peakBytes).toBeLessThan(budget);
    expect(unbounded.stats.peakBytes).toBeGreaterThan(budget);
    expect(maxDiff(bounded.pi, unbounded.pi)).toBeLessThan(1e-13 * maxAbs(unbounded.pi));
    const stream = staticBubbleHessian(k, inp, { memoryBudgetBytes: budget, method: 'stream' });
    expect(stream.stats.peakBytes).toBeLessThan(budget);
    expect(maxDiff(stream.pi, unbounded.pi)).toBeLessThan(1e-13 * maxAbs(unbounded.pi));
  });

  it('split-half check and the symmetrize hook', () => {
    const md = pinnedModel(3, 11, 200);
    const y = antitheticNormals(md.omega.length, 4000, 5);
    const { df } = configs(md, y);
    let calls = 0;
    const res = staticBubbleHessian(k, input(md, y, df), {
      splitHalf: { nLowest: 4, masses: [md.masses[0], md.masses[3], md.masses[6]] },
      errorGroups: 10,
      symmetrize: (H, n3) => {
        calls++;
        expect(n3).toBe(9);
        return H.map((v) => v); // a copy, as a real hook may return
      },
    });
    expect(calls).toBe(3); // whole ensemble + two halves
    const sh = res.splitHalf!;
    expect(sh.lowest[0].length).toBe(4);
    expect(sh.spread.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    // the halves bracket the whole-ensemble value to within a few spreads
    for (let i = 0; i < 4; i++) {
      const mid = 0.5 * (sh.lowest[0][i] + sh.lowest[1][i]);
      expect(Math.abs(sh.lowestFull[i] - mid)).toBeLessThan(3 * sh.spread[i] + 1e-6 * Math.abs(mid));
    }
    expect(res.stats.passes).toBe(1 + 10 + 2);
  });

  it('rejects bad input with a reason', () => {
    const inp = randomCase(6, 6, 10, 1);
    expect(() => staticBubbleHessian(k, { ...inp, A: Array.from(inp.A, (a) => a * 1.01) })).toThrow(/A\[0\]/);
    expect(() => staticBubbleHessian(k, { ...inp, df: Array.from(inp.df).slice(1) })).toThrow(/df has/);
    const bad = Float64Array.from(inp.y);
    bad[3] = NaN;
    expect(() => staticBubbleHessian(k, { ...inp, y: bad })).toThrow(/y\[3\]/);
    expect(() => staticBubbleHessian(k, { ...inp, w: new Float64Array(10) })).toThrow(/weights are zero/);
  });
});
