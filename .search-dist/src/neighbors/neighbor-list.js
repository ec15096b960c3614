import { KernelError } from '../wasm/kernels.js';
class Slot {
    make;
    buf = null;
    constructor(make) {
        this.make = make;
    }
    ensure(n) {
        if (!this.buf || this.buf.length < n) {
            this.buf?.free();
            this.buf = this.make(Math.max(n, 1));
        }
        return this.buf;
    }
    free() {
        this.buf?.free();
        this.buf = null;
    }
}
const ST_CAPACITY = 7;
const ST_REBUILD = 8;
/**
 * A reusable periodic neighbour list living in WebAssembly memory.
 * Extended atoms: the n local atoms (wrapped into the cell) followed by periodic ghosts;
 * `owner[e]` is the local atom of extended atom e, `img` its lattice image relative to the
 * positions given to `update` (so extended position = x_owner + img·cell).
 */
export class NeighborList {
    cutoff;
    skin;
    full;
    n = 0;
    nExt = 0;
    nPairs = 0;
    /** Number of (re)builds so far (tests and profiling). */
    builds = 0;
    k;
    buildFn;
    refreshFn;
    cellBuf;
    counts;
    extPosS;
    extRefS;
    ownerS;
    imgS;
    firstS;
    nbrS;
    fracS;
    fracRefS;
    dispS;
    builtCell = null;
    disposed = false;
    constructor(k, opts) {
        if (!(opts.cutoff > 0) || !Number.isFinite(opts.cutoff))
            throw new RangeError(`neighbour list: cutoff must be a positive number, got ${opts.cutoff}`);
        const skin = opts.skin ?? 0;
        if (!(skin >= 0) || !Number.isFinite(skin))
            throw new RangeError(`neighbour list: skin must be >= 0, got ${skin}`);
        this.k = k;
        this.cutoff = opts.cutoff;
        this.skin = skin;
        this.full = !!opts.full;
        this.buildFn = k.fn('nl_build');
        this.refreshFn = k.fn('nl_refresh');
        this.cellBuf = k.f64(9, undefined, { owned: true });
        this.counts = k.i32(2, undefined, { owned: true });
        const f = (n) => k.f64(n, undefined, { owned: true });
        const i = (n) => k.i32(n, undefined, { owned: true });
        this.extPosS = new Slot(f);
        this.extRefS = new Slot(f);
        this.ownerS = new Slot(i);
        this.imgS = new Slot(i);
        this.firstS = new Slot(i);
        this.nbrS = new Slot(i);
        this.fracS = new Slot(f);
        this.fracRefS = new Slot(f);
        this.dispS = new Slot(f);
    }
    /** Pointers for kernels (valid until the next update/dispose). */
    get ptrs() {
        return {
            extPos: this.extPosS.buf.ptr,
            owner: this.ownerS.buf.ptr,
            img: this.imgS.buf.ptr,
            first: this.firstS.buf.ptr,
            nbr: this.nbrS.buf.ptr,
        };
    }
    /**
     * Bring the list up to date for this cell and these fractional positions.
     * Returns true when it was rebuilt, false when the previous list was reused.
     */
    update(cell, frac) {
        if (this.disposed)
            throw new KernelError('neighbour list used after dispose');
        const n = frac.length / 3;
        if (!Number.isInteger(n))
            throw new RangeError('neighbour list: frac length must be a multiple of 3');
        const fr = this.fracS.ensure(3 * n);
        fr.view.set(frac);
        if (this.builtCell && n === this.n && this.skin > 0 && sameCell(this.builtCell, cell)) {
            const st = this.refreshFn(n, this.nExt, this.cellBuf.ptr, fr.ptr, this.fracRefS.buf.ptr, this.ownerS.buf.ptr, this.extRefS.buf.ptr, this.extPosS.buf.ptr, 0.5 * this.skin, this.dispS.ensure(3 * n).ptr);
            if (st === 0)
                return false;
            if (st !== ST_REBUILD)
                this.k.check('nl_refresh', st);
        }
        this.build(cell, n);
        return true;
    }
    build(cell, n) {
        this.cellBuf.view.set(cell);
        const rc = this.cutoff + this.skin;
        const vol = Math.abs(det(cell));
        // First guess of the sizes from the density; grown and retried if the kernel asks for more.
        const ball = (4 / 3) * Math.PI * rc * rc * rc;
        let capExt = Math.ceil(n * (1 + 3 * (1 + ball / Math.max(vol, 1e-9)))) + 64;
        let capPairs = Math.ceil(n * (n / Math.max(vol, 1e-9)) * ball * (this.full ? 1.3 : 0.65)) + 64;
        for (let attempt = 0; attempt < 3; attempt++) {
            const extPos = this.extPosS.ensure(3 * capExt);
            const owner = this.ownerS.ensure(capExt);
            const img = this.imgS.ensure(3 * capExt);
            const first = this.firstS.ensure(n + 1);
            const nbr = this.nbrS.ensure(capPairs);
            capExt = owner.length;
            capPairs = nbr.length;
            const st = this.buildFn(n, this.cellBuf.ptr, this.fracS.buf.ptr, rc, this.full ? 1 : 0, capExt, extPos.ptr, owner.ptr, img.ptr, first.ptr, capPairs, nbr.ptr, this.counts.ptr);
            const c = this.counts.view;
            if (st === ST_CAPACITY) {
                capExt = Math.max(capExt, c[0]);
                capPairs = Math.max(capPairs, Math.ceil(c[1] * 1.1) + 16);
                continue;
            }
            this.k.check('nl_build', st);
            this.n = n;
            this.nExt = c[0];
            this.nPairs = c[1];
            this.builds++;
            const ref = this.extRefS.ensure(3 * this.nExt);
            ref.view.set(this.extPosS.buf.view.subarray(0, 3 * this.nExt));
            this.fracRefS.ensure(3 * n).view.set(this.fracS.buf.view.subarray(0, 3 * n));
            this.builtCell = Float64Array.from(cell);
            return;
        }
        throw new KernelError('nl_build: capacity negotiation failed');
    }
    /**
     * The pairs within `cutoff` (not cutoff + skin) at the current positions, in public form.
     * Half list: each pair once, oriented i < j (or i = j with a lexicographically positive S), sorted
     * by (i, j, S); full list: every direction, in list order.
     */
    pairs() {
        const n = this.n;
        const first = this.firstS.buf.view;
        const nbr = this.nbrS.buf.view;
        const owner = this.ownerS.buf.view;
        const img = this.imgS.buf.view;
        const x = this.extPosS.buf.view;
        const rc2 = this.cutoff * this.cutoff;
        const I = [], J = [], S = [], V = [], D = [];
        for (let i = 0; i < n; i++) {
            for (let q = first[i]; q < first[i + 1]; q++) {
                const e = nbr[q];
                let dx = x[3 * e] - x[3 * i], dy = x[3 * e + 1] - x[3 * i + 1], dz = x[3 * e + 2] - x[3 * i + 2];
                const r2 = dx * dx + dy * dy + dz * dz;
                if (r2 >= rc2)
                    continue;
                let a = i, b = owner[e];
                let s0 = img[3 * e] - img[3 * i], s1 = img[3 * e + 1] - img[3 * i + 1], s2 = img[3 * e + 2] - img[3 * i + 2];
                // the half list stores a pair in whichever direction its spatial half stencil found it
                if (!this.full && (b < a || (b === a && !(s0 > 0 || (s0 === 0 && (s1 > 0 || (s1 === 0 && s2 > 0))))))) {
                    [a, b] = [b, a];
                    s0 = -s0;
                    s1 = -s1;
                    s2 = -s2;
                    dx = -dx;
                    dy = -dy;
                    dz = -dz;
                }
                I.push(a);
                J.push(b);
                S.push(s0, s1, s2);
                V.push(dx, dy, dz);
                D.push(Math.sqrt(r2));
            }
        }
        if (this.full) {
            return { i: Int32Array.from(I), j: Int32Array.from(J), shift: Int32Array.from(S), vectors: Float64Array.from(V), distances: Float64Array.from(D) };
        }
        const order = Array.from(I.keys()).sort((p, q) => I[p] - I[q] || J[p] - J[q] || S[3 * p] - S[3 * q] || S[3 * p + 1] - S[3 * q + 1] || S[3 * p + 2] - S[3 * q + 2]);
        const m = order.length;
        const out = {
            i: new Int32Array(m), j: new Int32Array(m), shift: new Int32Array(3 * m), vectors: new Float64Array(3 * m), distances: new Float64Array(m),
        };
        order.forEach((p, q) => {
            out.i[q] = I[p];
            out.j[q] = J[p];
            out.distances[q] = D[p];
            for (let c = 0; c < 3; c++) {
                out.shift[3 * q + c] = S[3 * p + c];
                out.vectors[3 * q + c] = V[3 * p + c];
            }
        });
        return out;
    }
    dispose() {
        if (this.disposed)
            return;
        this.disposed = true;
        for (const s of [this.extPosS, this.extRefS, this.fracS, this.fracRefS, this.dispS])
            s.free();
        for (const s of [this.ownerS, this.imgS, this.firstS, this.nbrS])
            s.free();
        this.cellBuf.free();
        this.counts.free();
    }
}
function det(m) {
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}
function sameCell(a, b) {
    for (let q = 0; q < 9; q++)
        if (a[q] !== b[q])
            return false;
    return true;
}
/**
 * All pairs closer than `cutoff` in a periodic cell (rows = lattice vectors), as (i, j, S).
 * Half list: each pair once (i < j, or i = j with a lexicographically positive S), sorted by
 * (i, j, S); full: both ways.
 */
export function neighborPairs(k, cell, frac, cutoff, opts = {}) {
    const nl = new NeighborList(k, { cutoff, full: opts.full });
    try {
        nl.update(cell, frac);
        return nl.pairs();
    }
    finally {
        nl.dispose();
    }
}
