import { describe, expect, it } from 'vitest';
import {
  atomicNumber,
  covalentRadius,
  ELEMENTS,
  elementMass,
  hasCovalentRadius,
  hasStandardWeight,
  isElement,
  normalizeSymbol,
  symbolOf,
} from '../../src/structure/elements.js';
import { readFixtureJson } from '../helpers/fixtures.js';

// Reference: ase.data (ASE 3.22.1) dumped by test/fixtures/scripts/make_structure_fixtures.py.
const ase = readFixtureJson('structures/elements_ase.json') as {
  elements: { Z: number; symbol: string; mass: number; covalent_radius: number }[];
};

// Atomic weights that changed between the IUPAC table ASE 3.22 carries (2016, with some older values) and
// IUPAC 2021 (ours), where ASE still has an older value; ours must be the revised one:
const REVISED: Record<string, { ours: number; why: string }> = {
  Ar: { ours: 39.95, why: 'interval since IUPAC 2011; conventional value 39.95 (ASE: 39.948)' },
  Yb: { ours: 173.045, why: 'revised by IUPAC 2015 (ASE: 173.054)' },
  Hf: { ours: 178.486, why: 'revised by IUPAC 2019 (ASE: 178.49)' },
};

describe('element table', () => {
  it('has all 118 elements in order of Z, symbols matching ASE', () => {
    expect(ELEMENTS.length).toBe(118);
    expect(ase.elements.length).toBe(118);
    for (const e of ase.elements) {
      expect(symbolOf(e.Z)).toBe(e.symbol);
      expect(atomicNumber(e.symbol)).toBe(e.Z);
      expect(isElement(e.symbol)).toBe(true);
    }
  });

  it('standard atomic weights agree with ASE (IUPAC) to 1e-6 relative except three documented IUPAC revisions', () => {
    const bad: string[] = [];
    for (const e of ase.elements) {
      const m = elementMass(e.symbol);
      if (!hasStandardWeight(e.symbol)) continue;
      if (REVISED[e.symbol]) {
        if (m !== REVISED[e.symbol].ours) bad.push(`${e.symbol}: ours ${m}, expected ${REVISED[e.symbol].ours} (${REVISED[e.symbol].why})`);
        if (Math.abs(m - e.mass) > 0.01) bad.push(`${e.symbol}: ASE ${e.mass} too far from ours ${m}`);
        continue;
      }
      if (Math.abs(m - e.mass) > 1e-6 * e.mass) bad.push(`${e.symbol}: ours ${m}, ASE ${e.mass}`);
    }
    expect(bad).toEqual([]);
  });

  it('radioactive elements without standard weight carry a mass number within 5 of the isotope mass ASE uses', () => {
    const radio = ase.elements.filter((e) => !hasStandardWeight(e.symbol));
    expect(radio.map((e) => e.symbol)).toContain('Tc');
    expect(radio.length).toBe(34);
    for (const e of radio) {
      const m = elementMass(e.symbol);
      expect(Number.isInteger(m)).toBe(true);
      expect(Math.abs(m - e.mass)).toBeLessThanOrEqual(5);
    }
  });

  it('covalent radii equal ASE (Cordero 2008) for Z ≤ 96 and are refused beyond', () => {
    for (const e of ase.elements) {
      if (e.Z <= 96) {
        expect(hasCovalentRadius(e.symbol)).toBe(true);
        expect(covalentRadius(e.symbol), e.symbol).toBe(e.covalent_radius);
      } else {
        expect(hasCovalentRadius(e.symbol)).toBe(false);
        expect(() => covalentRadius(e.symbol)).toThrow(/no covalent radius tabulated for/);
      }
    }
  });

  it('values used throughout the toolkit', () => {
    expect(elementMass('H')).toBe(1.008);
    expect(elementMass('S')).toBe(32.06);
    expect(covalentRadius('S')).toBe(1.05);
    expect(covalentRadius('H')).toBe(0.31);
  });

  it('rejects unknown symbols and bad atomic numbers', () => {
    expect(isElement('Xx')).toBe(false);
    expect(isElement('fe')).toBe(false);
    expect(() => elementMass('Xx')).toThrow(/unknown element "Xx"/);
    expect(() => atomicNumber('D')).toThrow(/unknown element/);
    expect(() => symbolOf(0)).toThrow(RangeError);
    expect(() => symbolOf(119)).toThrow(RangeError);
    expect(() => symbolOf(1.5)).toThrow(RangeError);
    expect(normalizeSymbol('FE')).toBe('Fe');
    expect(normalizeSymbol('xx')).toBeUndefined();
  });
});
