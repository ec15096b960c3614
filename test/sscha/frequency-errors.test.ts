// Calibration of runSscha's frequencyErrCm (src/sscha/run.ts, frequencyErrors): the reported error of
// each auxiliary frequency must match the run-to-run spread of that frequency over independent seeds.
// Anharmonic bond network on rock salt 2×2×2 (16 atoms, 45 modes), full space group + translations.
// For every mode (ascending, symmetry multiplets degenerate in every run) σ_run = sample standard
// deviation over K runs, err = rms of the K reported errors. With K = 12, σ_run is itself uncertain by
// ≈ 1/√(2(K−1)) ≈ 21 % per mode, so the per-mode ratios scatter; the aggregate √(Σσ_run²/Σerr²) must be
// within a factor 2, and so must the median per-mode ratio. For comparison the log shows the previous
// estimate (element-wise G errors, assumed independent, divided by √(group order)) on the same runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { TAU_INV_TO_CM } from '../../src/phonons/units.js';
import { EnsembleWorkspace, runSscha } from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { BOND_POT, crystalCase, rockSalt, type CrystalCase } from './helpers.js';

let k: Kernels;
let cs: CrystalCase;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
  cs = await crystalCase(k, rockSalt(), BOND_POT(-8, 60), [2, 2, 2]);
});

const K = 12;
const N_CONFIGS = 1000;

describe('runSscha frequency errors vs the run-to-run spread (rock salt 2×2×2 bond network)', () => {
  for (const T of [0, 300]) {
    it(`T = ${T} K: reported σ(ω) within a factor 2 of the spread over ${K} seeds`, async () => {
      const freqs: Float64Array[] = [];
      const errs: Float64Array[] = [];
      const oldErrs: Float64Array[] = [];
      for (let r = 0; r < K; r++) {
        const res = await runSscha({
          kernels: k, calculator: cs.calc, supercell: cs.sc, symmetry: cs.symmetrizer, phi0: cs.phiHarm, T,
          nConfigs: N_CONFIGS, seed: 7000 + 100 * T + r, maxPopulations: 8, stress: false,
        });
        expect(res.converged).toBe(true);
        freqs.push(res.frequenciesCm);
        errs.push(res.frequencyErrCm);
        // the previous estimate, on the same final ensemble and point
        const ws = new EnsembleWorkspace(k, res.populations[res.populations.length - 1], { symmetrizer: cs.symmetrizer, nTranslations: 3 });
        try {
          const a = ws.averages(res.R, res.phi, T);
          const v = ws.modes.modeVariances(a.GErr);
          oldErrs.push(Float64Array.from(v, (x, mu) => (Math.sqrt(x / cs.symmetrizer.order) / (2 * a.omega[mu])) * TAU_INV_TO_CM));
        } finally {
          ws.free();
        }
      }
      const M = freqs[0].length;
      const ratios: number[] = [];
      let sumSd2 = 0, sumErr2 = 0, sumOld2 = 0;
      const rows: string[] = [];
      for (let mu = 0; mu < M; mu++) {
        const v = freqs.map((f) => f[mu]);
        const mean = v.reduce((a, b) => a + b, 0) / K;
        const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1));
        const err = Math.sqrt(errs.reduce((a, e) => a + e[mu] ** 2, 0) / K);
        const old = Math.sqrt(oldErrs.reduce((a, e) => a + e[mu] ** 2, 0) / K);
        ratios.push(sd / err);
        sumSd2 += sd * sd;
        sumErr2 += err * err;
        sumOld2 += old * old;
        if (mu % 6 === 0 || mu === M - 1) rows.push(`mode ${mu}: ν = ${mean.toFixed(1)} cm⁻¹, σ_run ${sd.toFixed(3)}, reported ${err.toFixed(3)} (previous ${old.toFixed(3)})`);
      }
      const sorted = [...ratios].sort((a, b) => a - b);
      const median = sorted[Math.floor(M / 2)];
      const aggregate = Math.sqrt(sumSd2 / sumErr2);
      const aggregateOld = Math.sqrt(sumSd2 / sumOld2);
      console.log(
        `T = ${T} K, ${K} runs of ${N_CONFIGS} configurations: σ_run / reported σ(ω): aggregate ${aggregate.toFixed(2)}, median ${median.toFixed(2)}, ` +
          `range ${sorted[0].toFixed(2)}–${sorted[M - 1].toFixed(2)}; previous estimate: aggregate ${aggregateOld.toFixed(1)}\n  ${rows.join('\n  ')}`,
      );
      expect(aggregate).toBeGreaterThan(0.5);
      expect(aggregate).toBeLessThan(2);
      expect(median).toBeGreaterThan(0.5);
      expect(median).toBeLessThan(2);
    });
  }
});
