import { SschaError } from './modes.js';
import { runSscha } from './run.js';
import { runSschaVariableCell } from './variable-cell.js';
const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (d) => (typeof d === 'string' ? enc.encode(d) : d);
/** In-memory storage (tests, browsers). */
export class MemoryStorage {
    location = 'memory';
    files = new Map();
    read(name) {
        const f = this.files.get(name);
        return f ? f.slice() : null;
    }
    write(name, data) {
        this.files.set(name, bytes(data).slice());
    }
    append(name, data) {
        const a = this.files.get(name) ?? new Uint8Array(0);
        const b = bytes(data);
        const out = new Uint8Array(a.length + b.length);
        out.set(a);
        out.set(b, a.length);
        this.files.set(name, out);
    }
    truncate(name, length) {
        const a = this.files.get(name);
        if (a)
            this.files.set(name, a.slice(0, length));
    }
    size(name) {
        return this.files.get(name)?.length ?? -1;
    }
    list(dir) {
        const pre = dir.endsWith('/') ? dir : dir + '/';
        const out = [];
        for (const k of this.files.keys())
            if (k.startsWith(pre) && !k.slice(pre.length).includes('/'))
                out.push(k.slice(pre.length));
        return out.sort();
    }
}
// ------------------------------------------------------------------------------------------------
// Encoding
/** FNV-1a 32-bit hash of bytes. */
export function fnv1a(b, start = 0, end = b.length) {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) {
        h ^= b[i];
        h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
}
function f64Bytes(parts) {
    let n = 0;
    for (const p of parts)
        n += p.length;
    const out = new Uint8Array(8 * n);
    const dv = new DataView(out.buffer);
    let o = 0;
    for (const p of parts)
        for (let i = 0; i < p.length; i++, o += 8)
            dv.setFloat64(o, p[i], true);
    return out;
}
function readF64(b, offset, count) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++)
        out[i] = dv.getFloat64(offset + 8 * i, true);
    return out;
}
export const STORE_FORMAT = 'anharm-sscha-population';
export const STORE_VERSION = 1;
/** RNG stream offset of final ensembles (disjoint from the SSCHA populations 0, 1, ...). */
export const FINAL_STREAM = 1_000_000;
/** Float64 values per result record for N atoms. */
export const recordValues = (nAtoms) => 4 + 3 * nAtoms + 9 + 1;
/** One result record (configuration i of `pop`). */
export function encodeRecord(pop, i, timeMs = Date.now()) {
    const n3 = 3 * pop.nAtoms;
    const hasStress = pop.stresses !== null && Number.isFinite(pop.stresses[9 * i]);
    const stress = hasStress ? pop.stresses.subarray(9 * i, 9 * i + 9) : new Float64Array(9).fill(NaN);
    const out = f64Bytes([[i, pop.energies[i], timeMs, hasStress ? 1 : 0], pop.forces.subarray(i * n3, (i + 1) * n3), stress, [0]]);
    new DataView(out.buffer).setFloat64(out.length - 8, fnv1a(out, 0, out.length - 8), true);
    return out;
}
/** Valid leading records of a .res file: count, byte length, and their contents. */
export function decodeRecords(b, nAtoms, nConfigs) {
    const nv = recordValues(nAtoms), rb = 8 * nv, n3 = 3 * nAtoms;
    const energies = new Float64Array(nConfigs).fill(NaN);
    const forces = new Float64Array(nConfigs * n3).fill(NaN);
    const stresses = [];
    const times = new Float64Array(nConfigs).fill(NaN);
    let count = 0;
    if (b) {
        while ((count + 1) * rb <= b.length && count < nConfigs) {
            const o = count * rb;
            const v = readF64(b, o, nv);
            if (v[nv - 1] !== fnv1a(b, o, o + rb - 8) || v[0] !== count)
                break;
            energies[count] = v[1];
            times[count] = v[2];
            forces.set(v.subarray(4, 4 + n3), count * n3);
            stresses.push(v[3] === 1 ? v.slice(4 + n3, 4 + n3 + 9) : null);
            count++;
        }
    }
    return { count, bytes: count * rb, energies, forces, stresses, times };
}
function popName(kind, index) {
    return `populations/${kind === 'sscha' ? 'pop' : 'final'}-${String(index).padStart(3, '0')}`;
}
function atomicJson(storage, name, obj) {
    storage.write(name, JSON.stringify(obj, null, 1) + '\n');
}
function parseJson(storage, name) {
    const b = storage.read(name);
    if (!b)
        return null;
    try {
        return JSON.parse(dec.decode(b));
    }
    catch {
        return null;
    }
}
function plainArrays(rec) {
    const out = {};
    for (const [key, v] of Object.entries(rec))
        out[key] = v instanceof Float64Array ? Array.from(v) : v;
    return out;
}
/**
 * The persistent record of one SSCHA run on a storage. Every write is either atomic (headers, state,
 * JSON files) or an append of complete records that loading validates.
 */
export class SschaRunStore {
    storage;
    /** Records already in each .res file (by population file name). */
    written = new Map();
    constructor(storage) {
        this.storage = storage;
    }
    // -- generic JSON / text files
    readJson(name) {
        return parseJson(this.storage, name);
    }
    writeJson(name, obj) {
        atomicJson(this.storage, name, obj);
    }
    writeText(name, text) {
        this.storage.write(name, text);
    }
    // -- populations
    /** Write the header of a freshly sampled population (and an empty results file). */
    savePopulationHeader(pop, kind = 'sscha', info) {
        const name = popName(kind, kind === 'sscha' ? pop.index : pop.index - FINAL_STREAM);
        const bin = f64Bytes([pop.centroids, pop.phi, pop.xi, pop.positions]);
        const header = {
            format: STORE_FORMAT,
            version: STORE_VERSION,
            kind,
            index: pop.index,
            rng: pop.rng,
            seed: pop.seed,
            stream: pop.stream,
            nConfigs: pop.nConfigs,
            nAtoms: pop.nAtoms,
            nTranslations: pop.nTranslations,
            nModes: pop.nModes,
            cell: Array.from(pop.cell),
            species: [...pop.species],
            masses: Array.from(pop.masses),
            temperature: pop.temperature,
            engine: pop.engine,
            sampledAt: new Date().toISOString(),
            binBytes: bin.length,
            binChecksum: fnv1a(bin),
            recordValues: recordValues(pop.nAtoms),
            info,
        };
        this.storage.write(name + '.bin', bin);
        this.storage.write(name + '.res', new Uint8Array(0));
        atomicJson(this.storage, name + '.json', header);
        this.written.set(name, 0);
        if (pop.evaluated > 0)
            this.saveResults(pop, kind);
    }
    /** Append the results of the configurations evaluated since the last call (idempotent). */
    saveResults(pop, kind = 'sscha') {
        const name = popName(kind, kind === 'sscha' ? pop.index : pop.index - FINAL_STREAM);
        let done = this.written.get(name);
        if (done === undefined) {
            // first write in this session: validate the file and cut off a torn tail
            const r = decodeRecords(this.storage.read(name + '.res'), pop.nAtoms, pop.nConfigs);
            if (this.storage.size(name + '.res') !== r.bytes)
                this.storage.truncate(name + '.res', r.bytes);
            done = r.count;
        }
        if (pop.evaluated <= done)
            return;
        const parts = [];
        const now = Date.now();
        for (let i = done; i < pop.evaluated; i++)
            parts.push(encodeRecord(pop, i, now));
        let total = 0;
        for (const p of parts)
            total += p.length;
        const all = new Uint8Array(total);
        let o = 0;
        for (const p of parts) {
            all.set(p, o);
            o += p.length;
        }
        this.storage.append(name + '.res', all);
        this.written.set(name, pop.evaluated);
    }
    /** Load one population (null when its header is missing or inconsistent). Cuts a torn results tail. */
    loadPopulation(kind, index) {
        const name = popName(kind, index);
        const h = parseJson(this.storage, name + '.json');
        if (!h || h.format !== STORE_FORMAT || h.version !== STORE_VERSION)
            return null;
        const bin = this.storage.read(name + '.bin');
        if (!bin || bin.length !== h.binBytes || fnv1a(bin) !== h.binChecksum)
            return null;
        const n3 = 3 * h.nAtoms, nc = h.nConfigs, m = h.nModes;
        if (bin.length !== 8 * (n3 + n3 * n3 + nc * m + nc * n3))
            return null;
        let o = 0;
        const take = (c) => {
            const v = readF64(bin, o, c);
            o += 8 * c;
            return v;
        };
        const centroids = take(n3), phi = take(n3 * n3), xi = take(nc * m), positions = take(nc * n3);
        const resName = name + '.res';
        const r = decodeRecords(this.storage.read(resName), h.nAtoms, nc);
        if (this.storage.size(resName) > r.bytes)
            this.storage.truncate(resName, r.bytes);
        this.written.set(name, r.count);
        let stresses = null;
        if (r.count > 0 && r.stresses.every((s) => s !== null)) {
            stresses = new Float64Array(nc * 9).fill(NaN);
            r.stresses.forEach((s, i) => stresses.set(s, 9 * i));
        }
        const population = {
            index: h.index,
            rng: h.rng,
            seed: h.seed,
            stream: h.stream,
            nConfigs: nc,
            nAtoms: h.nAtoms,
            nTranslations: h.nTranslations,
            nModes: m,
            cell: Float64Array.from(h.cell),
            species: [...h.species],
            masses: Float64Array.from(h.masses),
            centroids,
            phi,
            temperature: h.temperature,
            xi,
            positions,
            energies: r.energies,
            forces: r.forces,
            stresses,
            evaluated: r.count,
            engine: h.engine,
        };
        return { kind, header: h, population, times: r.times };
    }
    /** Saved SSCHA populations 0, 1, ... (contiguous; stops at the first missing one). */
    loadPopulations() {
        const out = [];
        for (let p = 0;; p++) {
            const s = this.loadPopulation('sscha', p);
            if (!s)
                break;
            out.push(s);
        }
        return out;
    }
    /** Number of configurations with results per saved population file name. */
    evaluatedCounts() {
        const out = {};
        for (const f of this.storage.list('populations')) {
            if (!f.endsWith('.json'))
                continue;
            const base = f.slice(0, -5);
            const h = parseJson(this.storage, `populations/${f}`);
            if (!h)
                continue;
            out[base] = decodeRecords(this.storage.read(`populations/${base}.res`), h.nAtoms, h.nConfigs).count;
        }
        return out;
    }
    // -- minimiser history and state
    resetHistory() {
        this.storage.write('history.jsonl', '');
    }
    appendHistory(rec) {
        this.storage.append('history.jsonl', JSON.stringify({ ...rec, time: new Date().toISOString() }) + '\n');
    }
    loadHistory() {
        return this.readJsonLines('history.jsonl');
    }
    /** The records of an append-only JSON-lines file, up to a torn last line. */
    readJsonLines(name) {
        const b = this.storage.read(name);
        if (!b)
            return [];
        const out = [];
        for (const line of dec.decode(b).split('\n')) {
            if (!line.trim())
                continue;
            try {
                out.push(JSON.parse(line));
            }
            catch {
                break; // a torn last line
            }
        }
        return out;
    }
    /** Write state.bin then state.json (a variable-cell state also stores its cell and strain). */
    saveState(s) {
        const withCell = s.cell !== undefined && s.strain !== undefined;
        const bin = f64Bytes(withCell ? [s.R, s.phi, s.cell, s.strain] : [s.R, s.phi]);
        this.storage.write('state.bin', bin);
        atomicJson(this.storage, 'state.json', {
            population: s.population, lambda: s.lambda, representation: s.representation, reason: s.reason, converged: s.converged,
            ...(withCell ? { cell: true, bulkModulus: s.bulkModulus } : {}),
            n3: s.R.length, binBytes: bin.length, binChecksum: fnv1a(bin), time: new Date().toISOString(),
        });
    }
    loadState() {
        const j = parseJson(this.storage, 'state.json');
        const bin = this.storage.read('state.bin');
        if (!j || !bin || bin.length !== j.binBytes || fnv1a(bin) !== j.binChecksum)
            return null;
        const n3 = j.n3;
        const o = 8 * (n3 + n3 * n3);
        if (bin.length !== o + (j.cell ? 8 * 18 : 0))
            return null;
        return {
            population: j.population, lambda: j.lambda, representation: j.representation, reason: j.reason, converged: j.converged, time: j.time,
            R: readF64(bin, 0, n3), phi: readF64(bin, 8 * n3, n3 * n3),
            ...(j.cell ? { cell: readF64(bin, o, 9), strain: readF64(bin, o + 72, 9), bulkModulus: j.bulkModulus } : {}),
        };
    }
    // -- cell history of variable-cell runs
    resetCellHistory() {
        this.storage.write('cells.jsonl', '');
    }
    appendCellStep(rec) {
        this.storage.append('cells.jsonl', JSON.stringify({ ...plainArrays(rec), time: new Date().toISOString() }) + '\n');
    }
    loadCellHistory() {
        return this.readJsonLines('cells.jsonl');
    }
    /** Write what an interrupted run computed (the configurations evaluated before the failure). */
    savePartial(partial) {
        for (const pop of partial.populations) {
            const name = popName('sscha', pop.index);
            if (this.storage.size(name + '.json') < 0)
                this.savePopulationHeader(pop, 'sscha');
            else
                this.saveResults(pop, 'sscha');
        }
    }
}
/**
 * runSscha with every population, configuration result, accepted step and (R, Φ) after each
 * population written to `store` as they are computed; resumes from what the store holds. The
 * caller's hooks in `opts` are still called. On an engine failure the results computed so far are
 * saved before the error is rethrown (with `error.partial`).
 */
export async function runSschaWithStore(store, opts, onResume) {
    const saved = store.loadPopulations();
    if (opts.resume)
        throw new SschaError('runSschaWithStore: give the saved populations through the store, not opts.resume');
    onResume?.({ populations: saved.length, configurations: saved.reduce((s, p) => s + p.population.evaluated, 0) });
    store.resetHistory(); // the replay re-emits every step
    try {
        return await runSscha({
            ...opts,
            resume: saved.map((s) => s.population),
            onPopulation: (pop, stage) => {
                if (stage === 'sampled')
                    store.savePopulationHeader(pop);
                else
                    store.saveResults(pop);
                opts.onPopulation?.(pop, stage);
            },
            onEvaluated: (pop) => {
                store.saveResults(pop);
                opts.onEvaluated?.(pop);
            },
            onStep: (rec, avg) => {
                store.appendHistory(rec);
                opts.onStep?.(rec, avg);
            },
            onMinimized: (s) => {
                store.saveState(s);
                opts.onMinimized?.(s);
            },
        });
    }
    catch (e) {
        const partial = e.partial;
        if (partial)
            store.savePartial(partial);
        throw e;
    }
}
/**
 * runSschaVariableCell (src/sscha/variable-cell.ts) with every population (header with its strain and
 * volume), configuration result, accepted step, cell-history record (cells.jsonl) and (cell, R, Φ)
 * after each population written to `store` as they are computed; resumes from what the store holds
 * (saved populations are reused, the minimisations and cell steps replayed: bit-identical numbers).
 * The caller's hooks in `opts` are still called. On a failure with partial results (engine death,
 * impossible pressure) the configurations computed so far are saved before the error is rethrown.
 */
export async function runSschaVariableCellWithStore(store, opts, onResume) {
    const saved = store.loadPopulations();
    if (opts.resume)
        throw new SschaError('runSschaVariableCellWithStore: give the saved populations through the store, not opts.resume');
    onResume?.({ populations: saved.length, configurations: saved.reduce((s, p) => s + p.population.evaluated, 0) });
    store.resetHistory(); // the replay re-emits every step and cell record
    store.resetCellHistory();
    try {
        return await runSschaVariableCell({
            ...opts,
            resume: saved.map((s) => s.population),
            onPopulation: (pop, stage, cell) => {
                if (stage === 'sampled')
                    store.savePopulationHeader(pop, 'sscha', { variableCell: true, strain: Array.from(cell.strain), volume: cell.volume });
                else
                    store.saveResults(pop);
                opts.onPopulation?.(pop, stage, cell);
            },
            onEvaluated: (pop) => {
                store.saveResults(pop);
                opts.onEvaluated?.(pop);
            },
            onStep: (rec, avg) => {
                store.appendHistory(rec);
                opts.onStep?.(rec, avg);
            },
            onCellStep: (progress) => {
                store.appendCellStep(progress.record);
                opts.onCellStep?.(progress);
            },
            onMinimized: (s) => {
                store.saveState(s);
                opts.onMinimized?.(s);
            },
        });
    }
    catch (e) {
        const partial = e.partial;
        if (partial)
            store.savePartial(partial);
        throw e;
    }
}
