import { writeCif } from '../io/cif.js';
import { writePoscar } from '../io/poscar.js';
import { linePlot } from '../plot/svg.js';
import { relaxBatch } from '../relax/relax.js';
import { covalentRadius } from '../structure/elements.js';
import { Structure } from '../structure/structure.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import { atomsPerUnit, cellSpecies, MinDistances, parseFormula, reducedFormula, SearchInputError } from './composition.js';
import { minDistanceViolation, niggliStructure } from './constraints.js';
import { Draws } from './draws.js';
import { fingerprint, fingerprintDistance, isDuplicate, localOrder } from './fingerprint.js';
import { finiteOrNull, SearchJournal, structureHash } from './journal.js';
import { coordinateMutation, heredity, latticeMutation, normalizeFractions, OPERATORS, permutation, randomChild, randomP1Generator, softMutation, } from './operators.js';
import { symmetricGenerator } from './symmetric-generator.js';
const cube = (x) => x * x * x;
export class SearchError extends Error {
    constructor(message) {
        super(message);
        this.name = 'SearchError';
    }
}
const posInt = (name, v, d, min = 1) => {
    const x = v ?? d;
    if (!Number.isInteger(x) || x < min)
        throw new SearchInputError(`${name} must be an integer ≥ ${min}, got ${v}`);
    return x;
};
const fraction = (name, v, d) => {
    const x = v ?? d;
    if (!(x > 0 && x <= 1))
        throw new SearchInputError(`${name} must be in (0, 1], got ${v}`);
    return x;
};
/** Validate the options and fill in the defaults (errors are SearchInputErrors). */
export function resolveSearchOptions(o) {
    const composition = typeof o.formula === 'string' ? parseFormula(o.formula) : o.formula;
    if (composition.species.length === 0)
        throw new SearchInputError('the composition has no elements');
    const formula = reducedFormula(composition.species, composition.counts);
    if (!Array.isArray(o.pressures) || o.pressures.length === 0)
        throw new SearchInputError('give at least one pressure (GPa)');
    for (const p of o.pressures)
        if (!Number.isFinite(p))
            throw new SearchInputError(`pressure must be a finite number of GPa, got ${p}`);
    if (new Set(o.pressures).size !== o.pressures.length)
        throw new SearchInputError(`pressures repeat: ${o.pressures.join(', ')}`);
    const fu = o.formulaUnits ?? [1, 1];
    if (!(Number.isInteger(fu[0]) && Number.isInteger(fu[1]) && fu[0] >= 1 && fu[1] >= fu[0])) {
        throw new SearchInputError(`formula units must be a range lo-hi of positive integers with lo ≤ hi, got ${fu.join('-')}`);
    }
    const maxAtoms = fu[1] * atomsPerUnit(composition);
    if (maxAtoms > 200)
        throw new SearchInputError(`${fu[1]} formula units of ${formula} are ${maxAtoms} atoms per cell; at most 200 are supported`);
    const popDefault = Math.min(60, Math.max(10, Math.round((2 * maxAtoms) / 10) * 10));
    const popSize = posInt('population size', o.populationSize, popDefault, 2);
    let seed;
    try {
        seed = BigInt(o.seed);
    }
    catch {
        throw new SearchInputError(`seed must be a non-negative integer, got ${o.seed}`);
    }
    if (seed < 0n || seed >= 1n << 64n)
        throw new SearchInputError(`seed must be in [0, 2^64), got ${o.seed}`);
    let fractions;
    try {
        fractions = normalizeFractions(o.fractions ?? {}, composition.species.length);
    }
    catch (e) {
        throw new SearchInputError(e.message);
    }
    for (const k of Object.keys(o.fractions ?? {}))
        if (!OPERATORS.includes(k))
            throw new SearchInputError(`unknown operator "${k}" (known: ${OPERATORS.join(', ')})`);
    if (o.volumePerAtom !== undefined && !(o.volumePerAtom > 0 && Number.isFinite(o.volumePerAtom)))
        throw new SearchInputError(`volume per atom must be a positive number of Å³, got ${o.volumePerAtom}`);
    const md = new MinDistances(composition.species, o.minDistanceFactor ?? 0.7, o.minDistances ?? {});
    if (o.volumePerAtom !== undefined) {
        // the atoms must fit: spheres of radius d_min/2 cannot fill more than ~74 % of space
        const need = composition.species.reduce((s, el, i) => s + composition.counts[i] * (Math.PI / 6) * cube(md.get(el, el)), 0) / atomsPerUnit(composition);
        if (need > 0.74 * o.volumePerAtom) {
            throw new SearchInputError(`volume per atom ${o.volumePerAtom} Å³ is too small for the minimum distances (spheres of diameter d_min need ${(need / 0.74).toFixed(2)} Å³ per atom)`);
        }
    }
    const r = o.relax ?? {};
    const relax = { fmax: r.fmax ?? 0.02, smax: r.smax ?? 0.5, maxSteps: r.maxSteps ?? 500, method: r.method ?? 'lbfgs' };
    if (!(relax.fmax > 0 && relax.smax > 0))
        throw new SearchInputError('relaxation tolerances fmax and smax must be positive');
    posInt('relaxation steps', relax.maxSteps, 500);
    const f = o.fingerprint ?? {};
    return {
        composition,
        formula,
        pressures: [...o.pressures],
        fu: [fu[0], fu[1]],
        seed,
        popSize,
        initial: posInt('initial population', o.initialPopulation, popSize, 2),
        maxGenerations: posInt('maximum number of generations', o.maxGenerations, 30),
        stall: posInt('stall generations', o.stallGenerations, Math.max(10, maxAtoms)),
        fractions,
        operators: o.operators ?? {},
        elitism: fraction('elitism', o.elitism, 0.15),
        parentPool: fraction('parent pool', o.parentPool, 0.7),
        localOrder: o.localOrder ?? true,
        md,
        volumePerAtom: o.volumePerAtom,
        relax,
        batchSize: posInt('batch size', o.batchSize, 8),
        symprec: o.symprec ?? 0.05,
        fp: { rmax: f.rmax ?? 10, delta: f.delta ?? 0.08, sigma: f.sigma ?? 0.03 },
        dupD: o.duplicate?.distance ?? 0.008,
        dupH: o.duplicate?.enthalpy ?? 0.005,
        keep: posInt('structures kept', o.keep, 10),
    };
}
/** The manifest fields that define a run (a resumed run must match them, except maxGenerations). */
function manifestOf(r, env) {
    return {
        formula: r.formula,
        composition: { species: r.composition.species, counts: r.composition.counts },
        pressures: r.pressures,
        formulaUnits: r.fu,
        seed: r.seed.toString(),
        populationSize: r.popSize,
        initialPopulation: r.initial,
        maxGenerations: r.maxGenerations,
        stallGenerations: r.stall,
        fractions: r.fractions,
        operators: r.operators,
        elitism: r.elitism,
        parentPool: r.parentPool,
        localOrder: r.localOrder,
        minDistances: r.md.toJSON(),
        volumePerAtom: r.volumePerAtom ?? null,
        relax: r.relax,
        batchSize: r.batchSize,
        symprec: r.symprec,
        fingerprint: r.fp,
        duplicate: { distance: r.dupD, enthalpy: r.dupH },
        engine: env.calculator.name,
        generator: env.generatorName ?? (env.generator ? 'custom' : 'random-symmetric'),
        ...(env.manifest ?? {}),
    };
}
/** Philox stream of child k of generation g at pressure index p (volume probes: g = 2^20 − 1). */
export function childStream(p, g, k) {
    return (BigInt(p) << 40n) | (BigInt(g) << 20n) | BigInt(k);
}
const PROBE_GENERATION = (1 << 20) - 1;
/** Run the search (see the module comment). */
export async function runSearch(options, env) {
    const r = resolveSearchOptions(options);
    const journal = env.storage ? new SearchJournal(env.storage) : null;
    journal?.open(manifestOf(r, env), ['maxGenerations']);
    const search = new Search(r, env, journal);
    const pressures = [];
    for (let p = 0; p < r.pressures.length; p++)
        pressures.push(await search.runPressure(p));
    const result = { formula: r.formula, pressures, resumedRelaxations: search.resumed };
    if (env.storage)
        writeOutputs(env.storage, r, result);
    return result;
}
class Search {
    r;
    env;
    journal;
    resumed = 0;
    gen;
    constructor(r, env, journal) {
        this.r = r;
        this.env = env;
        this.journal = journal;
        this.gen = env.generator ?? symmetricGenerator();
    }
    checkAbort() {
        if (this.env.signal?.aborted)
            throw new SearchError('search aborted');
    }
    /** Relax a list of candidates in batches (journalled), at pressure index p, generation g. */
    async relaxAll(p, g, cands, onBatch) {
        const r = this.r;
        const P = r.pressures[p];
        let resumed = 0;
        for (let b = 0; b * r.batchSize < cands.length; b++) {
            this.checkAbort();
            const chunk = cands.slice(b * r.batchSize, (b + 1) * r.batchSize);
            let recs = this.journal?.batch(p, g, b) ?? null;
            if (recs) {
                if (recs.length !== chunk.length || recs.some((x, q) => x.id !== chunk[q].id || x.in !== structureHash(chunk[q].structure))) {
                    throw new SearchError(`${this.journal.storage.location}: the journal's batch ${b} of generation ${g} at ${P} GPa does not match this run's candidates (written by another version or settings); use a new folder`);
                }
                resumed += recs.length;
            }
            else {
                const res = await relaxBatch(this.env.calculator, chunk.map((c) => c.structure), {
                    pressure: P,
                    fmax: r.relax.fmax,
                    smax: r.relax.smax,
                    maxSteps: r.relax.maxSteps,
                    method: r.relax.method,
                    symmetrizeAfter: r.symprec,
                    signal: this.env.signal,
                });
                this.checkAbort();
                recs = res.map((x, q) => toRecord(p, g, b, chunk.length, chunk[q], x));
                this.journal?.saveBatch(recs);
            }
            onBatch(recs.map((rec) => this.individual(rec, P)));
        }
        this.resumed += resumed;
        return { resumed };
    }
    /** An individual from a journal record: Niggli cell, sanity checks, symmetry, fingerprint. */
    individual(rec, P) {
        const start = new Structure({ cell: rec.cell, species: rec.species, frac: rec.frac });
        const ind = {
            id: rec.id,
            pressure: P,
            generation: rec.g,
            operator: rec.op,
            parents: rec.parents,
            status: rec.status,
            failure: rec.failure,
            structure: start,
            natoms: start.natoms,
            energy: rec.E ?? NaN,
            enthalpy: rec.H ?? NaN,
            enthalpyPerAtom: (rec.H ?? NaN) / start.natoms,
            volumePerAtom: start.volume / start.natoms,
            spaceGroup: null,
            fp: null,
            steps: rec.steps,
            forceCalls: rec.calls,
        };
        if (ind.status === 'failed')
            return ind;
        if (!Number.isFinite(ind.enthalpy))
            return fail(ind, 'no finite enthalpy');
        try {
            ind.structure = niggliStructure(start);
        }
        catch (e) {
            return fail(ind, `degenerate cell after relaxation: ${e.message}`);
        }
        // an exploding engine can pull atoms together: reject anything below half the minimum distances
        const v = minDistanceViolation(ind.structure, this.r.md, 0.5);
        if (v)
            return fail(ind, `atoms ${v.i + 1} and ${v.j + 1} collapsed to ${v.distance.toFixed(3)} Å after relaxation`);
        try {
            const ds = analyzeSymmetry(ind.structure, this.r.symprec);
            ind.spaceGroup = { number: ds.number, symbol: ds.internationalShort };
        }
        catch {
            ind.spaceGroup = null;
        }
        ind.fp = fingerprint(ind.structure, this.r.fp);
        return ind;
    }
    dup(a, b) {
        return isDuplicate(a, b, this.r.dupD, this.r.dupH);
    }
    /** Valid individuals without duplicates (the lower enthalpy kept), sorted by H/atom. */
    unique(inds) {
        const sorted = inds.filter((x) => x.status !== 'failed').sort(byEnthalpy);
        const kept = [];
        for (const x of sorted)
            if (!kept.some((k) => this.dup(k, x)))
                kept.push(x);
        return kept;
    }
    /** Reference volume per atom of the first generation: the user's, or relaxed random structures. */
    async referenceVolume(p) {
        const r = this.r;
        if (r.volumePerAtom)
            return r.volumePerAtom;
        const saved = this.journal?.volume(p);
        if (saved)
            return saved;
        // four random P1 structures of the smallest cell at 4× the covalent-sphere volume, relaxed loosely
        const species = cellSpecies(r.composition, r.fu[0]);
        let guess = 0;
        for (const s of species)
            guess += 4 * (4 / 3) * Math.PI * cube(covalentRadius(s));
        const probes = [];
        for (let k = 0; k < 4; k++) {
            const d = new Draws(this.env.kernels, r.seed, childStream(p, PROBE_GENERATION, k));
            const s = randomChild(randomP1Generator, d, species, { minDistances: r.md, volumePerAtom: guess / species.length, volumeRange: [0.2, 5] });
            if (s)
                probes.push(s);
        }
        this.checkAbort();
        const res = await relaxBatch(this.env.calculator, probes, {
            pressure: r.pressures[p],
            fmax: 0.05,
            smax: 1,
            maxSteps: 300,
            maxVolumeFactor: 100,
            minDistance: 0.3,
            signal: this.env.signal,
        });
        this.checkAbort();
        const vols = res.filter((x) => x.status !== 'failed' && Number.isFinite(x.enthalpy)).map((x) => x.volume / x.structure.natoms).sort((a, b) => a - b);
        if (vols.length === 0) {
            throw new SearchError(`could not estimate the volume at ${r.pressures[p]} GPa (every probe relaxation failed: ${res[0]?.failure?.message ?? 'no probe'}); give the volume per atom`);
        }
        const v = vols[Math.floor((vols.length - 1) / 2)];
        this.journal?.saveVolume(p, v);
        return v;
    }
    async runPressure(p) {
        const r = this.r;
        const P = r.pressures[p];
        let v0 = await this.referenceVolume(p);
        const all = [];
        const bestHistory = [];
        const usedModes = new Map();
        let relaxations = 0, failed = 0;
        let best = null;
        let stallCount = 0;
        let stopReason = 'max-generations';
        let population = [];
        let g = 0;
        const progress = () => ({ pressure: P, generation: g, relaxations, failed, best });
        for (g = 0; g < r.maxGenerations; g++) {
            this.checkAbort();
            const ctx = { minDistances: r.md, volumePerAtom: v0 };
            const cands = [];
            const ops = {};
            const opFailures = {};
            const ranked = population; // unique, sorted
            const nElite = g === 0 ? 0 : Math.min(ranked.length, Math.ceil(r.elitism * r.popSize));
            const elites = ranked.slice(0, nElite);
            const nChildren = g === 0 ? r.initial : r.popSize - nElite;
            const pool = ranked.slice(0, Math.max(Math.min(2, ranked.length), Math.ceil(r.parentPool * ranked.length)));
            for (let k = 0; k < nChildren; k++) {
                const d = new Draws(this.env.kernels, r.seed, childStream(p, g, k));
                const c = this.makeChild(d, g, pool, ctx, usedModes);
                if (c?.failedOperator)
                    opFailures[c.failedOperator] = (opFailures[c.failedOperator] ?? 0) + 1;
                if (!c)
                    continue;
                ops[c.op] = (ops[c.op] ?? 0) + 1;
                cands.push({ id: `p${p}-g${g}-${k}`, op: c.op, parents: c.parents, structure: c.structure });
            }
            if (cands.length === 0)
                throw new SearchError(`generation ${g} at ${P} GPa: no candidate satisfies the constraints (minimum distances ${JSON.stringify(r.md.toJSON())}, volume ${v0.toFixed(2)} Å³/atom)`);
            let stopNow = false;
            let improved = false;
            const inds = [];
            const { resumed } = await this.relaxAll(p, g, cands, (batch) => {
                for (const ind of batch) {
                    inds.push(ind);
                    relaxations++;
                    if (ind.status === 'failed')
                        failed++;
                    all.push(ind);
                    if (ind.status !== 'failed' && (!best || ind.enthalpyPerAtom < best.enthalpyPerAtom)) {
                        // a lower duplicate of the same structure does not count as a new best
                        if (!best || !this.dup(best, ind))
                            improved = true;
                        best = ind;
                    }
                    this.env.onRelaxed?.(ind, progress());
                    if (!stopNow && this.env.stopWhen?.(progress()))
                        stopNow = true;
                }
            });
            // (assigned in the callback: widen the type again for the checker)
            best = best;
            stallCount = improved ? 0 : stallCount + 1;
            population = this.unique([...elites, ...inds]).slice(0, r.popSize);
            bestHistory.push(best ? best.enthalpyPerAtom : NaN);
            // reference volume of the next generation: mean volume of the best 20 %
            if (population.length > 0) {
                const top = population.slice(0, Math.max(1, Math.ceil(0.2 * population.length)));
                v0 = top.reduce((s, x) => s + x.volumePerAtom, 0) / top.length;
            }
            const info = { ...progress(), pressureIndex: p, unique: population.length, volumePerAtom: v0, resumed, operators: ops, operatorFailures: opFailures };
            this.journal?.event({
                t: 'generation',
                p,
                g,
                pressure: P,
                relaxations,
                failed,
                unique: population.length,
                best: best ? { id: best.id, enthalpyPerAtom: best.enthalpyPerAtom, spaceGroup: best.spaceGroup } : null,
                operators: ops,
            });
            this.env.onGeneration?.(info);
            if (stopNow) {
                stopReason = 'stopped';
                g++;
                break;
            }
            if (g > 0 && stallCount >= r.stall) {
                stopReason = 'stalled';
                g++;
                break;
            }
        }
        const generations = Math.min(g, r.maxGenerations);
        this.journal?.event({ t: 'done', p, g: generations, pressure: P, reason: stopReason });
        const ranking = this.unique(all)
            .slice(0, r.keep)
            .map((x, i) => ({
            rank: i + 1,
            id: x.id,
            formula: reducedFormula(r.composition.species, r.composition.counts),
            natoms: x.natoms,
            enthalpyPerAtom: x.enthalpyPerAtom,
            energyPerAtom: x.energy / x.natoms,
            volumePerAtom: x.volumePerAtom,
            spaceGroup: x.spaceGroup,
            generation: x.generation,
            operator: x.operator,
            converged: x.status === 'converged',
            structure: x.structure,
        }));
        return { pressure: P, volumePerAtom: v0, generations, relaxations, failed, stopReason, bestHistory, ranking, individuals: all };
    }
    /** One child: the drawn operator, falling back to a random structure when the operator fails. */
    makeChild(d, g, pool, ctx, usedModes) {
        const r = this.r;
        const fu = r.fu[0] + d.int(r.fu[1] - r.fu[0] + 1);
        const species = cellSpecies(r.composition, fu);
        let failedOperator;
        if (g > 0 && pool.length > 0) {
            const op = OPERATORS[d.weighted(OPERATORS.map((k) => r.fractions[k]))];
            if (op !== 'random') {
                const a = pool[pickByRank(d, pool.length)];
                let s = null;
                let parents = [a.id];
                switch (op) {
                    case 'heredity': {
                        const b = this.secondParent(d, a, pool);
                        if (b) {
                            s = heredity(d, a.structure, b.structure, ctx, r.operators, r.localOrder ? { a: this.order(a), b: this.order(b) } : undefined);
                            parents = [a.id, b.id];
                        }
                        break;
                    }
                    case 'lattice':
                        s = latticeMutation(d, a.structure, ctx, r.operators);
                        break;
                    case 'permutation':
                        s = permutation(d, a.structure, ctx, r.operators);
                        break;
                    case 'coordinate':
                        s = coordinateMutation(d, a.structure, ctx, r.operators, r.localOrder ? this.order(a) : undefined);
                        break;
                    case 'soft': {
                        const res = softMutation(this.env.kernels, d, a.structure, usedModes.get(a.id) ?? 0, ctx);
                        usedModes.set(a.id, res.used);
                        s = res.structure;
                        break;
                    }
                }
                if (s)
                    return { op, parents, structure: s };
                failedOperator = op;
            }
        }
        const s = randomChild(this.gen, d, species, ctx) ?? randomChild(randomP1Generator, d, species, ctx);
        return s ? { op: g === 0 ? 'seed' : 'random', parents: [], structure: s, failedOperator } : null;
    }
    orders = new Map();
    /** Local orders of an individual's atoms (computed once). */
    order(x) {
        let o = this.orders.get(x.id);
        if (!o)
            this.orders.set(x.id, (o = localOrder(x.structure, this.r.fp)));
        return o;
    }
    /** A second parent of the same composition, not a near copy of the first (D ≥ 0.01). */
    secondParent(d, a, pool) {
        const same = pool.filter((x) => x !== a && x.natoms === a.natoms && x.fp && a.fp && fingerprintDistance(x.fp, a.fp) >= 0.01);
        if (same.length === 0)
            return null;
        return same[pickByRank(d, same.length)];
    }
}
function fail(ind, why) {
    ind.status = 'failed';
    ind.failure = why;
    ind.enthalpyPerAtom = NaN;
    return ind;
}
const byEnthalpy = (a, b) => a.enthalpyPerAtom - b.enthalpyPerAtom || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** Rank index in [0, n) with probability decreasing linearly with rank: p_i ∝ n − i. */
export function pickByRank(d, n) {
    return d.weighted(Array.from({ length: n }, (_, i) => n - i));
}
function toRecord(p, g, batch, size, c, x) {
    const s = x.structure;
    return {
        t: 'relax',
        p,
        g,
        batch,
        size,
        id: c.id,
        op: c.op,
        parents: c.parents,
        in: structureHash(c.structure),
        status: x.status,
        ...(x.failure ? { failure: `${x.failure.kind}: ${x.failure.message.replace(/^structure \d+: /, '')}` } : {}),
        E: finiteOrNull(x.energy),
        H: finiteOrNull(x.enthalpy),
        cell: Array.from(s.cell),
        species: [...s.species],
        frac: Array.from(s.frac),
        steps: x.steps,
        calls: x.forceCalls,
    };
}
// ------------------------------------------------------------------------------------------------
// Outputs: results.json, structures/<pressure>/<rank>-<formula>-<group>.{cif,vasp}, best-enthalpy.svg
const pressureDir = (P) => `structures/${String(P).replace(/[^0-9.\-]/g, '_')}GPa`;
function writeOutputs(storage, r, result) {
    for (const pr of result.pressures) {
        for (const x of pr.ranking) {
            const sg = x.spaceGroup ? x.spaceGroup.symbol.replace(/\//g, '_') : 'P1';
            const base = `${pressureDir(pr.pressure)}/${String(x.rank).padStart(2, '0')}-${x.formula}-${sg}`;
            const comment = `${x.formula} ${x.spaceGroup ? `${x.spaceGroup.symbol} (${x.spaceGroup.number})` : ''} H = ${x.enthalpyPerAtom} eV/atom at ${pr.pressure} GPa`;
            storage.write(`${base}.cif`, writeCif(x.structure, { dataName: `${x.formula}_${sg}_${pr.pressure}GPa` }));
            storage.write(`${base}.vasp`, writePoscar(x.structure, { comment }));
            x.files = { cif: `${base}.cif`, poscar: `${base}.vasp` };
        }
    }
    storage.write('results.json', JSON.stringify(resultJson(r.formula, result), null, 1) + '\n');
    storage.write('best-enthalpy.svg', bestEnthalpySvg(result));
}
/** The JSON form of a result (what results.json and `anharm search --json` print). */
export function resultJson(formula, result) {
    return {
        format: 'anharm-search-result',
        formula,
        resumedRelaxations: result.resumedRelaxations,
        pressures: result.pressures.map((pr) => ({
            pressure: pr.pressure,
            generations: pr.generations,
            relaxations: pr.relaxations,
            failed: pr.failed,
            stopReason: pr.stopReason,
            volumePerAtom: pr.volumePerAtom,
            bestHistory: pr.bestHistory,
            ranking: pr.ranking.map((x) => ({
                rank: x.rank,
                id: x.id,
                formula: x.formula,
                natoms: x.natoms,
                enthalpyPerAtom: x.enthalpyPerAtom,
                energyPerAtom: x.energyPerAtom,
                volumePerAtom: x.volumePerAtom,
                spaceGroup: x.spaceGroup,
                generation: x.generation,
                operator: x.operator,
                converged: x.converged,
                files: x.files ?? null,
            })),
        })),
    };
}
/** Best enthalpy per generation, relative to each pressure's final best (meV/atom). */
export function bestEnthalpySvg(result) {
    const series = result.pressures.map((pr) => {
        const last = pr.bestHistory[pr.bestHistory.length - 1];
        return {
            x: pr.bestHistory.map((_, i) => i),
            y: pr.bestHistory.map((h) => 1000 * (h - last)),
            label: `${pr.pressure} GPa (best ${Number.isFinite(last) ? last.toFixed(4) : '—'} eV/atom)`,
        };
    });
    return linePlot({
        series,
        title: `${result.formula}: best enthalpy per generation`,
        xLabel: 'generation',
        yLabel: 'H − H_final (meV/atom)',
    });
}
