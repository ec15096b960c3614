// Standard band paths: lattice kinds and the Cartesian positions of the special points (|q| in Å⁻¹
// without 2π), whatever cell the structure is given in; user paths and their errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMoyo } from '../../src/node/moyo.js';
import { bandPathFromString, customBandPath, PhononError, parsePathSegments, standardBandPath } from '../../src/phonons/index.js';
import { reciprocal3 } from '../../src/structure/mat3.js';
import { cellFromParameters, Structure } from '../../src/structure/structure.js';

beforeAll(() => {
  loadMoyo();
});

const norm = (s: Structure, q: ArrayLike<number>) => {
  const B = reciprocal3(s.cell);
  const v = [0, 1, 2].map((k) => q[0] * B[k] + q[1] * B[3 + k] + q[2] * B[6 + k]);
  return Math.hypot(v[0], v[1], v[2]);
};

const cube = (a: number, species: string[], frac: number[]) => new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, a], species, frac });

describe('standard paths (Setyawan-Curtarolo)', () => {
  const cases: { name: string; s: Structure; kind: string; check: Record<string, number>; path: string }[] = [];
  {
    const a = 3;
    cases.push({ name: 'simple cubic', s: cube(a, ['Po'], [0, 0, 0]), kind: 'CUB', check: { X: 1 / (2 * a), M: Math.SQRT2 / (2 * a), R: Math.sqrt(3) / (2 * a) }, path: 'Γ-X-M-Γ-R-X|M-R' });
  }
  {
    const a = 4; // conventional 4-atom fcc cell
    const s = cube(a, ['Cu', 'Cu', 'Cu', 'Cu'], [0, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0]);
    cases.push({ name: 'fcc (conventional cell)', s, kind: 'FCC', check: { X: 1 / a, L: Math.sqrt(3) / (2 * a), W: Math.sqrt(5) / (2 * a), K: (3 * Math.SQRT2) / (4 * a), U: (3 * Math.SQRT2) / (4 * a) }, path: 'Γ-X-W-K-Γ-L-U-W-L-K|U-X' });
  }
  {
    const a = 3.3; // conventional bcc
    cases.push({ name: 'bcc (conventional cell)', s: cube(a, ['Fe', 'Fe'], [0, 0, 0, 0.5, 0.5, 0.5]), kind: 'BCC', check: { H: 1 / a, N: Math.SQRT2 / (2 * a), P: Math.sqrt(3) / (2 * a) }, path: 'Γ-H-N-Γ-P-H|P-N' });
  }
  {
    const a = 2.5, c = 4.1;
    const s = new Structure({ cell: cellFromParameters(a, a, c, 90, 90, 120), species: ['Mg', 'Mg'], frac: [1 / 3, 2 / 3, 0.25, 2 / 3, 1 / 3, 0.75] });
    cases.push({ name: 'hcp', s, kind: 'HEX', check: { M: 1 / (Math.sqrt(3) * a), K: 2 / (3 * a), A: 1 / (2 * c), L: Math.hypot(1 / (Math.sqrt(3) * a), 1 / (2 * c)), H: Math.hypot(2 / (3 * a), 1 / (2 * c)) }, path: 'Γ-M-K-Γ-A-L-H-A|L-M|K-H' });
  }
  {
    const a = 3, c = 4.5;
    const s = new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, c], species: ['Sn'], frac: [0, 0, 0] });
    cases.push({ name: 'tetragonal P', s, kind: 'TET', check: { X: 1 / (2 * a), Z: 1 / (2 * c), M: Math.SQRT2 / (2 * a), A: Math.hypot(Math.SQRT2 / (2 * a), 1 / (2 * c)) }, path: 'Γ-X-M-Γ-Z-R-A-Z|X-R|M-A' });
  }
  {
    const a = 4, c = 3; // body-centred tetragonal, c < a
    const s = new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, c], species: ['In', 'In'], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
    const eta = (1 + (c * c) / (a * a)) / 4;
    cases.push({ name: 'bct (c < a)', s, kind: 'BCT1', check: { X: 1 / (Math.SQRT2 * a), Z: (2 * eta) / c, N: Math.hypot(1 / (2 * a), 1 / (2 * c)) }, path: 'Γ-X-M-Γ-Z-P-N-Z1-M|X-P' });
  }
  {
    const a = 3, c = 5; // c > a
    const s = new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, c], species: ['In', 'In'], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
    cases.push({ name: 'bct (c > a)', s, kind: 'BCT2', check: { X: 1 / (Math.SQRT2 * a), Z: 1 / c }, path: 'Γ-X-Y-Σ-Γ-Z-Σ1-N-P-Y1-Z|X-P' });
  }
  {
    const s = new Structure({ cell: [3, 0, 0, 0, 4, 0, 0, 0, 5], species: ['S'], frac: [0, 0, 0] });
    cases.push({ name: 'orthorhombic P', s, kind: 'ORC', check: { X: 1 / 6, Y: 1 / 8, Z: 1 / 10, R: Math.hypot(1 / 6, 1 / 8, 1 / 10) }, path: 'Γ-X-S-Y-Γ-Z-U-R-T-Z|Y-T|U-X|S-R' });
  }
  for (const [alpha, kind] of [[70, 'RHL1'], [100, 'RHL2']] as const) {
    const s = new Structure({ cell: cellFromParameters(3, 3, 3, alpha, alpha, alpha), species: ['Bi'], frac: [0, 0, 0] });
    const B = reciprocal3(s.cell);
    // Z: ½(b1 + b2 + b3) (RHL1) or ½(b1 − b2 + b3) (RHL2) of the rhombohedral cell itself
    const sg = kind === 'RHL1' ? 1 : -1;
    const z = Math.hypot(...[0, 1, 2].map((k) => 0.5 * (B[k] + sg * B[3 + k] + B[6 + k])));
    cases.push({ name: `rhombohedral α = ${alpha}°`, s, kind, check: { Z: z, L: Math.hypot(B[0], B[1], B[2]) / 2 }, path: kind === 'RHL1' ? 'Γ-L-B1|B-Z-Γ-X|Q-F-P1-Z|L-P' : 'Γ-P-Z-Q-Γ-F-P1-Q1-L-Z' });
  }

  for (const c of cases) {
    it(`${c.name}: ${c.kind}, special points at the right distance from Γ`, () => {
      const p = standardBandPath(c.s);
      expect(p.kind).toBe(c.kind);
      expect(p.segments.map((r) => r.join('-')).join('|')).toBe(c.path);
      expect(p.points['Γ']).toEqual([0, 0, 0]);
      for (const [label, want] of Object.entries(c.check)) expect(norm(c.s, p.points[label]), label).toBeCloseTo(want, 10);
    });
  }

  it('other lattices get a generic path through the face centres', () => {
    const s = new Structure({ cell: cellFromParameters(3, 4, 5, 90, 100, 90), species: ['C'], frac: [0, 0, 0] });
    const p = standardBandPath(s);
    expect(p.kind).toBe('generic');
    expect(p.segments).toEqual([['Γ', 'X'], ['Y', 'Γ', 'Z']]);
  });
});

describe('user paths', () => {
  const fcc = () => standardBandPath(new Structure({ cell: [0, 2, 2, 2, 0, 2, 2, 2, 0], species: ['Ar'], frac: [0, 0, 0] }));

  it('parses labels, breaks and Γ aliases', () => {
    expect(parsePathSegments('G-X-W|L-G, K-U')).toEqual([['G', 'X', 'W'], ['L', 'G'], ['K', 'U']]);
    const p = bandPathFromString('G-X-w|L-Gamma', fcc());
    expect(p.segments).toEqual([['Γ', 'X', 'W'], ['L', 'Γ']]);
  });

  it('an unknown label is a clear error naming it and the known points', () => {
    expect(() => bandPathFromString('G-X-Q', fcc())).toThrow(PhononError);
    expect(() => bandPathFromString('G-X-Q', fcc())).toThrow('unknown special point "Q" in band path "G-X-Q" for the FCC lattice; known points: G (Γ), K, L, U, W, X');
    expect(() => bandPathFromString('G', fcc())).toThrow(/at least two points/);
    expect(() => bandPathFromString('G--X', fcc())).toThrow(/empty label/);
    expect(() => customBandPath({ A: [0, 0, 0] }, [['A', 'B']])).toThrow(/"B", which is not among the given points/);
  });
});
