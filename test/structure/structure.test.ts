import { describe, expect, it } from 'vitest';
import { vecMul3 } from '../../src/structure/mat3.js';
import { assertNoOverlaps, cellFromParameters, checkStructure, Structure, StructureError } from '../../src/structure/structure.js';
import { makeSupercell } from '../../src/structure/supercell.js';

// H3S Im-3m, a = 3.09 Å (~150 GPa): S at 2a (0,0,0), H at 6b (0,½,½); conventional cell.
const h3s = new Structure({
  cell: [3.09, 0, 0, 0, 3.09, 0, 0, 0, 3.09],
  species: ['S', 'S', 'H', 'H', 'H', 'H', 'H', 'H'],
  frac: [0, 0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0, 0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5],
});

describe('checkStructure', () => {
  it('H3S at 3.09 Å: clean at 0.5 Å; at 1.6 Å the 6 S–H and 6 H–H pairs at a/2 = 1.545 Å are reported', () => {
    expect(checkStructure(h3s).ok).toBe(true);
    // Each H has 2 S neighbours at a/2 (both images of one S atom) and 4 H neighbours at a/2 (images of
    // 2 H atoms): 6 distinct S–H pairs and 6 distinct H–H pairs; the next distance is a/√2 = 2.185 Å.
    const r = checkStructure(h3s, 1.6);
    expect(r.ok).toBe(false);
    expect(r.overlaps.length).toBe(12);
    for (const o of r.overlaps) expect(o.distance).toBeCloseTo(1.545, 12);
    expect(r.overlaps.filter((o) => h3s.species[o.i] === 'S' && h3s.species[o.j] === 'H').length).toBe(6);
    expect(r.overlaps.filter((o) => h3s.species[o.i] === 'H' && h3s.species[o.j] === 'H').length).toBe(6);
    expect(checkStructure(h3s, 2.18).overlaps.length).toBe(12);
    expect(checkStructure(h3s, 2.19).overlaps.length).toBeGreaterThan(12);
  });

  it('finds overlaps across the cell boundary and names the atoms and the image', () => {
    const s = new Structure({ cell: [10, 0, 0, 0, 10, 0, 0, 0, 10], species: ['H', 'S', 'H'], frac: [0.01, 0.5, 0.5, 0.5, 0.5, 0.5, 0.99, 0.5, 0.5] });
    const r = checkStructure(s, 0.5);
    expect(r.overlaps).toHaveLength(1);
    const o = r.overlaps[0];
    expect([o.i, o.j]).toEqual([0, 2]);
    expect(o.distance).toBeCloseTo(0.2, 12);
    expect(o.image).toEqual([-1, 0, 0]);
    expect(r.messages[0]).toMatch(/atoms 1 \(H\) and 3 \(H\) are 0\.2000 Å apart \(image \[-1 0 0\] of atom 3\)/);
    expect(() => assertNoOverlaps(s)).toThrow(StructureError);
    expect(() => assertNoOverlaps(s)).toThrow(/atoms 1 \(H\) and 3 \(H\)/);
  });

  it('reports an atom too close to its own periodic image (short lattice vector)', () => {
    const s = new Structure({ cell: [0.4, 0, 0, 0, 5, 0, 0, 0, 5], species: ['H'], frac: [0, 0, 0] });
    const r = checkStructure(s, 0.5);
    expect(r.overlaps).toHaveLength(1);
    expect(r.overlaps[0].i).toBe(0);
    expect(r.overlaps[0].j).toBe(0);
    expect(r.overlaps[0].distance).toBeCloseTo(0.4, 12);
    expect(r.messages[0]).toMatch(/atom 1 \(H\) is 0\.4000 Å from its own periodic image/);
  });

  it('agrees with a brute-force search over many images in a strongly skewed cell', () => {
    const cell = [3, 0, 0, 2.7, 0.9, 0, 2.6, 0.5, 0.7];
    const species = ['H', 'H', 'S', 'H'];
    const frac = [0.1, 0.2, 0.3, 0.8, 0.9, 0.1, 0.45, 0.55, 0.65, 0.3, 0.05, 0.95];
    const s = new Structure({ cell, species, frac });
    for (const dmin of [0.3, 0.6, 1.0, 1.5]) {
      const r = checkStructure(s, dmin);
      const want: string[] = [];
      for (let i = 0; i < 4; i++)
        for (let j = i; j < 4; j++) {
          let best = Infinity;
          for (let a = -8; a <= 8; a++)
            for (let b = -8; b <= 8; b++)
              for (let c = -8; c <= 8; c++) {
                if (i === j && a === 0 && b === 0 && c === 0) continue;
                const d = vecMul3([frac[3 * j] - frac[3 * i] + a, frac[3 * j + 1] - frac[3 * i + 1] + b, frac[3 * j + 2] - frac[3 * i + 2] + c], cell);
                best = Math.min(best, Math.hypot(d[0], d[1], d[2]));
              }
          if (best < dmin) want.push(`${i}-${j}:${best.toFixed(10)}`);
        }
      expect(r.overlaps.map((o) => `${o.i}-${o.j}:${o.distance.toFixed(10)}`)).toEqual(want);
    }
  });

  it('a supercell of a clean structure stays clean; a doubled atom is caught', () => {
    const sc = makeSupercell(h3s, [2, 2, 2]).structure;
    expect(checkStructure(sc).ok).toBe(true);
    const bad = new Structure({ cell: h3s.cell, species: [...h3s.species, 'H'], frac: [...h3s.frac, 0.5, 0.5, 0.5 + 1e-3] });
    const r = checkStructure(bad);
    expect(r.overlaps.map((o) => [o.i, o.j])).toEqual([[1, 8]]);
  });
});

describe('cellFromParameters', () => {
  it('gives the standard orientation and reproduces the parameters', () => {
    const c = cellFromParameters(4.4, 5.1, 6.0, 81, 95.5, 104.2);
    expect(c[1]).toBe(0);
    expect(c[2]).toBe(0);
    expect(c[5]).toBe(0);
    expect(c[8]).toBeGreaterThan(0);
    const s = new Structure({ cell: c, species: ['H'], frac: [0, 0, 0] });
    const p = s.lattice();
    expect(p.a).toBeCloseTo(4.4, 13);
    expect(p.b).toBeCloseTo(5.1, 13);
    expect(p.c).toBeCloseTo(6.0, 13);
    expect(p.alpha).toBeCloseTo(81, 11);
    expect(p.beta).toBeCloseTo(95.5, 11);
    expect(p.gamma).toBeCloseTo(104.2, 11);
  });

  it('is exact for right angles and 120°', () => {
    expect(Array.from(cellFromParameters(3.09, 3.09, 3.09, 90, 90, 90))).toEqual([3.09, 0, 0, 0, 3.09, 0, 0, 0, 3.09]);
    const hex = cellFromParameters(4.17, 4.17, 10.71, 90, 90, 120);
    expect(hex[3]).toBe(-2.085);
    expect(hex[6]).toBe(0);
    expect(hex[7]).toBe(0);
    expect(hex[8]).toBe(10.71);
  });

  it('refuses impossible parameters', () => {
    expect(() => cellFromParameters(1, 1, 1, 10, 10, 90)).toThrow(/do not form a cell/);
    expect(() => cellFromParameters(-1, 1, 1, 90, 90, 90)).toThrow(/must be positive/);
    expect(() => cellFromParameters(1, 1, 1, 180, 90, 90)).toThrow(/angle alpha/);
  });
});

describe('Structure refuses bad input with a clear message', () => {
  const cell = [3, 0, 0, 0, 3, 0, 0, 0, 3];
  it('no atoms, a flat cell, an unknown species, NaN positions, a bad mass', () => {
    expect(() => new Structure({ cell, species: [], frac: [] })).toThrow('structure has no atoms');
    expect(() => new Structure({ cell: [3, 0, 0, 0, 3, 0, 6, 0, 0], species: ['H'], frac: [0, 0, 0] })).toThrow(/cell is degenerate/);
    expect(() => new Structure({ cell, species: ['H', 'Xx'], frac: [0, 0, 0, 0.5, 0.5, 0.5] })).toThrow('unknown species "Xx" (atom 2)');
    expect(() => new Structure({ cell, species: ['H'], frac: [0, NaN, 0] })).toThrow(/positions contain NaN or Inf/);
    expect(() => new Structure({ cell, species: ['H'], frac: [0, 0, 0], masses: [-1] })).toThrow('mass of atom 1 must be positive, got -1');
    expect(() => new Structure({ cell, species: ['H'], frac: [0, 0, 0] })).not.toThrow();
    expect(new Structure({ cell, species: ['D'], frac: [0, 0, 0] }).masses[0]).toBeCloseTo(2.014102, 6);
    expect(() => new Structure({ cell, species: ['H'], frac: [0, 0, 0] })).not.toThrow(StructureError);
  });
});

describe('Structure.formula', () => {
  it('counts atoms per element in order of first appearance', () => {
    const cell = [3, 0, 0, 0, 3, 0, 0, 0, 3];
    const frac = [0, 0, 0, 0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5];
    expect(new Structure({ cell, species: ['S', 'H', 'H', 'H'], frac }).formula()).toBe('SH3');
    expect(new Structure({ cell, species: ['Si', 'Si'], frac: frac.slice(0, 6) }).formula()).toBe('Si2');
    expect(new Structure({ cell, species: ['D', 'S'], frac: frac.slice(0, 6) }).formula()).toBe('HS');
  });
});
