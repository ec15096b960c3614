// src/numeric/detmath.ts against mpmath (200-bit) reference values made by
// test/fixtures/scripts/detmath_reference.py, plus the exact values and symmetries the code relies on.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { acos, cbrt, cos2pi, cosDeg, cosSin2pi, exp, expm1, hypot, hypot2, hypot3, log, log1p, sin2pi, sinDeg } from '../../src/numeric/detmath.js';

interface Table { x: number[]; hi: number[]; lo: number[] }
const REF = JSON.parse(readFileSync(new URL('../fixtures/numeric/detmath-reference.json', import.meta.url), 'utf8')).functions as Record<string, Table>;

/** Spacing of doubles at |v| (v normal). */
function ulp(v: number): number {
  const a = Math.abs(v);
  let u = Number.EPSILON; // ulp(1)
  let p = 1;
  while (p > a) { p /= 2; u /= 2; }
  while (p * 2 <= a) { p *= 2; u *= 2; }
  return u;
}

/** Error of `got` in ulps of the exact value hi + lo: ((got − hi) − lo)/ulp(hi). */
function ulps(got: number, hi: number, lo: number): number {
  return Math.abs((got - hi - lo) / ulp(hi));
}

const FUNCTIONS: Record<string, (x: number) => number> = { cos2pi, sin2pi, cosDeg, sinDeg, exp, expm1, log, log1p, acos, cbrt };

describe('deterministic elementary functions against mpmath', () => {
  for (const [name, f] of Object.entries(FUNCTIONS)) {
    it(`${name}: within 1 ulp of the exact value at every reference point`, () => {
      const t = REF[name];
      expect(t.x.length).toBeGreaterThan(300);
      let worst = 0, at = NaN, correct = 0;
      for (let i = 0; i < t.x.length; i++) {
        const e = ulps(f(t.x[i]), t.hi[i], t.lo[i]);
        if (f(t.x[i]) === t.hi[i]) correct++;
        if (!(e <= worst)) { worst = e; at = t.x[i]; }
      }
      console.log(`${name}: worst ${worst.toFixed(3)} ulp (at ${at}), correctly rounded ${correct}/${t.x.length}`);
      expect(worst).toBeLessThan(1);
    });
  }
});

describe('exact values the physics relies on', () => {
  it('Bloch phases at Γ, the zone boundary and quarter turns are exact', () => {
    for (const n of [0, 1, -1, 2, 7, -13, 2 ** 40]) {
      expect(cos2pi(n)).toBe(1);
      expect(Object.is(sin2pi(n), 0)).toBe(true);
      expect(cos2pi(n + 0.5)).toBe(-1);
      expect(Object.is(sin2pi(n + 0.5), 0)).toBe(true);
      expect(Object.is(cos2pi(n + 0.25), 0)).toBe(true);
      expect(sin2pi(n + 0.25)).toBe(1);
      expect(sin2pi(n - 0.25)).toBe(-1);
    }
    // q·R at a commensurate q of a 4×4×4 supercell: multiples of 1/4 only
    const cs = new Float64Array(2);
    for (const t of [0.25 * 3 + 0.5 * -2 + 0.75 * 1, -1.25, 3.75]) {
      cosSin2pi(t, cs);
      expect([...cs].every((v) => v === 0 || v === 1 || v === -1)).toBe(true);
    }
  });

  it('cos/sin in turns are even/odd and satisfy cos² + sin² = 1 to rounding', () => {
    for (let i = 1; i < 500; i++) {
      const t = (i * 0.7548776662466927) % 3;
      expect(cos2pi(-t)).toBe(cos2pi(t));
      expect(sin2pi(-t)).toBe(-sin2pi(t));
      expect(Math.abs(cos2pi(t) ** 2 + sin2pi(t) ** 2 - 1)).toBeLessThan(4e-16);
    }
  });

  it('crystallographic angles in degrees', () => {
    expect(cosDeg(90)).toBe(0);
    expect(cosDeg(60)).toBe(0.5);
    expect(cosDeg(120)).toBe(-0.5);
    expect(sinDeg(30)).toBe(0.5);
    expect(sinDeg(150)).toBe(0.5);
    expect(cosDeg(180)).toBe(-1);
    expect(sinDeg(90)).toBe(1);
    expect(cosDeg(45)).toBe(Math.SQRT1_2);
  });

  it('exp, log, expm1, log1p, acos, cbrt at exact points and limits', () => {
    expect(exp(0)).toBe(1);
    expect(log(1)).toBe(0);
    expect(log(2 ** 10)).toBe(10 * 0.6931471805599453);
    expect(exp(-800)).toBe(0);
    expect(exp(800)).toBe(Infinity);
    expect(exp(-Infinity)).toBe(0);
    expect(exp(-745)).toBeGreaterThan(0); // subnormal result, not flushed
    expect(log(0)).toBe(-Infinity);
    expect(log(-1)).toBeNaN();
    expect(log(Infinity)).toBe(Infinity);
    expect(Object.is(expm1(-0), -0)).toBe(true);
    expect(expm1(-800)).toBe(-1);
    expect(Object.is(log1p(-0), -0)).toBe(true);
    expect(log1p(-1)).toBe(-Infinity);
    expect(log1p(-2)).toBeNaN();
    expect(acos(1)).toBe(0);
    expect(acos(-1)).toBe(Math.PI);
    expect(acos(0)).toBe(Math.PI / 2);
    expect(acos(1.0000000000000002)).toBeNaN();
    for (let k = -40; k <= 40; k++) if (k !== 0) expect(cbrt(k * k * k)).toBe(k);
    expect(cbrt(0.001)).toBe(0.1);
    expect(Object.is(cbrt(-0), -0)).toBe(true);
    for (const f of [exp, expm1, log, log1p, acos, cbrt, cos2pi, sin2pi, cosDeg, sinDeg]) expect(f(NaN)).toBeNaN();
  });

  it('Euclidean norms', () => {
    expect(hypot3(2, 3, 6)).toBe(7);
    expect(hypot2(3, 4)).toBe(5);
    expect(hypot(1, 2, 2, 4)).toBe(5);
    expect(hypot()).toBe(0);
  });
});
