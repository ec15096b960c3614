// Variation operators: every child keeps the composition, respects the minimum distances and the cell
// constraints of physics.md 7.1, and is reproducible from its random stream.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { MinDistances, parseFormula, reducedFormula, SearchInputError } from '../../src/search/composition.js';
import { constraintViolation, minDistanceViolation, niggliStructure } from '../../src/search/constraints.js';
import { Draws } from '../../src/search/draws.js';
import {
  coordinateMutation, heredity, latticeMutation, normalizeFractions, permutation, randomChild, randomP1Generator, softMutation, springHessian, type ChildContext,
} from '../../src/search/operators.js';
import { Structure } from '../../src/structure/structure.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { eigh } from '../../src/linalg/eigh.js';
import { fingerprint, fingerprintDistance } from '../../src/search/fingerprint.js';
import { bcc, diamond, fcc } from './helpers.js';
import { makeSupercell } from '../../src/structure/supercell.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

const counts = (s: Structure) => [...s.composition()].sort().map(([e, n]) => `${e}${n}`).join('');

function check(child: Structure | null, parent: Structure, ctx: ChildContext): Structure {
  expect(child).not.toBeNull();
  const c = child!;
  expect(counts(c)).toBe(counts(parent));
  expect(minDistanceViolation(c, ctx.minDistances)).toBeNull();
  expect(constraintViolation(c, { minDistances: ctx.minDistances, referenceVolume: ctx.volumePerAtom * c.natoms })).toBeNull();
  // rescaled to the reference volume
  expect(c.volume / c.natoms).toBeCloseTo(ctx.volumePerAtom, 8);
  const l = c.lattice();
  for (const a of [l.alpha, l.beta, l.gamma]) {
    expect(a).toBeGreaterThanOrEqual(59.9);
    expect(a).toBeLessThanOrEqual(120.1);
  }
  return c;
}

describe('compositions', () => {
  it('parses formulas and rejects junk and unknown elements', () => {
    expect(parseFormula('H3S')).toEqual({ species: ['H', 'S'], counts: [3, 1] });
    expect(parseFormula('MgSiO3')).toEqual({ species: ['Mg', 'Si', 'O'], counts: [1, 1, 3] });
    expect(reducedFormula(['S', 'H'], [2, 6])).toBe('SH3');
    expect(() => parseFormula('H3Xx')).toThrow(/unknown element "Xx"/);
    expect(() => parseFormula('h3s')).toThrow(SearchInputError);
    expect(() => parseFormula('H0S')).toThrow(/positive integer/);
    expect(() => parseFormula('Cf2')).toThrow(/covalent radius/);
  });

  it('minimum distances: 0.7 × (r_A + r_B) and overrides', () => {
    const md = new MinDistances(['H', 'S'], 0.7, { 'H-H': 0.8 });
    expect(md.get('H', 'S')).toBeCloseTo(0.7 * (0.31 + 1.05), 12);
    expect(md.get('H', 'H')).toBe(0.8);
    expect(md.get('S', 'S')).toBeCloseTo(1.47, 12);
    expect(() => new MinDistances(['H', 'S'], 0.7, { 'H-O': 1 })).toThrow(/pair of the formula's elements/);
  });

  it('normalises operator fractions; one species: permutation goes to soft mutation', () => {
    const f = normalizeFractions({}, 1);
    expect(f.permutation).toBe(0);
    expect(f.soft).toBeCloseTo(0.2, 12);
    expect(Object.values(f).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(normalizeFractions({ heredity: 2, random: 2, lattice: 0, soft: 0, permutation: 0 }, 2).heredity).toBeCloseTo(0.5, 12);
  });
});

describe('variation operators', () => {
  // two different 8-atom parents of H3S-like composition (S2H6 + …): random P1 structures
  const md = new MinDistances(['H', 'S'], 0.7);
  const ctx: ChildContext = { minDistances: md, volumePerAtom: 6 };
  const species = ['H', 'H', 'H', 'H', 'H', 'H', 'S', 'S'];

  it('heredity, lattice, permutation, coordinate and soft mutation keep composition, distances and cell constraints', () => {
    const d = new Draws(k, 11, 0);
    const pa = randomChild(randomP1Generator, d, species, ctx)!;
    const pb = randomChild(randomP1Generator, d, species, ctx)!;
    let n = 0;
    for (let s = 1; s <= 10; s++) {
      const dd = new Draws(k, 99, s);
      check(heredity(dd, pa, pb, ctx), pa, ctx);
      check(latticeMutation(dd, pa, ctx), pa, ctx);
      check(permutation(dd, pa, ctx), pa, ctx);
      check(coordinateMutation(dd, pb, ctx), pb, ctx);
      const soft = softMutation(k, dd, pb, s - 1, ctx);
      if (soft.structure) {
        check(soft.structure, pb, ctx);
        n++;
      }
      expect(soft.used).toBeGreaterThan(s - 1);
    }
    expect(n).toBeGreaterThan(5);
  });

  it('heredity takes atoms from both parents; different compositions are refused', () => {
    const md1 = new MinDistances(['Ar'], 0.7);
    const c1: ChildContext = { minDistances: md1, volumePerAtom: 37 };
    const a = makeSupercell(fcc('Ar', 5.3), [2, 0, 0, 0, 2, 0, 0, 0, 2]).structure; // 8 atoms
    const b = makeSupercell(bcc('Ar', 4.2), [2, 0, 0, 0, 2, 0, 0, 0, 2]).structure;
    const child = check(heredity(new Draws(k, 5, 1), a, b, c1), a, c1);
    expect(child.natoms).toBe(8);
    expect(heredity(new Draws(k, 5, 1), a, fcc('Ar', 5.3), c1)).toBeNull();
  });

  it('is reproducible: the same stream gives the same child, another stream another one', () => {
    const d = new Draws(k, 11, 0);
    const pa = randomChild(randomP1Generator, d, species, ctx)!;
    const x = latticeMutation(new Draws(k, 3, 7), pa, ctx)!;
    const y = latticeMutation(new Draws(k, 3, 7), pa, ctx)!;
    const z = latticeMutation(new Draws(k, 3, 8), pa, ctx)!;
    expect(Array.from(x.cell)).toEqual(Array.from(y.cell));
    expect(Array.from(x.frac)).toEqual(Array.from(y.frac));
    expect(Array.from(x.cell)).not.toEqual(Array.from(z.cell));
  });

  it('permutation swaps unlike atoms only and needs two species', () => {
    const d = new Draws(k, 4, 4);
    const si = makeSupercell(diamond('Si', 5.43), [1, 1, 0, 0, 1, 1, 1, 0, 1]).structure;
    expect(permutation(d, si, { minDistances: new MinDistances(['Si']), volumePerAtom: si.volume / si.natoms })).toBeNull();
  });

  it('spring model: positive semi-definite, with the three uniform translations pushed to the top of the spectrum', () => {
    const s = makeSupercell(diamond('Si', 5.43), [2, 0, 0, 0, 1, 0, 0, 0, 1]).structure; // 4 atoms
    const m = 3 * s.natoms;
    const { values, vectors } = eigh(k, springHessian(s), m, { symmetryTol: Infinity });
    expect(values[0]).toBeGreaterThan(-1e-10);
    // the three largest are the penalised translations: their vectors are uniform
    for (let j = m - 3; j < m; j++) {
      for (let a = 0; a < 3; a++) {
        const ref = vectors[a * m + j];
        for (let i = 1; i < s.natoms; i++) expect(vectors[(3 * i + a) * m + j]).toBeCloseTo(ref, 8);
      }
    }
  });

  it('Niggli reduction of children keeps the crystal (same distances, reduced angles)', () => {
    const skew = new Structure({ cell: [4, 0, 0, 3, 4, 0, 1, 2, 4], species: ['Ar', 'Ar'], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
    const n = niggliStructure(skew);
    expect(n.volume).toBeCloseTo(skew.volume, 10);
    expect(fingerprintDistance(fingerprint(n), fingerprint(skew))).toBeLessThan(1e-10);
    const l = n.lattice();
    for (const a of [l.alpha, l.beta, l.gamma]) expect(Math.abs(a - 90)).toBeLessThanOrEqual(30 + 1e-9);
  });
});
