// Shared body of test/search/generator-groups-*.test.ts: for every space group that a composition
// admits, generate structures and check them with moyo and with independent brute-force geometry.
import { expect } from 'vitest';
import { Rng } from '../../src/random/rng.js';
import { admissibleSpaceGroups, randomSymmetricStructure } from '../../src/search/random-structure.js';
import { spaceGroupWyckoff } from '../../src/search/wyckoff.js';
import type { Structure } from '../../src/structure/structure.js';
import { moyoDataset } from '../../src/symmetry/analyze.js';
import type { Kernels } from '../../src/wasm/kernels.js';

/** Shortest distance between atoms i and j over all periodic images (brute force, |n| ≤ 4). */
function distance(s: Structure, i: number, j: number): number {
  const c = s.cell, f = s.frac;
  let best = Infinity;
  for (let n1 = -4; n1 <= 4; n1++)
    for (let n2 = -4; n2 <= 4; n2++)
      for (let n3 = -4; n3 <= 4; n3++) {
        if (i === j && n1 === 0 && n2 === 0 && n3 === 0) continue;
        const d = [f[3 * j] - f[3 * i] + n1, f[3 * j + 1] - f[3 * i + 1] + n2, f[3 * j + 2] - f[3 * i + 2] + n3];
        const x = d[0] * c[0] + d[1] * c[3] + d[2] * c[6];
        const y = d[0] * c[1] + d[1] * c[4] + d[2] * c[7];
        const z = d[0] * c[2] + d[1] * c[5] + d[2] * c[8];
        best = Math.min(best, Math.hypot(x, y, z));
      }
  return best;
}

/** Smallest ratio distance / required minimum over all pairs (must be ≥ 1). */
function worstDistanceRatio(s: Structure, dmin: (a: string, b: string) => number): number {
  let worst = Infinity;
  for (let i = 0; i < s.natoms; i++)
    for (let j = i; j < s.natoms; j++) worst = Math.min(worst, distance(s, i, j) / dmin(s.species[i], s.species[j]));
  return worst;
}

export interface SweepCase {
  composition: Record<string, number>;
  formulaUnits: number;
  /** Primitive-cell volume (Å³). */
  volume: number;
  minDistances: Record<string, number>;
  /** Structures per group. */
  seeds: number;
}

/** Covalent radii (Cordero et al. 2008) of the species the cases use without explicit distances. */
const RADII: Record<string, number> = { Na: 1.66, Cl: 1.02, Ca: 1.76, F: 0.57 };

/**
 * Every admissible group gives structures (a null is retried with the next stream, at most twice)
 * that moyo finds to have exactly that group at 1e-5 Å and at 1e-2 Å, with the composition, the
 * volume, the Wyckoff bookkeeping and the minimum distances.
 */
export function sweep(k: Kernels, c: SweepCase): void {
  const groups = admissibleSpaceGroups(c.composition, c.formulaUnits);
  expect(groups.length).toBeGreaterThan(10);
  const natoms = Object.values(c.composition).reduce((a, b) => a + b, 0) * c.formulaUnits;
  const species = Object.keys(c.composition);
  const dmin = (a: string, b: string) => {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    return c.minDistances[key] ?? 0.7 * (RADII[a] + RADII[b]);
  };
  const mismatches: string[] = [];
  const failures: number[] = [];
  let nulls = 0;
  for (const sg of groups) {
    for (let seed = 0; seed < c.seeds; seed++) {
      let r = null;
      for (let retry = 0; retry < 3 && !r; retry++) {
        r = randomSymmetricStructure({
          composition: c.composition,
          formulaUnits: c.formulaUnits,
          spaceGroup: sg,
          volume: c.volume,
          minDistances: c.minDistances,
          rng: new Rng(k, 1000 + seed, 1000 * retry + sg),
        });
        if (!r) nulls++;
      }
      if (!r) {
        failures.push(sg);
        continue;
      }
      const s = r.structure;
      expect(r.spaceGroup).toBe(sg);
      expect(s.natoms).toBe(natoms);
      for (const el of species) expect(s.composition().get(el)).toBe(c.composition[el] * c.formulaUnits);
      expect(s.volume).toBeCloseTo(c.volume, 8);
      expect(worstDistanceRatio(s, dmin)).toBeGreaterThanOrEqual(1 - 1e-9);
      // Wyckoff bookkeeping: the sites' primitive multiplicities add up to the atoms.
      const nCent = spaceGroupWyckoff(sg).centeringVectors.length;
      expect(r.sites.reduce((a, x) => a + x.multiplicity / nCent, 0)).toBe(natoms);
      expect(r.wyckoffs.length).toBe(natoms);
      const tight = moyoDataset(s, { symprec: 1e-5 }).number;
      if (tight !== sg) mismatches.push(`${sg} → ${tight}`);
      // Draws within 0.02 Å of a supergroup are rejected, so a looser analysis agrees too.
      const loose = moyoDataset(s, { symprec: 1e-2 }).number;
      if (loose !== sg) mismatches.push(`${sg} → ${loose} at 0.01 Å`);
    }
  }
  expect(mismatches).toEqual([]);
  // The volumes are generous: every admissible group gives structures, rarely needing a second call.
  expect(failures).toEqual([]);
  expect(nulls).toBeLessThanOrEqual(Math.ceil(0.03 * groups.length * c.seeds));
}
