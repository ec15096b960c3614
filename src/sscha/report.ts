// Results of an SSCHA run for people: the free-energy Hessian at the converged (R, Φ) (physics.md
// 5.11, static bubble with the primitive rows + supercell translations, symmetrised with ASR),
// frequencies (cm⁻¹) of the harmonic start, the auxiliary Φ and the Hessian at every q commensurate
// with the supercell and along a band path by Fourier interpolation (physics.md 4.4, as src/phonons
// does for harmonic Φ), SVG plots and the JSON result object. Isomorphic (no file system).
import { dynSetFromRealSpace, writeQeDynSet } from '../io/qe-dyn.js';
import { linePlot, type Series } from '../plot/svg.js';
import { hypot3 } from '../numeric/detmath.js';
import { bandStructure, type BandPath, type BandStructure } from '../phonons/band-path.js';
import { DynamicalMatrix } from '../phonons/dynamical-matrix.js';
import { ForceConstants } from '../phonons/force-constants-model.js';
import { THZ_TO_CM } from '../phonons/units.js';
import { StructureError, type Structure } from '../structure/structure.js';
import { cellIndexer, type Supercell } from '../structure/supercell.js';
import type { Kernels } from '../wasm/kernels.js';
import { EnsembleWorkspace, type Averages, type SschaSymmetry } from './averages.js';
import type { Population } from './ensemble.js';
import { MAX_SYMMETRIC_N3, staticBubbleHessian } from './hessian.js';
import type { StepRecord } from './minimize.js';
import { SschaError } from './modes.js';

/** 1 eV/Å³ in GPa (physics.md 1.2). */
export const EV_A3_TO_GPA = 160.2176634;

/**
 * Supercell translations as atom permutations (translations[t][j] = image of atom j under the
 * translation by the lattice point of cell t) and the rows 3i+α of the home-cell atoms.
 */
export function supercellTranslations(sc: Supercell): { translations: Int32Array[]; primitiveRows: number[] } {
  const n = sc.structure.natoms;
  const ncells = sc.ncells;
  const nat = n / ncells;
  const idx = cellIndexer(sc.matrix);
  const cells = sc.cells;
  const cellOf = (i: number) => {
    // atom i = c·nat + κ (supercell.ts order)
    return Math.floor(i / nat);
  };
  const translations: Int32Array[] = [];
  for (let t = 0; t < ncells; t++) {
    const perm = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const c = cellOf(j);
      const c2 = idx(cells[3 * c] + cells[3 * t], cells[3 * c + 1] + cells[3 * t + 1], cells[3 * c + 2] + cells[3 * t + 2]);
      perm[j] = c2 * nat + sc.prim[j];
      if (sc.prim[c2 * nat + sc.prim[j]] !== sc.prim[j]) throw new SschaError('supercellTranslations: the supercell is not in cell-major order');
    }
    translations.push(perm);
  }
  const home = idx(0, 0, 0);
  const primitiveRows: number[] = [];
  for (let kap = 0; kap < nat; kap++) for (let a = 0; a < 3; a++) primitiveRows.push(3 * (home * nat + kap) + a);
  return { translations, primitiveRows };
}

export interface HessianResult {
  /** H = Φ + Π (3N × 3N, eV/Å²), symmetrised with ASR. */
  hessian: Float64Array;
  pi: Float64Array;
  /** Averages at (R, Φ) on the ensemble used. */
  averages: Averages;
  /** Configurations of the ensemble and the time of the Hessian (ms). */
  nConfigs: number;
  timeMs: number;
  /** Estimator and whether Φ⁽³⁾ was symmetrised before the contraction. */
  estimator: 'unbiased' | 'biased';
  thirdOrderSymmetrized: boolean;
  /** H of the two halves of the ensemble (antithetic pairs kept together), with `splitHalf`. */
  halves?: [Float64Array, Float64Array];
}

export interface SschaHessianOptions {
  /** Default 'unbiased' (see src/sscha/hessian.ts). */
  estimator?: 'unbiased' | 'biased';
  /**
   * Symmetrise Φ⁽³⁾ over the space group and index permutations before the contraction: 'auto'
   * (default) when 3N ≤ MAX_SYMMETRIC_N3 and a symmetriser is given.
   */
  symmetrizeThirdOrder?: boolean | 'auto';
  /** Also the Hessians of the two halves (their spread is the stochastic error of H); needs ≥ 8 configurations. */
  splitHalf?: boolean;
  /** Apply the symmetriser + ASR to H (default true). */
  symmetrizeHessian?: boolean;
}

/**
 * Free-energy Hessian at (R, Φ, T) from an evaluated population (reweighted when it was drawn
 * elsewhere): static bubble (primitive rows + translations, or all rows with the symmetrised Φ⁽³⁾),
 * then symmetriser + ASR.
 */
export function sschaHessian(k: Kernels, pop: Population, sc: Supercell, symmetry: SschaSymmetry, R: ArrayLike<number>, phi: ArrayLike<number>, T: number, options: SschaHessianOptions = {}): HessianResult {
  const ws = new EnsembleWorkspace(k, pop, symmetry);
  try {
    const averages = ws.averages(R, phi, T);
    const { translations, primitiveRows } = supercellTranslations(sc);
    const sym = symmetry.symmetrizer;
    const nt = symmetry.nTranslations;
    const want = options.symmetrizeThirdOrder ?? 'auto';
    const sym3 = sym && (want === true || (want === 'auto' && ws.n3 <= MAX_SYMMETRIC_N3)) ? sym : undefined;
    const estimator = options.estimator ?? 'unbiased';
    const res = staticBubbleHessian(
      k,
      {
        n3: ws.n3, M: ws.m, omega: averages.omega, A: averages.amplitude, T,
        y: ws.buffer('Y').toArray(), df: ws.buffer('DF').toArray(), w: ws.buffer('W').toArray(), phi,
        primitiveRows, translations,
        ...(sym3 ? { Etilde: ws.etilde(), masses: pop.masses } : {}),
      },
      {
        estimator,
        thirdOrderSymmetry: sym3,
        // each half needs two units (antithetic pairs) for the unbiased estimators: skipped below 8 configurations
        splitHalf: options.splitHalf && pop.nConfigs >= 8 ? { nLowest: 1 } : undefined,
        symmetrize: sym && (options.symmetrizeHessian ?? true) ? (H) => sym.forceConstants(H, { asr: nt === 3 }) : undefined,
      },
    );
    return {
      hessian: res.hessian, pi: res.pi, averages, nConfigs: pop.nConfigs, timeMs: res.stats.timeMs,
      estimator, thirdOrderSymmetrized: sym3 !== undefined, halves: res.splitHalf?.hessians,
    };
  } finally {
    ws.free();
  }
}

/**
 * Split-half error of Hessian frequencies (cm⁻¹) at the commensurate q: per q and branch (ascending),
 * σ ≈ |ν_A − ν_B|/2 (each half has twice the variance of the whole: Var(ν_A − ν_B) = 4σ²). One
 * sample per branch, so an individual value is uncertain by ~75 %; the rms over a multiplet or a
 * branch family is the useful number.
 */
export function splitHalfFrequencyErrors(k: Kernels, unit: Structure, sc: Supercell, halves: [Float64Array, Float64Array], grid: readonly number[]): { q: number[]; err: number[] }[] {
  const a = phononSet(k, 'half A', unit, sc, halves[0], grid);
  const b = phononSet(k, 'half B', unit, sc, halves[1], grid);
  return a.grid.map((g, iq) => ({ q: g.q, err: g.cm.map((v, i) => Math.abs(v - b.grid[iq].cm[i]) / 2) }));
}

/** The q points commensurate with a diagonal supercell n1×n2×n3 (reduced coordinates m_k/n_k). */
export function commensurateQ(grid: readonly number[]): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < grid[0]; a++) for (let b = 0; b < grid[1]; b++) for (let c = 0; c < grid[2]; c++) out.push([a / grid[0], b / grid[1], c / grid[2]]);
  return out;
}

export interface PhononSet {
  label: string;
  /** The supercell matrix Φ this set comes from (eV/Å²). */
  dm: DynamicalMatrix;
  /** Signed wavenumbers (cm⁻¹, negative = imaginary) at every commensurate q, ascending per q. */
  grid: { q: number[]; cm: number[]; acoustic?: number[] }[];
  bands?: BandStructure;
}

/** Frequencies of a supercell matrix Φ of `unit` on `sc`: at the commensurate q and (optionally) along `path`. */
export function phononSet(k: Kernels, label: string, unit: Structure, sc: Supercell, phi: ArrayLike<number>, grid: readonly number[], path?: BandPath, pointsPerSegment = 31): PhononSet {
  const fc = ForceConstants.fromSupercellMatrix(unit, sc, phi);
  const dm = new DynamicalMatrix(k, fc);
  const g = commensurateQ(grid).map((q) => {
    const cm = Array.from(dm.wavenumbers(q));
    // at Γ: the 3 translations by their overlap with uniform translations (physics.md 4.2), not by value
    return q.every((x) => x === 0) ? { q, cm, acoustic: dm.acousticIndices(dm.eigen(q)) } : { q, cm };
  });
  return { label, dm, grid: g, bands: path ? bandStructure(dm, path, { pointsPerSegment }) : undefined };
}

const COLORS = ['#7f7f7f', '#1f4e9c', '#c0392b', '#2ca02c'];

/** Several dispersions (cm⁻¹) on one plot, one colour and one legend entry per set. */
export function dispersionSvg(sets: { label: string; bands: BandStructure; color?: string; dash?: string }[], options: { title?: string } = {}): string {
  const series: Series[] = [];
  sets.forEach((s, k) => {
    const bs = s.bands;
    let first = true;
    for (const seg of bs.segments) {
      const np = seg.distances.length;
      for (let b = 0; b < bs.nbands; b++) {
        const y = new Float64Array(np);
        for (let i = 0; i < np; i++) y[i] = seg.frequencies[i * bs.nbands + b] * THZ_TO_CM;
        series.push({ x: seg.distances, y, color: s.color ?? COLORS[k % COLORS.length], width: 1.3, dash: s.dash, label: first ? s.label : undefined });
        first = false;
      }
    }
  });
  const ticks = sets[0]?.bands.ticks ?? [];
  const last = ticks[ticks.length - 1]?.distance ?? 1;
  return linePlot({
    series,
    title: options.title,
    xRange: [0, last || 1],
    xLabel: 'wave vector (path through the Brillouin zone)',
    yLabel: 'wavenumber (cm⁻¹)',
    vLines: ticks.map((t) => ({ x: t.distance, label: t.label })),
    hLines: [{ y: 0, color: '#666', dash: '4 3' }],
  });
}

type HistoryRow = StepRecord & { populations?: number };

/** Free energy (meV/atom, with ±error) against the accepted step (all populations in sequence). */
export function freeEnergySvg(history: readonly HistoryRow[], natoms: number, options: { title?: string } = {}): string {
  const x = history.map((_, i) => i);
  const f = history.map((h) => (1000 * h.F) / natoms);
  const e = history.map((h) => (1000 * h.Ferr) / natoms);
  const starts = history.map((h, i) => ({ h, i })).filter(({ h }) => h.step === 0).map(({ h, i }) => ({ x: i, label: `pop ${h.population}` }));
  return linePlot({
    series: [
      { x, y: f, color: '#1f4e9c', width: 1.8, label: 'F (meV/atom)' },
      { x, y: f.map((v, i) => v + e[i]), color: '#9ab', width: 1, dash: '4 3', label: 'F ± error' },
      { x, y: f.map((v, i) => v - e[i]), color: '#9ab', width: 1, dash: '4 3' },
    ],
    title: options.title ?? 'SSCHA free energy',
    xLabel: 'accepted minimisation step (vertical lines: new population)',
    yLabel: 'F (meV/atom)',
    vLines: starts.map((s) => ({ x: s.x })),
    numericXTicks: true,
  });
}

/** |G|/err and |g_R|/err against the step, with the convergence line 0.2. */
export function gradientSvg(history: readonly HistoryRow[], options: { title?: string; factor?: number } = {}): string {
  const x = history.map((_, i) => i);
  const ratio = (a: number, b: number) => (b > 0 ? a / b : a > 0 ? NaN : 0);
  return linePlot({
    series: [
      { x, y: history.map((h) => ratio(h.GNorm, h.GNormErr)), color: '#c0392b', width: 1.6, label: '|G| / error' },
      { x, y: history.map((h) => ratio(h.gRNorm, h.gRNormErr)), color: '#2ca02c', width: 1.6, label: '|g_R| / error' },
      { x, y: history.map((h) => h.nEffRatio), color: '#7f7f7f', width: 1.2, dash: '5 3', label: 'N_eff / N' },
    ],
    title: options.title ?? 'SSCHA gradients (converged below the dashed line)',
    xLabel: 'accepted minimisation step (vertical lines: new population)',
    yLabel: 'ratio',
    yRange: [0, Math.max(1.2, ...history.map((h) => ratio(h.GNorm, h.GNormErr)).filter(Number.isFinite), ...history.map((h) => ratio(h.gRNorm, h.gRNormErr)).filter(Number.isFinite)) * 1.05],
    vLines: history.map((h, i) => ({ h, i })).filter(({ h }) => h.step === 0).map(({ i }) => ({ x: i })),
    hLines: [{ y: options.factor ?? 0.2, color: '#333', dash: '6 4' }],
    numericXTicks: true,
  });
}

const r10 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(12)) : null);
export const roundArray = (a: ArrayLike<number>) => Array.from(a, r10);
/** 3×3 row-major → nested rows. */
export const tensor3 = (t: ArrayLike<number>, scale = 1) => [0, 1, 2].map((a) => [0, 1, 2].map((b) => r10(t[3 * a + b] * scale)));

/** Pressure tensor (GPa) with errors from averages (null without engine stresses); ionic part separately. */
export function pressureReport(a: Averages) {
  const p = a.pressure, pe = a.pressureErr;
  return {
    tensor: p ? tensor3(p, EV_A3_TO_GPA) : null,
    error: pe ? tensor3(pe, EV_A3_TO_GPA) : null,
    pressure: p ? r10(((p[0] + p[4] + p[8]) / 3) * EV_A3_TO_GPA) : null,
    pressureErr: pe ? r10((hypot3(pe[0], pe[4], pe[8]) / 3) * EV_A3_TO_GPA) : null,
    ionic: tensor3(a.ionicPressure, EV_A3_TO_GPA),
    ionicError: tensor3(a.ionicPressureErr, EV_A3_TO_GPA),
  };
}

/** The frequencies of a PhononSet for the JSON result. */
export function phononSetReport(s: PhononSet) {
  return {
    label: s.label,
    commensurate: s.grid.map((g) => ({ q: g.q.map(r10), wavenumbers: roundArray(g.cm), ...(g.acoustic ? { acoustic: g.acoustic } : {}) })),
    bands: s.bands
      ? {
          ticks: s.bands.ticks.map((t) => ({ distance: r10(t.distance), label: t.label })),
          segments: s.bands.segments.map((seg) => ({
            from: seg.from, to: seg.to, distances: roundArray(seg.distances),
            wavenumbers: roundArray(seg.frequencies.map((f) => f * THZ_TO_CM)),
          })),
        }
      : undefined,
  };
}

/** Lowest wavenumber of a set (cm⁻¹) over the commensurate q, the 3 translations at Γ excluded. */
export function lowestWavenumber(s: PhononSet): number {
  let m = Infinity;
  for (const g of s.grid) g.cm.forEach((v, i) => {
    if (!g.acoustic?.includes(i)) m = Math.min(m, v);
  });
  return m;
}

/**
 * A supercell matrix Φ (eV/Å², e.g. the SSCHA auxiliary Φ or the Hessian) of `unit` on `sc` as the
 * texts of a Quantum ESPRESSO dynamical-matrix set (src/io/qe-dyn.ts: ibrav 0, one file per {q, −q},
 * Φ(q) in Ry/bohr² with 16 significant digits, diagonalisation section included): `index` is
 * PREFIX0 and files[k] is PREFIX(k+1). The set needs a diagonal supercell (its q grid); otherwise
 * the result is `{ skipped: reason }`.
 */
export function qeDynTexts(k: Kernels, unit: Structure, sc: Supercell, phi: ArrayLike<number>, title: string): { index: string; files: string[]; grid: [number, number, number] } | { skipped: string } {
  const fc = ForceConstants.fromSupercellMatrix(unit, sc, phi);
  let grid: [number, number, number];
  try {
    grid = fc.grid;
  } catch (e) {
    if (e instanceof StructureError) return { skipped: `not written: a QE dynamical-matrix set needs a diagonal supercell (a q grid); ${e.message}` };
    throw e;
  }
  const t = writeQeDynSet(dynSetFromRealSpace(fc, { title }), k);
  return { ...t, grid };
}
