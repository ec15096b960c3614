// physics.md 5.15.2: 1-D quartic oscillators V = ½kx² + gx⁴ on each Cartesian component of one
// pinned atom (n_t = 0). The stochastic SSCHA must reproduce the self-consistent fixed point
// (computed here from the closed formulas) within 3σ, at T = 0 and at finite T.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { runSscha } from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { OnSiteCalculator, boxAtom, quarticScha } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

describe('quartic oscillator (5.15.2)', () => {
  const m = 1.0, kk = 1.0, g = 1.0;
  for (const T of [0, 600]) {
    it(`T = ${T} K: F and ω within 3σ of the self-consistent solution`, async () => {
      const atom = boxAtom(m);
      const exact = quarticScha(kk, g, m, T);
      const w0 = Math.sqrt(kk / m);
      const phi0 = [kk, 0, 0, 0, kk, 0, 0, 0, kk]; // harmonic start, far from the SCHA answer
      const res = await runSscha({
        kernels: k, calculator: new OnSiteCalculator(atom, kk, g), supercell: atom, symmetry: null, nTranslations: 0,
        phi0, T, nConfigs: 2000, seed: 12345, maxPopulations: 10,
      });
      expect(res.converged).toBe(true);
      const F = 3 * exact.F; // three independent components
      const zF = (res.F - F) / res.Ferr;
      console.log(`quartic T=${T}: ω_exact=${exact.omega.toFixed(6)} (harmonic ${w0}), F_exact=${F.toFixed(7)} eV, F=${res.F.toFixed(7)} ± ${res.Ferr.toExponential(2)} (${zF.toFixed(2)}σ), populations=${res.populations.length}, steps=${res.history.length}`);
      expect(Math.abs(zF)).toBeLessThan(3);
      // the three components are independent and degenerate: compare their mean ω (the spread of
      // the individual eigenvalues is noise-split and biased at the extremes)
      let wMean = 0, s2 = 0;
      for (let mu = 0; mu < 3; mu++) {
        wMean += res.omega[mu] / 3;
        s2 += (res.frequencyErrCm[mu] / 521.470898) ** 2 / 9;
      }
      const zw = (wMean - exact.omega) / Math.sqrt(s2);
      console.log(`  ω = ${Array.from(res.omega, (w) => w.toFixed(5)).join(', ')}; mean ${wMean.toFixed(6)} ± ${Math.sqrt(s2).toExponential(2)} (${zw.toFixed(2)}σ)`);
      expect(Math.abs(zw)).toBeLessThan(3);
      // anharmonicity is large: the test would fail at the harmonic start
      expect(Math.abs(exact.omega - w0) / w0).toBeGreaterThan(0.1);
    });
  }
});
