// Agreement with ASE's relaxations at pressure (fixture from test/fixtures/scripts/relax_ase.py):
// random low-symmetry argon cells, smooth Lennard-Jones, ASE's ExpCellFilter/UnitCellFilter with
// scalar_pressure and BFGS/FIRE. Same start, same potential: the same enthalpy minimum.
import { describe, expect, it } from 'vitest';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import { loadKernels } from '../../src/node/kernels.js';
import { neighborPairs } from '../../src/neighbors/neighbor-list.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { relax, relaxBatch } from '../../src/relax/index.js';
import { Structure } from '../../src/structure/structure.js';
import { EV_A3_TO_GPA } from '../fixtures/relax/helpers.js';
import { readFixtureJson } from '../helpers/fixtures.js';

interface Case {
  name: string;
  pressureGPa: number;
  potential: object;
  start: { cell: number[]; species: string[]; frac: number[] };
  energy: number;
  enthalpy: number;
  volume: number;
  cell: number[];
  frac: number[];
  stress: number[];
}
const fixture = readFixtureJson('relax/ase_relax.json') as { cases: Case[] };

/** Sorted pair distances below 7 Å: independent of the cell's orientation and of the lattice-vector choice. */
function distances(k: Kernels, s: Structure): number[] {
  return Array.from(neighborPairs(k, s.cell, s.frac, 7).distances).sort((a, b) => a - b);
}

describe('relaxation at pressure against ASE', async () => {
  const k = await loadKernels();
  for (const c of fixture.cases) {
    it(`${c.name}: same enthalpy per atom as ASE to 1e-5 eV (FIRE and L-BFGS)`, async () => {
      const calc = builtinCalculator(k, c.potential);
      const start = new Structure(c.start);
      const n = start.natoms;
      // the start evaluates to ASE's too (same potential)
      for (const method of ['lbfgs', 'fire'] as const) {
        const r = await relax(calc, start, { pressure: c.pressureGPa, method, fmax: 1e-4, smax: 1e-4, maxSteps: 3000 });
        expect(r.converged).toBe(true);
        expect(Math.abs(r.enthalpy / n - c.enthalpy / n)).toBeLessThan(1e-5);
        expect(Math.abs(r.energy + (c.pressureGPa / EV_A3_TO_GPA) * r.volume - r.enthalpy)).toBeLessThan(1e-10);
        expect(Math.abs(r.pressure - c.pressureGPa)).toBeLessThan(1e-4);
        expect(Math.abs(r.volume - c.volume) / c.volume).toBeLessThan(2e-3);
        // the same crystal: same pair distances (the cell itself may differ by a lattice-vector choice)
        const d1 = distances(k, r.structure), d2 = distances(k, new Structure({ cell: c.cell, species: c.start.species, frac: c.frac }));
        expect(d1.length).toBe(d2.length);
        for (let q = 0; q < d1.length; q++) expect(Math.abs(d1[q] - d2[q])).toBeLessThan(2e-3);
      }
      (calc as { dispose?: () => void }).dispose?.();
    });
  }

  it('the batch driver gives the same minima as single relaxations', async () => {
    const c = fixture.cases[0];
    const calc = builtinCalculator(k, c.potential);
    const starts = fixture.cases.map((q) => new Structure(q.start));
    const rs = await relaxBatch(calc, starts, { pressure: c.pressureGPa, fmax: 1e-4, smax: 1e-4, maxSteps: 3000 });
    for (let i = 0; i < starts.length; i++) {
      const single = await relax(calc, starts[i], { pressure: c.pressureGPa, fmax: 1e-4, smax: 1e-4, maxSteps: 3000 });
      expect(rs[i].converged).toBe(true);
      expect(rs[i].enthalpy).toBeCloseTo(single.enthalpy, 10);
      expect(rs[i].steps).toBe(single.steps);
    }
  });
});
