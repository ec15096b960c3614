// Random symmetric structures (src/search/random-structure.ts): Wyckoff letters against moyo,
// determinism, output cells, admissibility (by hand-derived cases) and errors. The sweeps over every
// admissible group are in generator-groups-*.test.ts.
import { beforeAll, describe, expect, test } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { Rng } from '../../src/random/rng.js';
import {
  admissibleSpaceGroups,
  hasWyckoffAssignment,
  isRealizable,
  randomSymmetricStructure,
  RandomStructureError,
  type RandomStructure,
  type RandomStructureStats,
} from '../../src/search/random-structure.js';
import { spaceGroupWyckoff } from '../../src/search/wyckoff.js';
import { moyoDataset } from '../../src/symmetry/analyze.js';
import type { Kernels } from '../../src/wasm/kernels.js';

let k: Kernels;
beforeAll(async () => {
  loadMoyo();
  k = await loadKernels();
});

describe('the Wyckoff letters of generated structures', () => {
  test('moyo assigns orbits of the same multiplicity and site symmetry as the generator claims', () => {
    // moyo may pick another origin among those of the Euclidean normalizer (then 4a ↔ 4b), so the
    // letters are compared through multiplicity and site-symmetry symbol, which it preserves.
    let compared = 0;
    for (const sg of [2, 12, 62, 139, 166, 191, 194, 221, 225, 227, 229]) {
      const r = randomSymmetricStructure({ composition: { H: 3, S: 1 }, formulaUnits: 4, spaceGroup: sg, volume: 88, rng: new Rng(k, 7, sg), cell: 'conventional' })!;
      expect(r).not.toBeNull();
      const g = spaceGroupWyckoff(sg);
      const ds = moyoDataset(r.structure, { symprec: 1e-5, setting: 'standard' });
      expect(ds.number).toBe(sg);
      const byLetter = new Map(g.positions.map((p) => [p.letter, p]));
      for (let i = 0; i < r.structure.natoms; i++) {
        const ours = byLetter.get(r.wyckoffs[i])!;
        const theirs = byLetter.get(ds.wyckoffs[i])!;
        expect(theirs.multiplicity).toBe(ours.multiplicity);
        expect(ds.site_symmetry_symbols[i]).toBe(ours.siteSymmetry);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe('determinism and cells', () => {
  const opts = { composition: { H: 3, S: 1 }, formulaUnits: 2, volume: 44 };

  test('same seed, same structure bit for bit; another seed, another structure', () => {
    const a = randomSymmetricStructure({ ...opts, spaceGroup: 12, rng: new Rng(k, 42) })!;
    expect(a).not.toBeNull();
    const b = randomSymmetricStructure({ ...opts, spaceGroup: 12, rng: new Rng(k, 42) })!;
    const c = randomSymmetricStructure({ ...opts, spaceGroup: 12, rng: new Rng(k, 43) })!;
    expect(Array.from(a.structure.cell)).toEqual(Array.from(b.structure.cell));
    expect(Array.from(a.structure.frac)).toEqual(Array.from(b.structure.frac));
    expect(a.structure.species).toEqual(b.structure.species);
    expect(a.sites).toEqual(b.sites);
    expect(Array.from(c.structure.cell)).not.toEqual(Array.from(a.structure.cell));
  });

  test('conventional, primitive and reduced cells describe the same crystal', () => {
    for (const sg of [229, 166, 227, 64, 38]) {
      // formula units per primitive cell: the smallest number this group admits
      const fu = [1, 2, 3, 4].find((n) => isRealizable(sg, opts.composition, n))!;
      const cells = (['conventional', 'primitive', 'reduced'] as const).map((cell) =>
        randomSymmetricStructure({ ...opts, formulaUnits: fu, volume: 22 * fu, spaceGroup: sg, rng: new Rng(k, 5, sg), cell })!,
      );
      const nCent = spaceGroupWyckoff(sg).centeringVectors.length;
      expect(cells[0].structure.natoms).toBe(cells[1].structure.natoms * nCent);
      expect(cells[0].structure.volume).toBeCloseTo(cells[1].structure.volume * nCent, 8);
      expect(cells[2].structure.volume).toBeCloseTo(cells[1].structure.volume, 8);
      for (const r of cells) expect(moyoDataset(r.structure, { symprec: 1e-5 }).number).toBe(sg);
      // Same draws: identical sites and parameters whatever the output cell.
      expect(cells[1].sites).toEqual(cells[0].sites);
      expect(cells[2].sites).toEqual(cells[0].sites);
    }
  });
});

describe('admissibility', () => {
  test('combinatorial admissibility by hand: Fm-3m takes 1+1+2+6+… atoms per primitive cell, never 5 of one species with 0 left', () => {
    // Fm-3m primitive multiplicities: 4a,4b → 1; 8c → 2; 24d,24e → 6; 32f → 8; …
    expect(hasWyckoffAssignment(225, { Si: 4 })).toBe(true); // 4a + 4b + 8c
    expect(hasWyckoffAssignment(225, { Si: 5 })).toBe(false); // 1+1+2 = 4 < 5 < 6
    expect(hasWyckoffAssignment(225, { Si: 7 })).toBe(true); // 4a + 24d
    // Fixed points are used once over all species: Na, Cl, K, Rb cannot all sit on 1-fold points of Pm-3m (only 1a, 1b).
    expect(hasWyckoffAssignment(221, { Na: 1, Cl: 1 })).toBe(true);
    expect(hasWyckoffAssignment(221, { Na: 1, Cl: 1, K: 1 })).toBe(false);
  });

  test('groups that a composition can only realise with more symmetry are excluded', () => {
    // One atom per cell is always centrosymmetric: never P1, always P-1 (and the Bravais-lattice groups).
    const si1 = admissibleSpaceGroups({ Si: 1 });
    expect(si1).not.toContain(1);
    expect(si1).toContain(2);
    expect(si1).toEqual([2, 10, 12, 47, 65, 69, 71, 123, 139, 166, 191, 221, 225, 229]);
    expect(hasWyckoffAssignment(1, { Si: 1 })).toBe(true);
    expect(isRealizable(1, { Si: 1 })).toBe(false);
    // Two identical atoms: inversion through their midpoint, so not P1 either; two different atoms: P1.
    expect(isRealizable(1, { Si: 2 })).toBe(false);
    expect(isRealizable(1, { Na: 1, Cl: 1 })).toBe(true);
    // H3S, 1 f.u. in P23: S on 1a or 1b and H on 3c or 3d is always Pm-3m.
    expect(hasWyckoffAssignment(195, { H: 3, S: 1 })).toBe(true);
    expect(isRealizable(195, { H: 3, S: 1 })).toBe(false);
    expect(isRealizable(221, { H: 3, S: 1 })).toBe(true);
  });

  test('impossible pairs and bad input are clear errors before any work', () => {
    const base = { composition: { Si: 5 }, spaceGroup: 225, volume: 100, rng: new Rng(k, 1) };
    expect(() => randomSymmetricStructure(base)).toThrow(RandomStructureError);
    expect(() => randomSymmetricStructure(base)).toThrow(/Si5 .*admits no Wyckoff assignment in space group 225 \(F m -3 m\)/);
    expect(() => randomSymmetricStructure({ ...base, composition: { Si: 1 }, spaceGroup: 1 })).toThrow(/no structure of exactly space group 1 .*higher symmetry/);
    expect(() => randomSymmetricStructure({ ...base, composition: { Xx: 1 } })).toThrow(/unknown element "Xx"/);
    expect(() => randomSymmetricStructure({ ...base, composition: { Si: 1.5 } })).toThrow(/count of Si must be a non-negative integer/);
    expect(() => randomSymmetricStructure({ ...base, composition: { Si: 0 } })).toThrow(/no atoms/);
    expect(() => randomSymmetricStructure({ ...base, composition: { Si: 4 }, spaceGroup: 231 })).toThrow(/space group must be an integer in 1\.\.230, got 231/);
    expect(() => randomSymmetricStructure({ ...base, composition: { Si: 4 }, volume: -1 })).toThrow(/volume must be a positive number/);
    expect(() => randomSymmetricStructure({ ...base, composition: { Si: 4 }, minDistances: { 'Si-O': 1 } })).toThrow(/minDistances key "Si-O"/);
    expect(() => admissibleSpaceGroups({ Si: 1 }, 0)).toThrow(/formula units must be a positive integer/);
  });

  test('a volume too small for the distances gives null after the bounded number of draws', () => {
    const stats: RandomStructureStats = { attempts: 0, assignments: 0, distanceRejections: 0, symmetryRejections: 0 };
    const r: RandomStructure | null = randomSymmetricStructure({ composition: { Si: 8 }, spaceGroup: 227, volume: 10, rng: new Rng(k, 3), maxAttempts: 30, stats });
    expect(r).toBeNull();
    expect(stats.attempts).toBe(30);
    expect(stats.distanceRejections).toBe(30);
  });
});
