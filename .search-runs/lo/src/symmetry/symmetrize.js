import { SymmetryError } from './moyo.js';
import { cartesianRotations, invertPermutation, isIdentityRotation } from './operations.js';
export class Symmetrizer {
    natoms;
    /** |G|. */
    order;
    operations;
    /** Cartesian rotations R_g (9 numbers each) for the cell given at construction. */
    rotations;
    /** π_g (atom i → π_g(i)) and π_g⁻¹. */
    perms;
    invPerms;
    /**
     * max_g max |R_gᵀR_g − 𝟙|: round-off for an exactly symmetric cell, about (noise/a) for a cell that
     * is only symmetric within the tolerance. Idealise such cells first (symmetrizeStructure), otherwise
     * the averages are not exact projections (not idempotent beyond this level).
     */
    orthogonalityError;
    /** Whether the translation factorisation (see module comment) is used. */
    factorised;
    /** Indices of the pure translations T (always contains the identity). */
    translationOps;
    /** One operation index per distinct rotation W (coset representatives of G/T). */
    representativeOps;
    /** Reference atoms S: one atom per translation orbit. */
    referenceAtoms;
    /** For atom a: index into referenceAtoms of its orbit, and k with a = p_{T[k]}(S[refIndex[a]]). */
    refIndex;
    refTrans;
    /**
     * @param cell cell (rows = lattice vectors) the Cartesian rotations refer to
     * @param set operations and atom maps of the structure (e.g. from analyzeSymmetry or supercellOperations)
     */
    constructor(cell, set) {
        const ops = set.operations;
        if (ops.length === 0 || set.atomMaps.length !== ops.length)
            throw new SymmetryError('operation set is empty or has no atom maps');
        this.natoms = set.atomMaps[0].length;
        this.order = ops.length;
        this.operations = ops;
        this.rotations = cartesianRotations(cell, ops);
        let orth = 0;
        for (let g = 0; g < ops.length; g++) {
            const R = this.rotations.subarray(9 * g, 9 * g + 9);
            for (let a = 0; a < 3; a++)
                for (let b = 0; b < 3; b++) {
                    const d = R[a] * R[b] + R[3 + a] * R[3 + b] + R[6 + a] * R[6 + b] - (a === b ? 1 : 0);
                    orth = Math.max(orth, Math.abs(d));
                }
        }
        this.orthogonalityError = orth;
        this.perms = set.atomMaps;
        this.invPerms = set.atomMaps.map(invertPermutation);
        const n = this.natoms;
        for (const p of set.atomMaps)
            if (p.length !== n)
                throw new SymmetryError('atom maps of different lengths');
        const identity = ops.findIndex((o, g) => isIdentityRotation(o.rotation) && set.atomMaps[g].every((j, i) => j === i));
        if (identity < 0)
            throw new SymmetryError('operation set has no identity');
        const trans = ops.map((_, g) => g).filter((g) => isIdentityRotation(ops[g].rotation));
        // group by rotation
        const byRot = new Map();
        ops.forEach((o, g) => {
            const key = o.rotation.join(',');
            const l = byRot.get(key);
            if (l)
                l.push(g);
            else
                byRot.set(key, [g]);
        });
        let ok = trans.length > 1 && [...byRot.values()].every((l) => l.length === trans.length) && n % trans.length === 0;
        let refIndex = new Int32Array(n).fill(-1);
        let refTrans = new Int32Array(n);
        let refs = [];
        let translationOps = [identity];
        let representativeOps = ops.map((_, g) => g);
        if (ok) {
            // translation orbits; T must act freely (each orbit has |T| atoms)
            const tOrdered = [identity, ...trans.filter((g) => g !== identity)];
            for (let a = 0; a < n && ok; a++) {
                if (refIndex[a] >= 0)
                    continue;
                const k = refs.length;
                refs.push(a);
                tOrdered.forEach((g, t) => {
                    const b = set.atomMaps[g][a];
                    if (refIndex[b] >= 0)
                        ok = false;
                    refIndex[b] = k;
                    refTrans[b] = t;
                });
            }
            if (ok) {
                translationOps = tOrdered;
                representativeOps = [...byRot.values()].map((l) => (l.includes(identity) ? identity : l[0]));
            }
        }
        if (!ok) {
            refIndex = Int32Array.from({ length: n }, (_, i) => i);
            refTrans = new Int32Array(n);
            refs = Array.from({ length: n }, (_, i) => i);
            translationOps = [identity];
            representativeOps = ops.map((_, g) => g);
        }
        this.translationOps = translationOps;
        this.representativeOps = representativeOps;
        this.factorised = ok;
        this.referenceAtoms = Int32Array.from(refs);
        this.refIndex = refIndex;
        this.refTrans = refTrans;
    }
    /** Build from a structure and its operation set (Cartesian rotations use structure.cell). */
    static of(structure, set) {
        return new Symmetrizer(structure.cell, set);
    }
    /** The distinct Cartesian rotations (the point group), 9 numbers each. */
    pointGroup() {
        const out = new Float64Array(9 * this.representativeOps.length);
        this.representativeOps.forEach((g, k) => out.set(this.rotations.subarray(9 * g, 9 * g + 9), 9 * k));
        return out;
    }
    checkVector(v) {
        if (v.length !== 3 * this.natoms)
            throw new SymmetryError(`vector field: expected ${3 * this.natoms} numbers, got ${v.length}`);
    }
    /** Average of a vector field over G with the given 3×3 matrices (Cartesian R_g or fractional W_g). */
    averageVector(v, mats, out) {
        const n = this.natoms;
        // translation average: vT[i] = (1/|T|) Σ_t v[p_t⁻¹(i)]  (rotation = 𝟙)
        const vT = new Float64Array(3 * n);
        for (const g of this.translationOps) {
            const p = this.perms[g];
            for (let a = 0; a < n; a++) {
                const b = 3 * p[a];
                vT[b] += v[3 * a];
                vT[b + 1] += v[3 * a + 1];
                vT[b + 2] += v[3 * a + 2];
            }
        }
        const acc = new Float64Array(3 * n);
        for (const g of this.representativeOps) {
            const R = mats(g);
            const p = this.perms[g];
            for (let a = 0; a < n; a++) {
                const x = vT[3 * a], y = vT[3 * a + 1], z = vT[3 * a + 2];
                const b = 3 * p[a];
                acc[b] += R[0] * x + R[1] * y + R[2] * z;
                acc[b + 1] += R[3] * x + R[4] * y + R[5] * z;
                acc[b + 2] += R[6] * x + R[7] * y + R[8] * z;
            }
        }
        const s = 1 / this.order;
        for (let k = 0; k < 3 * n; k++)
            out[k] = acc[k] * s;
        return out;
    }
    /** Vector field (forces, gradients, Cartesian displacements): v_sym[i] = (1/|G|) Σ_g R_g v[π_g⁻¹(i)]. */
    vector(v, out = new Float64Array(3 * this.natoms)) {
        this.checkVector(v);
        return this.averageVector(v, (g) => this.rotations.subarray(9 * g, 9 * g + 9), out);
    }
    /** Fractional displacement field: du_sym[i] = (1/|G|) Σ_g W_g du[π_g⁻¹(i)] (valid for any cell). */
    fractionalVector(du, out = new Float64Array(3 * this.natoms)) {
        this.checkVector(du);
        return this.averageVector(du, (g) => this.operations[g].rotation, out);
    }
    /**
     * Centroids / positions: symmetrise the displacement of `structure` from the symmetric `reference`
     * (same atom order; displacements taken as fractional minimum images), never absolute coordinates.
     * Returns a structure with the cell of `structure` and positions reference + symmetrised displacement,
     * wrapped like the input.
     */
    positions(structure, reference) {
        const n = this.natoms;
        if (structure.natoms !== n || reference.natoms !== n)
            throw new SymmetryError(`positions: expected ${n} atoms`);
        const du = new Float64Array(3 * n);
        for (let k = 0; k < 3 * n; k++) {
            const d = structure.frac[k] - reference.frac[k];
            du[k] = d - Math.round(d);
        }
        const ds = this.fractionalVector(du);
        const frac = new Float64Array(3 * n);
        for (let k = 0; k < 3 * n; k++)
            frac[k] = structure.frac[k] + (ds[k] - du[k]);
        return structure.with({ frac });
    }
    /** Cartesian rank-2 tensor (stress, strain) over the point group: (1/|P|) Σ R T Rᵀ. */
    tensor(t, out = new Float64Array(9)) {
        if (t.length !== 9)
            throw new SymmetryError(`tensor: expected 9 numbers, got ${t.length}`);
        const acc = new Float64Array(9);
        const tmp = new Float64Array(9);
        for (const g of this.representativeOps) {
            const R = this.rotations.subarray(9 * g, 9 * g + 9);
            rotateBlock(R, t, 0, tmp, 0);
            for (let k = 0; k < 9; k++)
                acc[k] += tmp[k];
        }
        const s = 1 / this.representativeOps.length;
        for (let k = 0; k < 9; k++)
            out[k] = acc[k] * s;
        return out;
    }
    /**
     * Supercell force constants (3N × 3N, row-major):
     * Φ_sym[i, j] = (1/|G|) Σ_g R_g Φ[π_g⁻¹(i), π_g⁻¹(j)] R_gᵀ, with Φ = Φᵀ imposed. Options: `asr`
     * applies the acoustic sum rule afterwards (physics.md 3.3). `out` may alias `phi`.
     */
    forceConstants(phi, options = {}) {
        const n = this.natoms;
        const n3 = 3 * n;
        if (phi.length !== n3 * n3)
            throw new SymmetryError(`force constants: expected ${n3 * n3} numbers (3N × 3N), got ${phi.length}`);
        const S = this.referenceAtoms;
        const ns = S.length;
        const T = this.translationOps;
        // 1. translation average of the symmetric part, rows of the reference atoms only:
        //    A[s, j] = (1/|T|) Σ_t ½(Φ[a, b] + Φ[b, a]ᵀ),  a = p_t⁻¹(S[s]), b = p_t⁻¹(j)
        const A = new Float64Array(ns * n * 9);
        for (const g of T) {
            const pinv = this.invPerms[g];
            for (let s = 0; s < ns; s++) {
                const a = pinv[S[s]];
                for (let j = 0; j < n; j++) {
                    const b = pinv[j];
                    const o = (s * n + j) * 9;
                    for (let al = 0; al < 3; al++) {
                        const ra = (3 * a + al) * n3 + 3 * b;
                        for (let be = 0; be < 3; be++)
                            A[o + 3 * al + be] += 0.5 * (phi[ra + be] + phi[(3 * b + be) * n3 + 3 * a + al]);
                    }
                }
            }
        }
        // translation-invariant look-up: Φ_T[a, b] = A[refIndex[a], p_t⁻¹(b)] with t = refTrans[a]
        const tInv = T.map((g) => this.invPerms[g]);
        // 2. representatives: B[s, j] = Σ_r R_r Φ_T[π_r⁻¹(S[s]), π_r⁻¹(j)] R_rᵀ
        const B = new Float64Array(ns * n * 9);
        const tmp = new Float64Array(9);
        const q = new Int32Array(n);
        for (const g of this.representativeOps) {
            const R = this.rotations.subarray(9 * g, 9 * g + 9);
            const rinv = this.invPerms[g];
            for (let s = 0; s < ns; s++) {
                const a = rinv[S[s]];
                const ka = this.refIndex[a];
                const ta = tInv[this.refTrans[a]];
                for (let j = 0; j < n; j++)
                    q[j] = ta[rinv[j]];
                const base = ka * n;
                for (let j = 0; j < n; j++) {
                    rotateBlock(R, A, (base + q[j]) * 9, tmp, 0);
                    const o = (s * n + j) * 9;
                    for (let k = 0; k < 9; k++)
                        B[o + k] += tmp[k];
                }
            }
        }
        // 3. expand by translations: Φ_sym[i, j] = B[refIndex[i], p_t⁻¹(j)] / |G|, t = refTrans[i]
        const out = options.out ?? new Float64Array(n3 * n3);
        if (out.length !== n3 * n3)
            throw new SymmetryError('force constants: output has the wrong size');
        const scale = 1 / this.order;
        for (let i = 0; i < n; i++) {
            const ks = this.refIndex[i];
            const ti = tInv[this.refTrans[i]];
            for (let j = 0; j < n; j++) {
                const o = (ks * n + ti[j]) * 9;
                for (let al = 0; al < 3; al++) {
                    const r = (3 * i + al) * n3 + 3 * j;
                    out[r] = B[o + 3 * al] * scale;
                    out[r + 1] = B[o + 3 * al + 1] * scale;
                    out[r + 2] = B[o + 3 * al + 2] * scale;
                }
            }
        }
        symmetrizeTranspose(out, n3);
        if (options.asr) {
            applyAcousticSumRule(out, n, out);
            symmetrizeTranspose(out, n3); // P Φ P is symmetric; remove the round-off asymmetry
        }
        return out;
    }
    /** Action of one operation on force constants: R_g Φ[π_g⁻¹(i), π_g⁻¹(j)] R_gᵀ (for checks). */
    transformForceConstants(phi, g) {
        const n = this.natoms, n3 = 3 * n;
        const R = this.rotations.subarray(9 * g, 9 * g + 9);
        const pinv = this.invPerms[g];
        const out = new Float64Array(n3 * n3);
        const blk = new Float64Array(9), tmp = new Float64Array(9);
        for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) {
                const a = pinv[i], b = pinv[j];
                for (let al = 0; al < 3; al++)
                    for (let be = 0; be < 3; be++)
                        blk[3 * al + be] = phi[(3 * a + al) * n3 + 3 * b + be];
                rotateBlock(R, blk, 0, tmp, 0);
                for (let al = 0; al < 3; al++)
                    for (let be = 0; be < 3; be++)
                        out[(3 * i + al) * n3 + 3 * j + be] = tmp[3 * al + be];
            }
        return out;
    }
    /** Action of one operation on a vector field: v'[π_g(i)] = R_g v[i]. */
    transformVector(v, g) {
        const R = this.rotations.subarray(9 * g, 9 * g + 9);
        const p = this.perms[g];
        const out = new Float64Array(3 * this.natoms);
        for (let a = 0; a < this.natoms; a++) {
            const x = v[3 * a], y = v[3 * a + 1], z = v[3 * a + 2];
            out[3 * p[a]] = R[0] * x + R[1] * y + R[2] * z;
            out[3 * p[a] + 1] = R[3] * x + R[4] * y + R[5] * z;
            out[3 * p[a] + 2] = R[6] * x + R[7] * y + R[8] * z;
        }
        return out;
    }
}
/** out[oo..] = R X Rᵀ for the 3×3 block X at x[xo..] (row-major). */
function rotateBlock(R, x, xo, out, oo) {
    // Y = R X
    const y0 = R[0] * x[xo] + R[1] * x[xo + 3] + R[2] * x[xo + 6];
    const y1 = R[0] * x[xo + 1] + R[1] * x[xo + 4] + R[2] * x[xo + 7];
    const y2 = R[0] * x[xo + 2] + R[1] * x[xo + 5] + R[2] * x[xo + 8];
    const y3 = R[3] * x[xo] + R[4] * x[xo + 3] + R[5] * x[xo + 6];
    const y4 = R[3] * x[xo + 1] + R[4] * x[xo + 4] + R[5] * x[xo + 7];
    const y5 = R[3] * x[xo + 2] + R[4] * x[xo + 5] + R[5] * x[xo + 8];
    const y6 = R[6] * x[xo] + R[7] * x[xo + 3] + R[8] * x[xo + 6];
    const y7 = R[6] * x[xo + 1] + R[7] * x[xo + 4] + R[8] * x[xo + 7];
    const y8 = R[6] * x[xo + 2] + R[7] * x[xo + 5] + R[8] * x[xo + 8];
    // Y Rᵀ
    out[oo] = y0 * R[0] + y1 * R[1] + y2 * R[2];
    out[oo + 1] = y0 * R[3] + y1 * R[4] + y2 * R[5];
    out[oo + 2] = y0 * R[6] + y1 * R[7] + y2 * R[8];
    out[oo + 3] = y3 * R[0] + y4 * R[1] + y5 * R[2];
    out[oo + 4] = y3 * R[3] + y4 * R[4] + y5 * R[5];
    out[oo + 5] = y3 * R[6] + y4 * R[7] + y5 * R[8];
    out[oo + 6] = y6 * R[0] + y7 * R[1] + y8 * R[2];
    out[oo + 7] = y6 * R[3] + y7 * R[4] + y8 * R[5];
    out[oo + 8] = y6 * R[6] + y7 * R[7] + y8 * R[8];
}
/** In place: M ← (M + Mᵀ)/2 for an n × n row-major matrix. */
export function symmetrizeTranspose(m, n) {
    for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++) {
            const v = 0.5 * (m[i * n + j] + m[j * n + i]);
            m[i * n + j] = v;
            m[j * n + i] = v;
        }
    return m;
}
/**
 * Acoustic sum rule (physics.md 3.3): Φ ← P Φ P with P = 𝟙 − Σ_k t_k t_kᵀ, t_k[3i + α] = δ_αk/√N.
 * Afterwards Σ_j Φ[3i + α, 3j + β] = 0 and Σ_i Φ[3i + α, 3j + β] = 0. `out` may alias `phi`.
 */
export function applyAcousticSumRule(phi, natoms, out = new Float64Array(phi.length)) {
    const n3 = 3 * natoms;
    if (phi.length !== n3 * n3)
        throw new SymmetryError(`ASR: expected ${n3 * n3} numbers for ${natoms} atoms, got ${phi.length}`);
    const inv = 1 / natoms;
    if (out !== phi)
        out.set(phi);
    // right multiplication by P: subtract, per row and per β, the mean over atoms j
    for (let r = 0; r < n3; r++) {
        const row = r * n3;
        let m0 = 0, m1 = 0, m2 = 0;
        for (let j = 0; j < natoms; j++) {
            m0 += out[row + 3 * j];
            m1 += out[row + 3 * j + 1];
            m2 += out[row + 3 * j + 2];
        }
        m0 *= inv;
        m1 *= inv;
        m2 *= inv;
        for (let j = 0; j < natoms; j++) {
            out[row + 3 * j] -= m0;
            out[row + 3 * j + 1] -= m1;
            out[row + 3 * j + 2] -= m2;
        }
    }
    // left multiplication by P: subtract, per column and per α, the mean over atoms i
    const colMean = new Float64Array(3 * n3);
    for (let i = 0; i < natoms; i++)
        for (let al = 0; al < 3; al++) {
            const row = (3 * i + al) * n3;
            const cm = al * n3;
            for (let c = 0; c < n3; c++)
                colMean[cm + c] += out[row + c];
        }
    for (let k = 0; k < colMean.length; k++)
        colMean[k] *= inv;
    for (let i = 0; i < natoms; i++)
        for (let al = 0; al < 3; al++) {
            const row = (3 * i + al) * n3;
            const cm = al * n3;
            for (let c = 0; c < n3; c++)
                out[row + c] -= colMean[cm + c];
        }
    return out;
}
