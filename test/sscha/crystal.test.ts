// The anharmonic bond network on a rock-salt 2×2×2 supercell: convergence within a few populations,
// the Gibbs–Bogoliubov bound, determinism, symmetry invariance (5.15.5) and reweighting (5.15.4).
import { beforeAll, describe, expect, it } from 'vitest';
import { BondNetworkCalculator } from '../../src/calculators/bond-network.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { Structure } from '../../src/structure/structure.js';
import {
  EnsembleWorkspace, evaluatePopulation, projectPhi, runSscha, samplePopulation, type SschaSymmetry,
} from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { BOND_POT, crystalCase, maxAbs, maxAbsDiff, rockSalt, type CrystalCase } from './helpers.js';

let k: Kernels;
let cs: CrystalCase;
const POT = BOND_POT(-8, 60);
const T = 300;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
  cs = await crystalCase(k, rockSalt(), POT, [2, 2, 2]);
});

/** Largest |row sum| of the 3×3 blocks: Σ_j Φ[3i+α, 3j+β]. */
function asrResidual(phi: Float64Array, natoms: number): number {
  const n3 = 3 * natoms;
  let m = 0;
  for (let r = 0; r < n3; r++)
    for (let b = 0; b < 3; b++) {
      let s = 0;
      for (let j = 0; j < natoms; j++) s += phi[r * n3 + 3 * j + b];
      m = Math.max(m, Math.abs(s));
    }
  return m;
}

describe('anharmonic bond network (rock salt 2×2×2)', () => {
  it('converges within a few populations; F ≤ F(harmonic start) within errors (Gibbs–Bogoliubov); ASR holds', async () => {
    const t0 = performance.now();
    const res = await runSscha({ kernels: k, calculator: cs.calc, supercell: cs.sc, symmetry: cs.symmetrizer, phi0: cs.phiHarm, T, nConfigs: 400, seed: 1, maxPopulations: 5 });
    const ms = performance.now() - t0;
    expect(res.converged).toBe(true);
    expect(res.populations.length).toBeLessThanOrEqual(5);
    const last = res.history[res.history.length - 1];
    expect(last.GNorm).toBeLessThan(0.2 * last.GNormErr);
    const start = res.history[0];
    const tol = 3 * Math.hypot(start.Ferr, res.Ferr);
    console.log(
      `bond network T=${T}: ${res.populations.length} population(s), ${res.history.length} steps, ${ms.toFixed(0)} ms; F_start = ${start.F.toFixed(6)} ± ${start.Ferr.toExponential(2)}, ` +
        `F_SSCHA = ${res.F.toFixed(6)} ± ${res.Ferr.toExponential(2)} eV/supercell (${res.FperCell.toFixed(6)} eV/cell); |G|/err = ${(last.GNorm / last.GNormErr).toFixed(3)}; ` +
        `ω_max ${res.frequenciesCm[res.frequenciesCm.length - 1].toFixed(1)} cm⁻¹`,
    );
    expect(res.F).toBeLessThan(start.F + tol);
    expect(asrResidual(res.phi, cs.sc.structure.natoms)).toBeLessThan(1e-10);
    // the anharmonic Φ differs from the harmonic one well beyond the noise
    expect(maxAbsDiff(res.phi, projectPhi(cs.phiHarm, { symmetrizer: cs.symmetrizer, nTranslations: 3 })) / maxAbs(cs.phiHarm)).toBeGreaterThan(0.01);
  });

  it('is deterministic: the same seed gives bit-identical F and Φ', async () => {
    const run = () => runSscha({ kernels: k, calculator: cs.calc, supercell: cs.sc, symmetry: cs.symmetrizer, phi0: cs.phiHarm, T, nConfigs: 200, seed: 99, maxPopulations: 3 });
    const a = await run();
    const b = await run();
    expect(Object.is(a.F, b.F)).toBe(true);
    expect(Object.is(a.Ferr, b.Ferr)).toBe(true);
    expect(Buffer.from(a.phi.buffer).equals(Buffer.from(b.phi.buffer))).toBe(true);
    expect(Buffer.from(a.R.buffer).equals(Buffer.from(b.R.buffer))).toBe(true);
    const c = await runSscha({ kernels: k, calculator: cs.calc, supercell: cs.sc, symmetry: cs.symmetrizer, phi0: cs.phiHarm, T, nConfigs: 200, seed: 100, maxPopulations: 3 });
    expect(c.F).not.toBe(a.F);
  });

  it('gives the same results for a rigidly translated copy of the crystal (5.15.5)', async () => {
    const shift = [0.137, 0.271, 0.419];
    const u = rockSalt();
    const moved = new Structure({ cell: u.cell, species: [...u.species], frac: u.frac.map((x, q) => x + shift[q % 3]) });
    const cs2 = await crystalCase(k, moved, POT, [2, 2, 2]);
    expect(maxAbsDiff(cs2.phiHarm, cs.phiHarm)).toBeLessThan(1e-8);
    // The same Φ₀ bitwise for both: Φ does not depend on the origin, but the eigenvectors of the
    // (highly degenerate) cubic modes do depend on round-off, and with them the map ξ → u of a new
    // population. Within a population every average is invariant under rotations inside degenerate
    // subspaces, so one population is compared to round-off.
    const opts = { kernels: k, T, nConfigs: 200, seed: 4, maxPopulations: 1, phi0: cs.phiHarm };
    const a = await runSscha({ ...opts, calculator: cs.calc, supercell: cs.sc, symmetry: cs.symmetrizer });
    const b = await runSscha({ ...opts, calculator: cs2.calc, supercell: cs2.sc, symmetry: cs2.symmetrizer });
    expect(a.history.length).toBeGreaterThan(1);
    expect(b.history.length).toBe(a.history.length);
    console.log(`translated copy: ΔF = ${(a.F - b.F).toExponential(2)} eV, max|ΔΦ| = ${maxAbsDiff(a.phi, b.phi).toExponential(2)} eV/Å²`);
    expect(Math.abs(a.F - b.F)).toBeLessThan(1e-10);
    expect(maxAbsDiff(a.phi, b.phi)).toBeLessThan(1e-10);
    expect(maxAbsDiff(a.frequenciesCm, b.frequenciesCm)).toBeLessThan(1e-8);
    // centroids: the same up to the rigid shift
    const t = [0, 1, 2].map((q) => shift[0] * u.cell[q] + shift[1] * u.cell[3 + q] + shift[2] * u.cell[6 + q]);
    expect(maxAbs(a.R.map((x, q) => b.R[q] - x - t[q % 3]))).toBeLessThan(1e-10);
  });

  it('symmetrised gradients are invariant under every supercell operation; ASR to 1e-10', async () => {
    const s = cs.sc.structure;
    const sym: SschaSymmetry = { symmetrizer: cs.symmetrizer, nTranslations: 3 };
    const phi0 = projectPhi(cs.phiHarm, sym);
    const pop = samplePopulation(k, { structure: s, centroids: s.cartesian(), phi: phi0, temperature: T, nConfigs: 100, seed: 8, index: 0 });
    await evaluatePopulation(pop, cs.calc, s);
    const ws = new EnsembleWorkspace(k, pop, sym);
    const a = ws.averages(s.cartesian(), phi0, T);
    ws.free();
    const Gs = maxAbs(a.G);
    expect(Gs).toBeGreaterThan(1e-4);
    let worstG = 0, worstR = 0;
    for (let g = 0; g < cs.symmetrizer.order; g++) {
      worstG = Math.max(worstG, maxAbsDiff(cs.symmetrizer.transformForceConstants(a.G, g), a.G));
      worstR = Math.max(worstR, maxAbsDiff(cs.symmetrizer.transformVector(a.gR, g), a.gR));
    }
    expect(worstG / Gs).toBeLessThan(1e-12);
    expect(worstR).toBeLessThan(1e-14);
    expect(asrResidual(a.G, s.natoms)).toBeLessThan(1e-10);
    expect(cs.symmetrizer.order).toBe(48 * 8);
  });
});

describe('reweighting identities (5.15.4)', () => {
  it('weights are 1 at the generating parameters and moving Φ and back restores them bitwise', async () => {
    const s = cs.sc.structure;
    const sym: SschaSymmetry = { symmetrizer: cs.symmetrizer, nTranslations: 3 };
    const phi0 = projectPhi(cs.phiHarm, sym);
    const R0 = s.cartesian();
    const pop = samplePopulation(k, { structure: s, centroids: R0, phi: phi0, temperature: T, nConfigs: 200, seed: 21, index: 0 });
    await evaluatePopulation(pop, cs.calc, s);
    const ws = new EnsembleWorkspace(k, pop, sym);
    const exact = ws.averages(R0, phi0, T);
    expect(exact.atGenerating).toBe(true);
    expect(exact.weights.every((w) => w === 1)).toBe(true);
    expect(exact.nEff).toBe(200);
    const computed = ws.averages(R0, phi0, T, { exactShortcut: false });
    expect(maxAbs(computed.weights.map((w) => w - 1))).toBeLessThan(1e-12);
    expect(Math.abs(computed.F - exact.F)).toBeLessThan(1e-12);
    const phi1 = projectPhi(phi0.map((x) => 1.05 * x), sym);
    const moved = ws.averages(R0, phi1, T);
    expect(moved.nEff).toBeLessThan(200);
    const back = ws.averages(R0, phi0, T, { exactShortcut: false });
    expect(Buffer.from(back.weights.buffer).equals(Buffer.from(computed.weights.buffer))).toBe(true);
    expect(Object.is(back.F, computed.F)).toBe(true);
    const again = ws.averages(R0, phi1, T);
    expect(Buffer.from(again.weights.buffer).equals(Buffer.from(moved.weights.buffer))).toBe(true);
    ws.free();
  });

  it('importance-sampled averages agree with a fresh ensemble within errors', async () => {
    const s = cs.sc.structure;
    const sym: SschaSymmetry = { symmetrizer: cs.symmetrizer, nTranslations: 3 };
    const phi0 = projectPhi(cs.phiHarm, sym);
    const phi1 = projectPhi(phi0.map((x) => 1.06 * x), sym);
    const R0 = s.cartesian();
    const mk = async (phi: Float64Array, seed: number) => {
      const pop = samplePopulation(k, { structure: s, centroids: R0, phi, temperature: T, nConfigs: 1000, seed, index: 0 });
      await evaluatePopulation(pop, cs.calc, s);
      return new EnsembleWorkspace(k, pop, sym);
    };
    const w0 = await mk(phi0, 31);
    const w1 = await mk(phi1, 32);
    const rw = w0.averages(R0, phi1, T);
    const fresh = w1.averages(R0, phi1, T);
    w0.free();
    w1.free();
    const zF = (rw.F - fresh.F) / Math.hypot(rw.Ferr, fresh.Ferr);
    const zG = (rw.GNorm - fresh.GNorm) / Math.hypot(rw.GNormErr, fresh.GNormErr);
    const zP = (rw.ionicPressure[0] - fresh.ionicPressure[0]) / Math.hypot(rw.ionicPressureErr[0], fresh.ionicPressureErr[0]);
    console.log(`reweighted vs fresh (N_eff/N = ${(rw.nEff / 1000).toFixed(3)}): F ${rw.F.toFixed(6)} vs ${fresh.F.toFixed(6)} (${zF.toFixed(2)}σ); |G| ${rw.GNorm.toFixed(4)} vs ${fresh.GNorm.toFixed(4)} (${zG.toFixed(2)}σ); P_ion,xx ${zP.toFixed(2)}σ`);
    expect(rw.nEff / 1000).toBeGreaterThan(0.5);
    expect(Math.abs(zF)).toBeLessThan(3);
    expect(Math.abs(zP)).toBeLessThan(3);
  });
});
