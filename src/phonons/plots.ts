// SVG figures of band structures and densities of states (strings; see src/plot/svg.ts).
import { linePlot } from '../plot/svg.js';
import type { BandStructure } from './band-path.js';
import type { Dos } from './mesh.js';

/** Band structure: ν (THz) against path length, special points as labelled vertical lines. */
export function bandStructureSvg(bs: BandStructure, options: { title?: string; width?: number; height?: number } = {}): string {
  const series = [];
  for (const seg of bs.segments) {
    const np = seg.distances.length;
    for (let b = 0; b < bs.nbands; b++) {
      const y = new Float64Array(np);
      for (let i = 0; i < np; i++) y[i] = seg.frequencies[i * bs.nbands + b];
      series.push({ x: seg.distances, y, color: '#1f4e9c', width: 1.4 });
    }
  }
  const last = bs.ticks[bs.ticks.length - 1]?.distance ?? 1;
  return linePlot({
    series,
    title: options.title,
    width: options.width,
    height: options.height,
    xRange: [0, last || 1],
    xLabel: 'wave vector (path through the Brillouin zone)',
    yLabel: 'frequency ν (THz)',
    vLines: bs.ticks.map((t) => ({ x: t.distance, label: t.label })),
    hLines: [{ y: 0, color: '#666', dash: '4 3' }],
  });
}

/** Density of states: g(ν) (states/THz per cell) against ν (THz). */
export function dosSvg(dos: Dos, options: { title?: string; width?: number; height?: number } = {}): string {
  return linePlot({
    series: [{ x: dos.frequencies, y: dos.dos, color: '#b2182b', width: 1.6, label: `Gaussian σ = ${+dos.sigma.toPrecision(3)} THz` }],
    title: options.title,
    width: options.width,
    height: options.height,
    xLabel: 'frequency ν (THz)',
    yLabel: 'DOS g(ν) (states/THz per cell)',
    yRange: [0, Math.max(...dos.dos) * 1.08 || 1],
  });
}
