// The dependency-free SVG line plot.
import { describe, expect, it } from 'vitest';
import { escapeXml, linePlot, niceTicks } from '../../src/plot/svg.js';

describe('linePlot', () => {
  it('draws series, labelled vertical lines, axis labels; escapes text', () => {
    const svg = linePlot({
      series: [{ x: [0, 1, 2], y: [0, 1, 4] }, { x: [0, 2], y: [1, 1], label: 'a < b' }],
      xLabel: 'x (Å⁻¹)',
      yLabel: 'ν (THz)',
      title: 'R&D',
      vLines: [{ x: 0, label: 'Γ' }, { x: 1, label: 'X|U' }, { x: 2, label: 'L' }],
    });
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('>R&amp;D<');
    expect(svg).toContain('>a &lt; b<');
    for (const t of ['>Γ<', '>X|U<', '>L<', '>x (Å⁻¹)<', '>ν (THz)<']) expect(svg).toContain(t);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  it('nice ticks are round numbers covering the range', () => {
    expect(niceTicks(0, 2.02)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(-0.3, 10.8)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(escapeXml('"<&>"')).toBe('&quot;&lt;&amp;&gt;&quot;');
  });
});
