import { describe, expect, it } from 'vitest';
import { erfc, normalCdf, probabilityBelow, rankAtPressure, transitions, type PhasePoint } from '../../src/workflow/ranking.js';

describe('erfc and the normal distribution', () => {
  // reference values: Python's math.erfc (C library), printed with repr
  const ref: [number, number][] = [
    [0, 1.0], [0.3, 0.6713732405408726], [1, 0.15729920705028513], [2, 0.004677734981047265],
    [2.49, 0.000429287867733913], [2.51, 0.0003857054817242798], [3, 2.2090496998585438e-05],
    [5, 1.5374597944280351e-12], [10, 2.088487583762545e-45], [-1.5, 1.9661051464753108],
  ];
  it.each(ref)('erfc(%f) to 1e-13 relative', (x, v) => {
    expect(Math.abs(erfc(x) - v) / v).toBeLessThan(1e-13);
  });
  it('Φ(0) = 1/2, Φ(1.959963984540054) = 0.975', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
  });
});

describe('phase ranking', () => {
  const pt = (phase: string, pressure: number, g: number, gError = 0.001, modelError = 0): PhasePoint => ({ phase, pressure, g, gError, modelError });
  it('orders by G and gives the probability from the combined error', () => {
    const r = rankAtPressure([pt('B', 150, -1.0, 0.003, 0.004), pt('A', 150, -1.01, 0)]);
    expect(r.map((p) => p.phase)).toEqual(['A', 'B']);
    expect(r[1].gRelative).toBeCloseTo(0.01, 15);
    // ΔG = 0.01 eV, σ = hypot(0.003, 0.004) = 0.005: P = Φ(2)
    expect(r[0].pBelowNext).toBeCloseTo(0.9772498680518208, 13);
    expect(probabilityBelow(pt('X', 0, 0, 0), pt('Y', 0, 0, 0))).toBe(0.5);
  });
  it('finds the crossing of linear G curves and its error', () => {
    // G_A − G_B = 0.001 (P − 130) eV/atom: A stable below 130 GPa
    const pts: PhasePoint[] = [];
    for (const p of [100, 150, 200]) {
      pts.push(pt('A', p, 0.001 * (p - 130), 0.0003, 0.0004), pt('B', p, 0, 0));
    }
    const t = transitions(pts);
    expect(t).toHaveLength(1);
    expect(t[0].below).toBe('A');
    expect(t[0].above).toBe('B');
    expect(t[0].pressure).toBeCloseTo(130, 10);
    expect(t[0].error).toBeCloseTo(0.0005 / 0.001, 10);
  });
  it('reports no crossing when one phase stays below', () => {
    expect(transitions([pt('A', 100, -1), pt('B', 100, 0), pt('A', 200, -1), pt('B', 200, 0)])).toEqual([]);
  });
});
