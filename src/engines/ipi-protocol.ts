// The i-PI socket protocol (physics.md section 9), isomorphic: pure encoders/decoders on
// Uint8Array/DataView plus stream readers over an abstract byte source. Sockets live in the Node
// adapters (src/node/ipi-server.ts, src/node/ipi-client.ts); this module is the ONLY place where
// units are converted between the wire (Hartree, bohr, Ha/bohr, virial in Ha) and the public
// units (eV, Å, eV/Å, stress in eV/Å³, tensile-positive).
//
// Wire format
//   header   12 bytes, ASCII upper case, right-padded with spaces ("STATUS      ")
//   numbers  little-endian int32 and float64
//   INIT     header, int32 replica index, int32 L, L bytes
//   POSDATA  header, 9 f64 h (lattice vectors as COLUMNS, flattened row-major, bohr),
//            9 f64 h⁻¹ (same layout, 1/bohr), int32 N, 3N f64 positions (bohr)
//   FORCEREADY header, f64 energy (Ha), int32 N, 3N f64 forces (Ha/bohr),
//            9 f64 virial W (Ha, row-major), int32 L, L bytes of "extra" (often JSON)
import { det3, inv3 } from '../structure/mat3.js';

/** 1 Hartree in eV (physics.md 1.2). */
export const HA_EV = 27.211386246;
/** 1 bohr in Å (physics.md 1.2). */
export const BOHR_A = 0.529177210903;
/**
 * 1 Ha/bohr in eV/Å, computed as HA_EV / BOHR_A = 51.42206747634… (physics.md 1.2 prints it rounded
 * to 9 digits as 51.4220675). The quotient is used so that forces on the wire are exactly the
 * derivative of the energy on the wire in the wire's length unit — which is how every engine (ASE,
 * LAMMPS, Quantum ESPRESSO) converts them; the rounded literal would add a 4.6e-10 relative bias.
 */
export const HA_BOHR_EV_A = HA_EV / BOHR_A;

export const HEADER_BYTES = 12;
/** Messages this implementation sends or accepts. */
export const MESSAGES = ['STATUS', 'READY', 'NEEDINIT', 'HAVEDATA', 'INIT', 'POSDATA', 'GETFORCE', 'FORCEREADY', 'EXIT'] as const;
export type IpiMessage = (typeof MESSAGES)[number];

/** Default safety limits for decoding untrusted input. */
export const DEFAULT_LIMITS = {
  /** Largest number of atoms accepted in a POSDATA or FORCEREADY message. */
  maxAtoms: 1_000_000,
  /** Largest INIT or "extra" string (bytes). */
  maxStringBytes: 1 << 20,
};
export type IpiLimits = typeof DEFAULT_LIMITS;

/** A malformed, unexpected or hostile message. The connection that sent it should be closed. */
export class IpiProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpiProtocolError';
  }
}

// ---------------------------------------------------------------- headers

/** 12 bytes: the message name in ASCII, right-padded with spaces. */
export function encodeHeader(msg: string): Uint8Array {
  if (!/^[A-Z]{1,12}$/.test(msg)) throw new IpiProtocolError(`invalid i-PI message name ${JSON.stringify(msg)}`);
  const out = new Uint8Array(HEADER_BYTES).fill(0x20);
  for (let i = 0; i < msg.length; i++) out[i] = msg.charCodeAt(i);
  return out;
}

/**
 * Decode a 12-byte header. Accepts upper-case ASCII letters followed by padding (spaces; NULs are
 * tolerated as padding because some C clients pad with them) and only the known message names.
 */
export function decodeHeader(bytes: Uint8Array): IpiMessage {
  if (bytes.length !== HEADER_BYTES) throw new IpiProtocolError(`header must be ${HEADER_BYTES} bytes, got ${bytes.length}`);
  let end = 0;
  while (end < HEADER_BYTES && bytes[end] >= 0x41 && bytes[end] <= 0x5a) end++;
  for (let i = end; i < HEADER_BYTES; i++) {
    if (bytes[i] !== 0x20 && bytes[i] !== 0) throw new IpiProtocolError(`malformed header ${printable(bytes)}`);
  }
  const name = String.fromCharCode(...bytes.subarray(0, end));
  if (!(MESSAGES as readonly string[]).includes(name)) throw new IpiProtocolError(`unknown message ${printable(bytes)}`);
  return name as IpiMessage;
}

/** A header (or any bytes) shown safely in an error message. */
export function printable(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes.subarray(0, 24)) s += b >= 0x20 && b < 0x7f && b !== 0x22 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return `"${s}"${bytes.length > 24 ? '…' : ''}`;
}

// ---------------------------------------------------------------- payloads in atomic units

/** POSDATA payload in wire units. */
export interface PosData {
  /** h: lattice vectors as columns, flattened row-major (bohr), 9 numbers. */
  h: Float64Array;
  /** h⁻¹, same layout (1/bohr), 9 numbers. */
  hinv: Float64Array;
  /** Cartesian positions, 3 per atom (bohr). */
  positions: Float64Array;
}

/** FORCEREADY payload in wire units. */
export interface ForceData {
  /** Energy (Ha). */
  energy: number;
  /** Forces, 3 per atom (Ha/bohr). */
  forces: Float64Array;
  /** Virial W (Ha), 3×3 row-major. */
  virial: Float64Array;
  /** The "extra" bytes (often a JSON string). */
  extra: Uint8Array;
}

class Writer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;
  constructor(n: number) {
    this.bytes = new Uint8Array(n);
    this.view = new DataView(this.bytes.buffer);
  }
  header(m: string) {
    this.bytes.set(encodeHeader(m), this.pos);
    this.pos += HEADER_BYTES;
  }
  i32(v: number) {
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }
  f64s(a: ArrayLike<number>) {
    for (let i = 0; i < a.length; i++, this.pos += 8) this.view.setFloat64(this.pos, a[i], true);
  }
  raw(b: Uint8Array) {
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
}

/** A message without payload (STATUS, READY, NEEDINIT, HAVEDATA, GETFORCE, EXIT). */
export function encodeMessage(msg: IpiMessage): Uint8Array {
  return encodeHeader(msg);
}

/** INIT: replica index and an initialization string (at least one byte is sent: empty → one NUL). */
export function encodeInit(replica = 0, init: Uint8Array = new Uint8Array(1)): Uint8Array {
  const data = init.length > 0 ? init : new Uint8Array(1);
  const w = new Writer(HEADER_BYTES + 8 + data.length);
  w.header('INIT');
  w.i32(replica);
  w.i32(data.length);
  w.raw(data);
  return w.bytes;
}

export function encodePosdata(p: PosData): Uint8Array {
  if (p.h.length !== 9 || p.hinv.length !== 9 || p.positions.length % 3 !== 0) throw new IpiProtocolError('POSDATA: h, h⁻¹ need 9 numbers, positions 3 per atom');
  const n = p.positions.length / 3;
  const w = new Writer(HEADER_BYTES + 148 + 24 * n);
  w.header('POSDATA');
  w.f64s(p.h);
  w.f64s(p.hinv);
  w.i32(n);
  w.f64s(p.positions);
  return w.bytes;
}

export function encodeForceReady(f: ForceData): Uint8Array {
  if (f.forces.length % 3 !== 0 || f.virial.length !== 9) throw new IpiProtocolError('FORCEREADY: forces need 3 per atom, the virial 9 numbers');
  const n = f.forces.length / 3;
  const extra = f.extra.length > 0 ? f.extra : new Uint8Array(1);
  const w = new Writer(HEADER_BYTES + 8 + 4 + 24 * n + 72 + 4 + extra.length);
  w.header('FORCEREADY');
  w.f64s([f.energy]);
  w.i32(n);
  w.f64s(f.forces);
  w.f64s(f.virial);
  w.i32(extra.length);
  w.raw(extra);
  return w.bytes;
}

// ---------------------------------------------------------------- stream readers

/** Something that delivers exactly n bytes (or rejects: disconnection, timeout). */
export interface ByteSource {
  read(n: number): Promise<Uint8Array>;
}

/** A ByteSource over an in-memory buffer (tests, decoding whole messages). */
export class BufferSource implements ByteSource {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  async read(n: number): Promise<Uint8Array> {
    if (this.pos + n > this.bytes.length) throw new IpiProtocolError(`message truncated: wanted ${n} bytes at offset ${this.pos}, have ${this.bytes.length - this.pos}`);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function f64array(b: Uint8Array): Float64Array {
  const v = dv(b);
  const out = new Float64Array(b.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = v.getFloat64(8 * i, true);
  return out;
}

async function readI32(src: ByteSource): Promise<number> {
  return dv(await src.read(4)).getInt32(0, true);
}

export async function readHeader(src: ByteSource): Promise<IpiMessage> {
  return decodeHeader(await src.read(HEADER_BYTES));
}

async function readLength(src: ByteSource, what: string, max: number): Promise<number> {
  const n = await readI32(src);
  if (n < 0 || n > max) throw new IpiProtocolError(`${what} ${n} is outside [0, ${max}]`);
  return n;
}

/** INIT payload (after the header). */
export async function readInitPayload(src: ByteSource, limits: IpiLimits = DEFAULT_LIMITS): Promise<{ replica: number; init: Uint8Array }> {
  const replica = await readI32(src);
  const n = await readLength(src, 'INIT string length', limits.maxStringBytes);
  return { replica, init: n > 0 ? await src.read(n) : new Uint8Array(0) };
}

/** POSDATA payload (after the header). */
export async function readPosdataPayload(src: ByteSource, limits: IpiLimits = DEFAULT_LIMITS): Promise<PosData> {
  const h = f64array(await src.read(72));
  const hinv = f64array(await src.read(72));
  const n = await readLength(src, 'POSDATA atom count', limits.maxAtoms);
  const positions = f64array(await src.read(24 * n));
  return { h, hinv, positions };
}

/**
 * FORCEREADY payload (after the header). `natoms`, when given, must match the count on the wire
 * (checked BEFORE the forces are read, so a hostile length never allocates).
 */
export async function readForceReadyPayload(src: ByteSource, natoms?: number, limits: IpiLimits = DEFAULT_LIMITS): Promise<ForceData> {
  const energy = dv(await src.read(8)).getFloat64(0, true);
  const n = await readI32(src);
  if (natoms !== undefined && n !== natoms) throw new IpiProtocolError(`FORCEREADY for ${n} atoms, but ${natoms} atoms were sent`);
  if (n < 0 || n > limits.maxAtoms) throw new IpiProtocolError(`FORCEREADY atom count ${n} is outside [0, ${limits.maxAtoms}]`);
  const forces = f64array(await src.read(24 * n));
  const virial = f64array(await src.read(72));
  const m = await readLength(src, 'FORCEREADY extra-string length', limits.maxStringBytes);
  const extra = m > 0 ? await src.read(m) : new Uint8Array(0);
  return { energy, forces, virial, extra };
}

/** Decode one whole message (header + payload) from bytes; the buffer must hold exactly one message. */
export async function decodeMessage(
  bytes: Uint8Array,
  limits: IpiLimits = DEFAULT_LIMITS,
): Promise<
  | { type: 'INIT'; replica: number; init: Uint8Array }
  | { type: 'POSDATA'; data: PosData }
  | { type: 'FORCEREADY'; data: ForceData }
  | { type: Exclude<IpiMessage, 'INIT' | 'POSDATA' | 'FORCEREADY'> }
> {
  const src = new BufferSource(bytes);
  const type = await readHeader(src);
  let out;
  if (type === 'INIT') out = { type, ...(await readInitPayload(src, limits)) } as const;
  else if (type === 'POSDATA') out = { type, data: await readPosdataPayload(src, limits) } as const;
  else if (type === 'FORCEREADY') out = { type, data: await readForceReadyPayload(src, undefined, limits) } as const;
  else out = { type } as const;
  if (src.remaining !== 0) throw new IpiProtocolError(`${src.remaining} bytes after the ${type} message`);
  return out;
}

// ---------------------------------------------------------------- unit conversion

/** Our cell (rows = lattice vectors, Å) and Cartesian positions (Å) → POSDATA in bohr. */
export function toWirePositions(cell: ArrayLike<number>, cartesian: ArrayLike<number>): PosData {
  const h = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) h[3 * i + j] = cell[3 * j + i] / BOHR_A; // transpose: vectors as columns
  const hinv = inv3(h);
  const positions = new Float64Array(cartesian.length);
  for (let i = 0; i < positions.length; i++) positions[i] = cartesian[i] / BOHR_A;
  return { h, hinv, positions };
}

/** POSDATA (bohr) → our cell (rows, Å) and Cartesian positions (Å). */
export function fromWirePositions(p: PosData): { cell: Float64Array; cartesian: Float64Array } {
  const cell = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) cell[3 * i + j] = p.h[3 * j + i] * BOHR_A;
  const cartesian = new Float64Array(p.positions.length);
  for (let i = 0; i < cartesian.length; i++) cartesian[i] = p.positions[i] * BOHR_A;
  return { cell, cartesian };
}

/** Volume (Å³) of a row-convention cell in Å. */
export const cellVolume = (cell: ArrayLike<number>): number => Math.abs(det3(Array.from(cell)));

/**
 * Our result (eV, eV/Å, σ in eV/Å³ tensile-positive) → FORCEREADY (Ha, Ha/bohr, W = −Ωσ in Ha).
 * Without a stress the virial is sent as zeros.
 */
export function toWireForces(
  r: { energy: number; forces: ArrayLike<number>; stress?: ArrayLike<number> },
  volume: number,
  extra: Uint8Array = new Uint8Array(1),
): ForceData {
  const forces = new Float64Array(r.forces.length);
  for (let i = 0; i < forces.length; i++) forces[i] = r.forces[i] / HA_BOHR_EV_A;
  const virial = new Float64Array(9);
  if (r.stress) for (let i = 0; i < 9; i++) virial[i] = (-volume * r.stress[i]) / HA_EV;
  return { energy: r.energy / HA_EV, forces, virial, extra };
}

/** FORCEREADY → energy (eV), forces (eV/Å), stress σ = −W/Ω (eV/Å³, tensile-positive) and the extra string. */
export function fromWireForces(f: ForceData, volume: number): { energy: number; forces: Float64Array; stress: Float64Array; extra: string } {
  const forces = new Float64Array(f.forces.length);
  for (let i = 0; i < forces.length; i++) forces[i] = f.forces[i] * HA_BOHR_EV_A;
  // The virial is symmetric, but engines written for i-PI's upper-triangular cells may send only the
  // upper triangle (LAMMPS `fix ipi` leaves W_yx, W_zx, W_zy at 0): mirror it in that case, otherwise
  // take the symmetric part.
  const W = f.virial;
  const upperOnly = W[3] === 0 && W[6] === 0 && W[7] === 0 && (W[1] !== 0 || W[2] !== 0 || W[5] !== 0);
  const stress = new Float64Array(9);
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++) {
      const w = upperOnly ? W[3 * Math.min(a, b) + Math.max(a, b)] : 0.5 * (W[3 * a + b] + W[3 * b + a]);
      stress[3 * a + b] = -(w * HA_EV) / volume;
    }
  return { energy: f.energy * HA_EV, forces, stress, extra: decodeExtra(f.extra) };
}

/** The extra bytes as text, without trailing NUL padding ("" for the customary single NUL). */
export function decodeExtra(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, end));
}
