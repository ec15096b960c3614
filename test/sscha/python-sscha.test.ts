// Agreement with python-sscha (the oracle runs of test/fixtures/sscha, README there): the rock-salt
// "HS" bond-network crystal on python-sscha's own 2×2×2 supercell (same atom order, checked), the same
// bond network (our JSON potential, built on the cubic reference supercell), the same starting Φ
// (the stored analytic harmonic force constants), T = 0 K, 300 K and a strained cell at 300 K.
//
// Protocol. python-sscha's numbers come from ONE stochastic run: populations of 4000 configurations
// until convergence, then a fresh ensemble of 16000 configurations at the final (R, Φ) for F and the
// static-bubble Hessian. python-sscha reports no frequency errors, so the noise of that protocol is
// measured here: we repeat the same protocol (4000 per population, fresh 16000 at the converged point,
// Hessian with primitive rows + supercell translations, Symmetrizer.forceConstants + ASR) with K
// independent seeds. Per frequency, σ_run = the sample standard deviation over the K runs is the noise
// of ONE run of the protocol — ours, and (same ensemble sizes, same estimator) the best available
// estimate of python-sscha's. Our mean has error σ_run/√K, so the comparison uses
//     |ν̄_ours − ν_py| ≤ max(0.5 cm⁻¹, 3·σ_run·√(1 + 1/K)).
// Free energies: the mean over the K fresh ensembles (error: spread/√K) against python's fresh F
// (its quoted error), within 3 combined σ; and, sharper, our F functional evaluated AT python's final Φ
// with a fresh ensemble of the same size (no minimisation noise at all) against python's fresh F.
//
// Hessian. The plug-in contraction of the raw ensemble estimate, Π = Σ ℓ Φ⁽³⁾Φ⁽³⁾, is biased: the
// noise of Φ⁽³⁾ enters squared and, ℓ ≤ 0, softens the modes by ∝ M²/N_c (1–1.6 cm⁻¹ here at 16000
// configurations, up to 30 % of the bubble shift). The production staticBubbleHessian (primitive rows +
// supercell translations, Symmetrizer.forceConstants with ASR, via report.ts sschaHessian) uses the
// unbiased U-statistic over distinct antithetic pairs (src/sscha/hessian.ts); it is the one compared
// with python-sscha. As an independent check, this file builds the unbiased independent-halves estimator
// Π_ab = ½ Σ_μν ℓ_μν (Φ⁽³⁾A_aμν Φ⁽³⁾B_bμν + Φ⁽³⁾B_aμν Φ⁽³⁾A_bμν) (halves A, B of the same ensemble,
// antithetic pairs kept together; from thirdOrderMixed + sschaLMatrix, all rows, same symmetrisation)
// and requires the production function to agree with it on the same ensembles.
//
// Constants: the fixture is in eV/Å/amu with CellConstructor's own conversion constants (exact round
// trip, README). The one physical constant that differs is k_B: python-sscha samples, weights and
// builds Υ with K_to_Ry = 6.336857346553283e-6 Ry/K (= 8.62173e-5 eV/K, 0.05 % above CODATA), so its
// ensembles live at our T·k_B,py/k_B (300 K → 300.15 K; 0 K stays 0): we run at that temperature.
// Its harmonic free energy F_0 (Phonons.GetHarmonicFreeEnergy) uses CellConstructor's K_B =
// 8.61733034e-5 eV/K (CODATA to 3e-7) at the nominal T, so our F is compared after the same
// substitution F_0(Φ, T_eff) → F_0(Φ, T) (≈ 1e-5 eV/cell at 300 K, 0.1 σ). ħ differs by 4e-10.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BondNetworkCalculator } from '../../src/calculators/bond-network.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { computeForceConstants } from '../../src/phonons/force-constants.js';
import { KB } from '../../src/phonons/units.js';
import { EnsembleWorkspace, auxiliaryModes, evaluatePopulation, runSscha, runSschaVariableCell, samplePopulation, type Population, type SschaSymmetry, type VariableCellResult } from '../../src/sscha/index.js';
import { sschaLMatrix, thirdOrderMixed } from '../../src/sscha/hessian.js';
import { phononSet, sschaHessian } from '../../src/sscha/report.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell, type Supercell } from '../../src/structure/supercell.js';
import { analyzeSymmetry } from '../../src/symmetry/analyze.js';
import { supercellOperations } from '../../src/symmetry/operations.js';
import { Symmetrizer } from '../../src/symmetry/symmetrize.js';
import type { Kernels } from '../../src/wasm/kernels.js';

/** python-sscha's k_B: K_to_Ry (Ry/K) × CellConstructor's RY_TO_EV. */
const KB_PY = 6.336857346553283e-6 * 13.605693012183622;
/** Independent repetitions of python-sscha's protocol, its population and final-ensemble sizes. */
const K_RUNS = 8;
const N_POP = 4000;
const N_FRESH = 16000;
/** Population index (= RNG stream) of the fresh ensembles, away from the SSCHA populations 0, 1, 2, … */
const FRESH_STREAM = 1000;
const TARGET_CM = 0.5;
/**
 * Family-wise threshold for the per-value comparisons. σ_run is estimated from K_RUNS = 8 runs (Student t
 * with 7 degrees of freedom) and up to ~45 frequencies are compared per case, so a per-value 3σ rule
 * would flag one value in ~8 cases by chance. Bonferroni at 1 % family-wise: t₇ quantile at
 * 1 − 0.01/(2·45) = 6.94 (scipy.stats.t.ppf). Systematic disagreement is caught by the rms of z below.
 */
const Z_MAX = 6.94;
/**
 * rms of z over all compared values; for t₇-distributed z its expectation is √(7/5) = 1.18. Measured
 * (symmetrised Φ⁽³⁾): 0 K 1.38, strained 300 K 1.10, 300 K 1.86 (auxiliary) / 1.80 (Hessian). The same-
 * ensemble comparison (python-sscha-same-ensemble.test.ts) shows that the estimators and conventions agree
 * to ≤ 1e-3 cm⁻¹, so the excess is in the protocol: python's final Φ has ‖G‖ = 3.7–4.6 err on a fresh
 * ensemble (docs/sscha.md, "Measured against python-sscha"). Bound 2.5: it still fails on any
 * branch-wide offset of ~2.5σ.
 */
const RMS_Z_MAX = 2.5;

interface FreqEntry {
  q_frac: number[];
  freq_cm: number[];
}

interface Fixture {
  inputs: {
    unit_cell: { cell: number[][]; species: string[]; frac: number[][]; masses_amu: Record<string, number> };
    bond_reference_cell: number[][];
    potential: unknown;
    supercell: number[];
    supercell_structure: { cell: number[][]; species: string[]; cartesian: number[][] };
    temperature_K: number;
    n_configs_per_population: number;
    n_configs_hessian: number;
  };
  harmonic: { free_energy_eV_per_cell: number; frequencies: FreqEntry[]; supercell_fc_eV_A2: number[][] };
  sscha: {
    free_energy_eV_per_cell: number;
    free_energy_err_eV_per_cell: number;
    free_energy_fresh_ensemble_eV_per_cell: number;
    free_energy_fresh_ensemble_err_eV_per_cell: number;
    auxiliary_frequencies: FreqEntry[];
    supercell_fc_eV_A2: number[][];
    supercell_structure: { cell: number[][]; species: string[]; cartesian: number[][] };
  };
  hessian: { frequencies: FreqEntry[] };
}

function load(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/sscha/${name}`, import.meta.url), 'utf8')) as Fixture;
}

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
});

interface Setup {
  fx: Fixture;
  unit: Structure;
  sc: Supercell;
  symmetry: SschaSymmetry;
  calc: BondNetworkCalculator;
  T: number;
  ncells: number;
  phiHarm: Float64Array;
  phiPy: Float64Array;
}

/** Our supercell in python-sscha's atom order (asserted), symmetry, the bond network on the reference cell. */
async function setup(file: string): Promise<Setup> {
  const fx = load(file);
  const uc = fx.inputs.unit_cell;
  const masses = uc.species.map((s) => uc.masses_amu[s]);
  const unit = new Structure({ cell: uc.cell.flat(), species: uc.species, frac: uc.frac.flat(), masses });
  const refUnit = new Structure({ cell: fx.inputs.bond_reference_cell.flat(), species: uc.species, frac: uc.frac.flat(), masses });
  const sc = makeSupercell(unit, fx.inputs.supercell);
  const ref = makeSupercell(refUnit, fx.inputs.supercell);
  // same atom order as python-sscha's supercell: position by position, modulo supercell lattice vectors
  for (const s of [fx.inputs.supercell_structure, fx.sscha.supercell_structure]) {
    const py = new Structure({ cell: s.cell.flat(), species: s.species, cartesian: s.cartesian.flat() });
    expect(py.species).toEqual(sc.structure.species);
    let worst = 0;
    for (let i = 0; i < py.natoms; i++)
      for (let a = 0; a < 3; a++) {
        const d = py.frac[3 * i + a] - sc.structure.frac[3 * i + a];
        worst = Math.max(worst, Math.abs(d - Math.round(d)));
      }
    expect(worst).toBeLessThan(1e-9);
  }
  const ds = analyzeSymmetry(unit);
  const ops = supercellOperations(sc.structure, ds.operations, Array.from(sc.matrix), ds.mapTolerance);
  const symmetry: SschaSymmetry = { symmetrizer: new Symmetrizer(sc.structure.cell, ops), nTranslations: 3 };
  const calc = new BondNetworkCalculator(k, fx.inputs.potential as never, ref.structure);
  return {
    fx, unit, sc, symmetry, calc, ncells: sc.ncells,
    T: fx.inputs.temperature_K * (KB_PY / KB),
    phiHarm: Float64Array.from(fx.harmonic.supercell_fc_eV_A2.flat()),
    phiPy: Float64Array.from(fx.sscha.supercell_fc_eV_A2.flat()),
  };
}

/** Frequencies (cm⁻¹, ascending) of a supercell matrix at every commensurate q, in the fixture's q order. */
function frequencies(s: Setup, phi: ArrayLike<number>, entries: FreqEntry[]): number[][] {
  const set = phononSet(k, 'x', s.unit, s.sc, phi, s.fx.inputs.supercell);
  return entries.map((e) => {
    const g = set.grid.find((x) => x.q.every((v, a) => Math.abs(v - e.q_frac[a] - Math.round(v - e.q_frac[a])) < 1e-8));
    if (!g) throw new Error(`q = ${e.q_frac} is not commensurate with the supercell`);
    return g.cm;
  });
}

/**
 * F_0(Φ, T) − F_0(Φ, T_eff) per cell: python-sscha's F_0 uses CellConstructor's K_B at the nominal T
 * while its ensembles (hence ⟨δV⟩ and Φ) live at T_eff (see the header).
 */
function pyConvention(s: Setup, phi: ArrayLike<number>): number {
  const m = s.sc.structure.masses;
  return (auxiliaryModes(k, phi, m, s.fx.inputs.temperature_K).F0 - auxiliaryModes(k, phi, m, s.T).F0) / s.ncells;
}

/**
 * Static-bubble Hessian with the unbiased independent-halves estimator (see the header), all rows,
 * then the space group + supercell translations and ASR (Symmetrizer.forceConstants).
 */
function crossHalfHessian(s: Setup, pop: Population, R: Float64Array, phi: Float64Array): Float64Array {
  const ws = new EnsembleWorkspace(k, pop, s.symmetry);
  try {
    const a = ws.averages(R, phi, s.T);
    const y = ws.buffer('Y').toArray(), df = ws.buffer('DF').toArray(), w = ws.buffer('W').toArray();
    const M = a.omega.length, n3 = R.length, nc = pop.nConfigs, half = 2 * Math.floor(nc / 4);
    const rows = Array.from({ length: n3 }, (_, i) => i);
    const part = (lo: number, hi: number) => thirdOrderMixed(k, {
      n3, M, omega: a.omega, A: a.amplitude, T: s.T, phi,
      y: y.subarray(lo * M, hi * M), df: df.subarray(lo * n3, hi * n3), w: w.subarray(lo, hi),
    }, rows);
    const tA = part(0, half), tB = part(half, nc);
    const L = sschaLMatrix(a.omega, s.T);
    const MM = M * M;
    const H = new Float64Array(n3 * n3);
    for (let p = 0; p < n3; p++)
      for (let q = p; q < n3; q++) {
        let acc = 0;
        for (let m = 0; m < MM; m++) acc += L[m] * (tA[p * MM + m] * tB[q * MM + m] + tB[p * MM + m] * tA[q * MM + m]);
        H[p * n3 + q] = phi[p * n3 + q] + 0.5 * acc;
        H[q * n3 + p] = phi[q * n3 + p] + 0.5 * acc;
      }
    return s.symmetry.symmetrizer!.forceConstants(H, { asr: true });
  } finally {
    ws.free();
  }
}

const isGamma = (e: FreqEntry) => e.q_frac.every((x) => Math.abs(x) < 1e-8);

interface RunResult {
  F: number;
  Ferr: number;
  populations: number;
  aux: number[][];
  /** Hessian frequencies: the test's own independent-halves estimator, and the production staticBubbleHessian. */
  hessHalves: number[][];
  hessProduction: number[][];
  /** runSscha's own frequency error bars (cm⁻¹), for calibration. */
  auxErrReported: Float64Array;
  phi: Float64Array;
  R: Float64Array;
}

/** One repetition of python-sscha's protocol with our code. */
async function protocol(s: Setup, seed: number): Promise<RunResult> {
  const res = await runSscha({
    kernels: k, calculator: s.calc, supercell: s.sc, symmetry: s.symmetry.symmetrizer, phi0: s.phiHarm, T: s.T,
    nConfigs: N_POP, seed, maxPopulations: 12, stress: false,
  });
  expect(res.converged).toBe(true);
  const fresh = samplePopulation(k, { structure: s.sc.structure, centroids: res.R, phi: res.phi, temperature: s.T, nConfigs: N_FRESH, seed, index: FRESH_STREAM });
  await evaluatePopulation(fresh, s.calc, s.sc.structure, { stress: false });
  const h = sschaHessian(k, fresh, s.sc, s.symmetry, res.R, res.phi, s.T);
  expect(h.averages.atGenerating).toBe(true);
  return {
    F: h.averages.F / s.ncells + pyConvention(s, res.phi),
    Ferr: h.averages.Ferr / s.ncells,
    populations: res.populations.length,
    aux: frequencies(s, res.phi, s.fx.sscha.auxiliary_frequencies),
    hessHalves: frequencies(s, crossHalfHessian(s, fresh, res.R, res.phi), s.fx.hessian.frequencies),
    hessProduction: frequencies(s, h.hessian, s.fx.hessian.frequencies),
    auxErrReported: res.frequencyErrCm,
    phi: res.phi,
    R: res.R,
  };
}

interface Comparison {
  maxAbs: number;
  maxSigma: number;
  rmsSigma: number;
  maxSigmaRun: number;
  minSigmaRun: number;
  worst: string;
  failures: string[];
}

/**
 * Compare the mean of our K runs with python's frequencies, branch by branch (acoustic Γ skipped).
 * σ_run per value from the spread of the K runs; combined = σ_run·√(1 + 1/K).
 */
function compare(runs: number[][][], py: FreqEntry[]): Comparison {
  const K = runs.length;
  const out: Comparison = { maxAbs: 0, maxSigma: 0, rmsSigma: 0, maxSigmaRun: 0, minSigmaRun: Infinity, worst: '', failures: [] };
  let sumZ2 = 0;
  let count = 0;
  py.forEach((e, iq) => {
    e.freq_cm.forEach((nuPy, b) => {
      if (isGamma(e) && b < 3) return;
      const v = runs.map((r) => r[iq][b]);
      const mean = v.reduce((x, y) => x + y, 0) / K;
      const sd = Math.sqrt(v.reduce((x, y) => x + (y - mean) ** 2, 0) / (K - 1));
      const comb = sd * Math.sqrt(1 + 1 / K);
      const d = mean - nuPy;
      out.maxSigmaRun = Math.max(out.maxSigmaRun, sd);
      out.minSigmaRun = Math.min(out.minSigmaRun, sd);
      if (Math.abs(d) > out.maxAbs) {
        out.maxAbs = Math.abs(d);
        out.worst = `q = (${e.q_frac.join(', ')}) branch ${b}: ours ${mean.toFixed(2)} ± ${(sd / Math.sqrt(K)).toFixed(2)} (σ_run ${sd.toFixed(2)}), python ${nuPy.toFixed(2)}`;
      }
      const z = Math.abs(d) <= TARGET_CM ? 0 : Math.abs(d) / comb;
      out.maxSigma = Math.max(out.maxSigma, z);
      sumZ2 += z * z;
      count++;
      if (Math.abs(d) > Math.max(TARGET_CM, Z_MAX * comb)) {
        out.failures.push(`q = (${e.q_frac.join(', ')}) branch ${b}: Δν = ${d.toFixed(2)} cm⁻¹, ${Z_MAX}σ = ${(Z_MAX * comb).toFixed(2)}`);
      }
    });
  });
  out.rmsSigma = Math.sqrt(sumZ2 / Math.max(1, count));
  if (out.rmsSigma > RMS_Z_MAX) out.failures.push(`rms of Δν/σ over ${count} values = ${out.rmsSigma.toFixed(2)} > ${RMS_Z_MAX}`);
  return out;
}

function describeComparison(label: string, c: Comparison): string {
  const vs = c.maxAbs <= TARGET_CM ? `within the ${TARGET_CM} cm⁻¹ target` : `${(c.maxAbs / TARGET_CM).toFixed(1)}× the ${TARGET_CM} cm⁻¹ target`;
  return `${label}: max |Δν| = ${c.maxAbs.toFixed(2)} cm⁻¹ (${vs}; max ${c.maxSigma.toFixed(2)}, rms ${c.rmsSigma.toFixed(2)} combined σ) at ${c.worst}; σ_run ${c.minSigmaRun.toFixed(2)}–${c.maxSigmaRun.toFixed(2)} cm⁻¹`;
}

const CASES = [
  { file: 'rs-hs-0K.json', label: 'T = 0 K', seed: 101 },
  { file: 'rs-hs-300K.json', label: 'T = 300 K', seed: 201 },
  { file: 'rs-hs-strained-300K.json', label: 'strained, T = 300 K', seed: 301 },
];

describe.each(CASES)('python-sscha agreement: rock-salt HS 2×2×2, $label', ({ file, label, seed }) => {
  let s: Setup;
  let runs: RunResult[];
  let t0: number;
  beforeAll(async () => {
    t0 = performance.now();
    s = await setup(file);
    runs = [];
    for (let r = 0; r < K_RUNS; r++) runs.push(await protocol(s, seed + r));
  });

  it('inputs: supercell order, harmonic start (F_0 with python-sscha constants, finite differences vs analytic Φ)', async () => {
    expect(s.fx.inputs.n_configs_per_population).toBe(N_POP);
    expect(s.fx.inputs.n_configs_hessian).toBe(N_FRESH);
    // F_0 of the stored harmonic Φ at python's k_B·T reproduces python's harmonic free energy
    const m = auxiliaryModes(k, s.phiHarm, s.sc.structure.masses, s.fx.inputs.temperature_K);
    const F0 = m.F0 / s.ncells;
    expect(Math.abs(F0 - s.fx.harmonic.free_energy_eV_per_cell)).toBeLessThan(1e-7);
    expect(Math.abs(pyConvention(s, s.phiHarm))).toBeLessThan(2e-5);
    // our finite-difference force constants of the same network give the same harmonic frequencies
    const fc = await computeForceConstants(s.calc, s.unit, s.fx.inputs.supercell);
    const ours = frequencies(s, fc.phi, s.fx.harmonic.frequencies);
    const py = frequencies(s, s.phiHarm, s.fx.harmonic.frequencies);
    let worst = 0;
    s.fx.harmonic.frequencies.forEach((e, iq) => e.freq_cm.forEach((v, b) => {
      worst = Math.max(worst, Math.abs(py[iq][b] - v));
    }));
    expect(worst).toBeLessThan(1e-3); // the stored Φ is python's harmonic dynamical matrix
    let fd = 0;
    ours.forEach((row, iq) => row.forEach((v, b) => (fd = Math.max(fd, Math.abs(v - py[iq][b])))));
    console.log(`${label}: F_0(harmonic) ${F0.toFixed(7)} vs python ${s.fx.harmonic.free_energy_eV_per_cell.toFixed(7)} eV/cell; finite-difference vs analytic harmonic frequencies max ${fd.toFixed(3)} cm⁻¹`);
    expect(fd).toBeLessThan(2);
  });

  it('F functional at python-sscha’s final Φ agrees with python’s fresh-ensemble F (3σ)', async () => {
    const R = s.sc.structure.cartesian();
    const pop = samplePopulation(k, { structure: s.sc.structure, centroids: R, phi: s.phiPy, temperature: s.T, nConfigs: N_FRESH, seed: seed + 77, index: FRESH_STREAM });
    await evaluatePopulation(pop, s.calc, s.sc.structure, { stress: false });
    const ws = new EnsembleWorkspace(k, pop, s.symmetry);
    const a = ws.averages(R, s.phiPy, s.T);
    ws.free();
    const F = a.F / s.ncells + pyConvention(s, s.phiPy), Ferr = a.Ferr / s.ncells;
    const Fpy = s.fx.sscha.free_energy_fresh_ensemble_eV_per_cell, FpyErr = s.fx.sscha.free_energy_fresh_ensemble_err_eV_per_cell;
    const comb = Math.hypot(Ferr, FpyErr);
    // the gradient there, as the frequency change of one self-consistent step Φ → ⟨∂²V⟩ = Φ − G
    const next = s.phiPy.map((x, i) => x - a.G[i]);
    const before = frequencies(s, s.phiPy, s.fx.sscha.auxiliary_frequencies);
    const after = frequencies(s, next, s.fx.sscha.auxiliary_frequencies);
    let shift = 0;
    before.forEach((row, iq) => row.forEach((v, b) => (shift = Math.max(shift, Math.abs(after[iq][b] - v)))));
    console.log(
      `${label}: at python's Φ: F = ${F.toFixed(6)} ± ${Ferr.toExponential(2)} vs python ${Fpy.toFixed(6)} ± ${FpyErr.toExponential(2)} eV/cell ` +
        `(${((F - Fpy) / comb).toFixed(2)} σ); one self-consistent step from python's Φ moves the frequencies by at most ${shift.toFixed(2)} cm⁻¹ ` +
        `(|G| = ${a.GNorm.toExponential(2)} ± ${a.GNormErr.toExponential(2)} eV/Å²)`,
    );
    expect(Math.abs(F - Fpy)).toBeLessThan(3 * comb);
  });

  it('converged F agrees with python-sscha’s within 3 combined σ', () => {
    const K = runs.length;
    const Fs = runs.map((r) => r.F);
    const mean = Fs.reduce((a, b) => a + b, 0) / K;
    const sd = Math.sqrt(Fs.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1));
    const quoted = runs.reduce((a, r) => a + r.Ferr, 0) / K;
    const err = sd / Math.sqrt(K);
    const Fpy = s.fx.sscha.free_energy_fresh_ensemble_eV_per_cell, FpyErr = s.fx.sscha.free_energy_fresh_ensemble_err_eV_per_cell;
    const comb = Math.hypot(err, FpyErr);
    console.log(
      `${label}: ${K} runs (${runs.map((r) => r.populations).join('/')} populations of ${N_POP}, fresh ${N_FRESH}) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ` +
        `F = ${mean.toFixed(6)} ± ${err.toExponential(2)} eV/cell (spread of one run ${sd.toExponential(2)}, quoted error of one run ${quoted.toExponential(2)}); ` +
        `python ${Fpy.toFixed(6)} ± ${FpyErr.toExponential(2)}: ΔF = ${((mean - Fpy) * 1000).toFixed(3)} meV/cell = ${((mean - Fpy) / comb).toFixed(2)} σ`,
    );
    expect(Math.abs(mean - Fpy)).toBeLessThan(3 * comb);
    // the quoted per-run error is honest (the spread of 8 runs is itself uncertain by ~25 %)
    expect(sd / quoted).toBeLessThan(2);
    expect(sd / quoted).toBeGreaterThan(0.4);
  });

  it('auxiliary frequencies at every commensurate q agree (|Δν| ≤ max(0.5 cm⁻¹, family-wise bound); rms of Δν/σ ≤ 2.5)', () => {
    const c = compare(runs.map((r) => r.aux), s.fx.sscha.auxiliary_frequencies);
    const reported = Math.max(...runs.map((r) => Math.max(...r.auxErrReported)));
    console.log(`${describeComparison(`${label} auxiliary`, c)}; runSscha's own frequencyErrCm ≤ ${reported.toFixed(2)} cm⁻¹`);
    expect(c.failures).toEqual([]);
  });

  it('static-bubble Hessian frequencies (production staticBubbleHessian) at every commensurate q agree (|Δν| ≤ max(0.5 cm⁻¹, family-wise bound); rms of Δν/σ ≤ 2.5)', () => {
    const c = compare(runs.map((r) => r.hessProduction), s.fx.hessian.frequencies);
    console.log(describeComparison(`${label} Hessian`, c));
    expect(c.failures).toEqual([]);
  });

  it('bubble shifts ν_Hessian − ν_auxiliary agree (the Φ noise cancels: a sharp test of the Hessian)', () => {
    const shifts = (hess: number[][], aux: number[][]) => hess.map((row, iq) => row.map((v, b) => v - aux[iq][b]));
    const py: FreqEntry[] = s.fx.hessian.frequencies.map((e, iq) => ({
      q_frac: e.q_frac, freq_cm: e.freq_cm.map((v, b) => v - s.fx.sscha.auxiliary_frequencies[iq].freq_cm[b]),
    }));
    const c = compare(runs.map((r) => shifts(r.hessProduction, r.aux)), py);
    console.log(describeComparison(`${label} bubble shift (production)`, c));
    expect(c.failures).toEqual([]);
    // the independent-halves estimator gives the same shifts
    const ch = compare(runs.map((r) => shifts(r.hessHalves, r.aux)), py);
    console.log(describeComparison(`${label} bubble shift (independent halves)`, ch));
    expect(ch.failures).toEqual([]);
  });

  // Was `it.fails` while staticBubbleHessian contracted the raw Φ⁽³⁾ with itself (−1.0 to −1.6 cm⁻¹,
  // ≈ 30 standard errors here); the production estimator is now the unbiased U-statistic.
  it('production staticBubbleHessian agrees with the independent-halves unbiased estimator on the same ensembles (no bias)', () => {
    const K = runs.length;
    let worst = 0, worstSe = 0, worstAt = '';
    s.fx.hessian.frequencies.forEach((e, iq) => e.freq_cm.forEach((_, b) => {
      if (isGamma(e) && b < 3) return;
      const d = runs.map((r) => r.hessProduction[iq][b] - r.hessHalves[iq][b]);
      const mean = d.reduce((x, y) => x + y, 0) / K;
      const se = Math.sqrt(d.reduce((x, y) => x + (y - mean) ** 2, 0) / (K - 1) / K);
      if (Math.abs(mean) / Math.max(se, 1e-3) > Math.abs(worst) / Math.max(worstSe, 1e-3)) {
        worst = mean;
        worstSe = se;
        worstAt = `q = (${e.q_frac.join(', ')}) branch ${b}`;
      }
    }));
    console.log(`${label}: production staticBubbleHessian − independent-halves estimator (${N_FRESH} configurations): worst ${worst.toFixed(2)} ± ${worstSe.toFixed(2)} cm⁻¹ at ${worstAt}`);
    // Worst of ~45 t-scores with 7 degrees of freedom: the family-wise bound Z_MAX (the old biased
    // estimator sat 25–30 standard errors away, far outside it).
    expect(Math.abs(worst)).toBeLessThan(Z_MAX * worstSe + 0.1);
  });
});

// Variable cell (rs-hs-vc-300K.json): python-sscha's NPT relaxation (vc_relax, target P = 0, 300 K,
// static_bulk_modulus = B_static = 747.7 GPa) from the cubic reference cell; it converged after 6
// populations of 4000 at V = 6.8157 Å³/cell (+0.97 %: the ionic pressure expands the cell), final
// P = −0.041 ± 0.051 GPa; its volume error (README) is V·err(P)/B_static = 0.00046 Å³/cell. We run
// runSschaVariableCell on the same problem (same start cell, supercell, start Φ, bond network on the
// cubic reference, T scaled for python's k_B, P₀ = 0, 4000 per population, bulk-modulus guess =
// python's B_static) with K_RUNS independent seeds (≈ 0.5 s each: 3–5 populations). Checks, per run:
// V per cell within ONE combined error (ours: the reported volumeErr = Ω·err(p)/B) of python's, G = F
// per cell (P₀ = 0; same k_B substitution as above) within 3 combined σ of python's fresh-ensemble F,
// every P_αβ within its error of 0; and the mean G over the runs within 3 combined σ.
// Honesty of the volume error: with the pressure error of one tensor component (before the
// symmetrised-tensor error, docs/sscha.md) the spread of V over 24 seeds was ≈ 0.3 × the reported
// error (sd 1.2e-4 vs 4.0e-4 Å³/cell). The test asserts that the reported error is not too small;
// python's P error (0.051 GPa) is of the one-component kind.
const VC_SEEDS = Array.from({ length: K_RUNS }, (_, i) => 401 + i);

describe('python-sscha agreement: rock-salt HS 2×2×2, variable cell at P = 0, T = 300 K', () => {
  interface VcFixture {
    variable_cell: {
      target_pressure_GPa: number;
      static_bulk_modulus_GPa: number;
      converged: boolean;
      final_volume_A3_per_cell: number;
      reference_volume_A3_per_cell: number;
      final_pressure_GPa: number;
      final_pressure_err_GPa: number;
      volume_err_A3_estimate: number;
    };
  }
  let s: Setup;
  let vc: VcFixture['variable_cell'];
  let runs: VariableCellResult[];
  let t0: number;
  const stats = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, sd: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) };
  };
  beforeAll(async () => {
    t0 = performance.now();
    s = await setup('rs-hs-vc-300K.json');
    vc = (s.fx as unknown as VcFixture).variable_cell;
    runs = [];
    for (const seed of VC_SEEDS) {
      runs.push(await runSschaVariableCell({
        kernels: k, calculator: s.calc, supercell: s.sc, symmetry: s.symmetry.symmetrizer, phi0: s.phiHarm, T: s.T,
        pressure: vc.target_pressure_GPa, bulkModulus: vc.static_bulk_modulus_GPa, nConfigs: N_POP, seed, maxPopulations: 12,
      }));
    }
  });

  it('final volume (1 combined σ), G (3σ) and pressure (within its error of 0) agree with python-sscha; the volume error is not too small', () => {
    expect(s.fx.inputs.n_configs_per_population).toBe(N_POP);
    expect(vc.target_pressure_GPa).toBe(0);
    expect(vc.converged).toBe(true);
    const Vpy = vc.final_volume_A3_per_cell, VpyErr = vc.volume_err_A3_estimate;
    const Fpy = s.fx.sscha.free_energy_fresh_ensemble_eV_per_cell, FpyErr = s.fx.sscha.free_energy_fresh_ensemble_err_eV_per_cell;
    const G = runs.map((r) => r.GperCell + pyConvention(s, r.phi));
    for (const [i, r] of runs.entries()) {
      const V = r.volumePerCell, Verr = r.volumeErr / s.ncells, Gerr = r.GperCellErr;
      const zV = (V - Vpy) / Math.hypot(Verr, VpyErr);
      const zG = (G[i] - Fpy) / Math.hypot(Gerr, FpyErr);
      console.log(
        `vc seed ${VC_SEEDS[i]}: ${r.populations.length} populations (${r.reason}); V = ${V.toFixed(5)} ± ${Verr.toFixed(5)} Å³/cell vs python ${Vpy.toFixed(5)} ± ${VpyErr.toFixed(5)} ` +
          `(${zV.toFixed(2)} σ); P = ${r.pressureScalar.toFixed(4)} ± ${r.pressureScalarErr.toFixed(4)} GPa; G = F = ${G[i].toFixed(6)} ± ${Gerr.toExponential(2)} eV/cell vs python ` +
          `${Fpy.toFixed(6)} ± ${FpyErr.toExponential(2)} (${zG.toFixed(2)} σ); B = ${r.bulkModulus.toFixed(1)} GPa (${r.bulkModulusSource}); ` +
          `V history ${r.cellHistory.map((h) => (h.volume / s.ncells).toFixed(4)).join(' → ')}`,
      );
      expect(r.converged).toBe(true);
      expect(r.cellMode).toBe('full');
      expect(Math.abs(zV)).toBeLessThanOrEqual(1);
      expect(Math.abs(zG)).toBeLessThan(3);
      expect(r.G).toBe(r.F); // P₀ = 0
      for (let c = 0; c < 9; c++) expect(Math.abs(r.pressure[c])).toBeLessThanOrEqual(r.pressureErr[c]);
      // the cell stays cubic (python's final cell too): fcc rows [0,a,a], [a,0,a], [a,a,0]
      const u = r.unitCell!;
      for (const c of [0, 4, 8]) expect(Math.abs(u[c])).toBeLessThan(1e-12);
      for (const c of [1, 2, 3, 5, 6, 7]) expect(u[c]).toBeCloseTo(u[1], 12);
    }
    const K = runs.length;
    const v = stats(runs.map((r) => r.volumePerCell));
    const g = stats(G);
    const p = stats(runs.map((r) => r.pressureScalar));
    const Verr = runs.reduce((a, r) => a + r.volumeErr / s.ncells, 0) / K;
    const Perr = runs.reduce((a, r) => a + r.pressureScalarErr, 0) / K;
    const zGmean = (g.mean - Fpy) / Math.hypot(g.sd / Math.sqrt(K), FpyErr);
    console.log(
      `vc: ${K} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s; V = ${v.mean.toFixed(5)} ± ${(v.sd / Math.sqrt(K)).toFixed(5)} Å³/cell (spread of one run ${v.sd.toExponential(2)}, ` +
        `reported error ${Verr.toExponential(2)}: ratio ${(v.sd / Verr).toFixed(2)}) vs python ${Vpy.toFixed(5)} ± ${VpyErr.toFixed(5)}; ` +
        `G = ${g.mean.toFixed(6)} ± ${(g.sd / Math.sqrt(K)).toExponential(2)} eV/cell (spread of one run ${g.sd.toExponential(2)}) vs python ${Fpy.toFixed(6)} (${zGmean.toFixed(2)} σ); ` +
        `P = ${p.mean.toFixed(4)} GPa (spread ${p.sd.toFixed(4)}, reported ${Perr.toFixed(4)}) vs python ${vc.final_pressure_GPa.toFixed(4)} ± ${vc.final_pressure_err_GPa.toFixed(4)}`,
    );
    expect(Math.abs(zGmean)).toBeLessThan(3);
    // the reported volume error is not an underestimate (the spread of 8 runs is uncertain by ~25 %)
    expect(v.sd / Verr).toBeLessThan(1.5);
    // the cell expanded by much more than the error (the ionic pressure at the reference is ≈ 7 GPa)
    expect(v.mean - vc.reference_volume_A3_per_cell).toBeGreaterThan(50 * Verr);
  });
});
