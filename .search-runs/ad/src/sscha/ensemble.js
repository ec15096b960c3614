// SSCHA populations (physics.md 5.2, 5.3, 5.13; docs/sscha.md): sampling with antithetic pairs from
// the counter-based Philox generator (stream = population index) through the kernel
// assembly/sscha/sample.ts, and evaluation through the Calculator batch interface.
//
// A Population is plain data (typed arrays, numbers, strings): everything needed to persist it and to
// recompute its weights exactly later — the generating (R₀, Φ₀, T₀), the RNG (algorithm, seed,
// stream), ξ, positions, and the engine's energies, forces and stresses.
import { CalculatorError, validateResult } from '../calculators/calculator.js';
import { toU64 } from '../random/rng.js';
import { ModeSet, SschaError, componentMasses } from './modes.js';
export const RNG_ALGORITHM = 'philox4x32-10/box-muller (rngNormal), stream = population index, antithetic pairs';
/**
 * Draw a population at (R₀, Φ₀, T₀): ξ from rngNormal (seed, stream = index), antithetic pairs,
 * U = (Ξ·diag(A))·Ẽ in one GEMM. Throws ImaginaryModeError if Φ₀ has a non-positive mode.
 */
export function samplePopulation(k, input, modes) {
    const s = input.structure;
    const n = s.natoms, n3 = 3 * n;
    const nc = input.nConfigs;
    if (!Number.isInteger(nc) || nc < 2 || nc % 2 !== 0)
        throw new SschaError(`nConfigs must be an even integer >= 2 (antithetic pairs), got ${nc}`);
    if (!Number.isInteger(input.index) || input.index < 0)
        throw new SschaError(`population index must be a non-negative integer, got ${input.index}`);
    const seed = toU64('seed', input.seed);
    if (input.centroids.length !== n3)
        throw new SschaError(`centroids: expected ${n3} numbers, got ${input.centroids.length}`);
    const nt = input.nTranslations ?? 3;
    const own = !modes;
    const set = modes ?? new ModeSet(k, componentMasses(s.masses), nt);
    try {
        set.compute(input.phi, input.temperature);
        const m = set.nModes;
        return k.scope(() => {
            const r0 = k.f64(n3, input.centroids);
            const xi = k.f64(nc * m);
            const x = k.f64(nc * n3);
            const work = k.f64((nc / 2) * m);
            const st = k.fn('ssSample')(nc, m, n3, seed, BigInt(input.index), set.amp.ptr, set.etilde.ptr, r0.ptr, xi.ptr, x.ptr, work.ptr);
            if (st === 1)
                throw new SschaError('sampling: centroids or modes contain NaN or Inf');
            k.check('ssSample', st);
            return {
                index: input.index,
                rng: RNG_ALGORITHM,
                seed: seed.toString(),
                stream: input.index,
                nConfigs: nc,
                nAtoms: n,
                nTranslations: nt,
                nModes: m,
                cell: Float64Array.from(s.cell),
                species: [...s.species],
                masses: Float64Array.from(s.masses),
                centroids: Float64Array.from(input.centroids),
                phi: Float64Array.from(input.phi),
                temperature: input.temperature,
                xi: xi.toArray(),
                positions: x.toArray(),
                energies: new Float64Array(nc).fill(NaN),
                forces: new Float64Array(nc * n3).fill(NaN),
                stresses: null,
                evaluated: 0,
            };
        });
    }
    finally {
        if (own)
            set.free();
    }
}
/** Configuration i of a population as a Structure (same cell as the supercell). */
export function configuration(pop, reference, i) {
    const n3 = 3 * pop.nAtoms;
    return reference.with({ cartesian: pop.positions.subarray(i * n3, (i + 1) * n3) });
}
/**
 * Evaluate the configurations [pop.evaluated, nConfigs) with `calculator`, in batches. Results are
 * stored as they arrive; on NaN/Inf (or any engine error) a CalculatorError naming the population and
 * configuration is thrown and every result before it stays in `pop` (pop.evaluated counts them), so
 * the evaluation can be resumed.
 */
export async function evaluatePopulation(pop, calculator, reference, options = {}) {
    const nc = pop.nConfigs, n = pop.nAtoms, n3 = 3 * n;
    if (reference.natoms !== n)
        throw new SschaError(`evaluate: reference has ${reference.natoms} atoms, population ${n}`);
    const wantStress = options.stress ?? true;
    const batch = Math.max(1, Math.floor(options.batchSize ?? nc));
    pop.engine = calculator.name;
    while (pop.evaluated < nc) {
        const start = pop.evaluated;
        const end = Math.min(nc, start + batch);
        const structures = [];
        for (let i = start; i < end; i++)
            structures.push(configuration(pop, reference, i));
        let results;
        try {
            results = await calculator.compute(structures, { stress: wantStress, signal: options.signal });
        }
        catch (e) {
            const idx = e instanceof CalculatorError && e.index !== undefined ? start + e.index : undefined;
            const msg = `population ${pop.index}: ${idx !== undefined ? `configuration ${idx}` : `batch of configurations ${start}–${end - 1}`}: ${e.message}`;
            throw new CalculatorError(msg, idx);
        }
        if (results.length !== end - start)
            throw new CalculatorError(`population ${pop.index}: ${calculator.name} returned ${results.length} results for ${end - start} configurations`, start);
        for (let q = 0; q < results.length; q++) {
            const i = start + q;
            const r = results[q];
            try {
                validateResult(r, n, i, calculator.name);
            }
            catch (e) {
                throw new CalculatorError(`population ${pop.index}: ${e.message} (configurations 0–${i - 1} are kept)`, i);
            }
            pop.energies[i] = r.energy;
            pop.forces.set(r.forces, i * n3);
            if (r.stress && wantStress) {
                if (i === 0)
                    pop.stresses = new Float64Array(nc * 9).fill(NaN);
                if (pop.stresses)
                    pop.stresses.set(r.stress, 9 * i);
            }
            else if (pop.stresses) {
                pop.stresses = null; // an engine that stops giving stresses: drop them all
            }
            pop.evaluated = i + 1;
        }
        options.onProgress?.(pop.evaluated, nc);
    }
    return pop;
}
