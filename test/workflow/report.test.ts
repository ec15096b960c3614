import { describe, expect, it } from 'vitest';
import { gibbsSvg, reportHtml, type PhaseResult } from '../../src/workflow/report.js';

const phase = (name: string, pressure: number, g: number): PhaseResult => ({ phase: name, pressure, g, gError: 0.0005, modelError: 0.001, converged: true, lowestHessian: 120.5 });

describe('loop report', () => {
  const phases = [phase('R3m', 150, -1.0), phase('Im-3m', 150, -0.99), phase('R3m', 200, -0.5), phase('Im-3m', 200, -0.52)];
  it('ranks per pressure, lists the transition and counts reference calls', () => {
    const html = reportHtml({ title: 'H3S', formula: 'H3S', temperature: 0, phases, referenceCalls: { search: 10, sscha: 5 }, notes: ['a <note>'] });
    expect(html).toMatch(/^<!DOCTYPE html>/);
    const at150 = html.slice(html.indexOf('<h2>150 GPa'), html.indexOf('<h2>200 GPa'));
    expect(at150.indexOf('R3m')).toBeLessThan(at150.indexOf('Im-3m'));
    // ΔG changes sign between 150 (+10 meV) and 200 GPa (−20 meV): crossing at 150 + 50/3 GPa
    expect(html).toContain('R3m → Im-3m at 166.7');
    expect(html).toContain('15 in all');
    expect(html).toContain('a &lt;note&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
  it('plots G relative to the phase most stable at the lowest pressure', () => {
    const svg = gibbsSvg(phases);
    expect(svg).toContain('G − G(R3m) (meV/atom)');
    expect(svg).toContain('Im-3m');
  });
});

describe('phases that end as the same structure', () => {
  it('are named in a note, and different ones are not', async () => {
    const { sameEndPoints } = await import('../../src/workflow/loop.js');
    const base = { gError: 0.0004, modelError: 0 };
    const notes = sameEndPoints([
      { ...base, phase: 'R3m', pressure: 150, g: 1.44285, spaceGroup: 'Im-3m (229)', volume: 3.653 },
      { ...base, phase: 'Im-3m', pressure: 150, g: 1.44379, spaceGroup: 'Im-3m (229)', volume: 3.6531 },
      { ...base, phase: 'Cccm', pressure: 150, g: 1.45, spaceGroup: 'Cccm (66)', volume: 3.653 },
      { ...base, phase: 'R3m', pressure: 200, g: 2.5, spaceGroup: 'R3m (160)', volume: 3.35 },
      { ...base, phase: 'Im-3m', pressure: 200, g: 2.5, spaceGroup: 'Im-3m (229)', volume: 3.35 },
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('At 150 GPa R3m and Im-3m end as the same structure');
    expect(notes[0]).toContain('0.94 ± 0.57 meV/atom');
  });

  it('do not make a transition when they cross by noise at both pressures; different structures do', async () => {
    const { physicalTransitions } = await import('../../src/workflow/loop.js');
    const base = { gError: 0.0004, modelError: 0 };
    const same = [
      { ...base, phase: 'R3m', pressure: 150, g: 1.4435, spaceGroup: 'Im-3m (229)', volume: 3.654 },
      { ...base, phase: 'Im-3m', pressure: 150, g: 1.4432, spaceGroup: 'Im-3m (229)', volume: 3.655 },
      { ...base, phase: 'R3m', pressure: 200, g: 2.5349, spaceGroup: 'Im-3m (229)', volume: 3.353 },
      { ...base, phase: 'Im-3m', pressure: 200, g: 2.5354, spaceGroup: 'Im-3m (229)', volume: 3.352 },
    ];
    expect(physicalTransitions(same)).toEqual([]);
    // R3m staying R3m at 150 GPa: a real crossing
    const different = same.map((x) => (x.phase === 'R3m' && x.pressure === 150 ? { ...x, spaceGroup: 'R3m (160)' } : x));
    const t = physicalTransitions(different);
    expect(t).toHaveLength(1);
    expect(t[0].pressure).toBeGreaterThan(150);
    expect(t[0].pressure).toBeLessThan(200);
  });
});
