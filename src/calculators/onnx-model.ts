// Reads the parts of an ONNX file that the OnnxCalculator checks before it runs anything: the
// graph's inputs and outputs (names, element types, shapes), the names of its initializers, the
// opsets and the metadata_props (cutoff, species). A minimal protobuf decoder over the field numbers
// of onnx/onnx.proto3; weights and nodes are skipped without copying, so large models are cheap.

/** An ONNX element type by its TensorProto.DataType code. */
export const ONNX_TYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

/** One graph input or output. */
export interface OnnxValueInfo {
  name: string;
  /** Element type ("float64", "int64", ...), "non-tensor" for sequences/maps, "unknown" if absent. */
  type: string;
  /** Dimensions: a number, a symbolic name, or null (unknown); undefined when the rank is not given. */
  shape?: (number | string | null)[];
}

export interface OnnxModelInfo {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  /** Graph inputs that are not initializers (what a caller must feed). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** metadata_props as key → value. */
  metadata: Record<string, string>;
  doc: string;
}

export class OnnxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}

/** Field-by-field protobuf reader over one message's bytes. */
class Reader {
  pos: number;
  constructor(
    private readonly b: Uint8Array,
    start = 0,
    private readonly end = b.length,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let v = 0, mul = 1;
    for (let q = 0; q < 10; q++) {
      if (this.pos >= this.end) throw new OnnxFormatError('truncated varint');
      const c = this.b[this.pos++];
      v += (c & 0x7f) * mul; // exact below 2^53, enough for lengths, types and dims
      if (c < 0x80) return v;
      mul *= 128;
    }
    throw new OnnxFormatError('varint longer than 10 bytes');
  }
  /** Next field: number, wire type, and for length-delimited fields the [start, end) of its bytes. */
  field(): { no: number; wire: number; start: number; stop: number; value: number } {
    const key = this.varint();
    const no = Math.floor(key / 8), wire = key % 8;
    let start = this.pos, stop = this.pos, value = 0;
    if (wire === 0) value = this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else if (wire === 2) {
      const len = this.varint();
      start = this.pos;
      stop = this.pos + len;
      this.pos = stop;
    } else throw new OnnxFormatError(`unsupported protobuf wire type ${wire}`);
    if (this.pos > this.end) throw new OnnxFormatError('truncated message');
    return { no, wire, start, stop, value };
  }
  sub(f: { start: number; stop: number }): Reader {
    return new Reader(this.b, f.start, f.stop);
  }
  text(f: { start: number; stop: number }): string {
    return new TextDecoder().decode(this.b.subarray(f.start, f.stop));
  }
}

function valueInfo(r: Reader): OnnxValueInfo {
  const out: OnnxValueInfo = { name: '', type: 'unknown' };
  while (!r.done) {
    const f = r.field();
    if (f.no === 1 && f.wire === 2) out.name = r.text(f);
    else if (f.no === 2 && f.wire === 2) {
      const t = r.sub(f);
      let tensor = false;
      while (!t.done) {
        const g = t.field();
        if (g.no !== 1 || g.wire !== 2) continue; // sequence/map/optional types
        tensor = true;
        const tt = t.sub(g);
        while (!tt.done) {
          const h = tt.field();
          if (h.no === 1 && h.wire === 0) out.type = ONNX_TYPES[h.value] ?? `type ${h.value}`;
          else if (h.no === 2 && h.wire === 2) {
            out.shape = [];
            const sh = tt.sub(h);
            while (!sh.done) {
              const d = sh.field();
              if (d.no !== 1 || d.wire !== 2) continue;
              const dr = sh.sub(d);
              let dim: number | string | null = null;
              while (!dr.done) {
                const e = dr.field();
                if (e.no === 1 && e.wire === 0) dim = e.value;
                else if (e.no === 2 && e.wire === 2) dim = dr.text(e);
              }
              out.shape.push(dim);
            }
          }
        }
      }
      if (!tensor) out.type = 'non-tensor';
    }
  }
  return out;
}

/** Inputs, outputs, opsets and metadata of an ONNX model file's bytes. */
export function readOnnxModel(bytes: Uint8Array): OnnxModelInfo {
  const info: OnnxModelInfo = { irVersion: 0, producer: '', opsets: [], inputs: [], outputs: [], metadata: {}, doc: '' };
  const r = new Reader(bytes);
  let graph = false;
  const inits = new Set<string>();
  const inputs: OnnxValueInfo[] = [];
  while (!r.done) {
    const f = r.field();
    if (f.no === 1 && f.wire === 0) info.irVersion = f.value;
    else if (f.no === 2 && f.wire === 2) info.producer = r.text(f);
    else if (f.no === 6 && f.wire === 2) info.doc = r.text(f);
    else if (f.no === 8 && f.wire === 2) {
      const o = r.sub(f);
      const op = { domain: '', version: 0 };
      while (!o.done) {
        const g = o.field();
        if (g.no === 1 && g.wire === 2) op.domain = o.text(g);
        else if (g.no === 2 && g.wire === 0) op.version = g.value;
      }
      info.opsets.push(op);
    } else if (f.no === 14 && f.wire === 2) {
      const m = r.sub(f);
      let key = '', value = '';
      while (!m.done) {
        const g = m.field();
        if (g.no === 1 && g.wire === 2) key = m.text(g);
        else if (g.no === 2 && g.wire === 2) value = m.text(g);
      }
      info.metadata[key] = value;
    } else if (f.no === 7 && f.wire === 2) {
      graph = true;
      const g = r.sub(f);
      while (!g.done) {
        const h = g.field();
        if (h.no === 11 && h.wire === 2) inputs.push(valueInfo(g.sub(h)));
        else if (h.no === 12 && h.wire === 2) info.outputs.push(valueInfo(g.sub(h)));
        else if (h.no === 5 && h.wire === 2) {
          // initializer: only its name (field 8); IR < 4 lists initializers among the inputs too
          const t = g.sub(h);
          while (!t.done) {
            const e = t.field();
            if (e.no === 8 && e.wire === 2) inits.add(t.text(e));
          }
        }
      }
    }
  }
  if (!graph) throw new OnnxFormatError('no graph (not an ONNX model file?)');
  info.inputs = inputs.filter((v) => !inits.has(v.name));
  return info;
}
