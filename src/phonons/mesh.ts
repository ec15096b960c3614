// q-meshes, phonon density of states and harmonic thermodynamics (physics.md 4.3).
//
// Mesh: q = (m_k + s_k)/n_k, m_k = 0 … n_k − 1, in reduced reciprocal coordinates of the unit cell;
// s = 0 (default) is Γ-centred, s_k = ½ shifts by half a step. Every q is diagonalised (no symmetry
// reduction); all weights are 1/N_q.
//
// DOS: g(ν) = (1/N_q) Σ_{qj} G_σ(ν − ν_qj), G_σ the normalised Gaussian exp(−x²/2σ²)/(σ√(2π)), so
// ∫g dν = 3n (states per THz per cell). σ is a standard deviation in THz (default: 1/40 of the highest
// frequency's magnitude — pass an explicit σ for reproducible curves).
//
// Thermodynamics per unit cell, sums over the mesh divided by N_q:
//   F = Σ [ħω/2 + k_BT ln(1 − e^{−ħω/k_BT})],  S = k_B Σ [(n+1)ln(n+1) − n ln n],
//   C_V = k_B Σ (ħω/k_BT)² n(n+1),  n = 1/(e^{ħω/k_BT} − 1)
// The three acoustic translations at Γ (if Γ is on the mesh) are excluded by index (largest overlap with
// uniform translations). Any other mode with ν ≤ 0 makes F undefined: a PhononError names the worst
// one, unless `skipImaginary` is set (then such modes are dropped and counted).
import type { DynamicalMatrix } from './dynamical-matrix.js';
import { PhononError } from './force-constants.js';
import { EV_PER_CELL_TO_J_PER_MOL, KB, omega2ToThz, THZ_TO_EV } from './units.js';
import { exp, expm1, log1p } from '../numeric/detmath.js';

export interface MeshModes {
  mesh: [number, number, number];
  shift: [number, number, number];
  /** Reduced q (3 per point). */
  qpoints: Float64Array;
  /** ν (THz), 3n per q-point, ascending within each q. */
  frequencies: Float64Array;
  nbands: number;
  /** Flat indices (q·nbands + band) of the excluded acoustic translations at Γ. */
  acoustic: number[];
}

function meshTriple(v: ArrayLike<number>, what: string, integer: boolean): [number, number, number] {
  if (v.length !== 3) throw new PhononError(`${what}: expected 3 numbers, got ${v.length}`);
  const t = [v[0], v[1], v[2]] as [number, number, number];
  for (const x of t) {
    if (integer ? !(Number.isInteger(x) && x >= 1 && x <= 1000) : !(x === 0 || x === 0.5)) {
      throw new PhononError(`${what}: ${integer ? 'mesh divisions must be integers in [1, 1000]' : 'shifts must be 0 or 0.5'}, got [${t.join(', ')}]`);
    }
  }
  return t;
}

/** The q-points of an n₁×n₂×n₃ mesh (3 per point, reduced coordinates; q₃ fastest). */
export function meshPoints(mesh: ArrayLike<number>, shift: ArrayLike<number> = [0, 0, 0]): Float64Array {
  const m = meshTriple(mesh, 'mesh', true);
  const s = meshTriple(shift, 'mesh shift', false);
  const out = new Float64Array(3 * m[0] * m[1] * m[2]);
  let p = 0;
  for (let a = 0; a < m[0]; a++)
    for (let b = 0; b < m[1]; b++)
      for (let c = 0; c < m[2]; c++) {
        out[p++] = (a + s[0]) / m[0];
        out[p++] = (b + s[1]) / m[1];
        out[p++] = (c + s[2]) / m[2];
      }
  return out;
}

/** Frequencies on a mesh, with the Γ acoustic modes identified. */
export function meshModes(dm: DynamicalMatrix, mesh: ArrayLike<number>, shift: ArrayLike<number> = [0, 0, 0]): MeshModes {
  const qpoints = meshPoints(mesh, shift);
  const nq = qpoints.length / 3;
  const nb = 3 * dm.natoms;
  const frequencies = new Float64Array(nq * nb);
  const acoustic: number[] = [];
  for (let i = 0; i < nq; i++) {
    const q = qpoints.subarray(3 * i, 3 * i + 3);
    const e = dm.eigen(q);
    for (let j = 0; j < nb; j++) frequencies[i * nb + j] = omega2ToThz(e.values[j]);
    if (q[0] === 0 && q[1] === 0 && q[2] === 0) for (const j of dm.acousticIndices(e)) acoustic.push(i * nb + j);
  }
  return { mesh: meshTriple(mesh, 'mesh', true), shift: meshTriple(shift, 'mesh shift', false), qpoints, frequencies, nbands: nb, acoustic };
}

export interface DosOptions {
  /** Gaussian standard deviation (THz). */
  sigma?: number;
  /** Frequency grid (THz): from, to (inclusive), step. Default: from min(0, lowest) − 4σ to highest + 4σ, 201 points. */
  min?: number;
  max?: number;
  step?: number;
}

export interface Dos {
  sigma: number;
  /** Frequency points (THz). */
  frequencies: Float64Array;
  /** States per THz per unit cell. */
  dos: Float64Array;
}

/** Total phonon DOS with Gaussian smearing (see the module comment). */
export function densityOfStates(modes: MeshModes, options: DosOptions = {}): Dos {
  const f = modes.frequencies;
  let lo = Infinity, hi = -Infinity;
  for (const x of f) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const sigma = options.sigma ?? Math.max(Math.abs(hi), Math.abs(lo), 1e-3) / 40;
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new PhononError(`DOS smearing sigma must be positive (THz), got ${sigma}`);
  const min = options.min ?? Math.min(0, lo) - 4 * sigma;
  const max = options.max ?? hi + 4 * sigma;
  if (!(max > min)) throw new PhononError(`DOS range: max (${max}) must exceed min (${min})`);
  const step = options.step ?? (max - min) / 200;
  if (!(step > 0)) throw new PhononError(`DOS step must be positive (THz), got ${step}`);
  const npts = Math.floor((max - min) / step + 1e-9) + 1;
  const freqs = Float64Array.from({ length: npts }, (_, i) => min + i * step);
  const dos = new Float64Array(npts);
  const nq = modes.qpoints.length / 3;
  const norm = 1 / (nq * sigma * Math.sqrt(2 * Math.PI));
  const inv2s2 = 1 / (2 * sigma * sigma);
  const reach = 8 * sigma;
  for (const x of f) {
    const i0 = Math.max(0, Math.ceil((x - reach - min) / step));
    const i1 = Math.min(npts - 1, Math.floor((x + reach - min) / step));
    for (let i = i0; i <= i1; i++) {
      const d = freqs[i] - x;
      dos[i] += norm * exp(-d * d * inv2s2);
    }
  }
  return { sigma, frequencies: freqs, dos };
}

export interface ThermalOptions {
  /** Drop modes with ν ≤ 0 (other than the Γ translations) instead of throwing. */
  skipImaginary?: boolean;
}

export interface ThermalProperties {
  temperatures: Float64Array;
  /** Helmholtz free energy F (eV per unit cell), zero-point energy included. */
  freeEnergy: Float64Array;
  /** Entropy S (eV/K per unit cell). */
  entropy: Float64Array;
  /** Heat capacity C_V (eV/K per unit cell). */
  heatCapacity: Float64Array;
  /** Same per mole of unit cells: F in kJ/mol, S and C_V in J/(K·mol) (phonopy's units). */
  freeEnergyKJmol: Float64Array;
  entropyJmolK: Float64Array;
  heatCapacityJmolK: Float64Array;
  /** Zero-point energy (eV per unit cell). */
  zeroPointEnergy: number;
  /** Modes used / excluded acoustic / skipped (ν ≤ 0). */
  modesUsed: number;
  acousticExcluded: number;
  skipped: number;
}

/** Temperatures tmin, tmin + step, … ≤ tmax (K). */
export function temperatureRange(tmin: number, tmax: number, tstep: number): Float64Array {
  if (!(tmin >= 0) || !(tmax >= tmin) || !(tstep > 0) || !Number.isFinite(tmax)) {
    throw new PhononError(`temperatures: need 0 ≤ tmin ≤ tmax and tstep > 0 (K), got ${tmin}, ${tmax}, ${tstep}`);
  }
  const n = Math.floor((tmax - tmin) / tstep + 1e-9) + 1;
  if (n > 1e6) throw new PhononError(`temperatures: ${n} points is too many`);
  return Float64Array.from({ length: n }, (_, i) => tmin + i * tstep);
}

/** Harmonic F, S, C_V per unit cell at the given temperatures (see the module comment). */
export function thermalProperties(modes: MeshModes, temperatures: ArrayLike<number>, options: ThermalOptions = {}): ThermalProperties {
  const nq = modes.qpoints.length / 3;
  const excluded = new Set(modes.acoustic);
  const energies: number[] = [];
  let skipped = 0;
  let worst = Infinity, worstIdx = -1, nbad = 0;
  for (let k = 0; k < modes.frequencies.length; k++) {
    if (excluded.has(k)) continue;
    const nu = modes.frequencies[k];
    if (!(nu > 0)) {
      nbad++;
      if (nu < worst) {
        worst = nu;
        worstIdx = k;
      }
      skipped++;
      continue;
    }
    energies.push(nu * THZ_TO_EV);
  }
  if (nbad > 0 && !options.skipImaginary) {
    const qi = Math.floor(worstIdx / modes.nbands);
    const q = Array.from(modes.qpoints.subarray(3 * qi, 3 * qi + 3), (x) => +x.toFixed(6));
    throw new PhononError(
      `${nbad} of ${modes.frequencies.length} modes on the mesh have imaginary or zero frequency (lowest ${worst.toFixed(6)} THz at q = [${q.join(', ')}]): ` +
        'the harmonic free energy is undefined; the structure is dynamically unstable (or not relaxed) — skip these modes explicitly (skipImaginary / --skip-imaginary) to get numbers anyway',
    );
  }
  const T = Float64Array.from(temperatures);
  const nt = T.length;
  const F = new Float64Array(nt), S = new Float64Array(nt), C = new Float64Array(nt);
  let zpe = 0;
  for (const e of energies) zpe += 0.5 * e;
  zpe /= nq;
  for (let t = 0; t < nt; t++) {
    const kT = KB * T[t];
    if (!(T[t] >= 0) || !Number.isFinite(T[t])) throw new PhononError(`temperature must be ≥ 0 K, got ${T[t]}`);
    let f = 0, s = 0, c = 0;
    for (const e of energies) {
      f += 0.5 * e;
      if (kT === 0) continue;
      const x = e / kT;
      if (x > 700) continue;
      const em = exp(-x);
      f += kT * log1p(-em);
      // n = em/(1 − em); S/k_B = x·n − ln(1 − e^{−x}); C/k_B = x² e^{−x}/(1 − e^{−x})²
      const d = -expm1(-x);
      s += (x * em) / d - log1p(-em);
      c += (x * x * em) / (d * d);
    }
    F[t] = f / nq;
    S[t] = (KB * s) / nq;
    C[t] = (KB * c) / nq;
  }
  return {
    temperatures: T,
    freeEnergy: F,
    entropy: S,
    heatCapacity: C,
    freeEnergyKJmol: F.map((x) => (x * EV_PER_CELL_TO_J_PER_MOL) / 1000),
    entropyJmolK: S.map((x) => x * EV_PER_CELL_TO_J_PER_MOL),
    heatCapacityJmolK: C.map((x) => x * EV_PER_CELL_TO_J_PER_MOL),
    zeroPointEnergy: zpe,
    modesUsed: energies.length,
    acousticExcluded: excluded.size,
    skipped: options.skipImaginary ? skipped : 0,
  };
}
