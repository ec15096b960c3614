// keepSymmetry: forces, stress and steps are symmetrised with the space group of the start, so the
// group is kept exactly; without it a symmetric but unstable start is free to distort.
import { describe, expect, it } from 'vitest';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { relax } from '../../src/relax/index.js';
import { Structure } from '../../src/structure/structure.js';
import { analyzeSymmetry } from '../../src/symmetry/index.js';
import { AR, DIAMOND, cubic, distort } from '../fixtures/relax/helpers.js';

loadMoyo();

/** Lonsdaleite (hexagonal diamond, P6₃/mmc, Si on 4f (1/3, 2/3, z)) with lattice a, c. */
function lonsdaleite(a: number, c: number, z: number): Structure {
  const h = Math.sqrt(3) / 2;
  return new Structure({
    cell: [a, 0, 0, -a / 2, a * h, 0, 0, 0, c],
    species: ['Si', 'Si', 'Si', 'Si'],
    frac: [1 / 3, 2 / 3, z, 2 / 3, 1 / 3, z + 0.5, 2 / 3, 1 / 3, -z, 1 / 3, 2 / 3, 0.5 - z],
  });
}

describe('keep symmetry', async () => {
  const k = await loadKernels();
  const sw = builtinCalculator(k, { type: 'stillinger-weber' });

  it('lonsdaleite with wrong c/a and z keeps P6₃/mmc and finds the SW minimum (degenerate with diamond)', async () => {
    const start = lonsdaleite(3.9, 6.1, 0.08);
    expect(analyzeSymmetry(start, 1e-5).number).toBe(194);
    for (const method of ['lbfgs', 'fire'] as const) {
      const r = await relax(sw, start, { keepSymmetry: true, method, fmax: 1e-4, smax: 1e-3 });
      expect(r.converged).toBe(true);
      expect(r.spaceGroup).toEqual({ before: 194, after: 194, symprec: 1e-3 });
      expect(analyzeSymmetry(r.structure, 1e-6).number).toBe(194);
      // SW has no interaction beyond the first shell here: the ideal tetrahedral geometry, E of diamond
      expect(r.energy / 4).toBeCloseTo(-4.3366, 4);
      const l = r.structure.lattice();
      expect(l.c / l.a).toBeCloseTo(Math.sqrt(8 / 3), 4);
      expect(l.gamma).toBeCloseTo(120, 8);
    }
  });

  it('an unstable symmetric start (bcc argon: C11 < C12 for Lennard-Jones) stays Im-3m only with keepSymmetry', async () => {
    const lj = builtinCalculator(k, AR);
    // bcc with a 1 % random strain and displacements: Im-3m at a loose tolerance only
    const start = distort(cubic([[0, 0, 0], [0.5, 0.5, 0.5]], 4.2, 'Ar'), 4, 0.01, 0.01);
    expect(analyzeSymmetry(start, 1e-3).number).toBe(2); // P-1: two atoms are always centrosymmetric
    for (const method of ['lbfgs', 'fire'] as const) {
      const kept = await relax(lj, start, { keepSymmetry: true, symprec: 0.2, method, fmax: 1e-4, smax: 1e-3 });
      expect(kept.converged).toBe(true);
      expect(kept.spaceGroup!.before).toBe(229);
      expect(analyzeSymmetry(kept.structure, 1e-6).number).toBe(229);
      // without the constraint it slides down the Bain path towards fcc
      const free = await relax(lj, start, { method, fmax: 1e-4, smax: 1e-3 });
      expect(free.converged).toBe(true);
      expect(free.enthalpy / 2).toBeLessThan(kept.enthalpy / 2 - 0.003);
      expect(analyzeSymmetry(free.structure, 1e-3).number).not.toBe(229);
    }
  });

  it('fixed cell and isotropic modes keep the group too; symmetry is reported on request', async () => {
    const start = lonsdaleite(3.9, 6.1, 0.08);
    for (const cell of ['fixed', 'isotropic'] as const) {
      const r = await relax(sw, start, { keepSymmetry: true, cell, fmax: 1e-4, smax: 1e-3 });
      expect(r.converged).toBe(true);
      expect(analyzeSymmetry(r.structure, 1e-6).number).toBe(194);
    }
    const d = await relax(sw, start, { detectSymmetry: true, symprec: 0.01 });
    expect(d.spaceGroup!.before).toBe(194);
  });

  it('symmetrizeAfter: the relaxed structure is idealised at a loose tolerance and evaluated once more', async () => {
    const start = distort(cubic(DIAMOND, 5.431, 'Si'), 3, 0.06, 0.12);
    const plain = await relax(sw, start);
    expect(plain.converged).toBe(true);
    expect(analyzeSymmetry(plain.structure, 1e-5).number).not.toBe(227);
    const r = await relax(sw, start, { symmetrizeAfter: 0.05 });
    expect(r.converged).toBe(true);
    expect(r.forceCalls).toBe(plain.forceCalls + 1);
    expect(analyzeSymmetry(r.structure, 1e-8).number).toBe(227);
    expect(r.maxForce).toBeLessThan(1e-10); // forces vanish by symmetry in ideal diamond
    expect(r.energy).toBeCloseTo((await sw.compute([r.structure]))[0].energy, 10);
  });
});
