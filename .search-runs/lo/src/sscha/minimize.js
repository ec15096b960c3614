// SSCHA minimisation inside one population (physics.md 5.7–5.9).
//
// Parameters z = (Φ, R). Direction d = (G, κ·g̃_R) with G the preconditioned force-constant gradient
// and g̃_R = Φ⁺g_R = −Φ⁺⟨δf⟩ (Newton step for the centroids, translations excluded). Step-length
// control by the effective sample size:
//   new direction: λ ← min(1.5 λ, 1), z = z_old − λ d; re-weight and recompute the gradients at z;
//   accept if ⟨d, g_new⟩ ≥ 0 (within noise, below) and N_eff/N_eff,old ≥ 0.9; otherwise λ ← 0.8736 λ
//   and retry from z_old;
//   a non-positive ω² at z is a rejection; 50 consecutive rejections end the population.
// Extension: the precision ratio λ_min(Υ₀^{-1/2}ΥΥ₀^{-1/2}) guards the direction N_eff cannot see
// (reweighting towards wider distributions): trials below 0.6 are rejected and the ensemble counts
// as exhausted below 0.75 when a new direction starts.
// Step length cap: both directions are Newton-like (G = Φ − Φ* for a harmonic system, g̃_R = Φ⁺g_R),
// so a unit step is the predicted minimum along d: λ_Φ = λ ≤ 1 and λ_R = min(κλ, 1). Longer steps
// can only overshoot; without the cap λ grew ×1.5 per accepted step whenever the gradient was
// noise (nothing to reject on) until Φ diverged.
// Overshoot test ⟨d, g_new⟩ ≥ 0, block-wise and noise-aware: for each block b ∈ {Φ, R} with
// t_b = ⟨d_b, g_new,b⟩ (d_Φ = G_old, d_R = g̃_old) and its standard error σ_b (element-wise errors
// of the new gradient, σ_b² = Σ_i d_b,i² err_i²), the trial is rejected if t_b < −σ_b in
// any block: the step demonstrably went past the minimum along d. An overshoot within the noise
// is no evidence (the new gradient may be pure noise, e.g. once the gradient is below its error),
// and every block counts, significant or not (the old rule accepted on N_eff alone when no block
// was significant).
// After every update Φ is symmetrised (supercell space group incl. translations) and ASR-projected,
// the centroid displacement from the symmetric reference is symmetrised as a vector.
// Representations of Φ: 'normal' (Φ ← Φ − λG) and 'sqrt' (S = Φ^{1/2}, S ← S − λ(SG + GS),
// Φ = S²), used automatically when imaginary modes keep appearing along a direction.
// Stopping: converged when ‖G‖ < f·err(‖G‖) (or ‖G‖ < 1e-8) and the same for g_R (f = 0.2); N_eff/N
// below the threshold when a new direction is about to start (new population needed); max steps.
// The returned (R, Φ) are always the last accepted ones.
import { gemm } from '../linalg/gemm.js';
import { symSqrt } from '../linalg/matfun.js';
import { ImaginaryModeError, asrSymmetric } from './modes.js';
const GRAD_FLOOR = 1e-8;
/** Largest step length: the preconditioned directions are Newton steps (physics.md 5.6, 5.8). */
export const MAX_LAMBDA = 1;
/** A trial is rejected when ⟨d, g_new⟩ < −OVERSHOOT_SIGMAS · err(⟨d, g_new⟩) in a block. */
const OVERSHOOT_SIGMAS = 1;
/** The SSCHA stopping rule on both gradients. */
export function isConverged(a, factor = 0.2, fixCentroids = false) {
    const okG = a.GNorm < factor * a.GNormErr || a.GNorm < GRAD_FLOOR;
    const okR = fixCentroids || a.gRNorm < factor * a.gRNormErr || a.gRNorm < GRAD_FLOOR;
    return okG && okR;
}
function dot(a, b) {
    let s = 0;
    for (let i = 0; i < a.length; i++)
        s += a[i] * b[i];
    return s;
}
/**
 * Standard error of ⟨d, g⟩ from the element-wise errors of the unsymmetrised g (elements treated as
 * independent). d is symmetric and symmetrisation is an orthogonal projection P, so
 * ⟨d, P g_raw⟩ = ⟨d, g_raw⟩: the average over symmetry copies is already in the sum over elements
 * (no further 1/√|G|, unlike the error of a norm).
 */
function dotErr(d, gErr) {
    let s = 0;
    for (let i = 0; i < d.length; i++)
        s += (d[i] * gErr[i]) ** 2;
    return Math.sqrt(s);
}
/** Project Φ onto the symmetric, ASR-obeying subspace of the context. */
export function projectPhi(phi, symmetry) {
    const n = phi.length;
    const n3 = Math.round(Math.sqrt(n));
    if (symmetry.symmetrizer)
        return symmetry.symmetrizer.forceConstants(phi, { asr: symmetry.nTranslations === 3 });
    if (symmetry.nTranslations === 3)
        return asrSymmetric(phi, n3 / 3);
    const out = Float64Array.from(phi);
    for (let i = 0; i < n3; i++)
        for (let j = i + 1; j < n3; j++) {
            const v = 0.5 * (out[i * n3 + j] + out[j * n3 + i]);
            out[i * n3 + j] = v;
            out[j * n3 + i] = v;
        }
    return out;
}
/** Centroids: reference + symmetrised displacement (never absolute coordinates). */
export function projectCentroids(R, reference, symmetry) {
    if (!symmetry.symmetrizer)
        return R;
    const d = new Float64Array(R.length);
    for (let i = 0; i < R.length; i++)
        d[i] = R[i] - reference[i];
    const ds = symmetry.symmetrizer.vector(d);
    const out = new Float64Array(R.length);
    for (let i = 0; i < R.length; i++)
        out[i] = reference[i] + ds[i];
    return out;
}
/** One update z − λ d in the given representation, then symmetrised. */
export function stepParameters(k, R, phi, dir, lambda, opts) {
    const n3 = R.length;
    let next;
    if ((opts.representation ?? 'normal') === 'normal') {
        next = new Float64Array(phi.length);
        for (let q = 0; q < phi.length; q++)
            next[q] = phi[q] - lambda * dir.G[q];
    }
    else {
        const S = symSqrt(k, phi, n3, { rtol: 1e-10 });
        const M = { rows: n3, cols: n3 };
        const SG = gemm(k, { ...M, data: S }, { ...M, data: dir.G }).data;
        const Sn = new Float64Array(S.length);
        for (let i = 0; i < n3; i++)
            for (let j = 0; j < n3; j++)
                Sn[i * n3 + j] = S[i * n3 + j] - lambda * (SG[i * n3 + j] + SG[j * n3 + i]); // GS = (SG)ᵀ
        next = gemm(k, { ...M, data: Sn }, { ...M, data: Sn }).data;
    }
    const phiNew = projectPhi(next, opts.symmetry);
    let Rnew = R;
    if (!opts.fixCentroids) {
        const kap = opts.kappa ?? 1;
        const r = new Float64Array(n3);
        for (let a = 0; a < n3; a++)
            r[a] = R[a] - lambda * kap * dir.gRTilde[a];
        Rnew = projectCentroids(r, opts.reference, opts.symmetry);
    }
    return { R: Rnew, phi: phiNew };
}
/**
 * Minimise F over (R, Φ) with the ensemble in `ws`, starting at (R, Φ) (symmetrised by the caller).
 * Returns the last accepted (R, Φ) and why it stopped.
 */
export function minimizePopulation(ws, start, options = {}) {
    const k = ws.k;
    const T = start.temperature;
    const factor = options.meaningfulFactor ?? 0.2;
    const nEffThr = options.nEffThreshold ?? 0.5;
    const stepRatio = options.nEffStepRatio ?? 0.9;
    const maxSteps = options.maxSteps ?? 200;
    const precExhausted = options.precisionExhausted ?? 0.75;
    const precReject = options.precisionReject ?? 0.6;
    const maxRej = options.maxRejections ?? 50;
    const sqrtAfter = options.sqrtFallbackAfter ?? 5;
    const fixR = !!options.fixCentroids;
    const reference = options.reference ?? ws.pop.centroids;
    let rep = options.representation ?? 'normal';
    let lambda = Math.min(options.lambda ?? 0.5, MAX_LAMBDA);
    const kappa = options.kappa ?? 1;
    let R = Float64Array.from(start.R);
    let phi = Float64Array.from(start.phi);
    let acc = ws.averages(R, phi, T);
    const N = ws.nc;
    const history = [];
    const record = (step, lam, rejections) => {
        const rec = {
            population: ws.pop.index, step, F: acc.F, Ferr: acc.Ferr, GNorm: acc.GNorm, GNormErr: acc.GNormErr,
            gRNorm: fixR ? 0 : acc.gRNorm, gRNormErr: fixR ? 0 : acc.gRNormErr, nEffRatio: acc.nEff / N, lambda: lam, representation: rep, rejections,
        };
        history.push(rec);
        options.onStep?.(rec, acc);
    };
    record(0, 0, 0);
    const done = (reason, steps) => ({
        R, phi, averages: acc, converged: reason === 'converged', reason, steps, history, lambda, representation: rep,
    });
    if (isConverged(acc, factor, fixR))
        return done('converged', 0);
    for (let step = 1; step <= maxSteps; step++) {
        if (acc.nEff / N < nEffThr || !(acc.precisionRatio >= precExhausted))
            return done('ensemble-exhausted', step - 1);
        const dir = { G: acc.G, gRTilde: acc.gRTilde };
        const useG = acc.GNorm > 0;
        const useR = !fixR && dot(acc.gRTilde, acc.gR) > 0;
        lambda = Math.min(1.5 * lambda, MAX_LAMBDA);
        let rejections = 0;
        let imaginary = 0;
        for (;;) {
            let trial = null;
            let tAvg = null;
            try {
                // λ_R = min(κλ, 1)
                const kap = Math.min(kappa * lambda, MAX_LAMBDA) / lambda;
                trial = stepParameters(k, R, phi, dir, lambda, { kappa: kap, representation: rep, fixCentroids: fixR, reference, symmetry: ws.symmetry });
                tAvg = ws.averages(trial.R, trial.phi, T);
            }
            catch (e) {
                if (!(e instanceof ImaginaryModeError) && !(e instanceof Error && /symSqrt|positive/.test(e.message)))
                    throw e;
                imaginary++;
            }
            let ok = false;
            if (tAvg) {
                // significant overshoot along d in either block → reject
                const overG = useG && dot(dir.G, tAvg.G) < -OVERSHOOT_SIGMAS * dotErr(dir.G, tAvg.GErr);
                const overR = useR && dot(dir.gRTilde, tAvg.gR) < -OVERSHOOT_SIGMAS * dotErr(dir.gRTilde, tAvg.gRErr);
                ok = !overG && !overR && tAvg.nEff / acc.nEff >= stepRatio && tAvg.precisionRatio >= precReject;
            }
            if (ok && trial && tAvg) {
                R = trial.R;
                phi = trial.phi;
                acc = tAvg;
                record(step, lambda, rejections);
                break;
            }
            rejections++;
            lambda *= 0.8736;
            if (rep === 'normal' && sqrtAfter > 0 && imaginary >= sqrtAfter) {
                rep = 'sqrt';
                imaginary = 0;
            }
            if (rejections >= maxRej) {
                // restore the last accepted point (the workspace's current modes are the trial's: recompute)
                acc = ws.averages(R, phi, T);
                return done('line-search-failed', step - 1);
            }
        }
        if (isConverged(acc, factor, fixR))
            return done('converged', step);
    }
    return done('max-steps', maxSteps);
}
