// The anharmonic bond network: invariances, fixed topology under strain, analytic energies.
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { BondNetworkCalculator } from '../../src/calculators/bond-network.js';
import { Structure } from '../../src/structure/structure.js';
import { maxAbs } from '../helpers/arrays.js';
import { mulberry32 } from '../helpers/random.js';
import { DIAMOND, randomCrystal, strained, supercell } from './helpers.js';

const POT = {
  type: 'bond-network',
  tolerance: 0.05,
  bonds: [{ species: ['Si', 'Si'], d0: 2.3517, k2: 9.0, k3: -40.0, k4: 150.0 }],
};

describe('bond network', async () => {
  const k = await loadKernels();
  const a = 5.4308;
  const ref = new Structure({ cell: [2 * a, 0, 0, 0, 2 * a, 0, 0, 0, 2 * a], species: Array(64).fill('Si'), frac: supercell(DIAMOND, 2) });

  it('finds 2 bonds per atom in diamond and has zero energy/forces at the reference', () => {
    const calc = new BondNetworkCalculator(k, POT, ref);
    expect(calc.bondCount).toBe(2 * ref.natoms);
    const r = calc.computeOne(ref);
    // reference bond length a√3/4 vs d0: energy from the analytic formula per bond
    const u = (a * Math.sqrt(3)) / 4 - 2.3517;
    const e1 = 4.5 * u * u + (-40 / 6) * u ** 3 + (150 / 24) * u ** 4;
    expect(Math.abs(r.energy - calc.bondCount * e1)).toBeLessThan(1e-12);
    expect(maxAbs(r.forces)).toBeLessThan(1e-12);
    calc.dispose();
  });

  it('a single stretched bond has the analytic energy k2/2 u² + k3/6 u³ + k4/24 u⁴', () => {
    // two atoms along x in a big cell: one bond of length 2.3517 + u after a move
    const L = 20;
    const calc = new BondNetworkCalculator(k, POT, new Structure({ cell: [L, 0, 0, 0, L, 0, 0, 0, L], species: ['Si', 'Si'], cartesian: [0, 0, 0, 2.3517, 0, 0] }));
    expect(calc.bondCount).toBe(1);
    for (const u of [-0.2, 0.1, 0.3]) {
      const s = new Structure({ cell: [L, 0, 0, 0, L, 0, 0, 0, L], species: ['Si', 'Si'], cartesian: [0, 0, 0, 2.3517 + u, 0, 0] });
      const r = calc.computeOne(s);
      const e = 4.5 * u * u + (-40 / 6) * u ** 3 + (150 / 24) * u ** 4;
      expect(Math.abs(r.energy - e)).toBeLessThan(1e-13);
      expect(Math.abs(r.forces[3] + (9 * u - 20 * u * u + 25 * u ** 3))).toBeLessThan(1e-12);
    }
    calc.dispose();
  });

  it('energy is invariant under rigid translation and rotation (of positions and cell)', () => {
    const calc = new BondNetworkCalculator(k, POT, ref);
    const s = randomCrystal(DIAMOND, a, 2, () => 'Si', 31, 0.0, 0.2);
    const e0 = calc.computeOne(s).energy;
    // translation by an arbitrary vector (atoms leave the cell: their image is taken nearest the reference)
    const x = s.cartesian();
    const t = [0.37, -1.21, 0.55];
    const moved = s.with({ cartesian: x.map((v, q) => v + t[q % 3]) });
    const eT = calc.computeOne(moved).energy;
    // rotation: rotate the cell rows and the positions together (fractional coordinates unchanged)
    const r = mulberry32(5);
    const th = 2 * Math.PI * r(), ph = Math.PI * r(), ps = 2 * Math.PI * r();
    const Rz = (g: number) => [Math.cos(g), -Math.sin(g), 0, Math.sin(g), Math.cos(g), 0, 0, 0, 1];
    const Rx = (g: number) => [1, 0, 0, 0, Math.cos(g), -Math.sin(g), 0, Math.sin(g), Math.cos(g)];
    const mul = (A: number[], B: number[]) => [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j] + A[3 * i + 2] * B[6 + j]));
    const R = mul(mul(Rz(th), Rx(ph)), Rz(ps));
    const cellR = mul(Array.from(s.cell), R); // rows v -> v·R
    const rotated = s.with({ cell: cellR });
    const eR = calc.computeOne(rotated).energy;
    expect(Math.abs(e0)).toBeGreaterThan(0.1);
    expect(Math.abs(eT - e0) / Math.abs(e0)).toBeLessThan(1e-12);
    expect(Math.abs(eR - e0) / Math.abs(e0)).toBeLessThan(1e-12);
    // forces rotate with the structure: |F| per atom unchanged
    const f0 = calc.computeOne(s).forces, fR = calc.computeOne(rotated).forces;
    for (let q = 0; q < s.natoms; q++) {
      expect(Math.hypot(fR[3 * q], fR[3 * q + 1], fR[3 * q + 2])).toBeCloseTo(Math.hypot(f0[3 * q], f0[3 * q + 1], f0[3 * q + 2]), 10);
    }
    calc.dispose();
  });

  it('the bond list is not rebuilt under a large strain: same bonds, every bond strained', () => {
    const calc = new BondNetworkCalculator(k, POT, ref);
    const n0 = calc.bondCount;
    // 30% tensile + 20% shear: in this cell a rebuilt list would find no bond of length d0 ± 0.05
    const big = strained(strained(ref, 0, 0, 0.3), 0, 1, 0.2);
    const r = calc.computeOne(big);
    expect(calc.bondCount).toBe(n0);
    // the energy equals the sum over the same bonds with their strained lengths
    const cell = big.cell;
    let e = 0;
    for (const b of calc.bonds) {
      const d = [0, 1, 2].map((c) => {
        const ds = [0, 1, 2].map((q) => big.frac[3 * b.j + q] + b.shift[q] - big.frac[3 * b.i + q]);
        return ds[0] * cell[c] + ds[1] * cell[3 + c] + ds[2] * cell[6 + c];
      });
      const u = Math.hypot(d[0], d[1], d[2]) - 2.3517;
      e += 4.5 * u * u + (-40 / 6) * u ** 3 + (150 / 24) * u ** 4;
    }
    expect(Math.abs(r.energy - e) / e).toBeLessThan(1e-12);
    expect(r.energy).toBeGreaterThan(1);
    // a re-wrapped atom (frac shifted by a lattice vector) keeps its bonds
    const fr = Float64Array.from(big.frac);
    fr[0] += 1;
    fr[4] -= 1;
    expect(Math.abs(calc.computeOne(big.with({ frac: fr })).energy - r.energy) / r.energy).toBeLessThan(1e-12);
    calc.dispose();
  });
});
