import { KernelError } from '../wasm/kernels.js';
import { NeighborList } from '../neighbors/neighbor-list.js';
import { CalculatorError, validateResult } from './calculator.js';
/** A malformed potential file or parameter object. */
export class PotentialError extends Error {
    constructor(message) {
        super(message);
        this.name = 'PotentialError';
    }
}
/** Kernel status codes used by the potential kernels (assembly/potentials/common.ts). */
export const ST_OVERLAP = 6;
export function isObject(v) {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/** A required finite number (optionally > 0 or >= 0). */
export function num(obj, key, where, opts = {}) {
    const v = obj[key];
    if (v === undefined || v === null)
        throw new PotentialError(`${where}.${key} is missing`);
    if (typeof v !== 'number' || !Number.isFinite(v))
        throw new PotentialError(`${where}.${key} must be a finite number, got ${JSON.stringify(v)}`);
    if (opts.positive && !(v > 0))
        throw new PotentialError(`${where}.${key} must be > 0, got ${v}`);
    if (opts.nonNegative && !(v >= 0))
        throw new PotentialError(`${where}.${key} must be >= 0, got ${v}`);
    return v;
}
/** An optional number with a default. */
export function optNum(obj, key, where, dflt, opts = {}) {
    return obj[key] === undefined ? dflt : num(obj, key, where, opts);
}
/** A required array of `len` species symbols. */
export function speciesTuple(obj, where, len) {
    const v = obj.species;
    if (v === undefined)
        throw new PotentialError(`${where}.species is missing`);
    if (!Array.isArray(v) || v.length !== len || !v.every((s) => typeof s === 'string' && s.length > 0)) {
        throw new PotentialError(`${where}.species must be an array of ${len} element symbols, got ${JSON.stringify(v)}`);
    }
    return v;
}
/** A required non-empty array field. */
export function arrayField(obj, key, where) {
    const v = obj[key];
    if (v === undefined)
        throw new PotentialError(`${where}: ${key} is missing`);
    if (!Array.isArray(v) || v.length === 0)
        throw new PotentialError(`${where}: ${key} must be a non-empty array`);
    return v;
}
/** Check the `type` tag of a potential object. */
export function checkType(obj, type, source) {
    if (!isObject(obj))
        throw new PotentialError(`${source}: a potential must be a JSON object`);
    if (obj.type !== type)
        throw new PotentialError(`${source}: type must be "${type}", got ${JSON.stringify(obj.type)}`);
    return obj;
}
/** Reject keys we do not know (typos such as "sigam" must not be silently ignored). */
export function noExtraKeys(obj, allowed, where) {
    for (const key of Object.keys(obj)) {
        if (!allowed.includes(key))
            throw new PotentialError(`${where}: unknown field "${key}" (allowed: ${allowed.join(', ')})`);
    }
}
// ---------------------------------------------------------------------------------------------
/** Species → type index, with a readable error for species the potential does not know. */
export class SpeciesMap {
    species;
    index = new Map();
    constructor(species) {
        this.species = species;
        species.forEach((s, i) => this.index.set(s, i));
    }
    get size() {
        return this.species.length;
    }
    typeOf(s, engine, atom, config) {
        const t = this.index.get(s);
        if (t === undefined) {
            throw new CalculatorError(`${engine}: species "${s}" (atom ${atom + 1} of configuration ${config}) has no parameters in the potential (known: ${this.species.join(', ')})`, config);
        }
        return t;
    }
}
/**
 * Base class of the neighbour-list potentials: subclasses supply the kernel call.
 * Buffers and the Verlet list persist across calls and configurations.
 */
export class NeighborListCalculator {
    k;
    nl;
    species;
    typesBuf = null;
    typesFor = null;
    fextBuf = null;
    forcesBuf = null;
    outBuf;
    infoBuf;
    disposed = false;
    constructor(k, species, cutoff, skin, full) {
        this.k = k;
        this.species = new SpeciesMap(species);
        this.nl = new NeighborList(k, { cutoff, skin, full });
        this.outBuf = k.f64(10, undefined, { owned: true });
        this.infoBuf = k.i32(2, undefined, { owned: true });
    }
    /** Number of neighbour-list builds so far (reuse diagnostics). */
    get listBuilds() {
        return this.nl.builds;
    }
    types(s, index) {
        const n = s.natoms;
        if (!this.typesBuf || this.typesBuf.length < n) {
            this.typesBuf?.free();
            this.typesBuf = this.k.i32(Math.max(n, 1), undefined, { owned: true });
            this.typesFor = null;
        }
        // Structures made by `with()` carry a new species array with the same symbols: compare the
        // symbols (cheap) before mapping them again (a Map lookup per atom).
        if (this.typesFor !== s.species && !sameSymbols(this.typesFor, s.species)) {
            this.typesFor = null; // a throw below leaves the buffer half-written
            const v = this.typesBuf.view;
            for (let a = 0; a < n; a++)
                v[a] = this.species.typeOf(s.species[a], this.name, a, index);
        }
        this.typesFor = s.species;
        return this.typesBuf.ptr;
    }
    ensure(n) {
        const nExt = this.nl.nExt;
        if (!this.fextBuf || this.fextBuf.length < 3 * nExt) {
            this.fextBuf?.free();
            this.fextBuf = this.k.f64(3 * Math.max(nExt, 1), undefined, { owned: true });
        }
        if (!this.forcesBuf || this.forcesBuf.length < 3 * n) {
            this.forcesBuf?.free();
            this.forcesBuf = this.k.f64(3 * Math.max(n, 1), undefined, { owned: true });
        }
    }
    /** Energy, forces and stress of one structure. */
    computeOne(s, index = 0) {
        if (this.disposed)
            throw new CalculatorError(`${this.name}: used after dispose`, index);
        const n = s.natoms;
        const types = this.types(s, index);
        try {
            this.nl.update(s.cell, s.frac);
        }
        catch (e) {
            if (e instanceof KernelError)
                throw new CalculatorError(`${this.name}: configuration ${index}: ${e.message}`, index);
            throw e;
        }
        this.ensure(n);
        const st = this.kernel(types, this.fextBuf.ptr, this.forcesBuf.ptr, s.volume);
        if (st === ST_OVERLAP) {
            const info = this.infoBuf.view;
            throw new CalculatorError(`${this.name}: atoms ${info[0] + 1} and ${info[1] + 1} of configuration ${index} overlap (distance < 1e-8 Å); energy and forces are undefined`, index);
        }
        if (st !== 0) {
            try {
                this.k.check(this.name, st);
            }
            catch (e) {
                throw new CalculatorError(`${this.name}: configuration ${index}: ${e.message}`, index);
            }
        }
        const out = this.outBuf.view;
        return { energy: out[0], forces: this.forcesBuf.view.slice(0, 3 * n), stress: out.slice(1, 10) };
    }
    async compute(structures, options = {}) {
        return runBatch(this.name, structures, options, (s, i) => this.computeOne(s, i));
    }
    dispose() {
        if (this.disposed)
            return;
        this.disposed = true;
        this.nl.dispose();
        this.typesBuf?.free();
        this.fextBuf?.free();
        this.forcesBuf?.free();
        this.outBuf.free();
        this.infoBuf.free();
    }
}
function sameSymbols(a, b) {
    if (!a || a.length !== b.length)
        return false;
    for (let q = 0; q < a.length; q++)
        if (a[q] !== b[q])
            return false;
    return true;
}
/** The batch loop shared by the built-in calculators: progress, abort, validation. */
export function runBatch(name, structures, options, one) {
    const results = [];
    for (let c = 0; c < structures.length; c++) {
        if (options.signal?.aborted)
            throw new CalculatorError(`${name}: batch aborted after ${c} of ${structures.length} configurations`, c);
        const s = structures[c];
        const r = one(s, c);
        const res = { energy: r.energy, forces: r.forces };
        if (options.stress)
            res.stress = r.stress;
        validateResult(res, s.natoms, c, name);
        results.push(res);
        options.onProgress?.(c + 1, structures.length);
    }
    return results;
}
