// Ensemble averages at the current (R, Φ, T) (physics.md 5.4–5.7, 5.10) on the kernel
// assembly/sscha/averages.ts: importance weights, N_eff, F = F_0 + ⟨δV⟩, the centroid gradient
// g_R = −⟨δf⟩, the preconditioned force-constant gradient G, the ionic pressure, all with errors; then
// symmetrisation (vector / rank-2 including supercell translations) and the acoustic sum rule.
//
// An EnsembleWorkspace copies one evaluated population into kernel memory once and keeps every
// per-configuration array there: a minimisation step does no per-configuration work in JavaScript.
import { SschaError, ModeSet, componentMasses, asrSymmetric } from './modes.js';
import { det3 } from '../structure/mat3.js';
const SLOT = {
    X: 0, R: 1, MASS: 2, POLAR: 3, AMP: 4, AMP0: 5, OMEGA2: 6, PHI: 7, XI: 8, E: 9, F: 10, S: 11,
    U: 12, Y: 13, DF: 14, WK: 15, B: 16, Z: 17, Z1: 18, Z2: 19, DV: 20, TQ: 21,
    W: 22, SCAL: 23, GR: 24, GRERR: 25, G: 26, GERR: 27, ION: 28, IONERR: 29, P: 30, PERR: 31, R0: 32, V: 33,
};
const NSLOTS = 34;
function sameBits(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (!Object.is(a[i], b[i]))
            return false;
    return true;
}
/**
 * True when configurations 2k and 2k+1 are antithetic partners: an even count and ξ_{2k+1} = −ξ_{2k}
 * exactly (as samplePopulation stores them). Anything else (odd count, configurations from another
 * code or hand-assembled populations) gets per-configuration errors.
 */
export function isPairedPopulation(pop) {
    const nc = pop.nConfigs, m = pop.nModes, xi = pop.xi;
    if (nc < 2 || nc % 2 !== 0 || xi.length < nc * m)
        return false;
    for (let i = 0; i < nc; i += 2) {
        const a = i * m, b = a + m;
        for (let mu = 0; mu < m; mu++)
            if (xi[b + mu] !== -xi[a + mu])
                return false;
    }
    return true;
}
/**
 * For a paired population: v_k = ½(x_{2k} − x_{2k+1}) (nc/2 × n3) when the positions are antithetic
 * too, x_{2k} + x_{2k+1} = 2R₀ up to the rounding of the stored positions (as samplePopulation makes
 * them: x = R₀ ± u); null otherwise (positions from elsewhere: the kernel then uses x − R per row).
 */
export function antitheticDisplacements(pop) {
    const nc = pop.nConfigs, n3 = 3 * pop.nAtoms, x = pop.positions, r0 = pop.centroids;
    if (nc < 2 || nc % 2 !== 0 || x.length < nc * n3)
        return null;
    const v = new Float64Array((nc / 2) * n3);
    for (let p = 0; p < nc / 2; p++) {
        const a = 2 * p * n3, b = a + n3;
        for (let q = 0; q < n3; q++) {
            const xa = x[a + q], xb = x[b + q], c = r0[q];
            // a few ulps of the larger of |R₀| and |u|
            if (!(Math.abs(xa + xb - 2 * c) <= 1e-13 * (Math.abs(c) + Math.abs(xa - c)) + 1e-300))
                return null;
            v[p * n3 + q] = 0.5 * (xa - xb);
        }
    }
    return v;
}
function norm(v) {
    let s = 0;
    for (let i = 0; i < v.length; i++)
        s += v[i] * v[i];
    return Math.sqrt(s);
}
/** (T + Tᵀ)/2 of a 3×3 tensor, then the point-group average (if a symmetriser is given). */
function symTensor(t, sym) {
    const s = new Float64Array(9);
    for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++)
            s[3 * a + b] = 0.5 * (t[3 * a + b] + t[3 * b + a]);
    return sym ? sym.tensor(s) : s;
}
/**
 * Errors of a point-group-symmetrised 3×3 average from per-configuration tensors t (nc × 9): the
 * symmetrisation is linear, so it is applied to each unit's centred, weighted sum (a unit = an antithetic
 * pair, or one configuration), and err_c² = Σ_k (L d_k)_c² / (Σw)². Averaging over the group cancels part
 * of the noise of single components, which the per-component error would miss (it overestimated the
 * error of tr P/3 about 2.8× on a cubic crystal).
 */
function symmetrizedTensorErrors(t, w, nc, unit, sym) {
    const mean = new Float64Array(9);
    let sw = 0;
    for (let i = 0; i < nc; i++) {
        sw += w[i];
        for (let c = 0; c < 9; c++)
            mean[c] += w[i] * t[9 * i + c];
    }
    for (let c = 0; c < 9; c++)
        mean[c] /= sw;
    const acc = new Float64Array(9);
    const d = new Float64Array(9);
    for (let i = 0; i < nc; i += unit) {
        d.fill(0);
        for (let j = i; j < Math.min(i + unit, nc); j++)
            for (let c = 0; c < 9; c++)
                d[c] += w[j] * (t[9 * j + c] - mean[c]);
        const ld = symTensor(d, sym);
        for (let c = 0; c < 9; c++)
            acc[c] += ld[c] * ld[c];
    }
    return acc.map((x) => Math.sqrt(x) / sw);
}
/**
 * One evaluated population in kernel memory plus all scratch for the averages.
 * Call `free()` when done (kernel memory is not garbage collected).
 */
export class EnsembleWorkspace {
    k;
    pop;
    nc;
    n3;
    m;
    volume;
    symmetry;
    /**
     * Errors are computed over antithetic pairs (configurations 2k, 2k+1 drawn with ξ and −ξ): true
     * for every population from samplePopulation; false (per-configuration errors) for an odd count or
     * a population whose rows are not ξ/−ξ pairs (isPairedPopulation).
     */
    paired;
    /**
     * The positions of the pairs are R₀ ± v_k too (antitheticDisplacements): the kernel computes y and
     * Φu from the nc/2 v_k (u_{2k,2k+1} = R₀ − R ± v_k), halving its two largest GEMMs.
     */
    antitheticPositions;
    /** Modes of the current Φ (after the last `averages` call) and of the generating Φ₀. */
    modes;
    modes0;
    bufs = [];
    slot;
    table;
    freed = false;
    constructor(k, pop, symmetry) {
        if (pop.evaluated !== pop.nConfigs)
            throw new SschaError(`population ${pop.index}: only ${pop.evaluated} of ${pop.nConfigs} configurations are evaluated`);
        this.k = k;
        this.pop = pop;
        this.symmetry = symmetry;
        const nc = pop.nConfigs, n3 = 3 * pop.nAtoms;
        const nt = pop.nTranslations;
        if (nt !== symmetry.nTranslations)
            throw new SschaError(`population ${pop.index} has ${pop.nTranslations} translations, the symmetry context ${symmetry.nTranslations}`);
        this.nc = nc;
        this.n3 = n3;
        this.m = n3 - nt;
        this.volume = Math.abs(det3(pop.cell));
        this.paired = isPairedPopulation(pop);
        const vPairs = this.paired ? antitheticDisplacements(pop) : null;
        this.antitheticPositions = vPairs !== null;
        const masses3 = componentMasses(pop.masses);
        this.modes = new ModeSet(k, masses3, nt);
        this.modes0 = new ModeSet(k, masses3, nt);
        this.modes0.compute(pop.phi, pop.temperature);
        if (this.modes0.nModes !== pop.nModes)
            throw new SschaError(`population ${pop.index}: ${pop.nModes} modes stored, ${this.modes0.nModes} computed`);
        const m = this.m;
        const o = { owned: true };
        const mk = (n, init) => {
            const b = k.f64(Math.max(n, 1), init, o);
            this.bufs.push(b);
            return b;
        };
        this.slot = {
            X: mk(nc * n3, pop.positions), R: mk(n3), MASS: this.modes.masses3, POLAR: this.modes.polar, AMP: this.modes.amp,
            AMP0: this.modes0.amp, OMEGA2: this.modes.omega2, PHI: this.modes.phi, XI: mk(nc * m, pop.xi), E: mk(nc, pop.energies),
            F: mk(nc * n3, pop.forces), S: pop.stresses ? mk(nc * 9, pop.stresses) : null,
            U: mk(nc * n3), Y: mk(nc * m), DF: mk(nc * n3), WK: mk(Math.max(nc * m, (nc >> 1) * n3)), B: mk(m * n3), Z: mk(m * n3), Z1: mk(m * n3), Z2: mk(m * n3),
            DV: mk(nc), TQ: mk(nc * 9), W: mk(nc), SCAL: mk(16), GR: mk(n3), GRERR: mk(n3), G: mk(n3 * n3), GERR: mk(n3 * n3),
            ION: mk(9), IONERR: mk(9), P: mk(9), PERR: mk(9),
            R0: vPairs ? mk(n3, pop.centroids) : null, V: vPairs ? mk(vPairs.length, vPairs) : null,
        };
        this.table = k.i32(NSLOTS, undefined, o);
        const tv = this.table.view;
        for (const [name, idx] of Object.entries(SLOT))
            tv[idx] = this.slot[name]?.ptr ?? 0;
    }
    /** ẽ_μ = M^{-1/2}e_μ (rows, M × n3) of the modes of the last `averages` call: the basis of y. */
    etilde() {
        return this.modes.etilde.toArray();
    }
    /** Kernel-side arrays after the last `averages` call (y, δf, weights...), for the Hessian. */
    buffer(name) {
        return this.slot[name];
    }
    /**
     * All averages at (R, Φ, T). Throws ImaginaryModeError if Φ has a non-positive mode. When
     * (R, Φ, T) are bitwise the generating parameters the weights are set to exactly 1 (unless
     * exactShortcut is false: then they are computed, and equal 1 to rounding).
     */
    averages(R, phi, temperature, options = {}) {
        if (this.freed)
            throw new SschaError('ensemble workspace used after free');
        const { k, nc, n3, m, pop } = this;
        if (R.length !== n3)
            throw new SschaError(`centroids: expected ${n3} numbers, got ${R.length}`);
        this.modes.compute(phi, temperature);
        const exact = (options.exactShortcut ?? true) && temperature === pop.temperature && sameBits(R, pop.centroids) && sameBits(phi, pop.phi);
        this.slot.R.set(R);
        // table entries can move only if buffers are reallocated; they are not, but memory may grow (views only)
        const st = k.fn('ssAverages')(nc, n3, m, exact ? 1 : 0, this.volume, this.table.ptr, (this.paired ? 1 : 0) | (this.antitheticPositions ? 2 : 0));
        if (st === 1)
            throw new SschaError(`population ${pop.index}: energies, forces or stresses contain NaN or Inf`);
        k.check('ssAverages', st);
        const sc = this.slot.SCAL.view;
        const sym = this.symmetry.symmetrizer;
        const nt = this.symmetry.nTranslations;
        const order = sym ? sym.order : 1;
        const rootOrder = Math.sqrt(order);
        // centroid gradient: symmetrise (translation average included in the supercell operations)
        const gRraw = this.slot.GR.toArray();
        const gR = sym ? sym.vector(gRraw) : gRraw;
        const gRErr = this.slot.GRERR.toArray();
        let gRTilde = this.modes.newton(gR);
        if (nt === 3)
            removeMeanTranslation(gRTilde);
        if (sym)
            gRTilde = sym.vector(gRTilde);
        // force-constant gradient: symmetrise + ASR
        const Graw = this.slot.G.toArray();
        const G = sym ? sym.forceConstants(Graw, { asr: nt === 3 }) : nt === 3 ? asrSymmetric(Graw, n3 / 3) : Graw;
        const GErr = this.slot.GERR.toArray();
        const ion = symTensor(this.slot.ION.toArray(), sym);
        const hasP = this.slot.S !== null;
        // Errors of the symmetrised tensors, from the per-configuration contributions left by the kernel.
        const w = this.slot.W.toArray();
        const tq = this.slot.TQ.toArray();
        const unit = this.paired ? 2 : 1;
        const iv = 1 / this.volume;
        const ionPer = tq.map((x) => -x * iv);
        const ionErr = symmetrizedTensorErrors(ionPer, w, nc, unit, sym);
        let pErr = null;
        if (hasP) {
            const sv = this.slot.S.toArray();
            pErr = symmetrizedTensorErrors(sv.map((x, j) => -x - tq[j] * iv), w, nc, unit, sym);
        }
        const precisionRatio = exact ? 1 : this.precisionRatio();
        return {
            F: this.modes.F0 + sc[3],
            Ferr: sc[4],
            F0: this.modes.F0,
            S0: this.modes.S0,
            dV: sc[3],
            Vh: sc[7],
            nEff: sc[2],
            nConfigs: nc,
            errorUnits: sc[9],
            weights: this.slot.W.toArray(),
            gR,
            gRErr,
            gRNorm: norm(gR),
            gRNormErr: norm(gRErr) / rootOrder,
            gRTilde,
            G,
            GErr,
            GNorm: norm(G),
            GNormErr: norm(GErr) / rootOrder,
            ionicPressure: ion,
            ionicPressureErr: ionErr,
            pressure: hasP ? symTensor(this.slot.P.toArray(), sym) : null,
            pressureErr: pErr,
            omega: this.modes.omega.toArray(),
            amplitude: this.modes.amp.toArray(),
            atGenerating: exact,
            precisionRatio,
        };
    }
    /** See Averages.precisionRatio (current modes vs generating modes). */
    precisionRatio() {
        const { k, m, n3 } = this;
        if (!this.kbuf)
            this.kbuf = [k.f64(m * m, undefined, { owned: true }), k.f64(m * m, undefined, { owned: true }), k.f64(m, undefined, { owned: true })];
        const [a, b, e] = this.kbuf;
        return k.fn('ssPrecisionRatio')(m, n3, this.modes.polar.ptr, this.modes.amp.ptr, this.modes0.polar.ptr, this.modes0.amp.ptr, a.ptr, b.ptr, e.ptr);
    }
    kbuf = null;
    /** Plain copy of the current modes (after `averages`). */
    currentModes() {
        return this.modes.toPlain();
    }
    free() {
        if (this.freed)
            return;
        this.freed = true;
        for (const b of this.bufs)
            b.free();
        for (const b of this.kbuf ?? [])
            b.free();
        this.table.free();
        this.modes.free();
        this.modes0.free();
    }
}
/** Subtract the mean displacement per Cartesian direction (the uniform translation) in place. */
export function removeMeanTranslation(v) {
    const n = v.length / 3;
    const mean = [0, 0, 0];
    for (let i = 0; i < n; i++)
        for (let a = 0; a < 3; a++)
            mean[a] += v[3 * i + a];
    for (let a = 0; a < 3; a++)
        mean[a] /= n;
    for (let i = 0; i < n; i++)
        for (let a = 0; a < 3; a++)
            v[3 * i + a] -= mean[a];
    return v;
}
