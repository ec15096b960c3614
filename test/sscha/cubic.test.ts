// physics.md 5.15.3 through the whole SSCHA pipeline: the cubic oscillator V = ½kx² + (c/6)x³ at
// T = 0 on every Cartesian component of one pinned atom (n_t = 0; three independent copies).
//
// At a FIXED centroid R (only Φ minimised; runSscha with fixCentroids) the SCHA solution is
// Φ = k + cR (= mω²) and the minimised F(R) = V(R) + ħω(R)/2 per component. Its curvature
//   d²F/dR² = k + cR − ħc²/(8m²ω³)
// must equal the static-bubble free-energy Hessian H = Φ + Π of 5.11 computed from an ensemble at
// the converged (R, Φ) (engine forces → EnsembleWorkspace y, δf, w → staticBubbleHessian), within its
// jackknife error; and it must equal finite differences of the minimised F(R) from the stochastic
// runs (which lie on the analytic F(R) within their errors).
// Note: antithetic pairs make every odd moment of u vanish exactly, so for this potential the
// minimised Φ and F are exact up to the minimiser's stopping rule; the Hessian (fourth moments of u)
// carries genuine sampling noise.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { staticBubbleHessian } from '../../src/sscha/hessian.js';
import { EnsembleWorkspace, evaluatePopulation, runSscha, samplePopulation, type SschaResult } from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { HBAR, OnSiteCalculator, boxAtom } from './helpers.js';

const TAU_INV_TO_CM = 521.470898;

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

describe('cubic oscillator at T = 0 (5.15.3): minimised F(R) and the free-energy Hessian', () => {
  const kk = 1.0, c = 4.0, m = 1.0;
  const atom = boxAtom(m);
  const calc = new OnSiteCalculator(atom, kk, 0, c);
  const ref = atom.cartesian();
  const omegaOf = (R: number) => Math.sqrt((kk + c * R) / m);
  /** Minimised free energy of ONE component. */
  const Fexact = (R: number) => 0.5 * kk * R * R + (c / 6) * R ** 3 + 0.5 * HBAR * omegaOf(R);
  const Hexact = (R: number) => kk + c * R - (HBAR * c * c) / (8 * m * m * omegaOf(R) ** 3);
  const h = 0.03;
  // Φ and F are exact over antithetic pairs for this potential (odd terms cancel in every pair), and
  // their error bars (computed over pairs) are ~1e-10: what remains is the minimiser's stopping
  // rule, converged at ‖G‖ < 1e-8 (src/sscha/minimize.ts): |Φ − Φ*| ≤ 1e-8, so
  // |ω − ω*| ≤ 1e-8/(2mω) and, F being stationary, |F − F*| ≤ ½·1e-8·|⟨u²⟩ − σ²| ≤ ½·1e-8·σ² per component
  const STOP = 1e-8;
  const stopW = (R: number) => STOP / (2 * m * omegaOf(R));
  const stopF = (R: number) => 0.5 * STOP * (HBAR / (2 * m * omegaOf(R)));
  const grid = [-2, -1, 0, 1, 2].map((j) => j * h);
  const runs = new Map<number, SschaResult>();

  beforeAll(async () => {
    for (const R of grid) {
      const res = await runSscha({
        kernels: k, calculator: calc, supercell: atom, symmetry: null, nTranslations: 0, T: 0,
        centroids: ref.map((x) => x + R), phi0: [1.15 * kk, 0, 0, 0, 1.15 * kk, 0, 0, 0, 1.15 * kk], // start off the answer k + cR at every R
        nConfigs: 400, seed: 77, maxPopulations: 8,
        minimize: { fixCentroids: true },
      });
      runs.set(R, res);
    }
  });

  it('Φ → k + cR and the minimised F(R) = V(R) + ħω(R)/2 (mω² = k + cR) within errors at every R', () => {
    for (const R of grid) {
      const res = runs.get(R)!;
      expect(res.converged).toBe(true);
      const phiDiag = (res.phi[0] + res.phi[4] + res.phi[8]) / 3;
      const F = res.F / 3;
      const Ferr = res.Ferr / 3;
      const z = (F - Fexact(R)) / Ferr;
      // Φ through the three (degenerate, independent) auxiliary frequencies: mean ω and its error
      const wMean = (res.omega[0] + res.omega[1] + res.omega[2]) / 3;
      const wErr = Math.hypot(...Array.from(res.frequencyErrCm, (e) => e / TAU_INV_TO_CM)) / 3;
      const zw = (wMean - omegaOf(R)) / wErr;
      console.log(
        `R = ${R.toFixed(2)}: Φ = ${phiDiag.toFixed(6)} (k + cR = ${(kk + c * R).toFixed(6)}); ω = ${wMean.toFixed(6)} ± ${wErr.toExponential(2)} vs √((k+cR)/m) = ${omegaOf(R).toFixed(6)} (${zw.toFixed(2)}σ); ` +
          `F = ${F.toFixed(8)} ± ${Ferr.toExponential(2)} vs V + ħω/2 = ${Fexact(R).toFixed(8)} eV (diff ${(F - Fexact(R)).toExponential(2)}, ${z.toFixed(2)}σ); ${res.populations.length} population(s)`,
      );
      expect(Math.abs(wMean - omegaOf(R))).toBeLessThan(3 * wErr + stopW(R));
      expect(Math.abs(F - Fexact(R))).toBeLessThan(3 * Ferr + stopF(R));
      // off-diagonal Φ stays ~0 (independent components)
      expect(Math.max(Math.abs(res.phi[1]), Math.abs(res.phi[2]), Math.abs(res.phi[5]))).toBeLessThan(0.02);
      console.log(`  off-diagonal Φ: ${[1, 2, 5].map((i) => res.phi[i].toExponential(1)).join(', ')}`);
      // the centroid stayed where it was put
      expect(Math.abs(res.R[0] - ref[0] - R)).toBeLessThan(1e-15);
    }
  });

  /** Static-bubble H (mean of the three diagonal elements) and its jackknife error from a fresh ensemble at (R, Φ). */
  async function bubble(R: number, phi: ArrayLike<number>, index: number) {
    const centroids = ref.map((x) => x + R);
    // a large ensemble for the Hessian (physics.md 5.11: ≥ 4× the minimisation)
    const pop = samplePopulation(k, { structure: atom, centroids, phi, temperature: 0, nConfigs: 20_000, seed: 5, index, nTranslations: 0 });
    await evaluatePopulation(pop, calc, atom);
    const ws = new EnsembleWorkspace(k, pop, { nTranslations: 0 });
    const a = ws.averages(centroids, phi, 0);
    const input = {
      n3: 3, M: 3, Etilde: ws.modes.etilde.toArray(), omega: a.omega, A: a.amplitude, T: 0,
      y: ws.buffer('Y').toArray(), df: ws.buffer('DF').toArray(), w: ws.buffer('W').toArray(), phi,
    };
    ws.free();
    const hs = staticBubbleHessian(k, input, { errorGroups: 20 });
    const err = hs.errorEstimate!;
    return {
      H: (hs.hessian[0] + hs.hessian[4] + hs.hessian[8]) / 3,
      Pi: (hs.pi[0] + hs.pi[4] + hs.pi[8]) / 3,
      sH: Math.sqrt(err[0] ** 2 + err[4] ** 2 + err[8] ** 2) / 3, // independent components
      phi: (phi[0] + phi[4] + phi[8]) / 3,
    };
  }

  it('H = Φ + Π (static bubble) = k + cR − ħc²/(8m²ω³) within errors, and = d²F/dR² by finite differences', async () => {
    const lines: string[] = [];
    for (const R of [-h, 0, h]) {
      const res = runs.get(R)!;
      const piExact = (-HBAR * c * c) / (8 * m * m * omegaOf(R) ** 3);
      // (1) at the converged SSCHA Φ: H inherits Φ's residual, so Φ's error (from the ω errors,
      //     σ_Φ = 2mω σ_ω) is part of H's error
      const conv = await bubble(R, res.phi, 100 + Math.round(R / h));
      const w = (res.omega[0] + res.omega[1] + res.omega[2]) / 3;
      const sPhi = 2 * m * w * (Math.hypot(...Array.from(res.frequencyErrCm, (e) => e / TAU_INV_TO_CM)) / 3);
      const sConv = Math.hypot(conv.sH, sPhi);
      const zConv = (conv.H - Hexact(R)) / sConv;
      // (2) at the exact SCHA Φ = k + cR (the Hessian formula alone)
      const ex = await bubble(R, [kk + c * R, 0, 0, 0, kk + c * R, 0, 0, 0, kk + c * R], 200 + Math.round(R / h));
      const zEx = (ex.H - Hexact(R)) / ex.sH;
      // finite differences of the minimised F: analytic F(R), and the stochastic runs for comparison
      const Fs = (x: number) => runs.get(x)!.F / 3;
      const Fe = (x: number) => runs.get(x)!.Ferr / 3;
      const fdStoch = (Fs(R + h) - 2 * Fs(R) + Fs(R - h)) / (h * h);
      const fdErr = Math.sqrt(Fe(R + h) ** 2 + 4 * Fe(R) ** 2 + Fe(R - h) ** 2) / (h * h);
      const fdStop = (stopF(R + h) + 2 * stopF(R) + stopF(R - h)) / (h * h);
      const fdExact = (Fexact(R + h) - 2 * Fexact(R) + Fexact(R - h)) / (h * h);
      // O(h²) truncation of the central difference: (h²/12) F with F = −(15/16)(ħ/2)c⁴ m^{-1/2} (k + cR)^{-7/2}
      const trunc = (h * h / 12) * (15 / 16) * (HBAR / 2) * c ** 4 * (kk + c * R) ** -3.5 / Math.sqrt(m);
      const zFDconv = (conv.H - fdExact) / Math.hypot(sConv, trunc);
      const zFDex = (ex.H - fdExact) / Math.hypot(ex.sH, trunc);
      lines.push(
        `R = ${R.toFixed(2)}: closed form k + cR − ħc²/8m²ω³ = ${Hexact(R).toFixed(5)} (Π = ${piExact.toFixed(5)}); FD of analytic F = ${fdExact.toFixed(5)} (truncation ${trunc.toExponential(1)})\n` +
          `    at converged Φ = ${conv.phi.toFixed(5)}: H = ${conv.H.toFixed(5)} ± ${conv.sH.toFixed(5)} (bubble) ± ${sPhi.toFixed(5)} (Φ), Π = ${conv.Pi.toFixed(5)} → ${zConv.toFixed(2)}σ vs closed form, ${zFDconv.toFixed(2)}σ vs FD\n` +
          `    at exact Φ = ${ex.phi.toFixed(5)}:     H = ${ex.H.toFixed(5)} ± ${ex.sH.toFixed(5)}, Π = ${ex.Pi.toFixed(5)} → ${zEx.toFixed(2)}σ vs closed form, ${zFDex.toFixed(2)}σ vs FD\n` +
          `    FD of the stochastic F(R) = ${fdStoch.toFixed(8)} ± ${fdErr.toExponential(1)} (stopping rule ≤ ${fdStop.toExponential(1)}) vs FD of analytic F ${fdExact.toFixed(8)}`,
      );
      expect(Math.abs(zConv)).toBeLessThan(3);
      expect(Math.abs(zEx)).toBeLessThan(3);
      expect(Math.abs(zFDconv)).toBeLessThan(3);
      expect(Math.abs(zFDex)).toBeLessThan(3);
      expect(Math.abs(fdExact - Hexact(R))).toBeLessThan(1.5 * trunc);
      // the stochastic F(R) lies on the analytic one (previous test); its second difference agrees
      // with the analytic one within its error and the stopping-rule residual (both ≲ 1e-6 here)
      expect(Math.abs(fdStoch - fdExact)).toBeLessThan(3 * fdErr + fdStop);
      // the bubble term is resolved: Π differs from 0 by many σ (H is not just Φ)
      expect(Math.abs(ex.Pi) / ex.sH).toBeGreaterThan(5);
    }
    console.log(lines.join('\n'));
  });
});
