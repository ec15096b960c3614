// Generalised coordinates of a variable-cell relaxation (deformation-gradient formulation; see e.g.
// Tadmor & Miller, "Modeling Materials" ch. 11, and the idea of ASE's UnitCellFilter, written here
// from the equations below).
//
// Reference cell A0 (rows = lattice vectors, physics.md 1.3). The current cell is the homogeneous
// deformation F (3×3, acting on column vectors) of A0: a_i = F a0_i, i.e. A = A0 Fᵀ. Atoms are kept in
// the reference frame: x̃_i = s_i A0 (Å), so x_i = F x̃_i and the fractional coordinates are s = x̃ A0⁻¹.
//
// The optimiser vector is X = [x̃ (3N) | cell part], with the cell part
//   'full':      c·F (9 numbers, row-major),
//   'isotropic': c·λ with F = λ𝟙 (1 number),
//   'fixed':     nothing.
// c (the "cell factor", default N) sets the relative scale of cell and atomic coordinates.
//
// Gradient of H = E + PΩ (exact, not the small-strain approximation):
//   ∂H/∂x̃_i = −F ᵀ f_i                      (row form: −f_i F)
//   ∂H/∂F   = Ω (σ + P𝟙) F⁻ᵀ                  (σ tensile-positive, (1/Ω)∂E/∂ε)
// since a variation δF = εF is the strain ε = δF F⁻¹ with dE = Ω σ:ε and dΩ = Ω tr ε. For F = λ𝟙,
// ∂H/∂λ = Ω tr(σ + P𝟙)/λ. Divided by c for the scaled variables.
import { det3, inv3 } from '../structure/mat3.js';
import { Structure } from '../structure/structure.js';
import { hypot3 } from '../numeric/detmath.js';
/** Maps between the optimiser vector and structures for one relaxation. */
export class CellCoordinates {
    reference;
    mode;
    cellFactor;
    natoms;
    ncell;
    size;
    cell0;
    inv0;
    /** Lattice-vector lengths of the reference cell (for step measures). */
    len0;
    constructor(reference, mode, cellFactor) {
        this.reference = reference;
        this.mode = mode;
        this.cellFactor = cellFactor;
        this.natoms = reference.natoms;
        this.ncell = mode === 'full' ? 9 : mode === 'isotropic' ? 1 : 0;
        this.size = 3 * this.natoms + this.ncell;
        this.cell0 = Float64Array.from(reference.cell);
        this.inv0 = inv3(this.cell0);
        const c = this.cell0;
        this.len0 = Math.max(hypot3(c[0], c[1], c[2]), hypot3(c[3], c[4], c[5]), hypot3(c[6], c[7], c[8]));
    }
    /** The optimiser vector of the reference structure (F = 𝟙). */
    initial() {
        const x = new Float64Array(this.size);
        const s = this.reference.frac, A = this.cell0;
        for (let i = 0; i < this.natoms; i++) {
            const o = 3 * i;
            x[o] = s[o] * A[0] + s[o + 1] * A[3] + s[o + 2] * A[6];
            x[o + 1] = s[o] * A[1] + s[o + 1] * A[4] + s[o + 2] * A[7];
            x[o + 2] = s[o] * A[2] + s[o + 1] * A[5] + s[o + 2] * A[8];
        }
        const o = 3 * this.natoms;
        if (this.mode === 'full')
            for (let k = 0; k < 9; k++)
                x[o + k] = (k % 4 === 0 ? 1 : 0) * this.cellFactor;
        else if (this.mode === 'isotropic')
            x[o] = this.cellFactor;
        return x;
    }
    /** Deformation gradient F (row-major) of a vector. */
    deformation(x, out = new Float64Array(9)) {
        const o = 3 * this.natoms, c = this.cellFactor;
        if (this.mode === 'full')
            for (let k = 0; k < 9; k++)
                out[k] = x[o + k] / c;
        else {
            const l = this.mode === 'isotropic' ? x[o] / c : 1;
            out.fill(0);
            out[0] = out[4] = out[8] = l;
        }
        return out;
    }
    /** Current cell A = A0 Fᵀ. */
    cell(F) {
        const A0 = this.cell0, A = new Float64Array(9);
        for (let i = 0; i < 3; i++)
            for (let a = 0; a < 3; a++)
                A[3 * i + a] = F[3 * a] * A0[3 * i] + F[3 * a + 1] * A0[3 * i + 1] + F[3 * a + 2] * A0[3 * i + 2];
        return A;
    }
    /** The structure of a vector (species, masses and labels of the reference). */
    structure(x) {
        const F = this.deformation(x);
        const cell = this.cell(F);
        const n = this.natoms, B = this.inv0;
        const frac = new Float64Array(3 * n);
        for (let i = 0; i < n; i++) {
            const o = 3 * i, u = x[o], v = x[o + 1], w = x[o + 2];
            frac[o] = u * B[0] + v * B[3] + w * B[6];
            frac[o + 1] = u * B[1] + v * B[4] + w * B[7];
            frac[o + 2] = u * B[2] + v * B[5] + w * B[8];
        }
        const r = this.reference;
        return new Structure({ cell, species: r.species, frac, masses: r.masses, labels: r.labels });
    }
    /**
     * Gradient of H at a vector from forces (eV/Å) and stress (eV/Å³, tensile-positive), pressure
     * P in eV/Å³. `volume` is the current cell volume (Å³).
     */
    gradient(x, forces, stress, pressure, volume, out = new Float64Array(this.size)) {
        const F = this.deformation(x);
        const n = this.natoms;
        for (let i = 0; i < n; i++) {
            const o = 3 * i, fx = forces[o], fy = forces[o + 1], fz = forces[o + 2];
            out[o] = -(fx * F[0] + fy * F[3] + fz * F[6]);
            out[o + 1] = -(fx * F[1] + fy * F[4] + fz * F[7]);
            out[o + 2] = -(fx * F[2] + fy * F[5] + fz * F[8]);
        }
        if (this.ncell === 0)
            return out;
        if (!stress)
            throw new Error('variable-cell relaxation needs the stress from the calculator');
        const o = 3 * n, c = this.cellFactor;
        if (this.mode === 'isotropic') {
            out[o] = (volume * (stress[0] + stress[4] + stress[8] + 3 * pressure)) / F[0] / c;
            return out;
        }
        const Fi = inv3(F); // (F⁻ᵀ)_{βγ} = Fi_{γβ}
        for (let a = 0; a < 3; a++)
            for (let g = 0; g < 3; g++) {
                let s = 0;
                for (let b = 0; b < 3; b++)
                    s += (stress[3 * a + b] + (a === b ? pressure : 0)) * Fi[3 * g + b];
                out[o + 3 * a + g] = (volume * s) / c;
            }
        return out;
    }
    /**
     * Size of a step d in Å: the largest atomic displacement in the reference frame or the largest
     * change of a lattice vector (|δF a0_i| bounded by ‖δF‖·max|a0|).
     */
    stepLength(d) {
        let m = 0;
        const n = this.natoms;
        for (let i = 0; i < n; i++) {
            const o = 3 * i;
            const r = d[o] * d[o] + d[o + 1] * d[o + 1] + d[o + 2] * d[o + 2];
            if (r > m)
                m = r;
        }
        m = Math.sqrt(m);
        const o = 3 * n, c = this.cellFactor;
        if (this.mode === 'full') {
            let f = 0;
            for (let k = 0; k < 9; k++)
                f += d[o + k] * d[o + k];
            m = Math.max(m, (Math.sqrt(f) / c) * this.len0);
        }
        else if (this.mode === 'isotropic') {
            m = Math.max(m, (Math.abs(d[o]) / c) * this.len0);
        }
        return m;
    }
    /** Volume of the cell of a vector. */
    volume(x) {
        return Math.abs(det3(this.cell(this.deformation(x))));
    }
}
