// The run folder of a search, journalled as it goes (isomorphic: all access goes through the byte
// storage of src/sscha/persistence.ts; src/node/search-store.ts maps it onto a folder).
//
//   manifest.json     what the run is (formula, pressures, seed, operators, relaxation settings, engine);
//                     a folder holding a different run is refused, so a rerun of the same command resumes.
//   journal.jsonl     one JSON line per event, appended as it happens:
//                       {"t":"volume","p":P,"value":V}             reference volume per atom of pressure P
//                       {"t":"relax","p":P,"g":G,"batch":B,"size":S,"id":…,"op":…,"parents":[…],"in":H,
//                        "status":…,"failure":…,"E":…,"H":…,"cell":[9],"species":[…],"frac":[…],
//                        "steps":…,"calls":…}                       one finished relaxation (relaxed structure
//                                                                   and energies with full double precision)
//                       {"t":"generation",…}                        summary of a finished generation
//                       {"t":"done","p":P,"reason":…}               a pressure finished
//                     The records of one relaxation batch are appended with one write; a batch counts as
//                     done only when all its S records are there (a torn last line is ignored and cut off).
//   results.json, structures/…, best-enthalpy.svg   written at the end (search.ts)
//
// Resume: the search is replayed from the seed; every batch found complete in the journal is taken
// from it instead of being relaxed again (its input structures must hash to the recorded values,
// otherwise the folder belongs to another run). Everything else is deterministic, so an interrupted
// and resumed run ends with exactly the numbers of an uninterrupted one.
import { fnv1a } from '../sscha/persistence.js';
export { MemoryStorage } from '../sscha/persistence.js';
export const MANIFEST_FORMAT = 'anharm-search-run';
export const MANIFEST_VERSION = 1;
const JOURNAL = 'journal.jsonl';
export class SearchRunError extends Error {
    constructor(message) {
        super(message);
        this.name = 'SearchRunError';
    }
}
const enc = new TextEncoder();
/** Hash of a structure's cell, species and positions (exact doubles). */
export function structureHash(s) {
    const b = new Uint8Array(8 * (9 + s.frac.length));
    const dv = new DataView(b.buffer);
    let o = 0;
    for (const x of s.cell)
        dv.setFloat64((o++) * 8, x, true);
    for (const x of s.frac)
        dv.setFloat64((o++) * 8, x, true);
    const h1 = fnv1a(b);
    const h2 = fnv1a(enc.encode(s.species.join(',')));
    return (Math.imul(h1, 31) ^ h2) >>> 0;
}
const finiteOrNull = (x) => (Number.isFinite(x) ? x : null);
export { finiteOrNull };
/** The journal of one run: loads what is there, appends new events. */
export class SearchJournal {
    storage;
    batches = new Map();
    volumes = new Map();
    events = new Set();
    constructor(storage) {
        this.storage = storage;
    }
    /** Check or write the manifest; then load the journal (cutting a torn last line). */
    open(manifest, mayDiffer = []) {
        const raw = this.storage.read('manifest.json');
        const want = { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, ...manifest };
        if (raw) {
            let have;
            try {
                have = JSON.parse(new TextDecoder().decode(raw));
            }
            catch {
                throw new SearchRunError(`${this.storage.location}/manifest.json is not valid JSON`);
            }
            if (have.format !== MANIFEST_FORMAT)
                throw new SearchRunError(`${this.storage.location} is not a search run folder (manifest format ${JSON.stringify(have.format)})`);
            for (const key of new Set([...Object.keys(want), ...Object.keys(have)])) {
                if (mayDiffer.includes(key))
                    continue;
                if (JSON.stringify(have[key]) !== JSON.stringify(want[key])) {
                    throw new SearchRunError(`${this.storage.location} holds a different search (${key}: ${JSON.stringify(have[key])} there, ${JSON.stringify(want[key])} now); use another folder to start a new one`);
                }
            }
            this.storage.write('manifest.json', JSON.stringify(want, null, 1) + '\n');
            this.load();
            return { resumed: true };
        }
        this.storage.write('manifest.json', JSON.stringify(want, null, 1) + '\n');
        this.storage.write(JOURNAL, '');
        return { resumed: false };
    }
    load() {
        const b = this.storage.read(JOURNAL);
        if (!b)
            return;
        const text = new TextDecoder().decode(b);
        let good = 0;
        let pos = 0;
        const parts = [];
        while (pos < text.length) {
            const nl = text.indexOf('\n', pos);
            if (nl < 0)
                break; // torn last line
            const line = text.slice(pos, nl);
            let rec;
            try {
                rec = JSON.parse(line);
            }
            catch {
                break;
            }
            pos = nl + 1;
            good = pos;
            if (rec.t === 'relax')
                parts.push(rec);
            else if (rec.t === 'volume')
                this.volumes.set(rec.p, rec.value);
            else if (typeof rec.t === 'string')
                this.events.add(eventKey(rec));
        }
        // cut a torn tail (bytes: the text was decoded from UTF-8)
        const goodBytes = enc.encode(text.slice(0, good)).length;
        if (goodBytes < b.length)
            this.storage.truncate(JOURNAL, goodBytes);
        for (const r of parts) {
            const key = batchKey(r.p, r.g, r.batch);
            const list = this.batches.get(key) ?? [];
            list.push(r);
            this.batches.set(key, list);
        }
        for (const [k, list] of this.batches)
            if (list.length !== list[0].size)
                this.batches.delete(k);
    }
    /** Finished records of a batch, or null. */
    batch(p, g, batch) {
        return this.batches.get(batchKey(p, g, batch)) ?? null;
    }
    /** Number of complete batches loaded (for messages). */
    get loadedBatches() {
        return this.batches.size;
    }
    volume(p) {
        return this.volumes.get(p);
    }
    saveVolume(p, value) {
        if (this.volumes.get(p) === value)
            return;
        this.volumes.set(p, value);
        this.storage.append(JOURNAL, JSON.stringify({ t: 'volume', p, value }) + '\n');
    }
    saveBatch(records) {
        if (records.length === 0)
            return;
        this.storage.append(JOURNAL, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
        this.batches.set(batchKey(records[0].p, records[0].g, records[0].batch), records);
    }
    /** Append a generation / done event unless the same event is already there. */
    event(rec) {
        const key = eventKey(rec);
        if (this.events.has(key))
            return;
        this.events.add(key);
        this.storage.append(JOURNAL, JSON.stringify({ ...rec, time: new Date().toISOString() }) + '\n');
    }
}
const batchKey = (p, g, b) => `${p}/${g}/${b}`;
const eventKey = (r) => `${r.t}/${r.p}/${r.g ?? ''}`;
