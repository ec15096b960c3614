// Oganov–Valle fingerprints and their cosine distance (physics.md 7.5; A. R. Oganov & M. Valle,
// J. Chem. Phys. 130, 104504 (2009)). For each pair of species (A, B) and radial bins of width Δ up
// to R_max:
//   F_AB(R_k) = Σ_{i∈A(cell)} Σ_{j∈B, j≠i} ∫_bin k g_σ(R − R_ij) dR / (4π R_k² (N_A N_B / Ω) Δ) − 1,
// with g_σ a normalised Gaussian and R_k the centre of bin k. Distance
//   D = ½ [1 − Σ_AB w_AB F_AB·F'_AB / (‖F‖ ‖F'‖)],  w_AB = N_A N_B / Σ_{A'B'} N_A' N_B',
//   ‖F‖² = Σ_AB w_AB ‖F_AB‖²,
// where the sums run over ordered pairs (A ≠ B counted twice, F_AB = F_BA). F is invariant under
// rotations, translations and the choice of cell (a supercell gives the same F).
import type { Structure } from '../structure/structure.js';
import { reducedFormulaKey } from './composition.js';
import { imageTranslations } from './constraints.js';
import { cbrt, exp } from '../numeric/detmath.js';

export interface FingerprintOptions {
  /** Å, default 10. */
  rmax?: number;
  /** Bin width (Å), default 0.08. */
  delta?: number;
  /** Gaussian smearing (Å), default 0.03. */
  sigma?: number;
}

export interface Fingerprint {
  /** Species sorted alphabetically. */
  species: string[];
  /** Reduced formula (comparison key). */
  formula: string;
  /** Unordered pairs (a ≤ b, indices into species). */
  pairs: [number, number][];
  /** w_AB per unordered pair, already doubled for A ≠ B (sums to 1). */
  weights: number[];
  /** F_AB per unordered pair, `bins` values each. */
  values: Float64Array[];
  bins: number;
  rmax: number;
  delta: number;
  sigma: number;
  /** ‖F‖. */
  norm: number;
}

/** erf(x) to |error| < 1.2e-7 (the Chebyshev fit of erfc in Numerical Recipes, 2nd ed., §6.2). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

/** The Oganov–Valle fingerprint of a structure. */
export function fingerprint(s: Structure, options: FingerprintOptions = {}): Fingerprint {
  const rmax = options.rmax ?? 10, delta = options.delta ?? 0.08, sigma = options.sigma ?? 0.03;
  if (!(rmax > 0 && delta > 0 && sigma > 0)) throw new RangeError('fingerprint: rmax, delta and sigma must be positive');
  const bins = Math.ceil(rmax / delta - 1e-9);
  const species = [...new Set(s.species)].sort();
  const ns = species.length;
  const type = s.species.map((x) => species.indexOf(x));
  const count = species.map((_, a) => type.filter((t) => t === a).length);
  const pairs: [number, number][] = [];
  const pairIndex = new Int32Array(ns * ns);
  for (let a = 0; a < ns; a++)
    for (let b = a; b < ns; b++) {
      pairIndex[a * ns + b] = pairIndex[b * ns + a] = pairs.length;
      pairs.push([a, b]);
    }
  const hist = pairs.map(() => new Float64Array(bins));
  const reach = rmax + 5 * sigma;
  const T = imageTranslations(s.cell, reach);
  const c = s.cell, f = s.frac, n = s.natoms;
  const bin = gaussianBinner(delta, sigma, bins, reach);
  const add = (h: Float64Array, r: number) => bin(h, 0, r);
  const r2max = reach * reach;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const h = hist[pairIndex[type[i] * ns + type[j]]];
      imageDistances(f, c, T, r2max, i, j, (d) => add(h, d));
    }
  }
  const vol = s.volume;
  let wsum = 0;
  const weights = pairs.map(([a, b]) => {
    const w = count[a] * count[b] * (a === b ? 1 : 2);
    wsum += w;
    return w;
  });
  for (let p = 0; p < weights.length; p++) weights[p] /= wsum;
  let norm2 = 0;
  const values = pairs.map(([a, b], p) => {
    // the double loop above visits (i∈A, j∈B) and (i∈B, j∈A): for A ≠ B each pair twice
    const h = hist[p];
    const scale = a === b ? 1 : 0.5;
    const dens = (count[a] * count[b]) / vol;
    const out = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const rk = (k + 0.5) * delta;
      out[k] = (scale * h[k]) / (4 * Math.PI * rk * rk * dens * delta) - 1;
      norm2 += weights[p] * out[k] * out[k];
    }
    return out;
  });
  return { species, formula: reducedFormulaKey(s.species), pairs, weights, values, bins, rmax, delta, sigma, norm: Math.sqrt(norm2) };
}

/** Cosine distance D ∈ [0, 1] of two fingerprints; 1 for different species sets or settings. */
export function fingerprintDistance(a: Fingerprint, b: Fingerprint): number {
  if (a.species.length !== b.species.length || a.species.some((x, i) => x !== b.species[i])) return 1;
  if (a.bins !== b.bins || a.delta !== b.delta || a.sigma !== b.sigma) return 1;
  if (!(a.norm > 0) || !(b.norm > 0)) return a.norm === b.norm ? 0 : 0.5;
  // weights depend on the composition; use their mean so that D is symmetric
  let dot = 0, na = 0, nb = 0;
  for (let p = 0; p < a.pairs.length; p++) {
    const w = 0.5 * (a.weights[p] + b.weights[p]);
    const x = a.values[p], y = b.values[p];
    let s = 0, sa = 0, sb = 0;
    for (let k = 0; k < a.bins; k++) {
      s += x[k] * y[k];
      sa += x[k] * x[k];
      sb += y[k] * y[k];
    }
    dot += w * s;
    na += w * sa;
    nb += w * sb;
  }
  const cos = dot / Math.sqrt(na * nb);
  return Math.max(0, Math.min(1, 0.5 * (1 - cos)));
}

/** Same reduced formula, fingerprints closer than `dMax` and enthalpies closer than `dH` (eV/atom). */
export function isDuplicate(a: { fp: Fingerprint; enthalpyPerAtom: number }, b: { fp: Fingerprint; enthalpyPerAtom: number }, dMax = 0.008, dH = 0.005): boolean {
  if (a.fp.formula !== b.fp.formula) return false;
  if (Math.abs(a.enthalpyPerAtom - b.enthalpyPerAtom) >= dH) return false;
  return fingerprintDistance(a.fp, b.fp) < dMax;
}

/**
 * Adds a normalised Gaussian g_σ(R − r), integrated over each bin of width Δ, to h[h0 + k] (bins within
 * 5σ of r; distances outside (0, reach) are skipped).
 */
function gaussianBinner(delta: number, sigma: number, bins: number, reach: number): (h: Float64Array, h0: number, r: number) => void {
  const inv = 1 / (sigma * Math.SQRT2);
  const spread = Math.ceil((5 * sigma) / delta);
  return (h, h0, r) => {
    if (r <= 0 || r >= reach) return;
    const k0 = Math.floor(r / delta);
    const lo = Math.max(0, k0 - spread), hi = Math.min(bins - 1, k0 + spread);
    let prev = erf((lo * delta - r) * inv);
    for (let k = lo; k <= hi; k++) {
      const next = erf(((k + 1) * delta - r) * inv);
      h[h0 + k] += 0.5 * (next - prev);
      prev = next;
    }
  };
}

/**
 * Local degree of order of each atom (Lyakhov, Oganov & Valle, Comput. Phys. Commun. 181, 1623
 * (2010)): from the atom's own fingerprint F_iB(R) = Σ_{j∈B} ∫_bin g_σ(R − R_ij) / (4πR² (N_B/Ω) Δ) − 1,
 *   Π_i = √( Σ_B (N_B/N) · Δ/(N_B/Ω)^{1/3} · ‖F_iB‖² ).
 * Atoms in crystalline surroundings (sharp neighbour shells) have a large Π, atoms at defects or in
 * disordered regions a small one; heredity prefers ordered slabs, coordinate mutation moves disordered atoms.
 */
export function localOrder(s: Structure, options: FingerprintOptions = {}): Float64Array {
  const rmax = options.rmax ?? 10, delta = options.delta ?? 0.08, sigma = options.sigma ?? 0.03;
  const bins = Math.ceil(rmax / delta - 1e-9);
  const species = [...new Set(s.species)].sort();
  const ns = species.length;
  const type = s.species.map((x) => species.indexOf(x));
  const count = species.map((_, a) => type.filter((t) => t === a).length);
  const n = s.natoms, vol = s.volume;
  const reach = rmax + 5 * sigma;
  const T = imageTranslations(s.cell, reach);
  const c = s.cell, f = s.frac;
  const r2max = reach * reach;
  const out = new Float64Array(n);
  const hist = new Float64Array(ns * bins);
  const bin = gaussianBinner(delta, sigma, bins, reach);
  const add = (h0: number, r: number) => bin(hist, h0, r);
  for (let i = 0; i < n; i++) {
    hist.fill(0);
    for (let j = 0; j < n; j++) {
      const h0 = type[j] * bins;
      imageDistances(f, c, T, r2max, i, j, (d) => add(h0, d));
    }
    let pi2 = 0;
    for (let b = 0; b < ns; b++) {
      const dens = count[b] / vol;
      let norm2 = 0;
      for (let k = 0; k < bins; k++) {
        const rk = (k + 0.5) * delta;
        const F = hist[b * bins + k] / (4 * Math.PI * rk * rk * dens * delta) - 1;
        norm2 += F * F;
      }
      pi2 += (count[b] / n) * (delta / cbrt(dens)) * norm2;
    }
    out[i] = Math.sqrt(pi2);
  }
  return out;
}

/**
 * Distances from atom i to atom j and its periodic images within √r2max: the minimum-image vector
 * plus the image translations T (Cartesian, flattened triples); the i = j self distance is skipped.
 */
function imageDistances(f: ArrayLike<number>, c: ArrayLike<number>, T: ArrayLike<number>, r2max: number, i: number, j: number, visit: (d: number) => void): void {
  let u = f[3 * j] - f[3 * i], v = f[3 * j + 1] - f[3 * i + 1], w = f[3 * j + 2] - f[3 * i + 2];
  u -= Math.round(u);
  v -= Math.round(v);
  w -= Math.round(w);
  const x = u * c[0] + v * c[3] + w * c[6], y = u * c[1] + v * c[4] + w * c[7], z = u * c[2] + v * c[5] + w * c[8];
  if (i !== j) visit(Math.sqrt(x * x + y * y + z * z));
  for (let m = 0; m < T.length; m += 3) {
    const p = x + T[m], q = y + T[m + 1], r = z + T[m + 2];
    const d2 = p * p + q * q + r * r;
    if (d2 < r2max) visit(Math.sqrt(d2));
  }
}
