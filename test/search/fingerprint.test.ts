// Oganov–Valle fingerprints: invariances (rotation, translation, supercell, atom order) and the
// distances between close-packed and bcc lattices.
import { describe, expect, it } from 'vitest';
import { makeSupercell } from '../../src/structure/supercell.js';
import { erf, fingerprint, fingerprintDistance, isDuplicate } from '../../src/search/fingerprint.js';
import { bcc, cscl, fcc, fccConventional, hcp, rocksalt, rotateAndShift } from './helpers.js';

describe('Oganov–Valle fingerprint', () => {
  it('erf matches known values', () => {
    // erf(0.5) = 0.5204998778130465, erf(1) = 0.8427007929497149, erf(2) = 0.9953222650189527 (A&S table 7.1)
    expect(erf(0)).toBeCloseTo(0, 7);
    expect(erf(0.5)).toBeCloseTo(0.5204998778, 6);
    expect(erf(-1)).toBeCloseTo(-0.8427007929, 6);
    expect(erf(2)).toBeCloseTo(0.9953222650, 6);
  });

  it('tends to the radial distribution: F → −1 below the first shell, the first peak holds the coordination number', () => {
    const a = 5.3;
    const fp = fingerprint(fcc('Ar', a));
    const f = fp.values[0];
    const d = fp.delta;
    // no neighbours below the nearest-neighbour distance a/√2 = 3.75 Å
    for (let k = 0; k < Math.floor(3.5 / d); k++) expect(f[k]).toBeCloseTo(-1, 12);
    // integral of (F+1)·4πR²ρΔ over the first shell = 12 neighbours
    let n = 0;
    for (let k = Math.floor(3.5 / d); k < Math.floor(4.2 / d); k++) {
      const r = (k + 0.5) * d;
      n += (f[k] + 1) * 4 * Math.PI * r * r * (4 / a ** 3) * d;
    }
    expect(n).toBeCloseTo(12, 2);
  });

  it('is invariant under rotation, translation, supercells and atom order', () => {
    for (const s of [fcc('Cu', 3.6), hcp('Mg', 3.2), cscl('Cs', 'Cl', 4.1)]) {
      const f0 = fingerprint(s);
      const moved = rotateAndShift(s, [1, 2, 3], 0.7, [0.13, -0.31, 0.77]);
      expect(fingerprintDistance(f0, fingerprint(moved))).toBeLessThan(1e-10);
      const sc = makeSupercell(s, [2, 1, 0, 0, 1, 0, 0, 1, 2]).structure;
      expect(fingerprintDistance(f0, fingerprint(sc))).toBeLessThan(1e-10);
      // reversed atom order
      const n = sc.natoms;
      const rev = sc.with({ species: [...sc.species].reverse(), frac: Float64Array.from({ length: 3 * n }, (_, q) => sc.frac[3 * (n - 1 - Math.floor(q / 3)) + (q % 3)]) });
      expect(fingerprintDistance(f0, fingerprint(rev))).toBeLessThan(1e-10);
    }
    // conventional fcc vs primitive
    expect(fingerprintDistance(fingerprint(fcc('Ar', 5.3)), fingerprint(fccConventional('Ar', 5.3)))).toBeLessThan(1e-10);
  });

  it('tells fcc, hcp and bcc apart (same nearest-neighbour distance), and close structures are near', () => {
    const d = 3.0;
    const f = fingerprint(fcc('Ar', d * Math.SQRT2));
    const h = fingerprint(hcp('Ar', d));
    const b = fingerprint(bcc('Ar', (2 * d) / Math.sqrt(3)));
    const dfh = fingerprintDistance(f, h), dfb = fingerprintDistance(f, b), dhb = fingerprintDistance(h, b);
    expect(dfh).toBeGreaterThan(0.008 * 3);
    expect(dfb).toBeGreaterThan(0.1);
    expect(dhb).toBeGreaterThan(0.1);
    // symmetric
    expect(fingerprintDistance(h, f)).toBeCloseTo(dfh, 14);
    // a 0.1 % strain of fcc (what a loose relaxation leaves) stays a duplicate; 1 % does not (σ = 0.03 Å)
    const fs = fingerprint(fcc('Ar', d * Math.SQRT2 * 1.001));
    expect(fingerprintDistance(f, fingerprint(fcc('Ar', d * Math.SQRT2 * 1.01)))).toBeGreaterThan(0.008);
    expect(fingerprintDistance(f, fs)).toBeLessThan(0.008);
    expect(isDuplicate({ fp: f, enthalpyPerAtom: -1 }, { fp: fs, enthalpyPerAtom: -1.001 })).toBe(true);
    expect(isDuplicate({ fp: f, enthalpyPerAtom: -1 }, { fp: fs, enthalpyPerAtom: -1.01 })).toBe(false);
    expect(isDuplicate({ fp: f, enthalpyPerAtom: -1 }, { fp: h, enthalpyPerAtom: -1 })).toBe(false);
  });

  it('compares only equal reduced formulas; binaries: CsCl vs rock salt', () => {
    const a = fingerprint(cscl('Na', 'Cl', 3.3));
    const r = fingerprint(rocksalt('Na', 'Cl', 5.6));
    expect(a.formula).toBe('ClNa');
    expect(fingerprintDistance(a, r)).toBeGreaterThan(0.05);
    expect(fingerprintDistance(a, fingerprint(fcc('Ar', 5)))).toBe(1);
    expect(a.weights.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 14);
  });
});
