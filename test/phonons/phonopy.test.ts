// Harmonic phonons against phonopy 2.17 on the same potentials and structures (fixtures from
// test/fixtures/scripts/phonons_reference.py, see test/fixtures/phonons/README.md):
//   fcc-ar-lj       fcc argon, Lennard-Jones (ε 0.0104 eV, σ 3.40 Å, cut-off 8.5 Å), primitive cell, 3×3×3
//   hex-cuni-morse  Cu and Ni on the two hcp sites (P-6m2), Morse pairs, 3×3×2
//   diamond-si-sw   diamond silicon, Stillinger-Weber (phonopy's forces from LAMMPS), primitive cell, 3×3×3
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import {
  bandStructure, computeForceConstants, customBandPath, densityOfStates, DynamicalMatrix, meshModes, reorderForceConstants, standardBandPath,
  thermalProperties, type ForceConstants,
} from '../../src/phonons/index.js';
import { Structure } from '../../src/structure/structure.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { fileReader } from '../../src/node/potentials.js';

interface Fixture {
  name: string;
  structure: { cell: number[]; species: string[]; frac: number[]; masses: number[] };
  potential: Record<string, unknown>;
  supercell: number[];
  displacements: { atom: number; vector: number[] }[];
  phonopySupercell: { cell: number[]; frac: number[] };
  forceConstants: number[];
  special: { label: string; q: number[]; frequencies: number[] }[];
  band: { path: string[]; segments: string[][]; qpoints: number[][][]; frequencies: number[][][] };
  thermal: { mesh: number[]; temperatures: number[]; freeEnergy: number[]; entropy: number[]; heatCapacity: number[]; cutoffFrequency: number };
  dos: { mesh: number[]; sigma: number; frequencies: number[]; dos: number[] };
}

const load = (name: string): Fixture => JSON.parse(readFileSync(`test/fixtures/phonons/${name}.json`, 'utf8'));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
/** phonopy 2.17's constants (phonopy/units.py), used only to show where the residual F difference comes from. */
const PHONOPY = { kB: 8.617338256808316e-5, THzToEv: 0.00413566733, VaspToTHz: 15.633302300230191 };

const report: string[] = [];

for (const name of ['fcc-ar-lj', 'hex-cuni-morse', 'diamond-si-sw']) {
  describe(`phonopy: ${name}`, () => {
    const fx = load(name);
    let k: Kernels;
    let unit: Structure;
    let ours: ForceConstants & { plan: { displacements: { atom: number; vector: Float64Array }[] } };
    let dm: DynamicalMatrix;

    beforeAll(async () => {
      k = await loadKernels();
      loadMoyo();
      unit = new Structure({ cell: fx.structure.cell, species: fx.structure.species, frac: fx.structure.frac, masses: fx.structure.masses });
      const calc = builtinCalculator(k, fx.potential, { source: name, readFile: fileReader('test/fixtures/potentials') });
      ours = await computeForceConstants(calc, unit, fx.supercell);
      dm = new DynamicalMatrix(k, ours);
    });

    it('displaces the same atoms along the same directions as phonopy', () => {
      const d = ours.plan.displacements;
      expect(d.length).toBe(fx.displacements.length);
      // phonopy numbers supercell atoms κ-major (all images of atom 0 first); compare by unit-cell atom
      const nc = fx.supercell[0] * fx.supercell[1] * fx.supercell[2];
      d.forEach((x, i) => {
        expect(ours.supercell.prim[x.atom]).toBe(Math.floor(fx.displacements[i].atom / nc));
        expect(maxDiff(x.vector, fx.displacements[i].vector)).toBeLessThan(1e-12);
      });
    });

    it('builds the same supercell force constants', () => {
      const ph = reorderForceConstants(unit, fx.supercell, fx.phonopySupercell.frac, fx.forceConstants);
      const d = maxDiff(ours.phi, ph.phi);
      report.push(`${name}: max |ΔΦ| = ${d.toExponential(2)} eV/Å²`);
      expect(d).toBeLessThan(1e-8);
    });

    it('frequencies at the special points and along the path agree to 1e-4 THz', () => {
      let d = 0;
      for (const s of fx.special) d = Math.max(d, maxDiff(dm.frequencies(s.q), s.frequencies));
      const path = customBandPath(Object.fromEntries(fx.special.map((s) => [s.label, s.q])), fx.band.path.map((p) => p.split('-')));
      const bs = bandStructure(dm, path, { pointsPerSegment: 51 });
      expect(bs.segments.length).toBe(fx.band.qpoints.length);
      bs.segments.forEach((seg, i) => {
        expect(maxDiff(seg.qpoints, fx.band.qpoints[i].flat())).toBeLessThan(1e-12);
        d = Math.max(d, maxDiff(seg.frequencies, fx.band.frequencies[i].flat()));
      });
      report.push(`${name}: max |Δν| = ${d.toExponential(2)} THz over ${fx.special.length} special points and ${bs.segments.length}×51 path points`);
      expect(d).toBeLessThan(1e-4);
    });

    it('the automatic band path has the same special points (frequencies at each label agree)', () => {
      const auto = standardBandPath(unit);
      for (const s of fx.special) {
        const label = s.label === 'G' ? 'Γ' : s.label;
        expect(auto.points[label], label).toBeDefined();
        expect(maxDiff(dm.frequencies(auto.points[label]), s.frequencies)).toBeLessThan(1e-4);
      }
    });

    it('harmonic F agrees to 1e-6 eV per cell, S and Cv to 1e-5 relative', () => {
      const modes = meshModes(dm, fx.thermal.mesh);
      expect(modes.acoustic.length).toBe(3);
      const th = thermalProperties(modes, fx.thermal.temperatures);
      const dF = maxDiff(th.freeEnergy, fx.thermal.freeEnergy);
      let rS = 0, rC = 0;
      fx.thermal.entropy.forEach((s, i) => (rS = Math.max(rS, Math.abs(th.entropyJmolK[i] - s) / Math.max(1, Math.abs(s)))));
      fx.thermal.heatCapacity.forEach((c, i) => (rC = Math.max(rC, Math.abs(th.heatCapacityJmolK[i] - c) / Math.max(1, Math.abs(c)))));
      // the same sums with phonopy's (older CODATA) k_B, h and eV/Å²/amu → THz factor: what is left is the
      // agreement of the eigenvalues themselves
      let dFph = 0;
      const nq = modes.qpoints.length / 3;
      fx.thermal.temperatures.forEach((T, t) => {
        let f = 0;
        modes.frequencies.forEach((nu, i) => {
          if (modes.acoustic.includes(i)) return;
          const e = ((nu * PHONOPY.VaspToTHz) / 15.6333042) * PHONOPY.THzToEv;
          f += e / 2 + (T > 0 ? PHONOPY.kB * T * Math.log1p(-Math.exp(-e / (PHONOPY.kB * T))) : 0);
        });
        dFph = Math.max(dFph, Math.abs(f / nq - fx.thermal.freeEnergy[t]));
      });
      report.push(
        `${name}: max |ΔF| = ${dF.toExponential(2)} eV/cell (${dFph.toExponential(2)} with phonopy's constants), max rel ΔS = ${rS.toExponential(2)}, ΔCv = ${rC.toExponential(2)} (${fx.thermal.temperatures.length} T up to ${fx.thermal.temperatures.at(-1)} K, mesh ${fx.thermal.mesh.join('×')})`,
      );
      expect(dF).toBeLessThan(1e-6);
      expect(dFph).toBeLessThan(1e-9);
      expect(rS).toBeLessThan(1e-5);
      expect(rC).toBeLessThan(1e-5);
    });

    it('Gaussian DOS agrees with phonopy on the same mesh and σ', () => {
      const f = fx.dos.frequencies;
      const modes = meshModes(dm, fx.dos.mesh);
      const dos = densityOfStates(modes, { sigma: fx.dos.sigma, min: f[0], max: f[f.length - 1], step: f[1] - f[0] });
      expect(maxDiff(dos.frequencies, f)).toBeLessThan(1e-9);
      const peak = Math.max(...fx.dos.dos);
      const d = maxDiff(dos.dos, fx.dos.dos) / peak;
      report.push(`${name}: DOS max |Δg|/max g = ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
    });
  });
}

describe('summary', () => {
  it('prints the deviations from phonopy', () => {
    console.log(report.join('\n'));
    expect(report.length).toBeGreaterThan(0);
  });
});
