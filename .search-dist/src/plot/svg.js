// A small dependency-free SVG line plot: axes with "nice" ticks, axis labels, several polyline series,
// vertical marker lines with their own tick labels (e.g. high-symmetry points), horizontal reference
// lines, optional legend. Returns the SVG document as a string (isomorphic; no DOM needed).
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
export function escapeXml(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
/** About `count` round tick values (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo, hi, count = 6) {
    if (!(hi > lo))
        return [lo];
    const raw = (hi - lo) / Math.max(1, count);
    const mag = 10 ** Math.floor(Math.log10(raw)); // display-only: tick placement
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
        out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
}
function fmt(v) {
    const s = Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(6));
    return s;
}
function range(values, pad) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) {
        if (!Number.isFinite(v))
            continue;
        if (v < lo)
            lo = v;
        if (v > hi)
            hi = v;
    }
    if (!Number.isFinite(lo))
        return [0, 1];
    if (hi === lo)
        return [lo - 1, hi + 1];
    const d = (hi - lo) * pad;
    return [lo - d, hi + d];
}
/** Render a line plot as an SVG string. */
export function linePlot(o) {
    const W = o.width ?? 720, H = o.height ?? 480;
    const m = { l: 72, r: 20, t: o.title ? 40 : 20, b: 56 };
    const pw = W - m.l - m.r, ph = H - m.t - m.b;
    const xs = [], ys = [];
    for (const s of o.series) {
        for (let i = 0; i < s.x.length; i++)
            xs.push(s.x[i]);
        for (let i = 0; i < s.y.length; i++)
            ys.push(s.y[i]);
    }
    const [x0, x1] = o.xRange ?? range(xs, 0);
    const [y0, y1] = o.yRange ?? range(ys, 0.05);
    const X = (v) => m.l + ((v - x0) / (x1 - x0 || 1)) * pw;
    const Y = (v) => m.t + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
    const p = (v) => v.toFixed(2);
    const out = [];
    out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`);
    out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
    if (o.title)
        out.push(`<text x="${p(W / 2)}" y="24" text-anchor="middle" font-size="15">${escapeXml(o.title)}</text>`);
    out.push(`<defs><clipPath id="plot-area"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath></defs>`);
    // y ticks and grid
    for (const v of niceTicks(y0, y1)) {
        const y = Y(v);
        out.push(`<line x1="${m.l}" y1="${p(y)}" x2="${m.l + pw}" y2="${p(y)}" stroke="#e6e6e6"/>`);
        out.push(`<line x1="${m.l - 5}" y1="${p(y)}" x2="${m.l}" y2="${p(y)}" stroke="black"/>`);
        out.push(`<text x="${m.l - 8}" y="${p(y + 4)}" text-anchor="end">${escapeXml(fmt(v))}</text>`);
    }
    const labelled = (o.vLines ?? []).some((v) => v.label !== undefined);
    if (o.numericXTicks ?? !labelled) {
        for (const v of niceTicks(x0, x1)) {
            const x = X(v);
            out.push(`<line x1="${p(x)}" y1="${m.t + ph}" x2="${p(x)}" y2="${m.t + ph + 5}" stroke="black"/>`);
            out.push(`<text x="${p(x)}" y="${m.t + ph + 20}" text-anchor="middle">${escapeXml(fmt(v))}</text>`);
        }
    }
    for (const v of o.vLines ?? []) {
        const x = X(v.x);
        out.push(`<line x1="${p(x)}" y1="${m.t}" x2="${p(x)}" y2="${m.t + ph}" stroke="#999" stroke-width="0.8"/>`);
        if (v.label !== undefined)
            out.push(`<text x="${p(x)}" y="${m.t + ph + 20}" text-anchor="middle">${escapeXml(v.label)}</text>`);
    }
    for (const h of o.hLines ?? []) {
        if (h.y < y0 || h.y > y1)
            continue;
        out.push(`<line x1="${m.l}" y1="${p(Y(h.y))}" x2="${m.l + pw}" y2="${p(Y(h.y))}" stroke="${h.color ?? '#666'}"${h.dash ? ` stroke-dasharray="${h.dash}"` : ''}/>`);
    }
    out.push(`<g clip-path="url(#plot-area)" fill="none">`);
    o.series.forEach((s, k) => {
        const n = Math.min(s.x.length, s.y.length);
        if (n === 0)
            return;
        const pts = [];
        for (let i = 0; i < n; i++)
            if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]))
                pts.push(`${p(X(s.x[i]))},${p(Y(s.y[i]))}`);
        const color = s.color ?? PALETTE[k % PALETTE.length];
        if (s.marker !== undefined) {
            const c = pts.map((q) => q.split(',')).map(([x, y]) => `<circle cx="${x}" cy="${y}" r="${s.marker}"/>`);
            out.push(`<g fill="${color}" fill-opacity="0.6" stroke="none">${c.join('')}</g>`);
            return;
        }
        out.push(`<polyline points="${pts.join(' ')}" stroke="${color}" stroke-width="${s.width ?? 1.5}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    });
    out.push('</g>');
    out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="black"/>`);
    if (o.xLabel)
        out.push(`<text x="${p(m.l + pw / 2)}" y="${H - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
    if (o.yLabel)
        out.push(`<text x="18" y="${p(m.t + ph / 2)}" text-anchor="middle" transform="rotate(-90 18 ${p(m.t + ph / 2)})">${escapeXml(o.yLabel)}</text>`);
    const legend = o.series.map((s, k) => ({ s, k })).filter(({ s }) => s.label);
    if (legend.length) {
        // An opaque box so the labels stay readable over the curves.
        out.push(`<rect x="${m.l + pw - 216}" y="${m.t + 4}" width="210" height="${18 * legend.length + 6}" fill="white" fill-opacity="0.85" stroke="#bbb"/>`);
    }
    legend.forEach(({ s, k }, i) => {
        const y = m.t + 16 + 18 * i;
        const color = s.color ?? PALETTE[k % PALETTE.length];
        out.push(`<line x1="${m.l + pw - 210}" y1="${y}" x2="${m.l + pw - 186}" y2="${y}" stroke="${color}" stroke-width="2"/>`);
        out.push(`<text x="${m.l + pw - 180}" y="${y + 4}">${escapeXml(s.label)}</text>`);
    });
    out.push('</svg>');
    return out.join('\n') + '\n';
}
