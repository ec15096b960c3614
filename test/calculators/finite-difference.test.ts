// Forces and stresses of every built-in potential against five-point central differences of its
// own energy, on random displaced triclinic periodic structures.
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { BondNetworkCalculator } from '../../src/calculators/bond-network.js';
import { LennardJonesCalculator } from '../../src/calculators/lennard-jones.js';
import { MorseCalculator } from '../../src/calculators/morse.js';
import { StillingerWeberCalculator } from '../../src/calculators/stillinger-weber.js';
import type { Structure } from '../../src/structure/structure.js';
import { neighborPairs } from '../../src/neighbors/neighbor-list.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { maxAbs } from '../helpers/arrays.js';
import { DIAMOND, FCC, d5, displaced, randomCrystal, strained } from './helpers.js';
import { fileReader } from '../../src/node/potentials.js';

interface OneShot {
  computeOne(s: Structure): { energy: number; forces: Float64Array; stress: Float64Array };
}

/** Max deviation of forces and stress from finite differences, relative to their largest entry. */
function fdCheck(calc: OneShot, s: Structure, h = 1e-3, atoms = s.natoms) {
  const r = calc.computeOne(s);
  const E = (t: Structure) => calc.computeOne(t).energy;
  let fErr = 0;
  for (let a = 0; a < atoms; a++)
    for (let c = 0; c < 3; c++) {
      const fd = -d5((t) => E(displaced(s, a, c, t)), h);
      fErr = Math.max(fErr, Math.abs(fd - r.forces[3 * a + c]));
    }
  let sErr = 0;
  const sigmaFd = new Float64Array(9);
  for (let al = 0; al < 3; al++)
    for (let be = 0; be < 3; be++) {
      // strain step: keeps every pair length change (|eps| r <= 2h' rc) below the force step's reach
      sigmaFd[3 * al + be] = d5((t) => E(strained(s, al, be, t)), h / 10) / s.volume;
      sErr = Math.max(sErr, Math.abs(sigmaFd[3 * al + be] - r.stress[3 * al + be]));
    }
  return { fRel: fErr / maxAbs(r.forces), sRel: sErr / maxAbs(r.stress), r, sigmaFd };
}

/**
 * Smallest distance of any pair length to a kink of the potential (cutoff, switch onset), where the
 * energy is not smooth and finite differences are invalid. The FD step is then kept well below it.
 */
function kinkGap(k: Kernels, s: Structure, kinks: (a: string, b: string) => number[]): number {
  const all = s.species.flatMap((a) => s.species.flatMap((b) => kinks(a, b)));
  const p = neighborPairs(k, s.cell, s.frac, Math.max(...all) + 0.1);
  let gap = Infinity;
  for (let q = 0; q < p.i.length; q++)
    for (const r of kinks(s.species[p.i[q]], s.species[p.j[q]])) gap = Math.min(gap, Math.abs(p.distances[q] - r));
  return gap;
}

/** FD step for a structure whose pair lengths stay at least `gap` from every kink. */
function stepFor(gap: number): number {
  expect(gap).toBeGreaterThan(2e-6); // otherwise choose another seed
  return Math.min(1e-3, gap / 5);
}

describe('forces and stress equal finite differences of the energy', async () => {
  const k = await loadKernels();
  const report: string[] = [];

  it('Lennard-Jones (shifted), two species, triclinic cell smaller than 2 cutoffs', () => {
    const calc = new LennardJonesCalculator(k, {
      type: 'lennard-jones',
      pairs: [
        { species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 },
        { species: ['Ar', 'Kr'], epsilon: 0.0123, sigma: 3.57, cutoff: 8.9 },
        { species: ['Kr', 'Kr'], epsilon: 0.014, sigma: 3.65, cutoff: 9.1 },
      ],
    });
    const s = randomCrystal(FCC, 5.3, 2, (q) => (q % 3 === 0 ? 'Kr' : 'Ar'), 11);
    const rc: Record<string, number> = { ArAr: 8.5, ArKr: 8.9, KrAr: 8.9, KrKr: 9.1 };
    const h = stepFor(kinkGap(k, s, (a, b) => [rc[a + b]]));
    const { fRel, sRel, r } = fdCheck(calc, s, h);
    report.push(`LJ shift: force ${fRel.toExponential(2)}, stress ${sRel.toExponential(2)}`);
    expect(fRel).toBeLessThan(1e-7);
    expect(sRel).toBeLessThan(1e-7);
    expect(maxAbs(r.forces)).toBeGreaterThan(1e-3); // non-trivial configuration
    // tensile-positive sign check: a compressed LJ crystal has negative (compressive) stress
    const squeezed = randomCrystal(FCC, 4.6, 2, () => 'Ar', 12, 0, 0);
    const sq = calc.computeOne(squeezed).stress;
    expect(sq[0] + sq[4] + sq[8]).toBeLessThan(0);
    calc.dispose();
  });

  it('Lennard-Jones (smooth cutoff): forces continuous, FD agree', () => {
    const calc = new LennardJonesCalculator(k, {
      type: 'lennard-jones',
      cutoffMode: 'smooth',
      pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 7.5, ro: 5.5 }],
    });
    const s = randomCrystal(FCC, 5.3, 2, () => 'Ar', 13, 0.12, 0.2);
    const h = stepFor(kinkGap(k, s, () => [5.5, 7.5]));
    const { fRel, sRel } = fdCheck(calc, s, h);
    report.push(`LJ smooth: force ${fRel.toExponential(2)}, stress ${sRel.toExponential(2)}`);
    expect(fRel).toBeLessThan(1e-7);
    expect(sRel).toBeLessThan(1e-7);
    calc.dispose();
  });

  it('Morse, two species', () => {
    const calc = new MorseCalculator(k, {
      type: 'morse',
      pairs: [
        { species: ['Cu', 'Cu'], D: 0.3429, a: 1.3588, r0: 2.866, cutoff: 6.0 },
        { species: ['Cu', 'Ni'], D: 0.38, a: 1.38, r0: 2.8, cutoff: 6.2 },
        { species: ['Ni', 'Ni'], D: 0.4205, a: 1.4199, r0: 2.78, cutoff: 6.4 },
      ],
    });
    const s = randomCrystal(FCC, 3.6, 2, (q) => (q % 2 ? 'Ni' : 'Cu'), 14);
    const rc: Record<string, number> = { CuCu: 6.0, CuNi: 6.2, NiCu: 6.2, NiNi: 6.4 };
    const h = stepFor(kinkGap(k, s, (a, b) => [rc[a + b]]));
    const { fRel, sRel } = fdCheck(calc, s, h);
    report.push(`Morse: force ${fRel.toExponential(2)}, stress ${sRel.toExponential(2)}`);
    expect(fRel).toBeLessThan(1e-7);
    expect(sRel).toBeLessThan(1e-7);
    calc.dispose();
  });

  it('Stillinger-Weber silicon (default parameters)', () => {
    const calc = new StillingerWeberCalculator(k);
    const s = randomCrystal(DIAMOND, 5.431, 2, () => 'Si', 15, 0.1, 0.2);
    const { fRel, sRel } = fdCheck(calc, s, 1e-3, 24);
    report.push(`SW Si: force ${fRel.toExponential(2)}, stress ${sRel.toExponential(2)}`);
    expect(fRel).toBeLessThan(1e-7);
    expect(sRel).toBeLessThan(1e-7);
    calc.dispose();
  });

  it('Stillinger-Weber, two species (GaN.sw form) in a small cell (many images)', () => {
    const calc = new StillingerWeberCalculator(k, { type: 'stillinger-weber', file: 'GaN.sw' }, 'GaN', fileReader('test/fixtures/potentials'));
    // zincblende-like GaN, one conventional cell only: neighbours include periodic images of atoms' own images
    const s = randomCrystal(DIAMOND, 4.5, 1, (q) => (q < 4 ? 'Ga' : 'N'), 16, 0.1, 0.15);
    const { fRel, sRel } = fdCheck(calc, s);
    report.push(`SW GaN: force ${fRel.toExponential(2)}, stress ${sRel.toExponential(2)}`);
    expect(fRel).toBeLessThan(1e-7);
    expect(sRel).toBeLessThan(1e-7);
    calc.dispose();
  });

  it('bond network, in the reference cell and under a 4% strain', () => {
    const ref = randomCrystal(DIAMOND, 5.431, 1, () => 'Si', 17, 0.0, 0.0);
    const calc = new BondNetworkCalculator(k, {
      type: 'bond-network',
      tolerance: 0.05,
      bonds: [
        { species: ['Si', 'Si'], d0: 2.3517, k2: 9.0, k3: -40.0, k4: 150.0 },
        { species: ['Si', 'Si'], d0: 3.8403, k2: 1.5, k3: -2.0, k4: 5.0 },
      ],
    }, ref);
    expect(calc.bondCount).toBe(16 + 48); // 8 atoms x 4 nearest / 2 + 8 x 12 second / 2
    for (const [label, s] of [
      ['reference cell', randomCrystal(DIAMOND, 5.431, 1, () => 'Si', 18, 0.0, 0.15)],
      ['strained', strained(strained(randomCrystal(DIAMOND, 5.431, 1, () => 'Si', 19, 0.0, 0.15), 0, 1, 0.04), 2, 2, -0.03)],
    ] as const) {
      const { fRel, sRel } = fdCheck(calc, s);
      report.push(`bond network ${label}: force ${fRel.toExponential(2)}, stress ${sRel.toExponential(2)}`);
      expect(fRel).toBeLessThan(1e-7);
      expect(sRel).toBeLessThan(1e-7);
    }
    calc.dispose();
  });

  it('report', () => {
    console.log(report.join('\n'));
  });
});
