// The SSCHA outer loop (physics.md 5.9): generate a population at the current (R, Φ, T) → evaluate
// it with the engine → minimise inside it → repeat until converged inside a population or
// maxPopulations is reached. Populations are kept in memory as plain data (ensemble.ts) so that they
// can be persisted and a run resumed.
import { CalculatorError } from '../calculators/calculator.js';
import { hypot2 } from '../numeric/detmath.js';
import { TAU_INV_TO_CM } from '../phonons/units.js';
import { supercellOperations } from '../symmetry/operations.js';
import { Symmetrizer } from '../symmetry/symmetrize.js';
import { defaultKernels } from '../wasm/kernels.js';
import { EnsembleWorkspace } from './averages.js';
import { evaluatePopulation, samplePopulation } from './ensemble.js';
import { minimizePopulation, projectCentroids, projectPhi } from './minimize.js';
import { SschaError, assertPositiveModes } from './modes.js';
function sameBits(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (!Object.is(a[i], b[i]))
            return false;
    return true;
}
/**
 * A saved population in place of sampling population `input.index` (SschaOptions.resume): its
 * generating parameters must be bitwise `input`'s, and ξ and the positions must equal a regeneration
 * from seed + stream. Returns a copy with the saved results.
 */
export function resumedPopulation(k, saved, input) {
    const p = input.index;
    const what = (x) => new SschaError(`saved population ${p} ${x}: the saved run had different inputs or options (start it in a new folder)`);
    if (saved.index !== p || saved.stream !== p)
        throw what(`has index ${saved.index}`);
    const fresh = samplePopulation(k, input);
    if (saved.seed !== fresh.seed)
        throw what(`has seed ${saved.seed}, this run ${fresh.seed}`);
    if (saved.nConfigs !== input.nConfigs)
        throw what(`has ${saved.nConfigs} configurations, this run ${input.nConfigs}`);
    if (!Object.is(saved.temperature, input.temperature))
        throw what(`was drawn at T = ${saved.temperature} K, this run ${input.temperature} K`);
    if (!sameBits(saved.centroids, input.centroids) || !sameBits(saved.phi, input.phi))
        throw what('was drawn from other (R, Φ) than this run reaches');
    if (!sameBits(fresh.xi, saved.xi))
        throw what('has ξ that differ from their regeneration from seed and stream');
    if (!sameBits(fresh.positions, saved.positions))
        throw what('has positions that differ from their regeneration');
    return {
        ...fresh,
        energies: Float64Array.from(saved.energies),
        forces: Float64Array.from(saved.forces),
        stresses: saved.stresses ? Float64Array.from(saved.stresses) : null,
        evaluated: saved.evaluated,
        engine: saved.engine,
    };
}
function isSupercell(s) {
    return s.structure !== undefined && s.prim !== undefined;
}
/** The symmetry context for a supercell (see SschaOptions.symmetry). */
export function sschaSymmetry(supercell, symmetry, nTranslations = 3) {
    const structure = isSupercell(supercell) ? supercell.structure : supercell;
    let symmetrizer;
    if (symmetry instanceof Symmetrizer)
        symmetrizer = symmetry;
    else if (symmetry)
        symmetrizer = new Symmetrizer(structure.cell, symmetry);
    else if (symmetry === undefined && isSupercell(supercell) && supercell.ncells > 1) {
        const identity = { rotation: Int32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), translation: new Float64Array(3) };
        const ops = supercellOperations(structure, [identity], Array.from(supercell.matrix));
        symmetrizer = new Symmetrizer(structure.cell, ops);
    }
    if (symmetrizer && symmetrizer.natoms !== structure.natoms)
        throw new SschaError(`symmetry is for ${symmetrizer.natoms} atoms, the supercell has ${structure.natoms}`);
    return { symmetrizer, nTranslations };
}
/** Relative tolerance for frequencies of one symmetry multiplet (Φ is symmetrised exactly: ~1e-13). */
const MULTIPLET_TOL = 1e-7;
/**
 * Statistical error (τ⁻¹) of the auxiliary frequencies ω_μ of the converged (R, Φ) of a population.
 *
 * The converged Φ solves G(Φ) = 0 for this ensemble's estimate G = Φ − ⟨∂²V⟩ (physics.md 5.6), so its
 * noise is, to first order, the noise δG of that estimate at the solution (the Φ-dependence of ⟨∂²V⟩
 * through the reweighting and the noise of free centroids are neglected; the latter is zero when the
 * positions are fixed by symmetry). First-order perturbation theory gives δ(ω²_μ) = ẽ_μᵀ δG ẽ_μ, and
 * because ẽ_μᵀ M^{1/2} e_ν = δ_μν the projection of G's estimator is a plain ensemble average:
 *
 *   ẽ_μᵀ G ẽ_μ = ⟨o_μ⟩,   o_iμ = (y_iμ / A_μ) (ẽ_μ · δf_i).
 *
 * Its error is the weighted ratio-estimator error with the antithetic pair as the unit of
 * independence (configurations 2k, 2k+1 are strongly correlated),
 *
 *   err²(⟨o_μ⟩) = Σ_pairs [Σ_{i∈pair} w_i (o_iμ − ⟨o_μ⟩)]² / (Σ_i w_i)².
 *
 * The symmetriser replaces G by its group average; projected on a symmetry multiplet (degenerate ω,
 * one irreducible representation) that is the multiplet mean of ẽ_νᵀ G ẽ_ν (Schur), so o is averaged
 * over each multiplet per configuration before the error is taken. No division by √(group order):
 * the symmetry copies are the same configurations, and their average is already the multiplet mean.
 * The minimiser stops at ‖G‖ < 0.2·err (or below an absolute floor), so a residual ⟨o_μ⟩ = ẽ_μᵀ G ẽ_μ
 * remains: it is the remaining (systematic) distance of ω²_μ from the fixed point and is added in
 * quadrature (a few % at convergence; it dominates only when the statistical part vanishes, e.g. a
 * pure cubic on-site potential, whose odd terms cancel exactly within antithetic pairs, or when the
 * run stopped unconverged). Finally σ(ω_μ) = σ(ω²_μ) / (2ω_μ). (The previous estimate propagated
 * element-wise errors of G as if independent and divided by √order: 8–20× below the run-to-run spread.)
 */
function frequencyErrors(k, ws, R, phi, T, symmetric) {
    // refresh the per-configuration buffers at the accepted (R, Φ) (the last evaluation may have been a rejected trial)
    const a = ws.averages(R, phi, T);
    const { nc, n3, m } = ws;
    const omega = a.omega, amp = a.amplitude;
    const y = ws.buffer('Y').toArray();
    const w = ws.buffer('W').toArray();
    // P = δF · Ẽᵀ (N_c × M): ẽ_μ · δf_i
    const P = k.scope(() => {
        const out = k.f64(nc * m);
        k.fn('dgemm')(0, 1, nc, m, n3, 1, ws.buffer('DF').ptr, n3, ws.modes.etilde.ptr, n3, 0, out.ptr, m);
        return out.toArray();
    });
    // multiplets: consecutive (ascending) ω within MULTIPLET_TOL, only when Φ is symmetrised
    const group = new Int32Array(m);
    let ng = 0;
    for (let mu = 0; mu < m; mu++) {
        if (mu > 0 && symmetric && Math.abs(omega[mu] - omega[mu - 1]) <= MULTIPLET_TOL * omega[mu])
            group[mu] = group[mu - 1];
        else
            group[mu] = ng++;
    }
    const size = new Float64Array(ng);
    for (let mu = 0; mu < m; mu++)
        size[group[mu]]++;
    // o_ig (multiplet means) and their weighted means
    const o = new Float64Array(nc * ng);
    let W = 0;
    const mean = new Float64Array(ng);
    for (let i = 0; i < nc; i++) {
        W += w[i];
        for (let mu = 0; mu < m; mu++)
            o[i * ng + group[mu]] += (y[i * m + mu] / amp[mu]) * P[i * m + mu] / size[group[mu]];
        for (let g = 0; g < ng; g++)
            mean[g] += w[i] * o[i * ng + g];
    }
    for (let g = 0; g < ng; g++)
        mean[g] /= W;
    const s2 = new Float64Array(ng);
    const acc = new Float64Array(ng);
    for (let i0 = 0; i0 < nc; i0 += 2) {
        acc.fill(0);
        for (let i = i0; i < Math.min(i0 + 2, nc); i++)
            for (let g = 0; g < ng; g++)
                acc[g] += w[i] * (o[i * ng + g] - mean[g]);
        for (let g = 0; g < ng; g++)
            s2[g] += acc[g] * acc[g];
    }
    return Float64Array.from(omega, (wm, mu) => hypot2(Math.sqrt(s2[group[mu]]) / W, mean[group[mu]]) / (2 * wm));
}
/** Run the SSCHA (populations loop). */
/**
 * The inputs both drivers (fixed cell and variable cell) share, checked: kernels, the supercell
 * structure and its number of cells, sizes, translations and temperature.
 */
export async function sschaInputs(opts) {
    const k = opts.kernels ?? (await defaultKernels());
    const structure = isSupercell(opts.supercell) ? opts.supercell.structure : opts.supercell;
    const ncells = opts.ncells ?? (isSupercell(opts.supercell) ? opts.supercell.ncells : 1);
    const n = structure.natoms, n3 = 3 * n;
    const nt = opts.nTranslations ?? 3;
    const T = opts.T;
    if (!(T >= 0) || !Number.isFinite(T))
        throw new SschaError(`temperature must be finite and >= 0 K, got ${T}`);
    if (opts.phi0.length !== n3 * n3)
        throw new SschaError(`phi0 must be ${n3}×${n3} (${n3 * n3} numbers), got ${opts.phi0.length}`);
    return { k, structure, ncells, n, n3, nt, T };
}
export async function runSscha(opts) {
    const { k, structure, ncells, n, nt, T } = await sschaInputs(opts);
    const maxPop = opts.maxPopulations ?? 20;
    const confirmNEff = opts.confirmNEff ?? 0.8;
    const symmetry = sschaSymmetry(opts.supercell, opts.symmetry, nt);
    const reference = structure.cartesian();
    let R = projectCentroids(Float64Array.from(opts.centroids ?? reference), reference, symmetry);
    let phi = projectPhi(Float64Array.from(opts.phi0), symmetry);
    // refuse a starting Φ with imaginary modes with a clear message (ImaginaryModeError)
    assertPositiveModes(k, structure.masses, phi, T, nt);
    const populations = [];
    const history = [];
    const populationReasons = [];
    const mopts = opts.minimize ?? {};
    let lambda = mopts.lambda ?? 0.5;
    let rep = mopts.representation ?? 'normal';
    let last = null;
    const fail = (e) => {
        if (e instanceof Error)
            e.partial = { populations, history, R, phi };
        throw e;
    };
    for (let p = 0; p < maxPop; p++) {
        const input = { structure, centroids: R, phi, temperature: T, nConfigs: opts.nConfigs, seed: opts.seed, index: p, nTranslations: nt };
        const saved = opts.resume?.[p];
        const pop = saved ? resumedPopulation(k, saved, input) : samplePopulation(k, input);
        populations.push(pop);
        if (!saved)
            opts.onPopulation?.(pop, 'sampled');
        try {
            const onEvaluated = opts.onEvaluated;
            await evaluatePopulation(pop, opts.calculator, structure, { stress: opts.stress, batchSize: opts.batchSize, signal: opts.signal, onProgress: onEvaluated && (() => onEvaluated(pop)) });
        }
        catch (e) {
            if (e instanceof CalculatorError)
                fail(e);
            throw e;
        }
        opts.onPopulation?.(pop, 'evaluated');
        const ws = new EnsembleWorkspace(k, pop, symmetry);
        try {
            const res = minimizePopulation(ws, { R, phi, temperature: T }, {
                ...mopts,
                lambda,
                representation: rep,
                reference,
                onStep: (rec, avg) => {
                    history.push(rec);
                    opts.onStep?.({ ...rec, populations: p + 1 }, avg);
                },
            });
            R = res.R;
            phi = res.phi;
            // keep the step length across populations but not below the default start / 16
            lambda = Math.max(res.lambda, (mopts.lambda ?? 0.5) / 16);
            rep = res.representation === 'sqrt' ? (mopts.representation ?? 'normal') : rep; // back to normal once resampled
            const omegaErr = frequencyErrors(k, ws, R, phi, T, !!symmetry.symmetrizer);
            populationReasons.push(res.reason);
            last = { averages: res.averages, reason: res.reason, converged: res.converged, omegaErr };
        }
        catch (e) {
            fail(e);
        }
        finally {
            ws.free();
        }
        let final = false;
        if (last.converged) {
            if (last.averages.nEff / last.averages.nConfigs >= confirmNEff)
                final = true;
            else {
                last.converged = false;
                populationReasons[populationReasons.length - 1] = 'converged-unconfirmed';
            }
        }
        opts.onMinimized?.({ population: p, R, phi, lambda, representation: rep, reason: populationReasons[populationReasons.length - 1], converged: last.converged });
        if (final)
            break;
    }
    const a = last.averages;
    return {
        converged: last.converged,
        reason: last.converged ? 'converged' : populations.length >= maxPop ? 'max-populations' : last.reason,
        F: a.F,
        Ferr: a.Ferr,
        FperCell: a.F / ncells,
        FperCellErr: a.Ferr / ncells,
        FperAtom: a.F / n,
        FperAtomErr: a.Ferr / n,
        ncells,
        temperature: T,
        R,
        phi,
        omega: a.omega,
        frequenciesCm: Float64Array.from(a.omega, (w) => w * TAU_INV_TO_CM),
        frequencyErrCm: Float64Array.from(last.omegaErr, (w) => w * TAU_INV_TO_CM),
        averages: a,
        history,
        populations,
        populationReasons,
    };
}
