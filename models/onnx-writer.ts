// A minimal ONNX file writer: protobuf encoding of ModelProto/GraphProto/NodeProto/TensorProto for
// the handful of fields a small inference graph needs (field numbers from onnx/onnx.proto3, ONNX
// 1.x). Used by make-models.ts to write the project's own models and by the tests to make broken
// ones. Output is deterministic: the same calls give the same bytes on every machine.

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

/** TensorProto.DataType codes. */
export const DATA_TYPE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 };

// ---------------------------------------------------------------------------------------------
// protobuf wire format

class Writer {
  private parts: number[] = [];

  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.parts.push(b);
    } while (x !== 0n);
    return this;
  }
  private tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  float32(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5);
    for (const x of b) this.parts.push(x);
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

// ---------------------------------------------------------------------------------------------
// tensors and attributes

/** Little-endian raw bytes of values in the given dtype. */
function rawData(dtype: DType, values: ArrayLike<number | bigint>): Uint8Array {
  const size = { float32: 4, float64: 8, int64: 8, int32: 4, bool: 1 }[dtype];
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  for (let q = 0; q < values.length; q++) {
    const x = values[q];
    if (dtype === 'float64') v.setFloat64(8 * q, Number(x), true);
    else if (dtype === 'float32') v.setFloat32(4 * q, Number(x), true);
    else if (dtype === 'int64') v.setBigInt64(8 * q, BigInt(x), true);
    else if (dtype === 'int32') v.setInt32(4 * q, Number(x), true);
    else v.setUint8(q, x ? 1 : 0);
  }
  return out;
}

function tensorProto(name: string, dtype: DType, dims: number[], values: ArrayLike<number | bigint>): Writer {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`tensor ${name}: ${values.length} values for dims [${dims}]`);
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, DATA_TYPE[dtype]);
  w.string(8, name);
  w.bytes(9, rawData(dtype, values));
  return w;
}

export type Attr =
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { string: string }
  | { tensor: { dtype: DType; dims: number[]; values: ArrayLike<number | bigint> } };

// AttributeProto.AttributeType codes
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_TENSOR = 4, ATTR_INTS = 7;

function attributeProto(name: string, a: Attr): Writer {
  const w = new Writer().string(1, name);
  if ('int' in a) w.int(3, a.int).int(20, ATTR_INT);
  else if ('ints' in a) {
    for (const x of a.ints) w.int(8, x);
    w.int(20, ATTR_INTS);
  } else if ('float' in a) w.float32(2, a.float).int(20, ATTR_FLOAT);
  else if ('string' in a) w.string(4, a.string).int(20, ATTR_STRING);
  else w.message(5, tensorProto('', a.tensor.dtype, a.tensor.dims, a.tensor.values)).int(20, ATTR_TENSOR);
  return w;
}

function valueInfo(name: string, dtype: DType, dims: (number | string)[]): Writer {
  const shape = new Writer();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d));
  const tensorType = new Writer().int(1, DATA_TYPE[dtype]).message(2, shape);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}

// ---------------------------------------------------------------------------------------------
// graph builder

export interface ModelOptions {
  /** Default-domain opset (17: ScatterND with reduction, ReduceSum with axes as input). */
  opset?: number;
  irVersion?: number;
  producer?: string;
  doc?: string;
  /** metadata_props, written in the order given. */
  metadata?: [string, string][];
}

/** Builds one ONNX graph node by node; names of intermediate values are generated (v1, v2, ...). */
export class GraphBuilder {
  private readonly nodes: Writer[] = [];
  private readonly inits: Writer[] = [];
  private readonly inputs: Writer[] = [];
  private readonly outputs: Writer[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  private fresh(prefix = 'v'): string {
    return `${prefix}${++this.counter}`;
  }

  /** Declare a graph input; dims are sizes or symbolic names ("n_atoms"). */
  input(name: string, dtype: DType, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  /** Declare `value` as the graph output `name` (an Identity node renames it). */
  output(name: string, value: string, dtype: DType, dims: (number | string)[]): void {
    this.node('Identity', [value], {}, [name]);
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  /** A constant tensor (an initializer). */
  constant(dtype: DType, dims: number[], values: ArrayLike<number | bigint>): string {
    const name = this.fresh('c');
    this.inits.push(tensorProto(name, dtype, dims, values));
    return name;
  }

  scalar(dtype: DType, value: number | bigint): string {
    return this.constant(dtype, [], [value]);
  }

  /** Add a node; returns its output names (generated unless given). */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs: string[] | number = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh()) : outputs;
    const w = new Writer();
    for (const x of inputs) w.string(1, x);
    for (const y of outs) w.string(2, y);
    w.string(3, `${op}_${this.nodes.length}`);
    w.string(4, op);
    for (const [k, a] of Object.entries(attrs)) w.message(5, attributeProto(k, a));
    this.nodes.push(w);
    return outs;
  }

  /** Single-output shorthand. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  /** The serialised ModelProto. */
  model(opts: ModelOptions = {}): Uint8Array {
    const g = new Writer();
    for (const n of this.nodes) g.message(1, n);
    g.string(2, this.name);
    for (const t of this.inits) g.message(5, t);
    for (const v of this.inputs) g.message(11, v);
    for (const v of this.outputs) g.message(12, v);
    const m = new Writer();
    m.int(1, opts.irVersion ?? 8);
    m.string(2, opts.producer ?? 'anharmonic-csp models/onnx-writer.ts');
    m.string(3, '1');
    if (opts.doc) m.string(6, opts.doc);
    m.message(7, g);
    m.message(8, new Writer().string(1, '').int(2, opts.opset ?? 17));
    for (const [k, v] of opts.metadata ?? []) m.message(14, new Writer().string(1, k).string(2, v));
    return m.finish();
  }
}
