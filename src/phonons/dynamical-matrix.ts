// Dynamical matrices at any q by Fourier interpolation of supercell force constants (physics.md 4.1,
// 4.2, 4.4).
//
// Real-space blocks Φ(κ, 0; κ', L) are the force constants' blocks (the rows of the home-cell atoms). For
// every pair (κ, κ') and lattice vector R_L the supercell images R_L + T (T = supercell lattice vectors,
// n ∈ {−2…2}³) that minimise |R_L + T + τ_κ' − τ_κ| (within `imageTolerance`, 1e-5 Å) share the block
// equally (weight 1/m). Then
//     Φ(q)_{κκ'} = Σ_{L, images} w · Φ(κ, 0; κ', L) · exp(+2πi q·(R_L + T)),
// lattice vectors only in the phase. q is given in reduced coordinates of the unit cell's reciprocal
// basis (q_cart = Σ q_k b_k, b without 2π), so q·R = Σ q_k n_k with R = Σ n_k a_k. At commensurate q
// this reproduces the supercell's frequencies exactly; the centring does not change Σ_L Φ, so the sum
// rule of the supercell carries over to Φ(q = 0).
//
// The result is made exactly Hermitian ((A + Aᴴ)/2) and real at q ≡ −q (physics.md 3.4), mass-weighted
// D = M^{-1/2} Φ M^{-1/2}, and diagonalised by the Hermitian kernel (eighHerm). Frequencies ν in THz are
// sign(ω²)·√|ω²| × 15.6333042 (negative = imaginary).
import { eighHermitian, type HermitianEigen } from '../linalg/hermitian.js';
import type { Kernels } from '../wasm/kernels.js';
import { PhononError } from './force-constants.js';
import type { ForceConstants } from './force-constants-model.js';
import { omega2ToThz, THZ_TO_CM } from './units.js';
import { cosSin2pi, hypot3 } from '../numeric/detmath.js';

export interface DynamicalMatrixOptions {
  /** Tolerance (Å) for equidistant supercell images, default 1e-5. */
  imageTolerance?: number;
}

export interface Modes {
  /** q in reduced reciprocal coordinates of the unit cell. */
  q: Float64Array;
  /** Eigenvalues ω² (τ⁻²), ascending. */
  omega2: Float64Array;
  /** Signed frequencies ν (THz), ascending. */
  frequencies: Float64Array;
  /** Eigenvectors of D(q) (columns, interleaved complex, 3n × 3n) if requested. */
  eigenvectors?: Float64Array;
}

export class DynamicalMatrix {
  /** Atoms in the unit cell (n); matrices are 3n × 3n. */
  readonly natoms: number;
  readonly masses: Float64Array;
  /** Number of (pair, image) terms of the Fourier sum. */
  readonly terms: number;
  private readonly pairIndex: Int32Array; // κ·n + κ'
  private readonly image: Float64Array; // 3 per term: R in unit-cell lattice coordinates
  private readonly block: Float64Array; // 9 per term, weight included
  private readonly invSqrtMass: Float64Array;

  constructor(
    readonly kernels: Kernels,
    readonly forceConstants: ForceConstants,
    options: DynamicalMatrixOptions = {},
  ) {
    const tol = options.imageTolerance ?? 1e-5;
    const { primitive, supercell } = forceConstants;
    const fcBlocks = forceConstants.blocks;
    const n = primitive.natoms;
    const N = supercell.structure.natoms;
    this.natoms = n;
    this.masses = Float64Array.from(primitive.masses);
    this.invSqrtMass = this.masses.map((m) => 1 / Math.sqrt(m));
    const A = primitive.cell;
    const M = supercell.matrix;
    const tau = primitive.cartesian();
    const pairs: number[] = [];
    const images: number[] = [];
    const blocks: number[] = [];
    const cart = (f: number[]) => [0, 1, 2].map((k) => f[0] * A[k] + f[1] * A[3 + k] + f[2] * A[6 + k]);
    const N3 = 3 * N;
    for (let kap = 0; kap < n; kap++) {
      for (let j = 0; j < N; j++) {
        const kp = supercell.prim[j];
        const L = [supercell.lat[3 * j], supercell.lat[3 * j + 1], supercell.lat[3 * j + 2]];
        const cand: { d: number; R: number[] }[] = [];
        let dmin = Infinity;
        for (let a = -2; a <= 2; a++)
          for (let b = -2; b <= 2; b++)
            for (let c = -2; c <= 2; c++) {
              const R = [0, 1, 2].map((k) => L[k] + a * M[k] + b * M[3 + k] + c * M[6 + k]);
              const r = cart(R);
              const d = hypot3(r[0] + tau[3 * kp] - tau[3 * kap], r[1] + tau[3 * kp + 1] - tau[3 * kap + 1], r[2] + tau[3 * kp + 2] - tau[3 * kap + 2]);
              cand.push({ d, R });
              if (d < dmin) dmin = d;
            }
        const sel = cand.filter((x) => x.d <= dmin + tol);
        const w = 1 / sel.length;
        for (const s of sel) {
          pairs.push(kap * n + kp);
          images.push(...s.R);
          for (let x = 0; x < 3; x++) for (let y = 0; y < 3; y++) blocks.push(w * fcBlocks[(3 * kap + x) * N3 + 3 * j + y]);
        }
      }
    }
    this.pairIndex = Int32Array.from(pairs);
    this.image = Float64Array.from(images);
    this.block = Float64Array.from(blocks);
    this.terms = pairs.length;
  }

  private checkQ(q: ArrayLike<number>): void {
    if (q.length !== 3 || !Array.from(q).every(Number.isFinite)) throw new PhononError(`q must be 3 finite numbers (reduced coordinates), got [${Array.from(q).join(', ')}]`);
  }

  /**
   * Φ(q) (eV/Å², not mass-weighted), interleaved complex 3n × 3n, exactly Hermitian. `raw: true`
   * returns the plain Fourier sum, before the Hermitian part and the q ≡ −q reality are imposed.
   */
  forceConstantMatrix(q: ArrayLike<number>, options: { raw?: boolean } = {}): Float64Array {
    this.checkQ(q);
    const n = this.natoms;
    const n3 = 3 * n;
    const out = new Float64Array(2 * n3 * n3);
    const q0 = q[0], q1 = q[1], q2 = q[2];
    const cs = new Float64Array(2); // cos, sin of the phase: exact reduction in turns (docs/kernels.md, Determinism)
    for (let t = 0; t < this.terms; t++) {
      const p = this.pairIndex[t];
      const kap = Math.floor(p / n), kp = p - kap * n;
      cosSin2pi(q0 * this.image[3 * t] + q1 * this.image[3 * t + 1] + q2 * this.image[3 * t + 2], cs);
      const c = cs[0], s = cs[1];
      const b = 9 * t;
      for (let x = 0; x < 3; x++) {
        const row = (3 * kap + x) * n3 + 3 * kp;
        for (let y = 0; y < 3; y++) {
          const v = this.block[b + 3 * x + y];
          out[2 * (row + y)] += v * c;
          out[2 * (row + y) + 1] += v * s;
        }
      }
    }
    if (options.raw) return out;
    // Hermitian part; real when q ≡ −q
    const real = [q0, q1, q2].every((x) => Math.abs(2 * x - Math.round(2 * x)) < 1e-12);
    for (let r = 0; r < n3; r++) {
      out[2 * (r * n3 + r) + 1] = 0;
      for (let c = r + 1; c < n3; c++) {
        const a = 2 * (r * n3 + c), b = 2 * (c * n3 + r);
        const re = 0.5 * (out[a] + out[b]);
        const im = real ? 0 : 0.5 * (out[a + 1] - out[b + 1]);
        out[a] = re;
        out[a + 1] = im;
        out[b] = re;
        out[b + 1] = -im;
      }
    }
    return out;
  }

  /** D(q) = M^{-1/2} Φ(q) M^{-1/2} (τ⁻²), interleaved complex 3n × 3n. */
  matrix(q: ArrayLike<number>): Float64Array {
    const out = this.forceConstantMatrix(q);
    const n3 = 3 * this.natoms;
    for (let r = 0; r < n3; r++) {
      const mr = this.invSqrtMass[Math.floor(r / 3)];
      for (let c = 0; c < n3; c++) {
        const f = mr * this.invSqrtMass[Math.floor(c / 3)];
        out[2 * (r * n3 + c)] *= f;
        out[2 * (r * n3 + c) + 1] *= f;
      }
    }
    return out;
  }

  /** Eigen-decomposition of D(q). */
  eigen(q: ArrayLike<number>): HermitianEigen {
    return eighHermitian(this.kernels, this.matrix(q), 3 * this.natoms);
  }

  /** Modes at q: ω² (τ⁻²), ν (THz), optionally eigenvectors. */
  modes(q: ArrayLike<number>, options: { eigenvectors?: boolean } = {}): Modes {
    const e = this.eigen(q);
    return {
      q: Float64Array.from(q),
      omega2: e.values,
      frequencies: e.values.map(omega2ToThz),
      eigenvectors: options.eigenvectors ? e.vectors : undefined,
    };
  }

  /** Signed frequencies ν (THz), ascending. */
  frequencies(q: ArrayLike<number>): Float64Array {
    return this.eigen(q).values.map(omega2ToThz);
  }

  /** Signed wavenumbers (cm⁻¹), ascending. */
  wavenumbers(q: ArrayLike<number>): Float64Array {
    return this.frequencies(q).map((f) => f * THZ_TO_CM);
  }

  /**
   * Indices of the 3 acoustic translations among the eigenvectors of D (physics.md 4.2): the modes with
   * the largest overlap Σ_k |⟨t̂_k|e⟩|² with the mass-weighted uniform translations t_k ∝ √M_κ δ_αk.
   */
  acousticIndices(eig: HermitianEigen): number[] {
    const n = this.natoms, n3 = 3 * n;
    let msum = 0;
    for (const m of this.masses) msum += m;
    const ov: { j: number; o: number }[] = [];
    for (let j = 0; j < n3; j++) {
      let o = 0;
      for (let k = 0; k < 3; k++) {
        let re = 0, im = 0;
        for (let kap = 0; kap < n; kap++) {
          const w = Math.sqrt(this.masses[kap] / msum);
          const i = 3 * kap + k;
          re += w * eig.vectors[2 * (i * n3 + j)];
          im += w * eig.vectors[2 * (i * n3 + j) + 1];
        }
        o += re * re + im * im;
      }
      ov.push({ j, o });
    }
    ov.sort((a, b) => b.o - a.o || a.j - b.j);
    return ov.slice(0, Math.min(3, n3)).map((x) => x.j).sort((a, b) => a - b);
  }
}
