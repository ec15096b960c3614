import { NeighborListCalculator, PotentialError, arrayField, checkType, isObject, noExtraKeys, num, optNum, speciesTuple, } from './wasm-calculator.js';
/** The standard silicon parameterisation of Stillinger & Weber (1985). */
export const SW_SILICON = {
    species: ['Si', 'Si', 'Si'],
    epsilon: 2.1683,
    sigma: 2.0951,
    a: 1.8,
    lambda: 21.0,
    gamma: 1.2,
    costheta0: -1 / 3,
    A: 7.049556277,
    B: 0.6022245584,
    p: 4,
    q: 0,
};
const SW_FIELDS = ['epsilon', 'sigma', 'a', 'lambda', 'gamma', 'costheta0', 'A', 'B', 'p', 'q'];
/** Parse the text of a LAMMPS `pair_style sw` file: 14 fields per entry, '#' comments. */
export function parseSwFile(text, source = 'sw file') {
    const tokens = [];
    text.split(/\r?\n/).forEach((raw, l) => {
        const line = raw.replace(/#.*$/, '');
        for (const t of line.split(/\s+/))
            if (t)
                tokens.push({ t, line: l + 1 });
    });
    if (tokens.length === 0)
        throw new PotentialError(`${source}: no entries`);
    if (tokens.length % 14 !== 0) {
        throw new PotentialError(`${source}: expected 14 fields per entry (3 elements + 11 numbers), found ${tokens.length} fields`);
    }
    const entries = [];
    for (let e = 0; e < tokens.length / 14; e++) {
        const f = tokens.slice(14 * e, 14 * e + 14);
        const nums = f.slice(3).map(({ t, line }, q) => {
            const v = Number(t);
            const name = [...SW_FIELDS, 'tol'][q];
            if (!Number.isFinite(v))
                throw new PotentialError(`${source}: line ${line}: ${name} of entry ${e + 1} is not a number ("${t}")`);
            return v;
        });
        entries.push({
            species: [f[0].t, f[1].t, f[2].t],
            epsilon: nums[0], sigma: nums[1], a: nums[2], lambda: nums[3], gamma: nums[4], costheta0: nums[5],
            A: nums[6], B: nums[7], p: nums[8], q: nums[9], tol: nums[10],
        });
    }
    return entries;
}
/** Validate a JSON potential object; `readFile` fetches a referenced "file" (Node: src/node/potentials.ts). */
export function parseStillingerWeber(obj, source = 'potential', readFile) {
    const o = checkType(obj, 'stillinger-weber', source);
    noExtraKeys(o, ['type', 'skin', 'file', 'entries', 'comment'], source);
    const skin = optNum(o, 'skin', source, 0.5, { nonNegative: true });
    if (o.file !== undefined && o.entries !== undefined)
        throw new PotentialError(`${source}: give either "file" or "entries", not both`);
    let entries;
    if (o.file !== undefined) {
        if (typeof o.file !== 'string')
            throw new PotentialError(`${source}: file must be a path string`);
        const path = o.file;
        if (!readFile)
            throw new PotentialError(`${source}: file "${path}" cannot be read here: give the parameters as "entries" or load the potential from a file`);
        let text;
        try {
            text = readFile(path);
        }
        catch (e) {
            throw new PotentialError(`${source}: cannot read Stillinger-Weber file ${path}: ${e.message}`);
        }
        entries = parseSwFile(text, path);
    }
    else if (o.entries !== undefined) {
        entries = arrayField(o, 'entries', source).map((x, q) => {
            const where = `${source}: entries[${q}]`;
            if (!isObject(x))
                throw new PotentialError(`${where} must be an object`);
            noExtraKeys(x, ['species', ...SW_FIELDS, 'tol'], where);
            const e = { species: speciesTuple(x, where, 3) };
            for (const key of SW_FIELDS)
                e[key] = num(x, key, where);
            return e;
        });
    }
    else {
        entries = [{ ...SW_SILICON }];
    }
    return { type: 'stillinger-weber', skin, entries };
}
export class StillingerWeberCalculator extends NeighborListCalculator {
    name = 'stillinger-weber';
    params;
    p2;
    p3;
    nt;
    fn;
    constructor(k, params = { type: 'stillinger-weber' }, source = 'potential', readFile) {
        const p = parseStillingerWeber(params, source, readFile);
        const species = [];
        for (const e of p.entries)
            for (const s of e.species)
                if (!species.includes(s))
                    species.push(s);
        const nt = species.length;
        const table = new Array(nt * nt * nt).fill(undefined);
        const idx = (a, b, c) => (a * nt + b) * nt + c;
        p.entries.forEach((e, q) => {
            const t = idx(species.indexOf(e.species[0]), species.indexOf(e.species[1]), species.indexOf(e.species[2]));
            if (table[t])
                throw new PotentialError(`${source}: entry ${q + 1} repeats ${e.species.join(' ')}`);
            table[t] = e;
        });
        for (let a = 0; a < nt; a++)
            for (let b = 0; b < nt; b++)
                for (let c = 0; c < nt; c++)
                    if (!table[idx(a, b, c)])
                        throw new PotentialError(`${source}: missing entry ${species[a]} ${species[b]} ${species[c]} (every triplet is required)`);
        const v2 = new Float64Array(nt * nt * 8);
        const v3 = new Float64Array(nt * nt * nt * 2);
        let cutMax = 0;
        for (let a = 0; a < nt; a++)
            for (let b = 0; b < nt; b++) {
                const e = table[idx(a, b, b)];
                const cut = e.a * e.sigma;
                const o = 8 * (a * nt + b);
                v2.set([e.A * e.epsilon, e.B, e.p, e.q, e.sigma, cut, e.gamma * e.sigma, cut * cut], o);
                cutMax = Math.max(cutMax, cut);
                for (let c = 0; c < nt; c++) {
                    const t = table[idx(a, b, c)], u = table[idx(a, c, b)];
                    if (t.lambda * t.epsilon !== u.lambda * u.epsilon || t.costheta0 !== u.costheta0) {
                        throw new PotentialError(`${source}: entries ${t.species.join(' ')} and ${u.species.join(' ')} differ in lambda*epsilon or costheta0 (asymmetric three-body terms are not supported)`);
                    }
                    v3.set([t.lambda * t.epsilon, t.costheta0], 2 * idx(a, b, c));
                }
            }
        if (!(cutMax > 0))
            throw new PotentialError(`${source}: all two-body cutoffs a*sigma are zero`);
        super(k, species, cutMax, p.skin ?? 0.5, true);
        this.params = p;
        this.nt = nt;
        this.fn = k.fn('sw_compute');
        this.p2 = k.f64(v2.length, undefined, { owned: true });
        this.p2.view.set(v2);
        this.p3 = k.f64(v3.length, undefined, { owned: true });
        this.p3.view.set(v3);
    }
    kernel(types, fext, forces, volume) {
        const p = this.nl.ptrs;
        return this.fn(this.nl.n, this.nl.nExt, p.extPos, p.owner, types, p.first, p.nbr, this.nt, this.p2.ptr, this.p3.ptr, fext, forces, volume, this.outBuf.ptr, this.infoBuf.ptr);
    }
    dispose() {
        this.p2.free();
        this.p3.free();
        super.dispose();
    }
}
