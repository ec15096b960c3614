// Space-group operations, their Cartesian form, and atom maps (physics.md 3.1).
//
// Conventions. An operation g = {W | w} acts on fractional column vectors: s ↦ W s + w, W an integer
// 3×3 matrix stored row-major (W[3r + c]), w fractional. With the cell A (rows = lattice vectors,
// so x = Aᵀ s for column vectors) the Cartesian rotation is R_g = Aᵀ W (Aᵀ)⁻¹, stored row-major.
// The atom map π_g sends atom i to the atom j with W s_i + w ≡ s_j (mod 1), same species and mass,
// within a Cartesian tolerance (Å).
import { inv3, mul3, transpose3 } from '../structure/mat3.js';
import { SymmetryError } from './moyo.js';
import { cbrt, hypot3 } from '../numeric/detmath.js';
/** Reduce a fractional number to [0, 1), snapping values within `eps` of 1 to 0. */
export function wrap01(x, eps = 1e-12) {
    let y = x - Math.floor(x);
    if (y >= 1 - eps)
        y = 0;
    return y;
}
export function makeOp(rotation, translation) {
    const r = new Int32Array(9);
    for (let k = 0; k < 9; k++) {
        const v = Math.round(rotation[k]);
        if (Math.abs(v - rotation[k]) > 1e-6)
            throw new SymmetryError(`rotation element ${rotation[k]} is not an integer`);
        r[k] = v;
    }
    return { rotation: r, translation: Float64Array.from([wrap01(translation[0]), wrap01(translation[1]), wrap01(translation[2])]) };
}
export function isIdentityRotation(W) {
    return W[0] === 1 && W[4] === 1 && W[8] === 1 && W[1] === 0 && W[2] === 0 && W[3] === 0 && W[5] === 0 && W[6] === 0 && W[7] === 0;
}
/** Image of fractional point s (offset o) under g: W s + w (not wrapped). */
export function applyOp(op, s, out = new Float64Array(3), o = 0) {
    const W = op.rotation;
    const x = s[o], y = s[o + 1], z = s[o + 2];
    out[0] = W[0] * x + W[1] * y + W[2] * z + op.translation[0];
    out[1] = W[3] * x + W[4] * y + W[5] * z + op.translation[1];
    out[2] = W[6] * x + W[7] * y + W[8] * z + op.translation[2];
    return out;
}
/** Cartesian rotation R = Aᵀ W (Aᵀ)⁻¹ (row-major) for the cell A with rows = lattice vectors. */
export function cartesianRotation(cell, W) {
    const At = transpose3(cell);
    return mul3(mul3(At, Array.from(W)), inv3(At));
}
/** Cartesian rotations of all operations, 9 numbers each, concatenated. */
export function cartesianRotations(cell, ops) {
    const out = new Float64Array(9 * ops.length);
    const At = transpose3(cell);
    const Ati = inv3(At);
    for (let g = 0; g < ops.length; g++)
        out.set(mul3(mul3(At, Array.from(ops[g].rotation)), Ati), 9 * g);
    return out;
}
/** Integer codes per atom: atoms share a code iff they have the same species and mass. */
export function atomTypes(structure) {
    const codes = new Map();
    const t = new Int32Array(structure.natoms);
    for (let i = 0; i < structure.natoms; i++) {
        const key = `${structure.species[i]}|${structure.masses[i]}`;
        let c = codes.get(key);
        if (c === undefined) {
            c = codes.size;
            codes.set(key, c);
        }
        t[i] = c;
    }
    return t;
}
/**
 * Finds the atom at a fractional position (modulo lattice translations) with a periodic bin grid,
 * so a look-up costs O(1) instead of O(N). Distances are Cartesian minimum-image distances (Å).
 */
export class AtomLocator {
    cell;
    frac;
    types;
    m;
    start;
    items;
    tolerance;
    constructor(cell, frac, types, tolerance) {
        if (!(tolerance > 0))
            throw new SymmetryError(`atom-map tolerance must be positive, got ${tolerance}`);
        this.cell = Float64Array.from(cell);
        this.frac = Float64Array.from(frac);
        this.types = Int32Array.from(types);
        this.tolerance = tolerance;
        const n = this.types.length;
        // Reciprocal row lengths |b_k|: a ball of radius tol spans tol·|b_k| in s_k; bins must be wider.
        const B = transpose3(inv3(this.cell));
        const target = Math.max(1, Math.round(cbrt(n)));
        const m = [1, 1, 1];
        for (let k = 0; k < 3; k++) {
            const bk = hypot3(B[3 * k], B[3 * k + 1], B[3 * k + 2]);
            const maxBins = Math.floor(1 / (2 * tolerance * bk));
            m[k] = Math.max(1, Math.min(target, maxBins));
        }
        this.m = m;
        const nb = m[0] * m[1] * m[2];
        const bin = new Int32Array(n);
        const count = new Int32Array(nb + 1);
        for (let i = 0; i < n; i++) {
            bin[i] = this.binOf(this.frac[3 * i], this.frac[3 * i + 1], this.frac[3 * i + 2]);
            count[bin[i] + 1]++;
        }
        for (let b = 0; b < nb; b++)
            count[b + 1] += count[b];
        this.start = Int32Array.from(count);
        this.items = new Int32Array(n);
        const fill = Int32Array.from(count);
        for (let i = 0; i < n; i++)
            this.items[fill[bin[i]]++] = i;
    }
    binIndex(x, k) {
        const mk = this.m[k];
        let b = Math.floor(wrap01(x) * mk);
        if (b >= mk)
            b = mk - 1;
        return b;
    }
    binOf(x, y, z) {
        return (this.binIndex(x, 0) * this.m[1] + this.binIndex(y, 1)) * this.m[2] + this.binIndex(z, 2);
    }
    /** Cartesian minimum-image distance (Å) between fractional point p and atom j. */
    distance(p, j, o = 0) {
        const c = this.cell;
        let dx = this.frac[3 * j] - p[o];
        let dy = this.frac[3 * j + 1] - p[o + 1];
        let dz = this.frac[3 * j + 2] - p[o + 2];
        dx -= Math.round(dx);
        dy -= Math.round(dy);
        dz -= Math.round(dz);
        const x = dx * c[0] + dy * c[3] + dz * c[6];
        const y = dx * c[1] + dy * c[4] + dz * c[7];
        const z = dx * c[2] + dy * c[5] + dz * c[8];
        return Math.sqrt(x * x + y * y + z * z);
    }
    /**
     * Index of the atom of the given type nearest to fractional point p (mod 1) if its distance is
     * within the tolerance, else -1. `dist[0]` receives the distance when given.
     */
    find(p, type, o = 0, dist) {
        const m = this.m;
        const b0 = this.binIndex(p[o], 0), b1 = this.binIndex(p[o + 1], 1), b2 = this.binIndex(p[o + 2], 2);
        let best = -1;
        let bestD = Infinity;
        const nx = m[0] < 3 ? m[0] : 3, ny = m[1] < 3 ? m[1] : 3, nz = m[2] < 3 ? m[2] : 3;
        for (let a = 0; a < nx; a++) {
            const i0 = m[0] < 3 ? a : (b0 + a - 1 + m[0]) % m[0];
            for (let b = 0; b < ny; b++) {
                const i1 = m[1] < 3 ? b : (b1 + b - 1 + m[1]) % m[1];
                for (let c = 0; c < nz; c++) {
                    const i2 = m[2] < 3 ? c : (b2 + c - 1 + m[2]) % m[2];
                    const bin = (i0 * m[1] + i1) * m[2] + i2;
                    for (let q = this.start[bin]; q < this.start[bin + 1]; q++) {
                        const j = this.items[q];
                        if (this.types[j] !== type)
                            continue;
                        const d = this.distance(p, j, o);
                        if (d < bestD) {
                            bestD = d;
                            best = j;
                        }
                    }
                }
            }
        }
        if (dist)
            dist[0] = bestD;
        return bestD <= this.tolerance ? best : -1;
    }
}
/**
 * Atom map π_g for one operation (π_g(i) = index of the atom at W s_i + w). Throws a SymmetryError if
 * an image has no atom within the tolerance or the map is not a permutation.
 */
export function atomMap(locator, frac, types, op, opIndex = 0) {
    const n = types.length;
    const perm = new Int32Array(n);
    const seen = new Uint8Array(n);
    const img = new Float64Array(3);
    const d = new Float64Array(1);
    for (let i = 0; i < n; i++) {
        applyOp(op, frac, img, 3 * i);
        const j = locator.find(img, types[i], 0, d);
        if (j < 0) {
            throw new SymmetryError(`operation ${opIndex} maps atom ${i} to a point ${d[0].toExponential(3)} Å from the nearest atom of the same kind ` +
                `(tolerance ${locator.tolerance} Å): the structure does not have this symmetry at this tolerance`);
        }
        if (seen[j])
            throw new SymmetryError(`operation ${opIndex}: two atoms map onto atom ${j} (tolerance ${locator.tolerance} Å too large?)`);
        seen[j] = 1;
        perm[i] = j;
    }
    return perm;
}
/**
 * Atom maps of all operations for a structure (tolerance in Å).
 *
 * Uses the translation structure when there is one: with T the pure translations (W = 𝟙) and r a
 * located operation with the same rotation as g, g = t ∘ r for the t ∈ T with w_t ≡ w_g − w_r, so
 * π_g = π_t ∘ π_r. Only |T| + (number of distinct rotations) maps are searched; every composed map is
 * then verified atom by atom (one distance each) and searched directly if the check fails.
 */
export function findAtomMaps(structure, ops, tolerance) {
    const types = atomTypes(structure);
    const loc = new AtomLocator(structure.cell, structure.frac, types, tolerance);
    const n = structure.natoms;
    const maps = new Array(ops.length);
    const trans = [];
    ops.forEach((op, g) => {
        if (isIdentityRotation(op.rotation))
            trans.push(g);
    });
    if (trans.length < 2)
        return ops.map((op, g) => atomMap(loc, structure.frac, types, op, g));
    for (const g of trans)
        maps[g] = atomMap(loc, structure.frac, types, ops[g], g);
    const repOf = new Map();
    const img = new Float64Array(3);
    ops.forEach((op, g) => {
        if (maps[g])
            return;
        const key = op.rotation.join(',');
        const r = repOf.get(key);
        if (r === undefined) {
            maps[g] = atomMap(loc, structure.frac, types, op, g);
            repOf.set(key, g);
            return;
        }
        // nearest pure translation to w_g − w_r (mod 1)
        let best = -1;
        let bestD = Infinity;
        for (const t of trans) {
            let d = 0;
            for (let k = 0; k < 3; k++) {
                const x = op.translation[k] - ops[r].translation[k] - ops[t].translation[k];
                d = Math.max(d, Math.abs(x - Math.round(x)));
            }
            if (d < bestD) {
                bestD = d;
                best = t;
            }
        }
        const pr = maps[r], pt = maps[best];
        const perm = new Int32Array(n);
        let ok = true;
        for (let i = 0; i < n && ok; i++) {
            perm[i] = pt[pr[i]];
            applyOp(op, structure.frac, img, 3 * i);
            if (loc.distance(img, perm[i]) > tolerance)
                ok = false;
        }
        maps[g] = ok ? perm : atomMap(loc, structure.frac, types, op, g);
    });
    return maps;
}
/** Largest Cartesian distance (Å) between W s_i + w and s_{π_g(i)} over all operations and atoms. */
export function maxMapDeviation(structure, set) {
    const types = atomTypes(structure);
    const loc = new AtomLocator(structure.cell, structure.frac, types, 1);
    const img = new Float64Array(3);
    let worst = 0;
    set.operations.forEach((op, g) => {
        for (let i = 0; i < structure.natoms; i++) {
            applyOp(op, structure.frac, img, 3 * i);
            worst = Math.max(worst, loc.distance(img, set.atomMaps[g][i]));
        }
    });
    return worst;
}
export function invertPermutation(p) {
    const q = new Int32Array(p.length);
    for (let i = 0; i < p.length; i++)
        q[p[i]] = i;
    return q;
}
/** Product g·h (apply h first): {W_g W_h | W_g w_h + w_g}, translation reduced to [0, 1). */
export function composeOps(g, h) {
    const W = new Int32Array(mul3(Array.from(g.rotation), Array.from(h.rotation)).map(Math.round));
    const t = applyOp(g, h.translation);
    return { rotation: W, translation: Float64Array.from([wrap01(t[0]), wrap01(t[1]), wrap01(t[2])]) };
}
/** Whether two operations coincide (same W, translations equal modulo 1 within `eps`). */
export function sameOp(a, b, eps = 1e-6) {
    for (let k = 0; k < 9; k++)
        if (a.rotation[k] !== b.rotation[k])
            return false;
    for (let k = 0; k < 3; k++) {
        const d = a.translation[k] - b.translation[k];
        if (Math.abs(d - Math.round(d)) > eps)
            return false;
    }
    return true;
}
/**
 * The translation group of a supercell: the |det M| distinct vectors M⁻ᵀ L (mod 1) for integer
 * primitive lattice vectors L, in supercell fractional coordinates. `M` (integer, row-major) builds the
 * supercell from the primitive cell: supercell rows = M · primitive rows. Order: the zero vector first,
 * then breadth-first closure under the three generators M⁻ᵀ e_k (deterministic).
 */
export function supercellTranslations(M) {
    const det = Math.round(Math.abs(det3i(M)));
    if (det < 1)
        throw new SymmetryError('supercell matrix is singular');
    const Mti = inv3(transpose3(M));
    const gens = [0, 1, 2].map((k) => [Mti[k], Mti[3 + k], Mti[6 + k]]);
    const key = (v) => Array.from(v, (x) => Math.round(wrap01(x, 1e-9) * det) % det).join(',');
    const out = [new Float64Array(3)];
    const seen = new Set([key(out[0])]);
    for (let q = 0; q < out.length; q++) {
        for (const g of gens) {
            const v = Float64Array.from([0, 1, 2], (k) => wrap01(out[q][k] + g[k], 1e-9));
            // snap to multiples of 1/det (all components of M⁻ᵀ L are such multiples)
            for (let k = 0; k < 3; k++)
                v[k] = (Math.round(v[k] * det) % det) / det;
            const kk = key(v);
            if (!seen.has(kk)) {
                seen.add(kk);
                out.push(v);
            }
        }
    }
    if (out.length !== det)
        throw new SymmetryError(`found ${out.length} supercell translations, expected |det M| = ${det}`);
    return out;
}
function det3i(m) {
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}
/**
 * Operations of a supercell built from a primitive cell by the integer matrix M (supercell rows =
 * M · primitive rows; diagonal (n₁, n₂, n₃) in the common case): every primitive operation
 * {W | w} becomes {M⁻ᵀ W Mᵀ | M⁻ᵀ w}, combined with the N_q pure translations by primitive lattice
 * vectors (physics.md 3.1). Operations whose transformed rotation is not an integer matrix (the
 * supercell lattice breaks them) are dropped and reported. Atom maps are computed on the supercell
 * with `tolerance` (Å). Ordering: for each kept primitive operation, all translations (translation
 * index fastest), so operation p·N_q + t = T_t ∘ g_p.
 */
export function supercellOperations(supercell, primitiveOps, M, tolerance = 1e-3) {
    const Mt = transpose3(M);
    const Mti = inv3(Mt);
    const trans = supercellTranslations(M);
    const types = atomTypes(supercell);
    const loc = new AtomLocator(supercell.cell, supercell.frac, types, tolerance);
    const tPerms = trans.map((t, k) => atomMap(loc, supercell.frac, types, { rotation: Int32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), translation: t }, k));
    const operations = [];
    const atomMaps = [];
    const dropped = [];
    let kept = 0;
    primitiveOps.forEach((op, p) => {
        const Ws = mul3(mul3(Mti, Array.from(op.rotation)), Mt);
        if (Ws.some((x) => Math.abs(x - Math.round(x)) > 1e-8)) {
            dropped.push(p);
            return;
        }
        kept++;
        const ws = [0, 1, 2].map((r) => Mti[3 * r] * op.translation[0] + Mti[3 * r + 1] * op.translation[1] + Mti[3 * r + 2] * op.translation[2]);
        const g = makeOp(Ws, ws);
        const pg = atomMap(loc, supercell.frac, types, g, p);
        for (let t = 0; t < trans.length; t++) {
            const tr = Float64Array.from([0, 1, 2], (k) => wrap01(g.translation[k] + trans[t][k]));
            operations.push({ rotation: g.rotation, translation: tr });
            // π_{T_t ∘ g} = π_t ∘ π_g
            const perm = new Int32Array(supercell.natoms);
            const pt = tPerms[t];
            for (let i = 0; i < perm.length; i++)
                perm[i] = pt[pg[i]];
            atomMaps.push(perm);
        }
    });
    return { operations, atomMaps, pointOperations: kept, dropped, translations: trans.length };
}
