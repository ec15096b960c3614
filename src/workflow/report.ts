// The self-contained HTML report of `anharm run`: per pressure the phases ranked by G with errors and
// the probability of the ordering, G(P) curves relative to one phase, transition pressures with their
// uncertainty, dispersions (harmonic / SSCHA / Hessian) of every phase, and what the run spent.
// Isomorphic: returns strings; the Node adapter writes them.
import { escapeXml, linePlot, type Series } from '../plot/svg.js';
import { rankAtPressure, transitions, type PhasePoint, type Transition } from './ranking.js';
import { hypot } from '../numeric/detmath.js';

/** Everything about one phase at one pressure that the report shows. */
export interface PhaseResult extends PhasePoint {
  /** Space group symbol (and number) of the SSCHA centroids, e.g. "Im-3m (229)". */
  spaceGroup?: string;
  /** Helmholtz free energy per atom (eV/atom) and its error. */
  f?: number;
  fError?: number;
  /** Volume per atom at the SSCHA solution (Å³/atom). */
  volume?: number;
  /** Lowest Hessian frequency over the commensurate q (cm⁻¹, negative = imaginary). */
  lowestHessian?: number | null;
  /** SVG of the harmonic / SSCHA / Hessian dispersions. */
  dispersionSvg?: string;
  /** Whether the SSCHA converged. */
  converged?: boolean;
}

export interface LoopReport {
  title: string;
  formula: string;
  temperature: number;
  phases: PhaseResult[];
  /** Reference (DFT or stand-in) calculations spent, by stage. */
  referenceCalls: Record<string, number>;
  /** MLIP errors on the last labelled configurations (meV/atom, eV/Å). */
  mlipErrors?: { energy: number; forces: number; labelled: number };
  /** Free-text notes (convergence of the loop, warnings). */
  notes: string[];
  /** Extra SVG figures (title → SVG), e.g. the search's best enthalpy against generation. */
  figures?: Record<string, string>;
  /** Transitions to list (default: every G(P) crossing of the phases). */
  transitions?: Transition[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

const fmt = (x: number | undefined | null, digits: number) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits));

/** G(P) of every phase relative to the reference phase (the most stable at the lowest pressure), meV/atom, with ±1σ bands. */
export function gibbsSvg(points: readonly PhasePoint[], title = 'Gibbs free energy'): string {
  const pressures = [...new Set(points.map((p) => p.pressure))].sort((a, b) => a - b);
  const ref = rankAtPressure(points.filter((p) => p.pressure === pressures[0]))[0]?.phase;
  const phases = [...new Set(points.map((p) => p.phase))].sort();
  const series: Series[] = [];
  phases.forEach((ph, i) => {
    const xs: number[] = [];
    const ys: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    for (const p of pressures) {
      const a = points.find((q) => q.phase === ph && q.pressure === p);
      const r = points.find((q) => q.phase === ref && q.pressure === p);
      if (!a || !r) continue;
      const d = 1000 * (a.g - r.g);
      const s = ph === ref ? 0 : 1000 * hypot(a.gError, a.modelError ?? 0, r.gError, r.modelError ?? 0);
      xs.push(p);
      ys.push(d);
      lo.push(d - s);
      hi.push(d + s);
    }
    const color = COLORS[i % COLORS.length];
    series.push({ x: xs, y: ys, color, width: 2, label: ph });
    if (ph !== ref && xs.length > 0) {
      series.push({ x: xs, y: lo, color, width: 1, dash: '3,3' }, { x: xs, y: hi, color, width: 1, dash: '3,3' });
    }
  });
  return linePlot({ series, title, xLabel: 'Pressure (GPa)', yLabel: `G − G(${ref}) (meV/atom)`, hLines: [{ y: 0, color: '#888' }] });
}

function rankingTable(points: readonly PhaseResult[]): string {
  const rows = rankAtPressure(points).map((r) => {
    const p = r as PhaseResult & { gRelative: number; pBelowNext: number | null };
    return `<tr><td>${escapeXml(p.phase)}</td><td>${escapeXml(p.spaceGroup ?? '')}</td>` +
      `<td>${fmt(p.hStatic, 4)}</td><td>${fmt(p.f, 4)} ± ${fmt(p.fError !== undefined ? p.fError : undefined, 4)}</td>` +
      `<td>${fmt(p.g, 4)} ± ${fmt(p.gError, 4)}</td><td>${fmt(p.modelError, 4)}</td>` +
      `<td>${fmt(1000 * p.gRelative, 1)}</td><td>${p.pBelowNext === null ? '–' : fmt(100 * p.pBelowNext, 1) + ' %'}</td>` +
      `<td>${fmt(p.volume, 3)}</td><td>${fmt(p.lowestHessian, 1)}</td><td>${p.converged === false ? 'no' : 'yes'}</td></tr>`;
  });
  return `<table><thead><tr><th>phase</th><th>space group</th><th>H static (eV/atom)</th><th>F (eV/atom)</th>` +
    `<th>G (eV/atom)</th><th>model error (eV/atom)</th><th>G − G<sub>min</sub> (meV/atom)</th><th>P(below next)</th>` +
    `<th>V (Å³/atom)</th><th>lowest Hessian ν (cm⁻¹)</th><th>converged</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function transitionList(ts: readonly Transition[]): string {
  if (ts.length === 0) return '<p>No crossing of G between the computed pressures.</p>';
  return `<ul>${ts.map((t) => `<li>${escapeXml(t.below)} → ${escapeXml(t.above)} at ${t.pressure.toFixed(1)} ± ${t.error.toFixed(1)} GPa</li>`).join('')}</ul>`;
}

/** The report as one HTML document (inline SVG, inline CSS, no external resources). */
export function reportHtml(r: LoopReport): string {
  const pressures = [...new Set(r.phases.map((p) => p.pressure))].sort((a, b) => a - b);
  const parts: string[] = [];
  parts.push(`<h1>${escapeXml(r.title)}</h1>`);
  parts.push(`<p>${escapeXml(r.formula)}, T = ${r.temperature} K, pressures ${pressures.join(', ')} GPa. ` +
    `G = F + PV per atom from the SSCHA with the MLIP; errors are 1σ (stochastic ± model).</p>`);
  for (const p of pressures) {
    parts.push(`<h2>${p} GPa</h2>`, rankingTable(r.phases.filter((x) => x.pressure === p)));
  }
  if (pressures.length > 1) {
    parts.push('<h2>G(P) and transitions</h2>', gibbsSvg(r.phases), transitionList(r.transitions ?? transitions(r.phases)));
  }
  const calls = Object.entries(r.referenceCalls);
  const total = calls.reduce((s, [, n]) => s + n, 0);
  parts.push(`<h2>Reference calculations</h2><p>${total} in all${calls.length ? ': ' + calls.map(([k, n]) => `${escapeXml(k)} ${n}`).join(', ') : ''}.</p>`);
  if (r.mlipErrors) {
    parts.push(`<p>MLIP on the last ${r.mlipErrors.labelled} labelled configurations: energy RMSE ${r.mlipErrors.energy.toFixed(2)} meV/atom, force RMSE ${r.mlipErrors.forces.toFixed(3)} eV/Å.</p>`);
  }
  for (const [title, svg] of Object.entries(r.figures ?? {})) parts.push(`<h2>${escapeXml(title)}</h2>`, svg);
  const withDisp = r.phases.filter((p) => p.dispersionSvg);
  if (withDisp.length) {
    parts.push('<h2>Phonons: harmonic, SSCHA auxiliary and free-energy Hessian</h2>');
    for (const p of withDisp) parts.push(`<h3>${escapeXml(p.phase)} at ${p.pressure} GPa</h3>`, p.dispersionSvg!);
  }
  if (r.notes.length) parts.push(`<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>`);
  const css = 'body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}' +
    'table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}' +
    'td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}';
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(r.title)}</title><style>${css}</style></head>` +
    `<body>${parts.join('\n')}</body></html>\n`;
}
