// A small structure viewer: the cell (repeated `repeat` times) projected orthographically into an
// SVG, atoms as shaded discs drawn back to front; drag to rotate, hover an atom for its species and
// position.
import type { StructureData } from '../parallel/spec.js';

const COLORS: Record<string, string> = {
  H: '#f2f2f2', C: '#555555', N: '#3050f8', O: '#ff0d0d', F: '#90e050', Na: '#ab5cf2', Mg: '#8aff00', Al: '#bfa6a6', Si: '#f0c8a0',
  P: '#ff8000', S: '#e6c31e', Cl: '#1ff01f', Ar: '#80d1e3', K: '#8f40d4', Ca: '#3dff00', Ti: '#bfc2c7', Fe: '#e06633', Cu: '#c88033',
  Ge: '#668f8f', Te: '#d47a00', La: '#70d4ff', Li: '#cc80ff', Be: '#c2ff00', B: '#ffb5b5', Y: '#94ffff', Ba: '#00c900', Sr: '#00ff00',
};

function colorOf(s: string): string {
  if (COLORS[s]) return COLORS[s];
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 60% 55%)`;
}

type M3 = number[];
const mul = (a: M3, b: M3): M3 => [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j]));
const rotX = (t: number): M3 => [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)];
const rotY = (t: number): M3 => [Math.cos(t), 0, Math.sin(t), 0, 1, 0, -Math.sin(t), 0, Math.cos(t)];

export interface StructureView {
  update(s: StructureData, repeat?: [number, number, number]): void;
}

export function mountStructureView(el: HTMLElement): StructureView {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 320, H = 280;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('width', '100%');
  svg.setAttribute('role', 'img');
  svg.classList.add('structure');
  el.replaceChildren(svg);
  let R: M3 = mul(rotX(-0.35), rotY(0.55));
  let data: StructureData | null = null;
  let rep: [number, number, number] = [1, 1, 1];

  const draw = () => {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const bg = document.createElementNS(NS, 'rect');
    bg.setAttribute('width', String(W));
    bg.setAttribute('height', String(H));
    bg.setAttribute('fill', '#fbfbfd');
    svg.appendChild(bg);
    if (!data) return;
    const c = Array.from(data.cell);
    const cart = (f: number[]) => [0, 1, 2].map((k) => f[0] * c[k] + f[1] * c[3 + k] + f[2] * c[6 + k]);
    // centre of the repeated cell
    const centre = cart(rep.map((r) => r / 2));
    const view = (p: number[]) => {
      const d = p.map((v, k) => v - centre[k]);
      return [0, 1, 2].map((i) => R[3 * i] * d[0] + R[3 * i + 1] * d[1] + R[3 * i + 2] * d[2]);
    };
    const corners: number[][] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let g = 0; g < 2; g++) corners.push(view(cart([a * rep[0], b * rep[1], g * rep[2]])));
    let ext = 1e-9;
    for (const p of corners) ext = Math.max(ext, Math.hypot(p[0], p[1]));
    const atoms: { p: number[]; s: string; f: number[] }[] = [];
    const n = data.species.length;
    for (let i = 0; i < n; i++)
      for (let a = 0; a < rep[0]; a++)
        for (let b = 0; b < rep[1]; b++)
          for (let g = 0; g < rep[2]; g++) {
            const f = [data.frac[3 * i] + a, data.frac[3 * i + 1] + b, data.frac[3 * i + 2] + g];
            atoms.push({ p: view(cart(f)), s: data.species[i], f: [data.frac[3 * i], data.frac[3 * i + 1], data.frac[3 * i + 2]] });
          }
    const scale = (0.42 * Math.min(W, H)) / ext;
    const sx = (p: number[]) => W / 2 + p[0] * scale;
    const sy = (p: number[]) => H / 2 - p[1] * scale;
    const edges = [[0, 1], [0, 2], [0, 4], [1, 3], [1, 5], [2, 3], [2, 6], [3, 7], [4, 5], [4, 6], [5, 7], [6, 7]];
    for (const [u, v] of edges) {
      const l = document.createElementNS(NS, 'line');
      l.setAttribute('x1', sx(corners[u]).toFixed(1));
      l.setAttribute('y1', sy(corners[u]).toFixed(1));
      l.setAttribute('x2', sx(corners[v]).toFixed(1));
      l.setAttribute('y2', sy(corners[v]).toFixed(1));
      l.setAttribute('stroke', '#8892a6');
      l.setAttribute('stroke-width', '1');
      svg.appendChild(l);
    }
    atoms.sort((x, y) => x.p[2] - y.p[2]);
    const r = Math.max(3, Math.min(14, scale * 0.55));
    for (const at of atoms) {
      const circ = document.createElementNS(NS, 'circle');
      circ.setAttribute('cx', sx(at.p).toFixed(1));
      circ.setAttribute('cy', sy(at.p).toFixed(1));
      circ.setAttribute('r', r.toFixed(1));
      circ.setAttribute('fill', colorOf(at.s));
      circ.setAttribute('stroke', '#333');
      circ.setAttribute('stroke-width', '0.8');
      const t = document.createElementNS(NS, 'title');
      t.textContent = `${at.s} at (${at.f.map((x) => x.toFixed(4)).join(', ')}) (fractional)`;
      circ.appendChild(t);
      svg.appendChild(circ);
    }
    // legend
    [...new Set(data.species)].forEach((s, k) => {
      const y = 16 + 16 * k;
      const circ = document.createElementNS(NS, 'circle');
      circ.setAttribute('cx', '12');
      circ.setAttribute('cy', String(y));
      circ.setAttribute('r', '5');
      circ.setAttribute('fill', colorOf(s));
      circ.setAttribute('stroke', '#333');
      svg.appendChild(circ);
      const t = document.createElementNS(NS, 'text');
      t.setAttribute('x', '22');
      t.setAttribute('y', String(y + 4));
      t.setAttribute('font-size', '12');
      t.textContent = s;
      svg.appendChild(t);
    });
    const hint = document.createElementNS(NS, 'text');
    hint.setAttribute('x', String(W - 6));
    hint.setAttribute('y', String(H - 6));
    hint.setAttribute('text-anchor', 'end');
    hint.setAttribute('font-size', '11');
    hint.setAttribute('fill', '#777');
    hint.textContent = `${rep.join('×')} cell${rep.some((x) => x > 1) ? 's' : ''} · drag to rotate`;
    svg.appendChild(hint);
  };

  let drag: { x: number; y: number } | null = null;
  svg.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    drag = { x: e.clientX, y: e.clientY };
    R = mul(mul(rotX(dy * 0.01), rotY(dx * 0.01)), R);
    draw();
  });
  svg.addEventListener('pointerup', () => (drag = null));
  draw();
  return {
    update(s, repeat = [1, 1, 1]) {
      data = s;
      rep = repeat;
      draw();
    },
  };
}
