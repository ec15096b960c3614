// Unit conversions for phonons, with the exact literals of physics.md 1.2.
//
// Internal units: force constants eV/Å², masses amu, so ω² = Φ/m comes out in τ⁻² with
// τ = Å·√(amu/eV) = 10.1805057 fs. Reported frequencies ν are ordinary frequencies in THz (ω/2π).
/** ω (τ⁻¹) → ν (THz). */
export const TAU_INV_TO_THZ = 15.6333042;
/** ω (τ⁻¹) → wavenumber (cm⁻¹). */
export const TAU_INV_TO_CM = 521.470898;
/** ħ in eV·τ. */
export const HBAR = 0.0646541513;
/** k_B in eV/K. */
export const KB = 8.617333262e-5;
/** ν (THz) → energy hν = ħω (eV). */
export const THZ_TO_EV = HBAR / TAU_INV_TO_THZ;
/** ν (THz) → wavenumber (cm⁻¹). */
export const THZ_TO_CM = TAU_INV_TO_CM / TAU_INV_TO_THZ;
/**
 * e·N_A in J/(eV·mol) (= C/mol, CODATA 2018 exact: 1.602176634e-19 × 6.02214076e23), to report
 * per-cell quantities per mole of cells: 1 eV/cell = 96.48533212 kJ/mol, k_B·N_A = 8.314462618 J/(K·mol).
 * Not in the physics.md table; it follows from the exact SI definitions.
 */
export const EV_PER_CELL_TO_J_PER_MOL = 96485.33212;
/** ω² (τ⁻²) → signed frequency ν (THz): negative eigenvalues give negative ("imaginary") frequencies. */
export function omega2ToThz(w2) {
    return Math.sign(w2) * Math.sqrt(Math.abs(w2)) * TAU_INV_TO_THZ;
}
