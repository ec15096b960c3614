// Relaxed structures against independent results: the fcc Lennard-Jones lattice constant from a 1-D
// lattice sum (P = 0: minimum; P = 1 GPa: root of P(a) = −dE/dV), and Stillinger-Weber silicon
// (diamond, E = −4.3366 eV/atom at P = 0; at 10 GPa the pressure from a finite difference of E(V)).
import { describe, expect, it } from 'vitest';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import type { Calculator } from '../../src/calculators/calculator.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { relax } from '../../src/relax/index.js';
import { Structure } from '../../src/structure/structure.js';
import { analyzeSymmetry } from '../../src/symmetry/index.js';
import { AR, DIAMOND, EV_A3_TO_GPA, FCC, cubic, distort, ljFccLatticeConstant, ljFccSum } from '../fixtures/relax/helpers.js';

loadMoyo();

describe('Lennard-Jones fcc argon against the lattice sum', async () => {
  const k = await loadKernels();
  const calc = builtinCalculator(k, AR);

  it('the lattice sum itself: a stationary point of E(a) at P = 0, and P(a) is −dE/dV', () => {
    const a0 = ljFccLatticeConstant(0);
    expect(a0).toBeGreaterThan(5.2);
    expect(a0).toBeLessThan(5.35);
    const e = (a: number) => ljFccSum(a, 0.0104, 3.4, 8.5).e;
    expect(e(a0)).toBeLessThan(e(a0 - 0.01));
    expect(e(a0)).toBeLessThan(e(a0 + 0.01));
    // E per atom from the calculator equals the lattice sum
    return calc.compute([cubic(FCC, a0, 'Ar')], { stress: true }).then(([r]) => {
      expect(r.energy / 4).toBeCloseTo(e(a0), 12);
    });
  });

  for (const P of [0, 1]) {
    for (const method of ['lbfgs', 'fire'] as const) {
      it(`P = ${P} GPa (${method}): lattice constant equals the lattice-sum value to 1e-4 Å, stays fcc`, async () => {
        const aRef = ljFccLatticeConstant(P);
        // conventional cell, compressed/stretched and sheared away from the answer
        const start = distort(cubic(FCC, 5.0 + 0.2 * P, 'Ar'), 7 + P, 0.04, 0);
        const smax = 1e-5;
        const r = await relax(calc, start, { pressure: P, method, fmax: 1e-5, smax });
        expect(r.converged).toBe(true);
        const l = r.structure.lattice();
        for (const x of [l.a, l.b, l.c]) expect(Math.abs(x - aRef)).toBeLessThan(1e-4);
        expect(Math.abs(Math.cbrt(r.volume) - aRef)).toBeLessThan(1e-5);
        expect(Math.abs(r.pressure - P)).toBeLessThan(smax);
        for (let q = 0; q < 9; q++) expect(Math.abs(r.stress![q] + (q % 4 === 0 ? P : 0))).toBeLessThan(smax);
        expect(analyzeSymmetry(r.structure, 1e-3).number).toBe(225);
        // the same minimum with the 1-atom primitive cell
        const prim = new Structure({ cell: [0, aRef / 2, aRef / 2, aRef / 2, 0, aRef / 2, aRef / 2, aRef / 2, 0].map((x) => x * 0.97), species: ['Ar'], frac: [0, 0, 0] });
        const rp = await relax(calc, prim, { pressure: P, method, fmax: 1e-5, smax });
        expect(rp.converged).toBe(true);
        expect(Math.abs(Math.cbrt(4 * rp.volume) - aRef)).toBeLessThan(1e-4);
        expect(rp.enthalpy).toBeCloseTo(r.enthalpy / 4, 8);
      });
    }
  }

  it('default tolerances: the final pressure is within smax = 0.5 GPa of the target', async () => {
    const start = distort(cubic(FCC, 5.1, 'Ar'), 3, 0.05, 0.05);
    for (const P of [0, 1]) {
      const r = await relax(calc, start, { pressure: P });
      expect(r.converged).toBe(true);
      expect(r.maxForce).toBeLessThan(0.02);
      for (let q = 0; q < 9; q++) expect(Math.abs(r.stress![q] + (q % 4 === 0 ? P : 0))).toBeLessThan(0.5);
      expect(Math.abs(r.pressure - P)).toBeLessThan(0.5);
    }
  });

  it('isotropic and fixed-cell modes', async () => {
    const aRef = ljFccLatticeConstant(1);
    const start = cubic(FCC, 5.2, 'Ar');
    const iso = await relax(calc, start, { pressure: 1, cell: 'isotropic', fmax: 1e-5, smax: 1e-5 });
    expect(iso.converged).toBe(true);
    expect(Math.abs(iso.structure.lattice().a - aRef)).toBeLessThan(1e-4);
    // fixed cell: the cell is untouched, a rattled fcc returns to its sites
    const rattled = distort(cubic(FCC, 5.3, 'Ar'), 5, 0, 0.1);
    const fixed = await relax(calc, rattled, { cell: 'fixed', fmax: 1e-4 });
    expect(fixed.converged).toBe(true);
    expect(Array.from(fixed.structure.cell)).toEqual(Array.from(rattled.cell));
    expect(fixed.energy).toBeCloseTo((await calc.compute([cubic(FCC, 5.3, 'Ar')]))[0].energy, 7);
  });
});

describe('Stillinger-Weber silicon', async () => {
  const k = await loadKernels();
  const calc: Calculator = builtinCalculator(k, { type: 'stillinger-weber' });
  const start = distort(cubic(DIAMOND, 5.431, 'Si'), 3, 0.06, 0.12);

  it('a rattled and strained 8-atom diamond cell relaxes back to diamond, E = −4.3366 eV/atom', async () => {
    expect(analyzeSymmetry(start, 1e-3).number).toBe(1);
    const r = await relax(calc, start, { fmax: 1e-4, smax: 1e-3 });
    expect(r.converged).toBe(true);
    expect(r.energy / 8).toBeCloseTo(-4.3366, 4);
    expect(analyzeSymmetry(r.structure, 1e-3).number).toBe(227);
    expect(Math.abs(Math.cbrt(r.volume) - 5.431)).toBeLessThan(2e-3);
    expect(Math.abs(r.pressure)).toBeLessThan(1e-3);
  });

  it('at 10 GPa: smaller volume, and the pressure equals −dE/dV of the diamond E(V)', async () => {
    const r0 = await relax(calc, start, { fmax: 1e-4, smax: 1e-3 });
    const r = await relax(calc, start, { pressure: 10, fmax: 1e-4, smax: 1e-3 });
    expect(r.converged).toBe(true);
    expect(r.volume).toBeLessThan(0.97 * r0.volume);
    expect(Math.abs(r.pressure - 10)).toBeLessThan(1e-3);
    expect(analyzeSymmetry(r.structure, 1e-3).number).toBe(227);
    // independent check: perfect diamond (internal coordinates fixed by symmetry), E(a) by finite differences
    const a = Math.cbrt(r.volume);
    const E = async (x: number) => (await calc.compute([cubic(DIAMOND, x, 'Si')]))[0].energy;
    const h = 1e-4;
    const dEda = (-(await E(a + 2 * h)) + 8 * (await E(a + h)) - 8 * (await E(a - h)) + (await E(a - 2 * h))) / (12 * h);
    const P = (-dEda / (3 * a * a)) * EV_A3_TO_GPA;
    expect(Math.abs(P - 10)).toBeLessThan(2e-3);
    expect(r.enthalpy).toBeCloseTo((await E(a)) + (10 / EV_A3_TO_GPA) * a ** 3, 6);
  });

  it('FIRE and L-BFGS reach the same minimum', async () => {
    for (const P of [0, 10]) {
      const f = await relax(calc, start, { pressure: P, method: 'fire', fmax: 1e-4, smax: 1e-3 });
      const l = await relax(calc, start, { pressure: P, method: 'lbfgs', fmax: 1e-4, smax: 1e-3 });
      expect(f.converged && l.converged).toBe(true);
      expect(Math.abs(f.enthalpy - l.enthalpy) / 8).toBeLessThan(1e-7);
      expect(Math.abs(f.volume - l.volume)).toBeLessThan(1e-3);
      expect(l.forceCalls).toBeLessThan(f.forceCalls);
    }
  });
});
