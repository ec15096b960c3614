import { NeighborListCalculator, PotentialError, arrayField, checkType, isObject, noExtraKeys, num, optNum, speciesTuple, } from './wasm-calculator.js';
/** Validate a parsed JSON object; errors name `source` and the field (e.g. "pairs[1].sigma"). */
export function parseLennardJones(obj, source = 'potential') {
    const o = checkType(obj, 'lennard-jones', source);
    noExtraKeys(o, ['type', 'cutoffMode', 'skin', 'pairs', 'comment'], source);
    const mode = o.cutoffMode ?? 'shift';
    if (mode !== 'shift' && mode !== 'smooth')
        throw new PotentialError(`${source}: cutoffMode must be "shift" or "smooth", got ${JSON.stringify(mode)}`);
    const skin = optNum(o, 'skin', source, 0.5, { nonNegative: true });
    const pairs = arrayField(o, 'pairs', source).map((p, q) => {
        const where = `${source}: pairs[${q}]`;
        if (!isObject(p))
            throw new PotentialError(`${where} must be an object`);
        noExtraKeys(p, ['species', 'epsilon', 'sigma', 'cutoff', 'ro'], where);
        const species = speciesTuple(p, where, 2);
        const epsilon = num(p, 'epsilon', where, { nonNegative: true });
        const sigma = num(p, 'sigma', where, { positive: true });
        const cutoff = num(p, 'cutoff', where, { positive: true });
        const pair = { species, epsilon, sigma, cutoff };
        if (p.ro !== undefined) {
            pair.ro = num(p, 'ro', where, { positive: true });
            if (!(pair.ro < cutoff))
                throw new PotentialError(`${where}.ro must be smaller than cutoff (${cutoff}), got ${pair.ro}`);
        }
        return pair;
    });
    return { type: 'lennard-jones', cutoffMode: mode, skin, pairs };
}
/** Collect the species of pair records and check that every pair is given exactly once. */
export function pairTable(pairs, source) {
    const species = [];
    for (const p of pairs)
        for (const s of p.species)
            if (!species.includes(s))
                species.push(s);
    const nt = species.length;
    const table = new Array(nt * nt).fill(undefined);
    pairs.forEach((p, q) => {
        const a = species.indexOf(p.species[0]), b = species.indexOf(p.species[1]);
        if (table[a * nt + b])
            throw new PotentialError(`${source}: pairs[${q}] repeats the pair ${p.species[0]}-${p.species[1]}`);
        table[a * nt + b] = p;
        table[b * nt + a] = p;
    });
    for (let a = 0; a < nt; a++)
        for (let b = a; b < nt; b++)
            if (!table[a * nt + b])
                throw new PotentialError(`${source}: no parameters for the pair ${species[a]}-${species[b]} (add it to "pairs")`);
    return { species, table };
}
const PAIR_STRIDE = 8;
/** Energy, forces and stress from Lennard-Jones pairs. */
export class LennardJonesCalculator extends NeighborListCalculator {
    name = 'lennard-jones';
    params;
    paramBuf;
    nt;
    fn;
    constructor(k, params, source = 'potential') {
        const p = parseLennardJones(params, source);
        const { species, table } = pairTable(p.pairs, source);
        const rcMax = Math.max(...p.pairs.map((q) => q.cutoff));
        super(k, species, rcMax, p.skin ?? 0.5, false);
        this.params = p;
        this.nt = species.length;
        this.fn = k.fn('pair_compute');
        const smooth = p.cutoffMode === 'smooth';
        const vals = new Float64Array(this.nt * this.nt * PAIR_STRIDE);
        table.forEach((q, t) => {
            const { epsilon: e, sigma: s, cutoff: rc } = q;
            // integer powers by products only (bit-identical on every platform)
            const s6 = s * s * (s * s) * (s * s);
            const c12 = 4 * e * s6 * s6, c6 = 4 * e * s6;
            const irc2 = 1 / (rc * rc), irc6 = irc2 * irc2 * irc2;
            const ro = q.ro ?? 0.66 * rc;
            const o = t * PAIR_STRIDE;
            vals[o] = c12;
            vals[o + 1] = c6;
            vals[o + 2] = rc * rc;
            vals[o + 3] = smooth ? 0 : c12 * irc6 * irc6 - c6 * irc6;
            vals[o + 4] = smooth ? 1 : 0;
            vals[o + 5] = ro * ro;
        });
        this.paramBuf = k.f64(vals.length, undefined, { owned: true });
        this.paramBuf.view.set(vals);
    }
    kernel(types, fext, forces, volume) {
        const p = this.nl.ptrs;
        return this.fn(0, this.nl.n, this.nl.nExt, p.extPos, p.owner, types, p.first, p.nbr, this.nt, this.paramBuf.ptr, fext, forces, volume, this.outBuf.ptr, this.infoBuf.ptr);
    }
    dispose() {
        this.paramBuf.free();
        super.dispose();
    }
}
