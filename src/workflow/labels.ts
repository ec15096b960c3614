// Reference labels of the learning loop: every configuration sent to the reference engine (DFT or a
// stand-in potential) is appended to one extended XYZ file as soon as its batch returns, keyed by an
// exact hash of (cell, species, positions), so a resumed run never pays twice for the same
// configuration and a killed run loses at most the batch in flight.
import type { Calculator } from '../calculators/calculator.js';
import { readExtxyz, writeExtxyz } from '../io/extxyz.js';
import type { LabelledConfig } from '../mlip/dataset.js';
import type { SschaStorage } from '../sscha/persistence.js';
import type { Structure } from '../structure/structure.js';

/** Exact 64-bit-ish key of a configuration (two FNV-1a hashes over the doubles and the species). */
export function configurationKey(s: Structure): string {
  const b = new Uint8Array(8 * (9 + s.frac.length));
  const dv = new DataView(b.buffer);
  let o = 0;
  for (const x of s.cell) dv.setFloat64(8 * o++, x, true);
  for (const x of s.frac) dv.setFloat64(8 * o++, x, true);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < b.length; i++) {
    h1 = Math.imul(h1 ^ b[i], 0x01000193);
    h2 = Math.imul(h2 ^ b[b.length - 1 - i], 0x811c9dc5) ^ (h2 >>> 15);
  }
  for (const ch of s.species.join(',')) h1 = Math.imul(h1 ^ ch.charCodeAt(0), 0x01000193);
  // the letter prefix keeps extended XYZ readers from taking an all-digit key for a number
  return 'c' + (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

export const LABEL_FILE = 'labels/labelled.extxyz';

/** Labelled configurations of a run folder, with the stage that asked for each. */
export class LabelStore {
  private readonly byKey = new Map<string, LabelledConfig & { stage: string }>();
  /** Reference calls made by this process (not counting labels found on disk). */
  newCalls = 0;

  constructor(private readonly storage: SschaStorage) {
    const b = storage.read(LABEL_FILE);
    if (!b) return;
    let text = new TextDecoder().decode(b);
    // a kill during an append can leave a partial frame: keep whole frames only
    const frames = wholeFrames(text);
    if (frames.length !== text.length) {
      storage.truncate(LABEL_FILE, new TextEncoder().encode(frames).length);
      text = frames;
    }
    this.take(text);
  }

  /** Add the frames of `text` (as written to the label file) under their stored keys. */
  private take(text: string): LabelledConfig[] {
    const out: LabelledConfig[] = [];
    for (const f of readExtxyz(text, `${this.storage.location}/${LABEL_FILE}`)) {
      const key = String(f.info.get('key'));
      const c: LabelledConfig & { stage: string } = {
        structure: f.structure,
        energy: f.energy!,
        energyKey: 'energy',
        forces: f.forces ?? undefined,
        stress: f.stress ?? undefined,
        source: `${LABEL_FILE}#${this.byKey.size + 1}`,
        stage: String(f.info.get('stage')),
      };
      this.byKey.set(key, c);
      out.push(c);
    }
    return out;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** All labels in the order they were made. */
  all(): LabelledConfig[] {
    return [...this.byKey.values()];
  }

  /** Count of labels by the stage that asked for them. */
  countByStage(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const v of this.byKey.values()) out[v.stage] = (out[v.stage] ?? 0) + 1;
    return out;
  }

  has(s: Structure): boolean {
    return this.byKey.has(configurationKey(s));
  }

  /** Labels of `structures` (input order), computing the missing ones with `reference` in batches
   *  (`onBatch` after each, with the count of missing ones done so far). */
  async label(structures: readonly Structure[], reference: Calculator, stage: string, batch = 8, onBatch?: (done: number, total: number) => void): Promise<LabelledConfig[]> {
    const missing: Structure[] = [];
    const seen = new Set<string>();
    for (const s of structures) {
      const key = configurationKey(s);
      if (!this.byKey.has(key) && !seen.has(key)) {
        seen.add(key);
        missing.push(s);
      }
    }
    for (let i = 0; i < missing.length; i += batch) {
      const chunk = missing.slice(i, i + batch);
      const results = await reference.compute(chunk, { stress: true });
      const text = writeExtxyz(chunk.map((s, j) => ({
        structure: s,
        energy: results[j].energy,
        forces: results[j].forces,
        stress: results[j].stress,
        info: { key: configurationKey(s), stage, engine: reference.name },
      })));
      this.storage.append(LABEL_FILE, text);
      this.newCalls += chunk.length;
      // kept as read back from the file (positions round-trip through Cartesian text), so a resumed
      // run trains on bit-identical data
      this.take(text);
      onBatch?.(Math.min(i + batch, missing.length), missing.length);
    }
    return structures.map((s) => this.byKey.get(configurationKey(s))!);
  }
}

/** The prefix of an extended XYZ text made of complete frames. */
function wholeFrames(text: string): string {
  const lines = text.split('\n');
  let i = 0;
  let end = 0;
  let offset = 0;
  const lineStart: number[] = [];
  for (const l of lines) {
    lineStart.push(offset);
    offset += l.length + 1;
  }
  while (i < lines.length) {
    const n = Number(lines[i].trim());
    if (!Number.isInteger(n) || n <= 0 || i + 2 + n > lines.length) break;
    // the frame's last atom line must be followed by a newline (the next line exists)
    if (i + 2 + n === lines.length) break;
    i += 2 + n;
    end = lineStart[i];
  }
  return text.slice(0, end);
}
