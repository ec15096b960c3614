// Evolutionary search against pure random symmetric search, on problems with known ground states
// (issue 7): over many seeds, the success rate and the mean number of relaxations until the known
// ground state is found, both methods in the same run with the same engine, budget and settings.
//
// "Found" = a relaxed structure with H/atom within `tolerance` of the reference: the lowest of the
// known prototypes relaxed with the same potential at the same pressure (tight tolerances, symmetry
// kept). "Pure random" = the same search driver with operator fractions {random: 1} (every new
// individual comes from the random symmetric generator; elitism has no effect on what is found).
// Both stop at the first success or when the relaxation budget of the case is spent.
//
// Cases:
//   lj-8        Lennard-Jones solid, 8 atoms per cell (ε = 1 eV, σ = 2.5 Å, cut-off 2.5σ shifted,
//               labelled Ar), P = 0: close-packed (fcc, hcp and other stackings lie within 1 meV/atom)
//   si-8        Stillinger–Weber silicon (original parameters), 8 atoms, P = 0: diamond (SW's cut-off
//               reaches only first neighbours, so hexagonal diamond is degenerate with it and counts too)
//   ab-cscl-8   binary Lennard-Jones A4B4 with Kob–Andersen parameters (ε_AB = 1.5ε, ε_BB = 0.5ε,
//               σ_AB = 0.8σ, σ_BB = 0.88σ; A, B labelled Cs, Cl), P = 0: CsCl type (see below)
//   si-16, si-24  Stillinger–Weber silicon with 16 and 24 atoms per cell: the harder cases, where the
//               evolutionary search also runs with a parent pool of 40 % instead of physics.md's 70 %
//               ("evolutionary-pool40"; everything else default)
//   ab-cscl-16, lj-16, si-32  optional (`--cases ...`); random symmetric search finds the first two
//               within the first generation, like the 8-atom cases
// CsCl is the ground state of the equimolar Kob–Andersen mixture (Fernández & Harrowell, Phys. Rev. E
// 67, 011403 (2003)); here it is checked twice: the prototypes rock salt, zinc blende, wurtzite and
// NiAs relax (symmetry kept) to higher enthalpies (printed; CuAu L1₀ relaxes into CsCl along the Bain
// path), and no run of either method over all seeds ever finds anything lower than CsCl (reported as
// "lowest found" per case: 0 means nothing below the reference).
//
// Run: npx tsc -p . && node dist/bench/search.bench.js [--seeds 20] [--cases lj-8,si-8] [--quick]
// [--report NAME] (or `npm run bench -- search`). Writes bench/results/search.json (or NAME.json).
import { LennardJonesCalculator } from '../src/calculators/lennard-jones.js';
import { StillingerWeberCalculator } from '../src/calculators/stillinger-weber.js';
import { loadKernels } from '../src/node/kernels.js';
import { loadMoyo } from '../src/node/moyo.js';
import { relax } from '../src/relax/relax.js';
import { isDuplicate } from '../src/search/fingerprint.js';
import { matchLattice } from '../src/search/operators.js';
import { runSearch } from '../src/search/search.js';
import { symmetricGenerator } from '../src/search/symmetric-generator.js';
import { Structure } from '../src/structure/structure.js';
import { report, runBenchmark } from './lib.js';
const args = process.argv.slice(2);
const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
};
const QUICK = args.includes('--quick');
const SEEDS = Number(opt('--seeds') ?? (QUICK ? 4 : 20));
const FIRST_SEED = Number(opt('--first-seed') ?? 1);
// --stats: what each operator of the evolutionary search contributes (printed per case)
const STATS = args.includes('--stats');
const METHODS = opt('--methods')?.split(',');
// --evo '{"fractions": {...}, ...}': options merged into the evolutionary runs (for experiments)
const EVO = JSON.parse(opt('--evo') ?? '{}');
// ---- potentials
const EPS = 1, SIG = 2.5;
const LJ = { type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: EPS, sigma: SIG, cutoff: 2.5 * SIG }] };
const KA = {
    type: 'lennard-jones',
    pairs: [
        { species: ['Cs', 'Cs'], epsilon: EPS, sigma: SIG, cutoff: 2.5 * SIG },
        { species: ['Cs', 'Cl'], epsilon: 1.5 * EPS, sigma: 0.8 * SIG, cutoff: 2.5 * 0.8 * SIG },
        { species: ['Cl', 'Cl'], epsilon: 0.5 * EPS, sigma: 0.88 * SIG, cutoff: 2.5 * 0.88 * SIG },
    ],
};
// minimum distances of the generator: 0.8 σ_αβ (the covalent radii of the labels mean nothing here)
const LJ_DMIN = { 'Ar-Ar': 0.8 * SIG };
const KA_DMIN = { 'Cs-Cs': 0.8 * SIG, 'Cs-Cl': 0.8 * 0.8 * SIG, 'Cl-Cl': 0.8 * 0.88 * SIG };
// ---- prototypes (cells from their textbook definitions; relaxed below)
const cubic = (a) => [a, 0, 0, 0, a, 0, 0, 0, a];
const fccCell = (a) => [0, a / 2, a / 2, a / 2, 0, a / 2, a / 2, a / 2, 0];
const hexCell = (a, c) => [a, 0, 0, -a / 2, (a * Math.sqrt(3)) / 2, 0, 0, 0, c];
const P = {
    fcc: (el, a) => new Structure({ cell: fccCell(a), species: [el], frac: [0, 0, 0] }),
    hcp: (el, a) => new Structure({ cell: hexCell(a, a * Math.sqrt(8 / 3)), species: [el, el], frac: [1 / 3, 2 / 3, 0.25, 2 / 3, 1 / 3, 0.75] }),
    bcc: (el, a) => new Structure({ cell: cubic(a), species: [el, el], frac: [0, 0, 0, 0.5, 0.5, 0.5] }),
    diamond: (el, a) => new Structure({ cell: fccCell(a), species: [el, el], frac: [0, 0, 0, 0.25, 0.25, 0.25] }),
    lonsdaleite: (el, a) => new Structure({ cell: hexCell(a, a * Math.sqrt(8 / 3)), species: [el, el, el, el], frac: [1 / 3, 2 / 3, 0, 2 / 3, 1 / 3, 0.5, 1 / 3, 2 / 3, 0.375, 2 / 3, 1 / 3, 0.875] }),
    cscl: (a, b, l) => new Structure({ cell: cubic(l), species: [a, b], frac: [0, 0, 0, 0.5, 0.5, 0.5] }),
    rocksalt: (a, b, l) => new Structure({ cell: fccCell(l), species: [a, b], frac: [0, 0, 0, 0.5, 0.5, 0.5] }),
    zincblende: (a, b, l) => new Structure({ cell: fccCell(l), species: [a, b], frac: [0, 0, 0, 0.25, 0.25, 0.25] }),
    wurtzite: (a, b, l) => new Structure({ cell: hexCell(l, l * Math.sqrt(8 / 3)), species: [a, a, b, b], frac: [1 / 3, 2 / 3, 0, 2 / 3, 1 / 3, 0.5, 1 / 3, 2 / 3, 0.375, 2 / 3, 1 / 3, 0.875] }),
    nias: (a, b, l) => new Structure({ cell: hexCell(l, l * 1.4), species: [a, a, b, b], frac: [0, 0, 0, 0, 0, 0.5, 1 / 3, 2 / 3, 0.25, 2 / 3, 1 / 3, 0.75] }),
    cuau: (a, b, l) => new Structure({ cell: [l / Math.SQRT2, 0, 0, 0, l / Math.SQRT2, 0, 0, 0, l], species: [a, b], frac: [0, 0, 0, 0.5, 0.5, 0.5] }),
};
const CASES = [
    {
        name: 'lj-8', what: 'Lennard-Jones solid, 8 atoms', potential: 'lj', formula: 'Ar', formulaUnits: 8, pressure: 0, target: 'close-packed',
        prototypes: [{ name: 'fcc', s: P.fcc('Ar', 3.9), target: true }, { name: 'hcp', s: P.hcp('Ar', 2.8), target: true }, { name: 'bcc', s: P.bcc('Ar', 3.1), target: false }],
        tolerance: 0.01, budget: 600, minDistances: LJ_DMIN,
    },
    {
        name: 'si-8', what: 'Stillinger-Weber Si, 8 atoms', potential: 'sw', formula: 'Si', formulaUnits: 8, pressure: 0, target: 'diamond',
        prototypes: [{ name: 'diamond', s: P.diamond('Si', 5.43), target: true }, { name: 'lonsdaleite', s: P.lonsdaleite('Si', 3.84), target: true }, { name: 'fcc', s: P.fcc('Si', 4.0), target: false }],
        tolerance: 0.005, budget: 600,
    },
    ...[8, 16].map((n) => ({
        name: `ab-cscl-${n}`, what: `binary Lennard-Jones (Kob-Andersen) A${n / 2}B${n / 2}`, potential: 'ka', formula: 'CsCl', formulaUnits: n / 2, pressure: 0, target: 'CsCl',
        prototypes: [
            { name: 'CsCl', s: P.cscl('Cs', 'Cl', 2.4), target: true },
            { name: 'rock salt', s: P.rocksalt('Cs', 'Cl', 4.4), target: false },
            { name: 'zinc blende', s: P.zincblende('Cs', 'Cl', 5.2), target: false },
            { name: 'wurtzite', s: P.wurtzite('Cs', 'Cl', 3.6), target: false },
            { name: 'NiAs', s: P.nias('Cs', 'Cl', 3.2), target: false },
            { name: 'CuAu L1_0 (relaxes into CsCl)', s: P.cuau('Cs', 'Cl', 3.4), target: false },
        ],
        tolerance: 0.005, budget: n === 8 ? 600 : 1500, minDistances: KA_DMIN,
        verify: n === 8 ? { formulaUnits: [1, 8], generations: 15, seeds: 5 } : undefined,
    })),
    {
        name: 'lj-16', what: 'Lennard-Jones solid, 16 atoms', potential: 'lj', formula: 'Ar', formulaUnits: 16, pressure: 0, target: 'close-packed',
        prototypes: [{ name: 'fcc', s: P.fcc('Ar', 3.9), target: true }, { name: 'hcp', s: P.hcp('Ar', 2.8), target: true }],
        tolerance: 0.01, budget: 1500, minDistances: LJ_DMIN,
    },
    ...[16, 24, 32].map((n) => ({
        name: `si-${n}`, what: `Stillinger-Weber Si, ${n} atoms`, potential: 'sw', formula: 'Si', formulaUnits: n, pressure: 0, target: 'diamond',
        prototypes: [{ name: 'diamond', s: P.diamond('Si', 5.43), target: true }, { name: 'lonsdaleite', s: P.lonsdaleite('Si', 3.84), target: true }],
        tolerance: 0.005, budget: n === 16 ? 1500 : 2000, hard: true,
    })),
];
const DEFAULT_CASES = ['lj-8', 'si-8', 'ab-cscl-8', 'si-16', 'si-24'];
const wanted = (opt('--cases') ?? DEFAULT_CASES.join(',')).split(',');
function calculator(k, which) {
    if (which === 'sw')
        return new StillingerWeberCalculator(k, { type: 'stillinger-weber' }, 'sw');
    return new LennardJonesCalculator(k, which === 'lj' ? LJ : KA, which);
}
const emptyStats = () => ({ n: 0, failedRelax: 0, dupParent: 0, dupEarlier: 0, better: 0, newBest: 0, found: 0, opFailed: 0 });
const statsByCase = new Map();
const valid = (x) => x.status !== 'failed' && x.fp !== null;
/** Classify every individual of one run by operator (for heredity also by the parents' cell shapes). */
function collectStats(table, inds, foundId, failures) {
    const byId = new Map(inds.map((x) => [x.id, x]));
    const seen = [];
    let best = Infinity;
    const get = (k) => {
        let t = table.get(k);
        if (!t)
            table.set(k, (t = emptyStats()));
        return t;
    };
    for (const [op, n] of Object.entries(failures))
        get(op).opFailed += n;
    for (const x of inds) {
        const keys = [x.operator];
        const parents = x.parents.map((id) => byId.get(id)).filter((y) => !!y);
        if (x.operator === 'heredity' && parents.length === 2) {
            // lattice mismatch of the parents after matching (operators.ts): < 0.05 counts as similar
            const similar = matchLattice(parents[0].structure.cell, parents[1].structure.cell).mismatch < 0.05;
            keys.push(similar ? 'heredity:similar-cells' : 'heredity:different-cells');
        }
        for (const k of keys) {
            const t = get(k);
            t.n++;
            if (!valid(x)) {
                t.failedRelax++;
                continue;
            }
            const dupP = parents.some((y) => valid(y) && isDuplicate(x, y));
            const dupE = seen.some((y) => isDuplicate(x, y));
            if (dupP)
                t.dupParent++;
            if (dupE)
                t.dupEarlier++;
            const hp = Math.min(...parents.filter(valid).map((y) => y.enthalpyPerAtom));
            if (!dupE && parents.length && x.enthalpyPerAtom < hp - 1e-3)
                t.better++;
            if (!dupE && x.enthalpyPerAtom < best - 1e-3)
                t.newBest++;
            if (x.id === foundId)
                t.found++;
        }
        if (valid(x)) {
            seen.push(x);
            best = Math.min(best, x.enthalpyPerAtom);
        }
    }
}
async function runOne(k, c, method, seed, ref) {
    const calc = calculator(k, c.potential);
    let until = 0;
    let lowest = Infinity;
    let lowestGroup = '';
    const t0 = performance.now();
    const natoms = c.formulaUnits * (c.formula === 'CsCl' ? 2 : 1);
    const pop = Math.min(60, Math.max(10, Math.round((2 * natoms) / 10) * 10));
    const options = {
        formula: c.formula,
        pressures: [c.pressure],
        formulaUnits: [c.formulaUnits, c.formulaUnits],
        seed,
        maxGenerations: Math.ceil(c.budget / (pop - Math.ceil(0.15 * pop))) + 1,
        stallGenerations: 10_000,
        minDistances: c.minDistances,
        fractions: method === 'random' ? { random: 1, heredity: 0, lattice: 0, soft: 0, permutation: 0, coordinate: 0 } : undefined,
        parentPool: method === 'evolutionary-pool40' ? 0.4 : undefined,
        ...(method === 'random' ? {} : EVO),
    };
    let total = 0;
    let foundId = null;
    const failures = {};
    const res = await runSearch(options, {
        kernels: k,
        calculator: calc,
        generator: symmetricGenerator(),
        onRelaxed: (ind, st) => {
            total = st.relaxations;
            if (ind.status !== 'failed' && ind.enthalpyPerAtom < lowest) {
                lowest = ind.enthalpyPerAtom;
                lowestGroup = ind.spaceGroup?.symbol ?? '?';
            }
            if (!until && ind.status !== 'failed' && ind.enthalpyPerAtom <= ref + c.tolerance) {
                until = st.relaxations;
                foundId = ind.id;
            }
        },
        onGeneration: (info) => {
            for (const [op, n] of Object.entries(info.operatorFailures))
                failures[op] = (failures[op] ?? 0) + (n ?? 0);
        },
        stopWhen: (st) => until > 0 || st.relaxations >= c.budget,
    });
    if (STATS) {
        const key = `${c.name} ${method}`;
        if (!statsByCase.has(key))
            statsByCase.set(key, new Map());
        collectStats(statsByCase.get(key), res.pressures[0].individuals, foundId, failures);
    }
    calc.dispose?.();
    return { found: until > 0 && until <= c.budget, relaxations: total, until, lowest, lowestGroup, ms: performance.now() - t0 };
}
async function main() {
    loadMoyo();
    const k = await loadKernels();
    const rows = [];
    const notes = [];
    for (const name of wanted) {
        const c = CASES.find((x) => x.name === name);
        if (!c)
            throw new Error(`unknown case ${name} (known: ${CASES.map((x) => x.name).join(', ')})`);
        // references: relax every prototype tightly with its symmetry kept
        const calc = calculator(k, c.potential);
        const protos = [];
        for (const p of c.prototypes) {
            const r = await relax(calc, p.s, { pressure: c.pressure, fmax: 1e-5, smax: 1e-4, keepSymmetry: true, symprec: 1e-3, maxSteps: 2000 });
            protos.push({ name: p.name, h: r.enthalpy / r.structure.natoms, target: p.target });
        }
        const ref = Math.min(...protos.filter((p) => p.target).map((p) => p.h));
        const line = protos.map((p) => `${p.name} ${((p.h - ref) * 1000).toFixed(2)}`).join(', ');
        console.log(`# ${c.name}: reference H = ${ref.toFixed(6)} eV/atom (${c.target}); prototypes, meV/atom above it: ${line}`);
        notes.push(`${c.name}: ${c.what} at ${c.pressure} GPa, target ${c.target}, reference H = ${ref.toFixed(6)} eV/atom; prototypes (meV/atom above): ${line}; found = within ${c.tolerance * 1000} meV/atom; budget ${c.budget} relaxations`);
        if (protos.some((p) => !p.target && p.h < ref - 1e-9))
            notes.push(`${c.name}: WARNING a non-target prototype is lower than the target`);
        const methods = (c.hard ? ['evolutionary', 'evolutionary-pool40', 'random'] : ['evolutionary', 'random']).filter((m) => !METHODS || METHODS.includes(m));
        for (const method of methods) {
            const outs = [];
            for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
                const o = await runOne(k, c, method, seed, ref);
                outs.push(o);
                process.stdout.write(`${c.name} ${method} seed ${seed}: ${o.found ? `found after ${o.until}` : `not found in ${o.relaxations}`} relaxations (lowest ${((o.lowest - ref) * 1000).toFixed(2)} meV/atom, ${o.lowestGroup}), ${(o.ms / 1000).toFixed(1)} s\n`);
            }
            const ok = outs.filter((o) => o.found);
            const mean = ok.length ? ok.reduce((s, o) => s + o.until, 0) / ok.length : NaN;
            const sorted = ok.map((o) => o.until).sort((a, b) => a - b);
            const lowest = Math.min(...outs.map((o) => o.lowest));
            rows.push({
                case: c.name,
                method,
                seeds: outs.length,
                successRate: ok.length / outs.length,
                meanRelaxations: Number(mean.toFixed(1)),
                medianRelaxations: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null,
                // censored mean: unsuccessful runs count with their whole budget
                meanRelaxationsCensored: Number((outs.reduce((s, o) => s + (o.found ? o.until : o.relaxations), 0) / outs.length).toFixed(1)),
                lowestFoundMeVAboveRef: Number(((lowest - ref) * 1000).toFixed(3)),
                secondsPerRun: Number((outs.reduce((s, o) => s + o.ms, 0) / outs.length / 1000).toFixed(2)),
            });
        }
        if (c.verify) {
            // full-length evolutionary searches over variable cell sizes, without stopping at the target
            let lowest = Infinity, group = '', n = 0;
            for (let seed = 1; seed <= c.verify.seeds; seed++) {
                const res = await runSearch({ formula: c.formula, pressures: [c.pressure], formulaUnits: c.verify.formulaUnits, seed: 1000 + seed, maxGenerations: c.verify.generations, stallGenerations: 10_000, minDistances: c.minDistances }, { kernels: k, calculator: calculator(k, c.potential), generator: symmetricGenerator() });
                const best = res.pressures[0].ranking[0];
                n += res.pressures[0].relaxations;
                if (best.enthalpyPerAtom < lowest) {
                    lowest = best.enthalpyPerAtom;
                    group = `${best.spaceGroup?.symbol ?? '?'}, ${best.natoms} atoms`;
                }
            }
            const line = `${c.name}: ground-state check: ${c.verify.seeds} evolutionary searches of ${c.verify.generations} generations over ${c.verify.formulaUnits.join('-')} formula units (${n} relaxations): lowest H/atom ${((lowest - ref) * 1000).toFixed(3)} meV/atom relative to ${c.target} (${group})`;
            console.log(`# ${line}`);
            notes.push(line);
        }
        if (STATS) {
            for (const method of methods) {
                const t = statsByCase.get(`${c.name} ${method}`);
                if (!t)
                    continue;
                console.log(`# ${c.name} ${method}: what each operator made (summed over seeds)`);
                console.table(Object.fromEntries([...t].sort().map(([k, v]) => [k, { ...v }])));
            }
        }
        const mine = rows.slice(-methods.length);
        const rnd = mine.at(-1);
        if (rnd.method !== 'random')
            continue;
        for (const evo of mine.slice(0, -1)) {
            const ratio = evo.meanRelaxationsCensored / rnd.meanRelaxationsCensored;
            console.log(`# ${c.name}: ${evo.method} / random relaxations (censored means) = ${ratio.toFixed(2)}`);
            notes.push(`${c.name}: ${evo.method}/random mean relaxations (censored) = ${ratio.toFixed(2)}`);
        }
    }
    report(opt('--report') ?? 'search', rows, notes);
}
runBenchmark(main);
