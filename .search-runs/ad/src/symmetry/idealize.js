// Idealisation of a nearly symmetric structure to its exact space group (positions and cell),
// keeping the input's setting, atom order and (approximately) its orientation.
//
// Positions: the group average of the affine action, s'_i = (1/|G|) Σ_g [W_g s_{π_g⁻¹(i)} + w_g]
// with every image taken as the lattice copy nearest to s_i. Affine maps commute with averages, so the
// result is exactly invariant when the operations form a group; the translations w_g are refitted to
// the averaged positions and the average repeated until the residual is at round-off level.
// Cell: the metric g = A Aᵀ (A rows = lattice vectors) must satisfy Wᵀ g W = g for every rotation
// (this is what makes R_g = Aᵀ W (Aᵀ)⁻¹ orthogonal). g_sym = (1/|P|) Σ_W Wᵀ g W, and the new cell
// A' = g_sym^{1/2} g^{-1/2} A has metric g_sym and differs from A only by the strain.
import { mul3, transpose3 } from '../structure/mat3.js';
import { analyzeSymmetry } from './analyze.js';
import { symFunc3 } from './linalg3.js';
import { SymmetryError } from './moyo.js';
import { applyOp, invertPermutation, wrap01 } from './operations.js';
import { hypot3 } from '../numeric/detmath.js';
/** Symmetric metric (1/|P|) Σ_W Wᵀ g W over the distinct rotations of the operations. */
export function symmetrizeMetric(cell, ops) {
    const g = mul3(Array.from(cell), transpose3(Array.from(cell)));
    const seen = new Set();
    const acc = new Float64Array(9);
    for (const op of ops) {
        const key = op.rotation.join(',');
        if (seen.has(key))
            continue;
        seen.add(key);
        const W = Array.from(op.rotation);
        const t = mul3(mul3(transpose3(W), g), W);
        for (let k = 0; k < 9; k++)
            acc[k] += t[k];
    }
    for (let k = 0; k < 9; k++)
        acc[k] /= seen.size;
    return acc;
}
/** A cell with the symmetrised metric, as close as possible to the input cell (A' = g_sym^½ g^-½ A). */
export function idealizeCell(cell, ops) {
    const A = Array.from(cell);
    const g = mul3(A, transpose3(A));
    const gs = symmetrizeMetric(cell, ops);
    const M = mul3(symFunc3(gs, Math.sqrt), symFunc3(g, (x) => 1 / Math.sqrt(x)));
    return mul3(M, A);
}
/** Average positions over the group (see the module comment). Returns new fractional coordinates. */
export function averagePositions(frac, ops, atomMaps) {
    const n = frac.length / 3;
    const acc = new Float64Array(3 * n);
    const img = new Float64Array(3);
    ops.forEach((op, g) => {
        const pinv = invertPermutation(atomMaps[g]);
        for (let i = 0; i < n; i++) {
            applyOp(op, frac, img, 3 * pinv[i]);
            for (let k = 0; k < 3; k++) {
                const d = img[k] - frac[3 * i + k];
                acc[3 * i + k] += d - Math.round(d);
            }
        }
    });
    const out = new Float64Array(3 * n);
    for (let k = 0; k < 3 * n; k++)
        out[k] = frac[k] + acc[k] / ops.length;
    return out;
}
/** Refit each translation to positions: w = mean_i wrapNearest(s_{π(i)} − W s_i), reduced to [0, 1). */
function refitTranslations(frac, ops, atomMaps) {
    const n = frac.length / 3;
    const img = new Float64Array(3);
    let residual = 0;
    const out = ops.map((op, g) => {
        const p = atomMaps[g];
        const zero = { rotation: op.rotation, translation: new Float64Array(3) };
        // reference value: the current translation; average the deviations from it
        const dev = new Float64Array(3);
        for (let i = 0; i < n; i++) {
            applyOp(zero, frac, img, 3 * i);
            for (let k = 0; k < 3; k++) {
                let d = frac[3 * p[i] + k] - img[k] - op.translation[k];
                d -= Math.round(d);
                dev[k] += d;
                residual = Math.max(residual, Math.abs(d));
            }
        }
        return { rotation: op.rotation, translation: Float64Array.from([0, 1, 2], (k) => wrap01(op.translation[k] + dev[k] / n)) };
    });
    return { ops: out, residual };
}
/**
 * Idealise a nearly symmetric structure to the exact space group found at `symprec` (Å): positions
 * and cell. The result keeps the input's atom order and setting.
 */
export function symmetrizeStructure(structure, options = {}) {
    const opts = typeof options === 'number' ? { symprec: options } : options;
    const ds = analyzeSymmetry(structure, opts);
    let ops = ds.operations;
    let frac = Float64Array.from(structure.frac);
    let residual = Infinity;
    for (let it = 0; it < 8; it++) {
        frac = averagePositions(frac, ops, ds.atomMaps);
        const r = refitTranslations(frac, ops, ds.atomMaps);
        ops = r.ops;
        residual = r.residual;
        if (residual < 1e-14)
            break;
    }
    if (residual > 1e-9)
        throw new SymmetryError(`position idealisation did not converge (residual ${residual})`);
    const cell = idealizeCell(structure.cell, ops);
    const out = structure.with({ cell, frac });
    let maxDisplacement = 0;
    for (let i = 0; i < structure.natoms; i++) {
        const d = [0, 1, 2].map((k) => {
            const x = frac[3 * i + k] - structure.frac[3 * i + k];
            return x - Math.round(x);
        });
        const c = [0, 1, 2].map((k) => d[0] * cell[k] + d[1] * cell[3 + k] + d[2] * cell[6 + k]);
        maxDisplacement = Math.max(maxDisplacement, hypot3(c[0], c[1], c[2]));
    }
    let maxCellChange = 0;
    for (let k = 0; k < 9; k++)
        maxCellChange = Math.max(maxCellChange, Math.abs(cell[k] - structure.cell[k]));
    const dataset = analyzeSymmetry(out, opts);
    if (dataset.number !== ds.number) {
        throw new SymmetryError(`idealised structure has space group ${dataset.number}, expected ${ds.number}`);
    }
    return { structure: out, dataset, maxDisplacement, maxCellChange, residual };
}
