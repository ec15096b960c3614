// Forces and stress of the MTP fast path against central finite differences of its energy, and the
// design rows against the fast path (rows · θ = evaluate(θ)).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { MtpBasis } from '../../src/mlip/mtp.js';
import { Structure } from '../../src/structure/structure.js';
import { DIAMOND, d5, displaced, randomCrystal, strained } from '../calculators/helpers.js';
import { balancedTheta, h3sCell, matVec, relErr } from './mtp-helpers.js';

let k: Kernels;
const bases: MtpBasis[] = [];
beforeAll(async () => {
  k = await loadKernels();
});
afterAll(() => bases.forEach((b) => b.dispose()));

function check(basis: MtpBasis, s: Structure, theta: Float64Array): void {
  const ev = basis.evaluate(s, theta);
  const E = (x: Structure) => basis.evaluate(x, theta).energy;
  // forces: −∂E/∂x by five-point central differences
  const h = 1e-4;
  const fd = new Float64Array(3 * s.natoms);
  for (let a = 0; a < s.natoms; a++) for (let c = 0; c < 3; c++) fd[3 * a + c] = -d5((t) => E(displaced(s, a, c, t)), h);
  expect(relErr(ev.forces, fd)).toBeLessThan(1e-7);
  // stress: σ_ab = (1/Ω) ∂E/∂ε_ab
  const sfd = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) sfd[3 * a + b] = d5((t) => E(strained(s, a, b, t)), 1e-4) / s.volume;
  expect(relErr(ev.stress, sfd)).toBeLessThan(1e-7);
  // the forces are not trivially zero
  expect(Math.max(...Array.from(ev.forces, Math.abs))).toBeGreaterThan(1e-3 * Math.abs(ev.energy) / s.natoms);

  // design rows · θ reproduce the fast path
  const rows = basis.design(s, { forces: true, stress: true, atoms: true });
  expect(rows.natoms).toBe(s.natoms);
  const e = rows.energy.reduce((acc, v, c) => acc + v * theta[c], 0);
  expect(Math.abs(e - ev.energy)).toBeLessThan(1e-10 * Math.abs(ev.energy) + 1e-12);
  expect(relErr(matVec(rows.forces!, theta), ev.forces)).toBeLessThan(1e-10);
  const sv = matVec(rows.stress!, theta); // Voigt xx yy zz yz xz xy
  const s9 = ev.stress;
  expect(relErr(sv, [s9[0], s9[4], s9[8], s9[5], s9[2], s9[1]])).toBeLessThan(1e-10);
  // per-atom rows sum to the energy row; their energies sum to E
  const atomE = matVec(rows.atoms!, theta);
  expect(Math.abs(atomE.reduce((p, q) => p + q, 0) - ev.energy)).toBeLessThan(1e-10 * Math.abs(ev.energy));
  const sum = new Float64Array(basis.nParams);
  for (let a = 0; a < s.natoms; a++) for (let c = 0; c < basis.nParams; c++) sum[c] += rows.atoms![a * basis.nParams + c];
  expect(relErr(sum, rows.energy)).toBeLessThan(1e-12);
}

describe('MTP derivatives', () => {
  it('H3S-like triclinic cell, two species, level 16', () => {
    const basis = MtpBasis.create(k, { species: ['H', 'S'], level: 16, rcut: 4.0, rmin: 0.5 });
    bases.push(basis);
    const s = h3sCell(11);
    check(basis, s, balancedTheta(basis, s, 5));
  });

  it('H3S-like cell with the full species resolution (penalty 0), level 12', () => {
    const basis = MtpBasis.create(k, { species: ['S', 'H'], level: 12, rcut: 3.6, rmin: 0.6, speciesPenalty: 0, radialSize: 4 });
    bases.push(basis);
    const s = h3sCell(12);
    check(basis, s, balancedTheta(basis, s, 6));
  });

  it('odd number of atoms (the kernel pairs atoms), level 14', () => {
    const basis = MtpBasis.create(k, { species: ['H', 'S'], level: 14, rcut: 3.8, rmin: 0.5 });
    bases.push(basis);
    const full = h3sCell(13);
    const s = new Structure({ cell: full.cell, species: full.species.slice(0, 7), frac: full.frac.slice(0, 21) });
    check(basis, s, balancedTheta(basis, s, 8));
  });

  it('two-body functions up to μ = 11 (radialSize 12), level 10, two species', () => {
    const basis = MtpBasis.create(k, { species: ['H', 'S'], level: 10, rcut: 4.0, rmin: 0.5, radialSize: 12 });
    bases.push(basis);
    expect(basis.dag.nMu).toBe(12);
    const s = h3sCell(14);
    check(basis, s, balancedTheta(basis, s, 10));
  });

  it('diamond Si, one species, level 16', () => {
    const basis = MtpBasis.create(k, { species: ['Si'], level: 16, rcut: 5.0, rmin: 1.5 });
    bases.push(basis);
    const s = randomCrystal(DIAMOND, 5.43, 1, () => 'Si', 21, 0.1, 0.15);
    check(basis, s, balancedTheta(basis, s, 7));
  });
});
