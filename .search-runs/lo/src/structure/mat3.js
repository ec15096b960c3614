// Small 3x3 helpers, row-major. Cells have rows = lattice vectors (physics.md 1.3); a Cartesian
// position is the row vector s·cell.
export function det3(m) {
    return (m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]));
}
export function inv3(m) {
    const d = det3(m);
    if (d === 0 || !Number.isFinite(d))
        throw new RangeError('singular 3x3 matrix');
    const r = new Float64Array(9);
    r[0] = (m[4] * m[8] - m[5] * m[7]) / d;
    r[1] = (m[2] * m[7] - m[1] * m[8]) / d;
    r[2] = (m[1] * m[5] - m[2] * m[4]) / d;
    r[3] = (m[5] * m[6] - m[3] * m[8]) / d;
    r[4] = (m[0] * m[8] - m[2] * m[6]) / d;
    r[5] = (m[2] * m[3] - m[0] * m[5]) / d;
    r[6] = (m[3] * m[7] - m[4] * m[6]) / d;
    r[7] = (m[1] * m[6] - m[0] * m[7]) / d;
    r[8] = (m[0] * m[4] - m[1] * m[3]) / d;
    return r;
}
export function mul3(a, b) {
    const r = new Float64Array(9);
    for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
            r[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    return r;
}
export function transpose3(a) {
    return Float64Array.of(a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]);
}
/** Row vector times matrix: v·M. */
export function vecMul3(v, m, out = new Float64Array(3), o = 0, vo = 0) {
    const x = v[vo], y = v[vo + 1], z = v[vo + 2];
    out[o] = x * m[0] + y * m[3] + z * m[6];
    out[o + 1] = x * m[1] + y * m[4] + z * m[7];
    out[o + 2] = x * m[2] + y * m[5] + z * m[8];
    return out;
}
export function norm3(v, o = 0) {
    return Math.sqrt(v[o] * v[o] + v[o + 1] * v[o + 1] + v[o + 2] * v[o + 2]); // not Math.hypot: implementation-defined bits
}
/** Reciprocal vectors without 2π, as rows: B = (A⁻¹)ᵀ so that a_i·b_j = δ_ij. */
export function reciprocal3(cell) {
    return transpose3(inv3(cell));
}
