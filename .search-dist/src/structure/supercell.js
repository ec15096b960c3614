// Supercells from any integer matrix M with det M ≠ 0 (physics.md 2).
//
// Convention (rows = lattice vectors): the supercell's lattice vectors are the rows of M·cell, i.e.
// A_i = Σ_j M_ij a_j. A primitive lattice translation L (integer row vector, primitive coordinates) has
// supercell fractional coordinates L·M⁻¹; the |det M| translations with L·M⁻¹ ∈ [0, 1)³ are one
// representative of each coset of the supercell lattice, and they are the "cells" of the supercell.
//
// Deterministic order: the cells are listed in lexicographic order of L = (l1, l2, l3) (l1 slowest,
// l3 fastest) over the bounding box of the supercell; atoms are cell-major:
//     atom index i = c·nat + κ,  prim[i] = κ,  cells[c] = L_c.
// For a diagonal M = diag(n1, n2, n3) this is i = ((l1·n2 + l2)·n3 + l3)·nat + κ with 0 ≤ l_k < n_k,
// the same order as ASE's Atoms.repeat((n1, n2, n3)).
//
// Membership is decided in exact integer arithmetic: L·M⁻¹ = L·adj(M)/det(M), so
// L ∈ cell ⇔ 0 ≤ sign(det)·(L·adj M)_k < |det M| for k = 1, 2, 3 (no tolerance needed).
//
// Positions: atom i sits at x_i = x_κ + lat[i]·cell exactly, where lat[i] is a primitive translation.
// With wrap = true (default) its supercell fractional coordinates are wrapped into [0, 1) and lat[i]
// is shifted by a supercell lattice vector accordingly (lat[i] ≡ L_c modulo the supercell lattice; equal
// to L_c whenever the primitive coordinates already lie in [0, 1) and M is diagonal). With wrap = false,
// lat[i] = L_c and positions are (s_κ + L_c)·M⁻¹.
import { det3, inv3, mul3 } from './mat3.js';
import { Structure, StructureError } from './structure.js';
function toIntMatrix(m) {
    let flat;
    const first = m[0];
    if (Array.isArray(first)) {
        const rows = m;
        if (rows.length !== 3 || rows.some((r) => r.length !== 3))
            throw new StructureError('supercell matrix must be 3×3');
        flat = rows.flat();
    }
    else {
        flat = Array.from(m);
    }
    if (flat.length === 3)
        flat = [flat[0], 0, 0, 0, flat[1], 0, 0, 0, flat[2]];
    if (flat.length !== 9)
        throw new StructureError(`supercell matrix must have 3 (diagonal) or 9 entries, got ${flat.length}`);
    for (const x of flat)
        if (!Number.isInteger(x) || Math.abs(x) > 1e6)
            throw new StructureError(`supercell matrix entries must be integers, got ${x}`);
    return Int32Array.from(flat);
}
/** Integer adjugate: adj(M) with M·adj(M) = det(M)·I. */
function adjugate(m) {
    return [
        m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
        m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
        m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3],
    ];
}
/**
 * The primitive lattice points inside the supercell (one per coset), in the deterministic order
 * described at the top of this file. Returns 3 integers per point.
 */
export function supercellLatticePoints(matrix) {
    const m = toIntMatrix(matrix);
    const det = Math.round(det3(Array.from(m)));
    if (det === 0)
        throw new StructureError('supercell matrix is singular (det = 0)');
    const adj = adjugate(m);
    const sg = Math.sign(det);
    const ad = Math.abs(det);
    // Bounding box of the parallelepiped spanned by the rows of M (corners are sums of subsets of rows).
    const lo = [0, 0, 0];
    const hi = [0, 0, 0];
    for (let mask = 0; mask < 8; mask++)
        for (let k = 0; k < 3; k++) {
            let v = 0;
            for (let r = 0; r < 3; r++)
                if (mask & (1 << r))
                    v += m[3 * r + k];
            lo[k] = Math.min(lo[k], v);
            hi[k] = Math.max(hi[k], v);
        }
    const out = new Int32Array(3 * ad);
    let count = 0;
    for (let l1 = lo[0]; l1 <= hi[0]; l1++)
        for (let l2 = lo[1]; l2 <= hi[1]; l2++)
            for (let l3 = lo[2]; l3 <= hi[2]; l3++) {
                let inside = true;
                for (let k = 0; k < 3 && inside; k++) {
                    const t = sg * (l1 * adj[k] + l2 * adj[3 + k] + l3 * adj[6 + k]);
                    inside = t >= 0 && t < ad;
                }
                if (inside) {
                    if (count === ad)
                        throw new Error('internal error: too many lattice points in supercell');
                    out[3 * count] = l1;
                    out[3 * count + 1] = l2;
                    out[3 * count + 2] = l3;
                    count++;
                }
            }
    if (count !== ad)
        throw new Error(`internal error: found ${count} lattice points, expected ${ad}`);
    return out;
}
/**
 * The cell index c with L ≡ L_c modulo the supercell lattice, as a function of L = (l1, l2, l3) (any
 * integers): `cells` is supercellLatticePoints(matrix). Exact integer arithmetic: L ≡ L' ⇔
 * (L·adj M) ≡ (L'·adj M) mod det M componentwise. For diag(n1, n2, n3) this is
 * c = ((l1 mod n1)·n2 + (l2 mod n2))·n3 + (l3 mod n3).
 */
export function cellIndexer(matrix) {
    const m = toIntMatrix(matrix);
    const mod = (x, n) => ((x % n) + n) % n;
    if (m[1] === 0 && m[2] === 0 && m[3] === 0 && m[5] === 0 && m[6] === 0 && m[7] === 0 && m[0] > 0 && m[4] > 0 && m[8] > 0) {
        const n1 = m[0], n2 = m[4], n3 = m[8];
        return (l1, l2, l3) => (mod(l1, n1) * n2 + mod(l2, n2)) * n3 + mod(l3, n3);
    }
    const cells = supercellLatticePoints(m);
    const adj = adjugate(m);
    const det = Math.round(det3(Array.from(m)));
    const sg = Math.sign(det);
    const ad = Math.abs(det);
    const key = (l1, l2, l3) => {
        let out = 0;
        for (let k = 0; k < 3; k++)
            out = out * ad + mod(sg * (l1 * adj[k] + l2 * adj[3 + k] + l3 * adj[6 + k]), ad);
        return out;
    };
    const index = new Map();
    for (let c = 0; c < cells.length / 3; c++)
        index.set(key(cells[3 * c], cells[3 * c + 1], cells[3 * c + 2]), c);
    return (l1, l2, l3) => index.get(key(l1, l2, l3));
}
/**
 * Build the supercell of `prim` with integer matrix `matrix` (3×3 nested, 9 numbers row-major, or 3
 * numbers for diag(n1, n2, n3)); new cell = M·cell. See the file header for order and maps.
 */
export function makeSupercell(prim, matrix, options = {}) {
    const wrap = options.wrap ?? true;
    const m = toIntMatrix(matrix);
    const cells = supercellLatticePoints(m);
    const ncells = cells.length / 3;
    const mf = Float64Array.from(m);
    const minv = inv3(mf);
    const nat = prim.natoms;
    const n = ncells * nat;
    const frac = new Float64Array(3 * n);
    const primIdx = new Int32Array(n);
    const lat = new Int32Array(3 * n);
    const species = new Array(n);
    const masses = new Float64Array(n);
    const labels = prim.labels ? new Array(n) : undefined;
    const p = [0, 0, 0];
    for (let c = 0; c < ncells; c++) {
        for (let k = 0; k < nat; k++) {
            const i = c * nat + k;
            for (let a = 0; a < 3; a++)
                p[a] = prim.frac[3 * k + a] + cells[3 * c + a];
            const l = [cells[3 * c], cells[3 * c + 1], cells[3 * c + 2]];
            for (let a = 0; a < 3; a++) {
                let f = p[0] * minv[a] + p[1] * minv[3 + a] + p[2] * minv[6 + a];
                if (wrap) {
                    let s = Math.floor(f);
                    f -= s;
                    if (f >= 1) {
                        // f was a tiny negative number: f − floor(f) rounded to 1. Treat it as 0 in this cell.
                        f = 0;
                        s += 1;
                    }
                    // Shifting by s along supercell vector a moves the translation by s·(row a of M).
                    if (s !== 0)
                        for (let b = 0; b < 3; b++)
                            l[b] -= s * m[3 * a + b];
                }
                frac[3 * i + a] = f;
            }
            lat[3 * i] = l[0];
            lat[3 * i + 1] = l[1];
            lat[3 * i + 2] = l[2];
            primIdx[i] = k;
            species[i] = prim.species[k];
            masses[i] = prim.masses[k];
            if (labels)
                labels[i] = prim.labels[k];
        }
    }
    const structure = new Structure({ cell: mul3(mf, prim.cell), species, frac, masses, labels });
    return { structure, matrix: m, ncells, prim: primIdx, lat, cells };
}
