// Stochastic error bars with antithetic pairs (physics.md 5.2, 5.4; docs/sscha.md "Errors"), and the
// minimiser when the gradient is already below its error (physics.md 5.8; docs/sscha.md "Minimiser").
//
// Configurations 2k and 2k+1 are drawn with ξ and −ξ. For a quantity odd in u the two members cancel
// (the per-configuration error formula is far too large); for an even one they are equal (it is √2
// too small). The errors are computed over the N/2 pairs. Checked here by z-scores
// z = (value − exact)/err over many independent ensembles on exactly solvable models: their rms must
// be ≈ 1 (accepted band 0.7–1.3 for 64–192 samples). Per-configuration errors give rms ≈ 1.4 for
// the even quantities and ≈ 0.2–0.5 for the odd ones.
// Ensemble sizes: the on-site oscillators use N = 1000 because the noise of one component is a
// function of u² (χ²₁, strongly skewed): with few pairs the sample error is correlated with the
// sample mean and the t-statistic is heavy-tailed (rms ≈ 1.4–1.7 at N = 64 for the correct error,
// N-dependent, not a bias of the error formula). The crystal pressure sums over 21 modes and is
// nearly Gaussian already at N = 64.
//
// Models (exact at ANY (R, Φ), not only at the SCHA solution):
//  - on-site oscillators V = ½ku² + (c/6)u³ + gu⁴ on the 3 components of one pinned atom
//    (test/sscha/helpers.ts OnSiteCalculator). With σ² = (ħ/2mω)coth(ħω/2k_BT), mω² = Φ, x = R + u:
//      F(R, Φ) = F_0(ω) + ⟨V(x)⟩ − ½Φσ²,  ⟨V⟩ = ½k(R²+σ²) + (c/6)(R³+3Rσ²) + g(R⁴+6R²σ²+3σ⁴)
//      g_R = ⟨V'(x)⟩ = kR + (c/2)(R²+σ²) + 4g(R³+3Rσ²),  G = Φ − ⟨V''(x)⟩ = Φ − k − cR − 12g(R²+σ²)
//  - the crystal of variable-cell.test.ts (a): E = ½B₀(Ω−Ω₀)²/Ω₀ + ½s(Ω)uᵀΦ₁u, s = (Ω₀/Ω)^{2γ}:
//    at Ω₀ and Φ = Φ₁ the pressure is P = (γ/Ω₀) Σ_μ ω_μ (ħ/2)coth(ħω_μ/2k_BT) (even in u).
import { beforeAll, describe, expect, it } from 'vitest';
import { eighValues } from '../../src/linalg/eigh.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import {
  EnsembleWorkspace, evaluatePopulation, isPairedPopulation, minimizePopulation, runSscha, samplePopulation, type Population,
} from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { BOND_POT, HBAR, KB, OnSiteCalculator, SC_POT, VolumeHarmonic, boxAtom, crystalCase, rockSalt, simpleCubic } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
});

const SEEDS = 64;
const NCONF = 1000; // on-site oscillators: 500 pairs
const NCONF_CRYSTAL = 64; // 32 pairs
const SEEDS_CRYSTAL = 128;
const BAND: [number, number] = [0.7, 1.3];

interface Stats {
  n: number;
  rms: number;
  medAbs: number;
  max: number;
}
function stats(z: number[]): Stats {
  const a = z.map(Math.abs).sort((x, y) => x - y);
  return { n: z.length, rms: Math.sqrt(z.reduce((s, x) => s + x * x, 0) / z.length), medAbs: a[Math.floor(a.length / 2)], max: a[a.length - 1] };
}
const fmt = (s: Stats) => `rms z = ${s.rms.toFixed(3)}, median |z| = ${s.medAbs.toFixed(3)} (normal: 0.674), max |z| = ${s.max.toFixed(2)} over ${s.n}`;

/** Exact SCHA quantities of one on-site component V = ½ku² + (c/6)u³ + gu⁴ at centroid R and Φ. */
function onSiteExact(p: { k: number; c: number; g: number; m: number; T: number }, R: number, phi: number) {
  const w = Math.sqrt(phi / p.m);
  const x = (HBAR * w) / (2 * KB * p.T);
  const s2 = p.T > 0 ? (HBAR / (2 * p.m * w)) / Math.tanh(x) : HBAR / (2 * p.m * w);
  const F0 = (HBAR * w) / 2 + (p.T > 0 ? KB * p.T * Math.log(-Math.expm1((-HBAR * w) / (KB * p.T))) : 0);
  const V = 0.5 * p.k * (R * R + s2) + (p.c / 6) * (R ** 3 + 3 * R * s2) + p.g * (R ** 4 + 6 * R * R * s2 + 3 * s2 * s2);
  return {
    F: F0 + V - 0.5 * phi * s2,
    gR: p.k * R + (p.c / 2) * (R * R + s2) + 4 * p.g * (R ** 3 + 3 * R * s2),
    G: phi - p.k - p.c * R - 12 * p.g * (R * R + s2),
  };
}

describe('error bars over antithetic pairs: z-scores on exactly solvable models', () => {
  const m = 1;
  const atom = boxAtom(m);
  const ref = atom.cartesian();

  /**
   * z-scores of F, g_R (3 components) and diag G (3) over SEEDS ensembles of NCONF configurations drawn
   * at (ref + R0, Φ0·𝟙), evaluated at (ref + R, Φ·𝟙) (reweighted unless R = R0, Φ = Φ0).
   */
  async function onSiteZ(p: { k: number; c: number; g: number; T: number }, R0: number, phi0: number, R: number, phi: number) {
    const calc = new OnSiteCalculator(atom, p.k, p.g, p.c);
    const ex = onSiteExact({ ...p, m }, R, phi);
    const phi0m = [phi0, 0, 0, 0, phi0, 0, 0, 0, phi0];
    const phim = [phi, 0, 0, 0, phi, 0, 0, 0, phi];
    const c0 = ref.map((x) => x + R0), c = ref.map((x) => x + R);
    const z = { F: [] as number[], gR: [] as number[], G: [] as number[], nEff: 0, units: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const pop = samplePopulation(k, { structure: atom, centroids: c0, phi: phi0m, temperature: p.T, nConfigs: NCONF, seed, index: 0, nTranslations: 0 });
      await evaluatePopulation(pop, calc, atom);
      const ws = new EnsembleWorkspace(k, pop, { nTranslations: 0 });
      const a = ws.averages(c, phim, p.T);
      ws.free();
      z.F.push((a.F - 3 * ex.F) / a.Ferr);
      for (let q = 0; q < 3; q++) {
        z.gR.push((a.gR[q] - ex.gR) / a.gRErr[q]);
        z.G.push((a.G[4 * q] - ex.G) / a.GErr[4 * q]);
      }
      z.nEff += a.nEff / a.nConfigs / SEEDS;
      z.units = a.errorUnits;
    }
    return { F: stats(z.F), gR: stats(z.gR), G: stats(z.G), nEff: z.nEff, units: z.units };
  }

  it('the workspace detects the pairs; errors are computed over N/2 units (per configuration when the rows are not ξ/−ξ pairs)', async () => {
    const calc = new OnSiteCalculator(atom, 1, 0, 2);
    const phi0 = [2, 0, 0, 0, 2, 0, 0, 0, 2];
    const pop = samplePopulation(k, { structure: atom, centroids: ref, phi: phi0, temperature: 300, nConfigs: 64, seed: 3, index: 0, nTranslations: 0 });
    await evaluatePopulation(pop, calc, atom);
    expect(isPairedPopulation(pop)).toBe(true);
    const ws = new EnsembleWorkspace(k, pop, { nTranslations: 0 });
    expect(ws.paired).toBe(true);
    const a = ws.averages(ref, phi0, 300);
    ws.free();
    expect(a.errorUnits).toBe(32);
    // the same configurations with the pair partners separated (first members, then second members):
    // no longer pairs → per-configuration errors; the averages themselves are unchanged
    const order = [...Array.from({ length: 32 }, (_, j) => 2 * j), ...Array.from({ length: 32 }, (_, j) => 2 * j + 1)];
    const M = pop.nModes, n3 = 3;
    const perm: Population = {
      ...pop,
      xi: Float64Array.from(order.flatMap((i) => Array.from(pop.xi.subarray(i * M, (i + 1) * M)))),
      positions: Float64Array.from(order.flatMap((i) => Array.from(pop.positions.subarray(i * n3, (i + 1) * n3)))),
      forces: Float64Array.from(order.flatMap((i) => Array.from(pop.forces.subarray(i * n3, (i + 1) * n3)))),
      energies: Float64Array.from(order, (i) => pop.energies[i]),
    };
    expect(isPairedPopulation(perm)).toBe(false);
    const ws2 = new EnsembleWorkspace(k, perm, { nTranslations: 0 });
    expect(ws2.paired).toBe(false);
    const b = ws2.averages(ref, phi0, 300);
    ws2.free();
    expect(b.errorUnits).toBe(64);
    expect(Math.abs(b.F - a.F)).toBeLessThan(1e-13);
    // g_R is odd-dominated here (δf = (Φ − k)u − (c/2)u², Φ = 2k): per-configuration errors are much
    // larger than the pair errors
    console.log(`pair vs per-configuration errors: Ferr ${a.Ferr.toExponential(2)} vs ${b.Ferr.toExponential(2)}; gRErr ${a.gRErr[0].toExponential(2)} vs ${b.gRErr[0].toExponential(2)}`);
    expect(b.gRErr[0]).toBeGreaterThan(2 * a.gRErr[0]);
  });

  it('the kernel\'s GEMM-shaped pair errors equal a direct per-pair computation (anharmonic crystal with stresses, reweighted, unsymmetrised)', async () => {
    const anh = await crystalCase(k, simpleCubic(), SC_POT(-8, 60), [2, 2, 2]);
    const s = anh.sc.structure;
    const n3 = 3 * s.natoms, T = 300, nc = 40;
    const R0 = s.cartesian();
    const pop = samplePopulation(k, { structure: s, centroids: R0, phi: anh.phiHarm, temperature: T, nConfigs: nc, seed: 4, index: 0 });
    await evaluatePopulation(pop, anh.calc, s);
    // a displaced centroid and a softer Φ: unequal weights within pairs, u_{2k+1} ≠ −u_{2k}
    const R = Float64Array.from(R0, (x, q) => x + 0.004 * Math.sin(2.3 * q + 1));
    const phi = anh.phiHarm.map((x) => 0.97 * x);
    const ws = new EnsembleWorkspace(k, pop, { nTranslations: 3 });
    const a = ws.averages(R, phi, T);
    const Y = ws.buffer('Y').toArray(), DF = ws.buffer('DF').toArray(), W = ws.buffer('W').toArray(), DV = ws.buffer('DV').toArray();
    const m = ws.m, polar = ws.modes.polar.toArray(), amp = ws.modes.amp.toArray(), mass3 = ws.modes.masses3.toArray();
    ws.free();
    let S = 0;
    for (const w of W) S += w;
    /** err of Σ w O / Σ w over pairs, O given per configuration. */
    const pairErr = (O: (i: number) => number) => {
      let mean = 0;
      for (let i = 0; i < nc; i++) mean += (W[i] * O(i)) / S;
      let v = 0;
      for (let i = 0; i < nc; i += 2) v += (W[i] * (O(i) - mean) + W[i + 1] * (O(i + 1) - mean)) ** 2;
      return Math.sqrt(v) / S;
    };
    const rel = (x: number, y: number) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-300);
    const wmin = Math.min(...W);
    expect(wmin).toBeLessThan(0.95);
    let worst = 0;
    worst = Math.max(worst, rel(a.Ferr, pairErr((i) => DV[i])));
    for (let b = 0; b < n3; b++) worst = Math.max(worst, rel(a.gRErr[b], pairErr((i) => DF[i * n3 + b])));
    // G: element-wise variances of Z_μb = ⟨y_μ δf_b⟩ over pairs, through B_μa = √m_a e_μa/A_μ
    const varZ = new Float64Array(m * n3);
    for (let mu = 0; mu < m; mu++) for (let b = 0; b < n3; b++) varZ[mu * n3 + b] = pairErr((i) => Y[i * m + mu] * DF[i * n3 + b]) ** 2;
    const e2 = new Float64Array(n3 * n3);
    for (let mu = 0; mu < m; mu++)
      for (let q = 0; q < n3; q++) {
        const B2 = (polar[mu * n3 + q] * polar[mu * n3 + q] * mass3[q]) / (amp[mu] * amp[mu]);
        for (let b = 0; b < n3; b++) e2[q * n3 + b] += B2 * varZ[mu * n3 + b];
      }
    for (let q = 0; q < n3; q++) for (let b = 0; b < n3; b++) worst = Math.max(worst, rel(a.GErr[q * n3 + b], 0.5 * (Math.sqrt(e2[q * n3 + b]) + Math.sqrt(e2[b * n3 + q]))));
    // pressure: −σ_i − (1/Ω) Σ_atoms δf_aα u_aβ (the analytic harmonic part carries no error)
    const V = s.volume;
    const tq = (i: number, al: number, be: number) => {
      let t = 0;
      for (let at = 0; at < s.natoms; at++) t += DF[i * n3 + 3 * at + al] * (pop.positions[i * n3 + 3 * at + be] - R[3 * at + be]);
      return t;
    };
    for (let al = 0; al < 3; al++)
      for (let be = 0; be < 3; be++) {
        // the reported tensor is the symmetric part (T + Tᵀ)/2: its error is that of the per-configuration symmetric part
        const pSym = (i: number) => 0.5 * (-pop.stresses![9 * i + 3 * al + be] - tq(i, al, be) / V - pop.stresses![9 * i + 3 * be + al] - tq(i, be, al) / V);
        worst = Math.max(worst, rel(a.pressureErr![3 * al + be], pairErr(pSym)));
        worst = Math.max(worst, rel(a.ionicPressureErr[3 * al + be], pairErr((i) => 0.5 * (tq(i, al, be) + tq(i, be, al)) / V)));
      }
    console.log(`kernel vs direct pair errors (F, g_R, G, P, P_ion; N_eff/N = ${(a.nEff / nc).toFixed(3)}, min w ${wmin.toFixed(3)}): max relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-9);
  });

  it('even in u: F and G of the quartic oscillator at T = 600 K (pair members equal; per-configuration errors √2 too small)', async () => {
    const r = await onSiteZ({ k: 1, c: 0, g: 0.1, T: 600 }, 0, 1.3, 0, 1.3);
    console.log(`even, quartic T=600 (${r.units} error units): F ${fmt(r.F)}\n    G_aa ${fmt(r.G)}`);
    for (const s of [r.F, r.G]) {
      expect(s.rms).toBeGreaterThan(BAND[0]);
      expect(s.rms).toBeLessThan(BAND[1]);
    }
  });

  it('odd in u: centroid gradient and F of the cubic oscillator (pair members cancel; per-configuration errors 3–5× too large)', async () => {
    // Φ = 2k: δf = (Φ − k)u − (c/2)u², the odd part dominates each configuration and cancels in every pair
    const r = await onSiteZ({ k: 1, c: 2, g: 0, T: 0 }, 0, 2, 0, 2);
    // Φ = 1.1k: δV = ½(k − Φ)u² + (c/6)u³, the odd part dominates
    const f = await onSiteZ({ k: 1, c: 4, g: 0, T: 0 }, 0, 1.1, 0, 1.1);
    console.log(`odd, cubic T=0 Φ=2k (${r.units} error units): g_R ${fmt(r.gR)}\n    Φ=1.1k: F ${fmt(f.F)}`);
    for (const s of [r.gR, f.F]) {
      expect(s.rms).toBeGreaterThan(BAND[0]);
      expect(s.rms).toBeLessThan(BAND[1]);
    }
  });

  it('reweighted (R ≠ R₀, Φ ≠ Φ₀: pair members with different weights, no exact symmetry): F, g_R, G of the cubic + quartic oscillator', async () => {
    const r = await onSiteZ({ k: 1, c: 2, g: 0.1, T: 300 }, 0, 1.3, 0.03, 1.25);
    console.log(`reweighted, cubic+quartic T=300 (N_eff/N = ${r.nEff.toFixed(3)}): F ${fmt(r.F)}\n    g_R ${fmt(r.gR)}\n    G_aa ${fmt(r.G)}`);
    expect(r.nEff).toBeLessThan(0.95);
    for (const s of [r.F, r.gR, r.G]) {
      expect(s.rms).toBeGreaterThan(BAND[0]);
      expect(s.rms).toBeLessThan(BAND[1]);
    }
  });

  it('even in u: pressure of the exactly solvable crystal (stress quadratic in u) at T = 300 K', async () => {
    const harm = await crystalCase(k, simpleCubic(), SC_POT(0, 0), [2, 2, 2]);
    const s = harm.sc.structure;
    const gamma = 1.5;
    const calc = new VolumeHarmonic(s, harm.phiHarm, 0.5, gamma);
    const n3 = 3 * s.natoms, mass = s.masses[0], V = s.volume, T = 300;
    const ev = eighValues(k, harm.phiHarm.map((x) => x / mass), n3);
    let Pex = 0;
    for (const x of ev.slice(3)) {
      const w = Math.sqrt(x);
      Pex += (gamma / V) * w * (HBAR / 2) / Math.tanh((HBAR * w) / (2 * KB * T));
    }
    const sym = { symmetrizer: harm.symmetrizer, nTranslations: 3 };
    const z: number[] = [];
    for (let seed = 1; seed <= SEEDS_CRYSTAL; seed++) {
      const pop = samplePopulation(k, { structure: s, centroids: s.cartesian(), phi: harm.phiHarm, temperature: T, nConfigs: NCONF_CRYSTAL, seed, index: 0 });
      await evaluatePopulation(pop, calc, s);
      const ws = new EnsembleWorkspace(k, pop, sym);
      const a = ws.averages(s.cartesian(), harm.phiHarm, T);
      ws.free();
      // P_xx = tr P/3 (cubic point group); err(P_xx) of one component: the diagonal components are
      // dominated by the common term −γ s uᵀΦ₁u/Ω (nearly fully correlated)
      z.push((a.pressure![0] - Pex) / a.pressureErr![0]);
    }
    const st = stats(z);
    console.log(`even, crystal pressure T=300: exact ${(Pex * 160.2176634).toFixed(4)} GPa; ${fmt(st)}`);
    expect(st.rms).toBeGreaterThan(BAND[0]);
    expect(st.rms).toBeLessThan(BAND[1]);
  });

  it('the error of the symmetrised pressure matches its spread (anharmonic rock salt, components not fully correlated)', async () => {
    // Before, the symmetrised tensor carried the error of one component: tr P/3 was reported ≈ 2.8×
    // too uncertain. Now the group average is applied to each pair's contribution before squaring.
    const c = await crystalCase(k, rockSalt(), BOND_POT(-8, 60), [2, 2, 2]);
    const s = c.sc.structure;
    const sym = { symmetrizer: c.symmetrizer, nTranslations: 3 };
    const p: number[] = [];
    const e: number[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const pop = samplePopulation(k, { structure: s, centroids: s.cartesian(), phi: c.phiHarm, temperature: 300, nConfigs: 200, seed, index: 0 });
      await evaluatePopulation(pop, c.calc, s, { stress: true });
      const ws = new EnsembleWorkspace(k, pop, sym);
      const a = ws.averages(s.cartesian(), c.phiHarm, 300);
      ws.free();
      p.push(a.pressure![0]);
      e.push(a.pressureErr![0]);
    }
    const mean = p.reduce((x, y) => x + y, 0) / p.length;
    const spread = Math.sqrt(p.reduce((x, y) => x + (y - mean) ** 2, 0) / (p.length - 1));
    const reported = Math.sqrt(e.reduce((x, y) => x + y * y, 0) / e.length);
    console.log(`symmetrised pressure (rock salt, 300 K, 24 × 200 configurations): spread ${(spread * 160.2176634).toFixed(4)} GPa, reported error ${(reported * 160.2176634).toFixed(4)} GPa, ratio ${(spread / reported).toFixed(2)}`);
    // 24 samples: the spread itself is uncertain by ~15 % (bounds ≈ −1.3σ / +3σ around 1)
    expect(spread / reported).toBeGreaterThan(0.8); // the per-component error gave 0.65 here
    expect(spread / reported).toBeLessThan(1.45);
  });
});

describe('minimiser with the gradient below its error (meaningful factor 0.01)', () => {
  const m = 1;
  const atom = boxAtom(m);
  const ref = atom.cartesian();

  /** Self-consistent Φ = k + cR + 12g(R² + σ²(Φ)) of one component at fixed R (fixed point). */
  function scha(p: { k: number; c: number; g: number; T: number }, R: number): number {
    let phi = p.k + p.c * R;
    for (let it = 0; it < 2000; it++) phi = 0.5 * phi + 0.5 * (phi - onSiteExact({ ...p, m }, R, phi).G);
    return phi;
  }

  for (const c of [
    { name: 'cubic oscillator, T = 0, R = 0.06 (G exact over pairs)', p: { k: 1, c: 4, g: 0, T: 0 }, R: 0.06 },
    { name: 'cubic + quartic oscillator, T = 300 K, R = 0.06 (G noisy)', p: { k: 1, c: 4, g: 0.5, T: 300 }, R: 0.06 },
  ]) {
    it(`${c.name}: λ ≤ 1, Φ stays bounded, stops converged or at the step limit with ‖G‖ within a few errors`, async () => {
      const calc = new OnSiteCalculator(atom, c.p.k, c.p.g, c.p.c);
      const phiEx = scha(c.p, c.R);
      const Fex = 3 * onSiteExact({ ...c.p, m }, c.R, phiEx).F;
      for (const seed of [77, 78, 79]) {
        const res = await runSscha({
          kernels: k, calculator: calc, supercell: atom, symmetry: null, nTranslations: 0, T: c.p.T,
          centroids: ref.map((x) => x + c.R), phi0: [1.15, 0, 0, 0, 1.15, 0, 0, 0, 1.15], nConfigs: 400, seed, maxPopulations: 4,
          minimize: { fixCentroids: true, meaningfulFactor: 0.01, maxSteps: 40 },
        });
        const h = res.history;
        const G0 = h[0].GNorm;
        const maxG = Math.max(...h.map((r) => r.GNorm));
        const maxL = Math.max(...h.map((r) => r.lambda));
        const last = h[h.length - 1];
        const phiDiag = (res.phi[0] + res.phi[4] + res.phi[8]) / 3;
        console.log(
          `${c.name}, seed ${seed}: ${res.reason} after ${res.populations.length} population(s) (${res.populationReasons.join(', ')}), ${h.length} steps; ` +
            `‖G‖ start ${G0.toExponential(2)}, max ${maxG.toExponential(2)}, final ${last.GNorm.toExponential(2)} ± ${last.GNormErr.toExponential(2)}; max λ ${maxL.toFixed(3)}; ` +
            `Φ = ${phiDiag.toFixed(5)} (SCHA ${phiEx.toFixed(5)}); F − F_exact = ${(res.F - Fex).toExponential(2)} ± ${res.Ferr.toExponential(2)}`,
        );
        expect(maxL).toBeLessThanOrEqual(1);
        // bounded: never far above the starting gradient (the old minimiser reached ‖G‖ ≈ 60)
        expect(maxG).toBeLessThan(1.5 * G0);
        expect(['converged', 'max-populations']).toContain(res.reason);
        expect(res.populationReasons.every((r) => /converged|max-steps/.test(r))).toBe(true);
        expect(last.GNorm).toBeLessThan(3 * last.GNormErr + 1e-8);
        expect(Math.abs(phiDiag - phiEx)).toBeLessThan(0.05 * phiEx);
        expect(Math.abs(res.F - Fex)).toBeLessThan(4 * res.Ferr + 1e-7);
      }
    });
  }

  it('within one population: a noise-only gradient does not drive Φ away (steps stay Newton-sized)', async () => {
    const p = { k: 1, c: 4, g: 0.5, T: 300 };
    const calc = new OnSiteCalculator(atom, p.k, p.g, p.c);
    const R = ref.map((x) => x + 0.06);
    const phiEx = scha(p, 0.06);
    const phi0 = [phiEx, 0, 0, 0, phiEx, 0, 0, 0, phiEx]; // start at the answer: G is noise from the first step
    const pop = samplePopulation(k, { structure: atom, centroids: R, phi: phi0, temperature: p.T, nConfigs: 400, seed: 5, index: 0, nTranslations: 0 });
    await evaluatePopulation(pop, calc, atom);
    const ws = new EnsembleWorkspace(k, pop, { nTranslations: 0 });
    const res = minimizePopulation(ws, { R, phi: phi0, temperature: p.T }, { fixCentroids: true, meaningfulFactor: 0.01, maxSteps: 60 });
    ws.free();
    const h = res.history;
    const G0 = h[0].GNorm, err0 = h[0].GNormErr;
    console.log(
      `noise-only start: ‖G‖ = ${G0.toExponential(2)} ± ${err0.toExponential(2)}; ${res.reason} after ${res.steps} steps; max ‖G‖ ${Math.max(...h.map((r) => r.GNorm)).toExponential(2)}, ` +
        `final ${h[h.length - 1].GNorm.toExponential(2)}; max λ ${Math.max(...h.map((r) => r.lambda)).toFixed(3)}; |ΔΦ| = ${Math.abs(res.phi[0] - phiEx).toExponential(2)}`,
    );
    expect(G0).toBeLessThan(3 * err0);
    expect(Math.max(...h.map((r) => r.lambda))).toBeLessThanOrEqual(1);
    expect(Math.max(...h.map((r) => r.GNorm))).toBeLessThan(1.5 * G0);
    // Φ moves by at most the noise (a Newton step on the ensemble's own minimum)
    expect(Math.abs(res.phi[0] - phiEx)).toBeLessThan(3 * err0);
  });
});
