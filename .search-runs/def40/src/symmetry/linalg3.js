// Small dense helpers for symmetric 3×3 matrices (row-major), used to idealise cell metrics.
/** Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations. Columns of `vectors` are eigenvectors. */
export function symEig3(m) {
    const a = Float64Array.from(m);
    const v = Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    for (let sweep = 0; sweep < 50; sweep++) {
        const off = Math.abs(a[1]) + Math.abs(a[2]) + Math.abs(a[5]);
        const scale = Math.abs(a[0]) + Math.abs(a[4]) + Math.abs(a[8]);
        if (off <= 1e-300 || off < 1e-17 * scale)
            break;
        for (const [p, q] of [
            [0, 1],
            [0, 2],
            [1, 2],
        ]) {
            const apq = a[3 * p + q];
            if (apq === 0)
                continue;
            const theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
            const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
            const c = 1 / Math.sqrt(t * t + 1);
            const s = t * c;
            // A ← Jᵀ A J with J the rotation in the (p, q) plane
            for (let k = 0; k < 3; k++) {
                const akp = a[3 * k + p], akq = a[3 * k + q];
                a[3 * k + p] = c * akp - s * akq;
                a[3 * k + q] = s * akp + c * akq;
            }
            for (let k = 0; k < 3; k++) {
                const apk = a[3 * p + k], aqk = a[3 * q + k];
                a[3 * p + k] = c * apk - s * aqk;
                a[3 * q + k] = s * apk + c * aqk;
            }
            for (let k = 0; k < 3; k++) {
                const vkp = v[3 * k + p], vkq = v[3 * k + q];
                v[3 * k + p] = c * vkp - s * vkq;
                v[3 * k + q] = s * vkp + c * vkq;
            }
        }
    }
    return { values: Float64Array.of(a[0], a[4], a[8]), vectors: v };
}
/** f(M) = V diag(f(λ)) Vᵀ for a symmetric 3×3 matrix M. */
export function symFunc3(m, f) {
    const { values, vectors: V } = symEig3(m);
    const fl = values.map(f);
    const out = new Float64Array(9);
    for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
            out[3 * i + j] = V[3 * i] * fl[0] * V[3 * j] + V[3 * i + 1] * fl[1] * V[3 * j + 1] + V[3 * i + 2] * fl[2] * V[3 * j + 2];
    return out;
}
