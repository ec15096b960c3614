// Compositions of the search: parsing a formula ("H3S", "MgSiO3"), formula units, reduced formulas
// (individuals are compared by reduced formula, never by cell size: a relaxation may halve a cell),
// and the per-pair minimum distances of physics.md 7.1 (d_min(A,B) = f·(r_A + r_B), Cordero covalent
// radii, f = 0.7, per-pair overrides).
import { covalentRadius, hasCovalentRadius, isElement } from '../structure/elements.js';
/** A bad search input (formula, composition, option): the CLI turns it into a one-line UserError. */
export class SearchInputError extends Error {
    constructor(message) {
        super(message);
        this.name = 'SearchInputError';
    }
}
/** Parse "H3S", "SH3", "Mg2SiO4", "Ar" (element symbols with optional integer counts; no brackets). */
export function parseFormula(formula) {
    const f = formula.trim();
    if (f === '')
        throw new SearchInputError('formula is empty');
    if (!/^([A-Z][a-z]?\d*)+$/.test(f)) {
        throw new SearchInputError(`formula "${formula}": expected element symbols with optional counts, e.g. H3S or MgSiO3`);
    }
    const species = [];
    const counts = [];
    for (const m of f.matchAll(/([A-Z][a-z]?)(\d*)/g)) {
        const el = m[1];
        if (!isElement(el))
            throw new SearchInputError(`formula "${formula}": unknown element "${el}"`);
        const n = m[2] === '' ? 1 : Number(m[2]);
        if (!Number.isSafeInteger(n) || n < 1)
            throw new SearchInputError(`formula "${formula}": count of ${el} must be a positive integer, got ${m[2]}`);
        const i = species.indexOf(el);
        if (i >= 0)
            counts[i] += n;
        else {
            species.push(el);
            counts.push(n);
        }
    }
    for (const el of species) {
        if (!hasCovalentRadius(el))
            throw new SearchInputError(`formula "${formula}": no covalent radius is tabulated for ${el} (needed for the minimum distances)`);
    }
    return { species, counts };
}
const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b));
/** The formula with counts divided by their gcd, in the given species order ("S2H6" → "SH3"). */
export function reducedFormula(species, counts) {
    const g = counts.reduce((a, b) => gcd(a, b), 0) || 1;
    return species.map((s, i) => (counts[i] / g === 1 ? s : `${s}${counts[i] / g}`)).join('');
}
/** Reduced formula of a structure with species sorted alphabetically (a comparison key). */
export function reducedFormulaKey(species) {
    const m = new Map();
    for (const s of species)
        m.set(s, (m.get(s) ?? 0) + 1);
    const keys = [...m.keys()].sort();
    return reducedFormula(keys, keys.map((k) => m.get(k)));
}
/** Species list of a cell with `units` formula units (grouped by species, in formula order). */
export function cellSpecies(c, units) {
    const out = [];
    c.species.forEach((s, i) => {
        for (let q = 0; q < c.counts[i] * units; q++)
            out.push(s);
    });
    return out;
}
/** Atoms per formula unit. */
export const atomsPerUnit = (c) => c.counts.reduce((a, b) => a + b, 0);
/** Per-pair minimum distances d_min(A,B) = f·(r_A + r_B), with overrides like { "H-H": 0.8 } (Å). */
export class MinDistances {
    factor;
    table = new Map();
    constructor(species, factor = 0.7, overrides = {}) {
        if (!(factor > 0 && factor < 2))
            throw new SearchInputError(`minimum-distance factor must be in (0, 2), got ${factor}`);
        this.factor = factor;
        for (const a of species)
            for (const b of species)
                this.table.set(`${a}-${b}`, factor * (covalentRadius(a) + covalentRadius(b)));
        for (const [k, v] of Object.entries(overrides)) {
            const m = /^([A-Z][a-z]?)-([A-Z][a-z]?)$/.exec(k);
            if (!m || !species.includes(m[1]) || !species.includes(m[2])) {
                throw new SearchInputError(`minimum distance "${k}": expected a pair of the formula's elements such as ${species[0]}-${species.at(-1)}`);
            }
            if (!(v > 0) || !Number.isFinite(v))
                throw new SearchInputError(`minimum distance ${k} must be a positive number of Å, got ${v}`);
            this.table.set(`${m[1]}-${m[2]}`, v);
            this.table.set(`${m[2]}-${m[1]}`, v);
        }
    }
    get(a, b) {
        const d = this.table.get(`${a}-${b}`);
        if (d === undefined)
            throw new RangeError(`no minimum distance for ${a}-${b}`);
        return d;
    }
    /** The largest d_min over all pairs. */
    get max() {
        return Math.max(...this.table.values());
    }
    /** All pairs as a plain object (for the manifest). */
    toJSON() {
        return Object.fromEntries(this.table);
    }
}
