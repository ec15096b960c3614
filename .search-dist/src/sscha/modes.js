// Auxiliary harmonic modes of the SSCHA trial distribution (physics.md 5.1, 4.2, 4.3, 4.6) on the
// kernel assembly/sscha/modes.ts: D = M^{-1/2}ΦM^{-1/2} diagonalised once, translations identified by
// index (largest overlap with the mass-weighted uniform translations, after deflation), then ω_μ,
// Bose occupations n_μ (exactly 0 at T = 0), amplitudes A_μ, polar vectors e_μ, ẽ_μ = M^{-1/2}e_μ and
// the harmonic free energy F_0 — all in WebAssembly so that they are bit-reproducible.
import { KernelError } from '../wasm/kernels.js';
import { TAU_INV_TO_CM } from '../phonons/units.js';
import { applyAcousticSumRule, symmetrizeTranspose } from '../symmetry/symmetrize.js';
/** Any SSCHA failure that is not an engine failure. */
export class SschaError extends Error {
    constructor(message) {
        super(message);
        this.name = 'SschaError';
    }
}
/** Φ has a non-positive (imaginary or zero) non-translational mode. */
export class ImaginaryModeError extends SschaError {
    mode;
    omega2;
    frequencyCm;
    count;
    constructor(message, 
    /** Index of the mode among the non-translational modes, ascending ω². */
    mode, 
    /** Its ω² (τ⁻²). */
    omega2, 
    /** Its frequency in cm⁻¹, negative for imaginary. */
    frequencyCm, 
    /** Number of non-positive modes. */
    count) {
        super(message);
        this.mode = mode;
        this.omega2 = omega2;
        this.frequencyCm = frequencyCm;
        this.count = count;
        this.name = 'ImaginaryModeError';
    }
}
/** τ⁻¹ → cm⁻¹ for a signed ω² (negative = imaginary, reported as a negative frequency). */
export function omega2ToCm(w2) {
    return Math.sign(w2) * Math.sqrt(Math.abs(w2)) * TAU_INV_TO_CM;
}
/** Masses per Cartesian component (3 per atom) from per-atom masses. */
export function componentMasses(masses) {
    const out = new Float64Array(3 * masses.length);
    for (let i = 0; i < masses.length; i++)
        out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = masses[i];
    return out;
}
/**
 * Auxiliary modes living in kernel memory (reused step after step: no allocation per call).
 * `compute` fills them from Φ; the buffers are read by the ensemble kernels directly.
 */
export class ModeSet {
    k;
    n3;
    nModes;
    nTranslations;
    masses3;
    phi;
    omega2;
    omega;
    occ;
    amp;
    polar;
    etilde;
    work;
    vecs;
    evals;
    info;
    scal;
    temperature = NaN;
    F0 = NaN;
    S0 = NaN;
    translationOverlap = NaN;
    nonPositive = 0;
    valid = false;
    freed = false;
    constructor(k, masses3, nTranslations = 3) {
        this.k = k;
        const n3 = masses3.length;
        if (n3 === 0 || n3 % 3 !== 0)
            throw new SschaError(`modes: need 3 masses per atom, got ${n3}`);
        if (nTranslations !== 0 && nTranslations !== 3)
            throw new SschaError(`modes: nTranslations must be 0 or 3, got ${nTranslations}`);
        if (nTranslations >= n3)
            throw new SschaError(`modes: ${n3 / 3} atom(s) with 3 translations leave no modes`);
        for (let a = 0; a < n3; a++)
            if (!(masses3[a] > 0) || !Number.isFinite(masses3[a]))
                throw new SschaError(`modes: mass of atom ${Math.floor(a / 3) + 1} must be positive, got ${masses3[a]}`);
        this.n3 = n3;
        this.nTranslations = nTranslations;
        const m = n3 - nTranslations;
        this.nModes = m;
        const o = { owned: true };
        this.masses3 = k.f64(n3, masses3, o);
        this.phi = k.f64(n3 * n3, undefined, o);
        this.work = k.f64(n3 * n3, undefined, o);
        this.vecs = k.f64(n3 * n3, undefined, o);
        this.evals = k.f64(n3, undefined, o);
        this.omega2 = k.f64(m, undefined, o);
        this.omega = k.f64(m, undefined, o);
        this.occ = k.f64(m, undefined, o);
        this.amp = k.f64(m, undefined, o);
        this.polar = k.f64(m * n3, undefined, o);
        this.etilde = k.f64(m * n3, undefined, o);
        this.info = k.i32(2, undefined, o);
        this.scal = k.f64(4, undefined, o);
    }
    /** Diagonalise Φ (n3 × n3, symmetric) at temperature T (K). Throws ImaginaryModeError unless allowed. */
    compute(phi, temperature, allowNonPositive = false) {
        if (this.freed)
            throw new SschaError('modes: used after free');
        const n3 = this.n3;
        if (phi.length !== n3 * n3)
            throw new SschaError(`modes: Φ must be ${n3}×${n3} (${n3 * n3} numbers), got ${phi.length}`);
        if (!(temperature >= 0) || !Number.isFinite(temperature))
            throw new SschaError(`modes: temperature must be finite and >= 0 K, got ${temperature}`);
        this.valid = false;
        this.phi.set(phi);
        const st = this.k.fn('ssModes')(n3, this.phi.ptr, this.masses3.ptr, this.nTranslations, temperature, allowNonPositive ? 1 : 0, this.work.ptr, this.vecs.ptr, this.evals.ptr, this.omega2.ptr, this.omega.ptr, this.occ.ptr, this.amp.ptr, this.polar.ptr, this.etilde.ptr, this.info.ptr, this.scal.ptr);
        const info = this.info.view;
        const scal = this.scal.view;
        if (st === 5) {
            const mu = info[0];
            const w2 = this.omega2.view[mu];
            const cm = omega2ToCm(w2);
            throw new ImaginaryModeError(`auxiliary force constants have ${info[1]} non-positive mode(s): mode ${mu} of ${this.nModes} (ascending, translations excluded) has ` +
                `ω² = ${w2.toExponential(4)} τ⁻² (${w2 < 0 ? `${Math.abs(cm).toFixed(2)}i` : cm.toFixed(2)} cm⁻¹); ` +
                `start from a positive-definite Φ (positiveDefiniteStart) or reduce the step`, mu, w2, cm, info[1]);
        }
        if (st === 1)
            throw new SschaError('modes: Φ or the masses contain NaN or Inf');
        if (st === 2)
            throw new SschaError('modes: the eigensolver did not converge');
        if (st !== 0)
            throw new KernelError(`ssModes failed with status ${st}`);
        this.temperature = temperature;
        this.F0 = scal[0];
        this.S0 = scal[1];
        this.translationOverlap = scal[2];
        this.nonPositive = info[1];
        this.valid = true;
        return this;
    }
    /** Plain-array copy. */
    toPlain() {
        return {
            n3: this.n3,
            nTranslations: this.nTranslations,
            nModes: this.nModes,
            temperature: this.temperature,
            omega2: this.omega2.toArray(),
            omega: this.omega.toArray(),
            occupation: this.occ.toArray(),
            amplitude: this.amp.toArray(),
            polar: this.polar.toArray(),
            etilde: this.etilde.toArray(),
            F0: this.F0,
            S0: this.S0,
            translationOverlap: this.translationOverlap,
            nonPositive: this.nonPositive,
        };
    }
    /** Φ⁺g on the non-translational modes: Σ_μ ẽ_μ (ẽ_μ·g)/ω²_μ (a Newton step for the centroids). */
    newton(g) {
        const k = this.k;
        return k.scope(() => {
            const gb = k.f64(this.n3, g);
            const out = k.f64(this.n3);
            k.fn('ssNewton')(this.nModes, this.n3, this.etilde.ptr, this.omega2.ptr, gb.ptr, out.ptr);
            return out.toArray();
        });
    }
    /** M^{1/2} (Σ_μ values_μ e_μ e_μᵀ) M^{1/2} from the current polar vectors (translations get 0). */
    rebuild(values) {
        const k = this.k;
        if (values.length !== this.nModes)
            throw new SschaError(`rebuild: need ${this.nModes} values, got ${values.length}`);
        return k.scope(() => {
            const v = k.f64(this.nModes, values);
            const work = k.f64(this.nModes * this.n3);
            const out = k.f64(this.n3 * this.n3);
            k.fn('ssRebuild')(this.nModes, this.n3, this.polar.ptr, v.ptr, this.masses3.ptr, work.ptr, out.ptr);
            return out.toArray();
        });
    }
    /** Var(ẽ_μᵀ X ẽ_μ) for element-wise independent errors `err` of a symmetric n3 × n3 matrix X. */
    modeVariances(err) {
        const k = this.k;
        const n3 = this.n3;
        return k.scope(() => {
            const v = k.f64(n3 * n3);
            const vv = v.view;
            for (let q = 0; q < n3 * n3; q++)
                vv[q] = err[q] * err[q];
            const work = k.f64(this.nModes * n3);
            const out = k.f64(this.nModes);
            k.fn('ssModeErrors')(this.nModes, n3, this.etilde.ptr, v.ptr, work.ptr, out.ptr);
            return out.toArray();
        });
    }
    free() {
        if (this.freed)
            return;
        this.freed = true;
        for (const b of [this.masses3, this.phi, this.work, this.vecs, this.evals, this.omega2, this.omega, this.occ, this.amp, this.polar, this.etilde, this.scal])
            b.free();
        this.info.free();
    }
}
/**
 * Auxiliary modes of Φ (n3 × n3) for per-atom `masses` at temperature T (K), as plain arrays.
 * Throws ImaginaryModeError naming the first non-positive non-translational mode (unless
 * allowNonPositive).
 */
export function auxiliaryModes(k, phi, masses, temperature, options = {}) {
    const set = new ModeSet(k, componentMasses(masses), options.nTranslations ?? 3);
    try {
        return set.compute(phi, temperature, options.allowNonPositive).toPlain();
    }
    finally {
        set.free();
    }
}
/**
 * A positive-definite starting Φ from a harmonic Φ with imaginary or soft modes (physics.md 4.6):
 * D ← Σ_μ max(|ω²_μ|, ω²_floor) e_μ e_μᵀ over the non-translational modes, Φ = M^{1/2} D M^{1/2},
 * then symmetrised and ASR-projected. Returns the new Φ and how many modes were flipped/raised.
 */
export function positiveDefiniteStart(k, phi, masses, options = {}) {
    const nt = options.nTranslations ?? 3;
    const floor = (options.floorCm ?? 50) / TAU_INV_TO_CM;
    if (!(floor >= 0))
        throw new SschaError(`positiveDefiniteStart: floorCm must be >= 0, got ${options.floorCm}`);
    const set = new ModeSet(k, componentMasses(masses), nt);
    try {
        set.compute(phi, 0, true);
        const w2 = set.omega2.toArray();
        const f2 = floor * floor;
        let flipped = 0, raised = 0;
        const vals = new Float64Array(w2.length);
        for (let mu = 0; mu < w2.length; mu++) {
            let v = w2[mu];
            if (v < 0) {
                v = -v;
                flipped++;
            }
            if (v < f2) {
                v = f2;
                raised++;
            }
            vals[mu] = v;
        }
        let out = set.rebuild(vals);
        const n = masses.length;
        if (options.symmetrizer)
            out = options.symmetrizer.forceConstants(out, { asr: nt === 3 });
        else if (nt === 3)
            out = asrSymmetric(out, n);
        return { phi: out, flipped, raised };
    }
    finally {
        set.free();
    }
}
/** P Φ P with the ASR projector, then (Φ + Φᵀ)/2 (bitwise symmetric). */
export function asrSymmetric(phi, natoms) {
    const out = applyAcousticSumRule(phi, natoms);
    return symmetrizeTranspose(out, 3 * natoms);
}
/** Throws ImaginaryModeError (with the mode and its frequency) unless every non-translational mode of Φ is positive. */
export function assertPositiveModes(k, masses, phi, T, nTranslations) {
    const check = new ModeSet(k, componentMasses(masses), nTranslations);
    try {
        check.compute(phi, T);
    }
    finally {
        check.free();
    }
}
