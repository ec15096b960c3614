// Interactive plots for the page: the SVG of src/plot/svg.ts (the same figures the CLI writes) put
// into the DOM, plus hover values: the data point nearest the pointer is marked and described.
// The plot area is read back from the SVG's clip rectangle, so the mapping data → pixels follows
// svg.ts whatever its margins.
import type { BandStructure } from '../phonons/band-path.js';
import { THZ_TO_CM } from '../phonons/units.js';
import type { StepRecord } from '../sscha/minimize.js';
import { linePlot, type LinePlotOptions, type Series } from '../plot/svg.js';

let uid = 0;

export type Describe = (series: number, point: number) => string;

function padRange(values: Iterable<number>, pad = 0.05): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi === lo) return [lo - 1, hi + 1];
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** Render `o` into `el` (replacing its content) with hover values from `describe`. */
export function mountPlot(el: HTMLElement, o: LinePlotOptions, describe: Describe): void {
  const xs: number[] = [], ys: number[] = [];
  for (const s of o.series) {
    for (let i = 0; i < s.x.length; i++) xs.push(s.x[i]);
    for (let i = 0; i < s.y.length; i++) ys.push(s.y[i]);
  }
  const xRange = o.xRange ?? padRange(xs, 0);
  const yRange = o.yRange ?? padRange(ys);
  const id = `plot-area-${++uid}`;
  el.innerHTML = linePlot({ ...o, xRange, yRange }).replaceAll('plot-area', id);
  el.classList.add('plot');
  const svg = el.querySelector('svg')!;
  svg.setAttribute('width', '100%');
  svg.removeAttribute('height');
  const clip = svg.querySelector(`#${id} rect`)!;
  const [px, py, pw, ph] = ['x', 'y', 'width', 'height'].map((a) => Number(clip.getAttribute(a)));
  const X = (v: number) => px + ((v - xRange[0]) / (xRange[1] - xRange[0] || 1)) * pw;
  const Y = (v: number) => py + ph - ((v - yRange[0]) / (yRange[1] - yRange[0] || 1)) * ph;
  const NS = 'http://www.w3.org/2000/svg';
  const marker = document.createElementNS(NS, 'circle');
  marker.setAttribute('r', '4.5');
  marker.setAttribute('fill', 'none');
  marker.setAttribute('stroke', '#111');
  marker.setAttribute('stroke-width', '1.5');
  marker.style.display = 'none';
  svg.appendChild(marker);
  const tip = document.createElement('div');
  tip.className = 'tip';
  tip.style.display = 'none';
  el.appendChild(tip);
  const points = o.series.map((s) => {
    const n = Math.min(s.x.length, s.y.length);
    const p = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      p[2 * i] = X(s.x[i]);
      p[2 * i + 1] = Y(s.y[i]);
    }
    return p;
  });
  svg.addEventListener('mousemove', (ev) => {
    const m = svg.getScreenCTM();
    if (!m) return;
    const pt = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
    if (pt.x < px || pt.x > px + pw || pt.y < py || pt.y > py + ph) {
      marker.style.display = tip.style.display = 'none';
      return;
    }
    let best = Infinity, bs = -1, bi = -1;
    points.forEach((p, s) => {
      for (let i = 0; i < p.length; i += 2) {
        const d = (p[i] - pt.x) ** 2 + (p[i + 1] - pt.y) ** 2;
        if (d < best) {
          best = d;
          bs = s;
          bi = i / 2;
        }
      }
    });
    if (bs < 0) return;
    const cx = points[bs][2 * bi], cy = points[bs][2 * bi + 1];
    marker.setAttribute('cx', cx.toFixed(2));
    marker.setAttribute('cy', cy.toFixed(2));
    marker.style.display = '';
    tip.textContent = describe(bs, bi);
    tip.style.display = '';
    const scale = svg.getBoundingClientRect().width / Number(svg.viewBox.baseVal.width || 1);
    tip.style.left = `${Math.min(cx * scale + 12, el.clientWidth - 220)}px`;
    tip.style.top = `${Math.max(0, cy * scale - 34)}px`;
  });
  svg.addEventListener('mouseleave', () => {
    marker.style.display = tip.style.display = 'none';
  });
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

/** Phonon dispersions (several sets on one plot), in THz or cm⁻¹, with q and band on hover. */
export function mountDispersion(el: HTMLElement, sets: { label: string; bands: BandStructure; color: string; dash?: string }[], opts: { title: string; unit: 'THz' | 'cm-1' }): void {
  const scale = opts.unit === 'THz' ? 1 : THZ_TO_CM;
  const series: Series[] = [];
  const meta: { set: number; seg: number; band: number }[] = [];
  sets.forEach((s, k) => {
    let first = true;
    s.bands.segments.forEach((seg, si) => {
      const np = seg.distances.length, nb = s.bands.nbands;
      for (let b = 0; b < nb; b++) {
        const y = new Float64Array(np);
        for (let i = 0; i < np; i++) y[i] = seg.frequencies[i * nb + b] * scale;
        series.push({ x: seg.distances, y, color: s.color, width: 1.4, dash: s.dash, label: first && sets.length > 1 ? s.label : undefined });
        meta.push({ set: k, seg: si, band: b });
        first = false;
      }
    });
  });
  const ticks = sets[0].bands.ticks;
  const unit = opts.unit === 'THz' ? 'THz' : 'cm⁻¹';
  mountPlot(
    el,
    {
      series,
      title: opts.title,
      xRange: [0, ticks[ticks.length - 1]?.distance || 1],
      xLabel: 'wave vector (path through the Brillouin zone)',
      yLabel: opts.unit === 'THz' ? 'frequency ν (THz)' : 'wavenumber (cm⁻¹)',
      vLines: ticks.map((t) => ({ x: t.distance, label: t.label })),
      hLines: [{ y: 0, color: '#666', dash: '4 3' }],
    },
    (s, i) => {
      const m = meta[s];
      const seg = sets[m.set].bands.segments[m.seg];
      const q = [0, 1, 2].map((c) => fmt(seg.qpoints[3 * i + c], 3)).join(', ');
      return `${sets[m.set].label}, band ${m.band + 1}: ${fmt(series[s].y[i], 2)} ${unit}  (${seg.from}→${seg.to}, q = ${q})`;
    },
  );
}

/** Density of states g(ν). */
export function mountDos(el: HTMLElement, dos: { frequencies: Float64Array; dos: Float64Array; sigma: number }, title: string): void {
  let max = 0;
  for (const v of dos.dos) max = Math.max(max, v);
  mountPlot(
    el,
    {
      series: [{ x: dos.frequencies, y: dos.dos, color: '#b2182b', width: 1.6, label: `Gaussian σ = ${+dos.sigma.toPrecision(3)} THz` }],
      title,
      xLabel: 'frequency ν (THz)',
      yLabel: 'DOS g(ν) (states/THz per cell)',
      yRange: [0, max * 1.08 || 1],
    },
    (_s, i) => `ν = ${fmt(dos.frequencies[i], 3)} THz: g = ${fmt(dos.dos[i], 4)} states/THz`,
  );
}

/** SSCHA free energy (meV/atom, ± error) against the accepted step; populations marked. */
export function mountFreeEnergy(el: HTMLElement, history: readonly StepRecord[], natoms: number, title: string): void {
  const x = history.map((_, i) => i);
  const f = history.map((h) => (1000 * h.F) / natoms);
  const e = history.map((h) => (1000 * h.Ferr) / natoms);
  mountPlot(
    el,
    {
      series: [
        { x, y: f, color: '#1f4e9c', width: 1.8, label: 'F (meV/atom)' },
        { x, y: f.map((v, i) => v + e[i]), color: '#9ab', width: 1, dash: '4 3', label: 'F ± error' },
        { x, y: f.map((v, i) => v - e[i]), color: '#9ab', width: 1, dash: '4 3' },
      ],
      title,
      xRange: [0, Math.max(1, x.length - 1)],
      xLabel: 'accepted minimisation step (vertical lines: new population)',
      yLabel: 'F (meV/atom)',
      vLines: history.map((h, i) => ({ h, i })).filter(({ h }) => h.step === 0).map(({ i }) => ({ x: i })),
      numericXTicks: true,
    },
    (_s, i) => {
      const h = history[i];
      return `population ${h.population}, step ${h.step}: F = ${fmt(f[i], 4)} ± ${fmt(e[i], 4)} meV/atom, N_eff/N = ${fmt(h.nEffRatio, 3)}`;
    },
  );
}
