// The i-PI wire format (physics.md 9.2-9.3): byte-exact encoders/decoders, hand-written byte
// fixtures, hostile lengths, and the unit conversions (Ha, bohr, Ha/bohr, virial → stress).
import { describe, expect, it } from 'vitest';
import {
  BOHR_A, BufferSource, HA_BOHR_EV_A, HA_EV, IpiProtocolError, decodeHeader, decodeMessage, encodeForceReady, encodeHeader,
  encodeInit, encodeMessage, encodePosdata, fromWireForces, fromWirePositions, readForceReadyPayload, readPosdataPayload,
  toWireForces, toWirePositions,
} from '../../src/engines/ipi-protocol.js';
import { Structure } from '../../src/structure/structure.js';

/** Bytes from hex written most-significant first per value, e.g. f64('4000000000000000') = 2.0 little-endian. */
const le = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)).reverse());
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};
const F = {
  zero: '0000000000000000', one: '3ff0000000000000', two: '4000000000000000', four: '4010000000000000', eight: '4020000000000000',
  half: '3fe0000000000000', quarter: '3fd0000000000000', eighth: '3fc0000000000000', mEighth: 'bfc0000000000000',
  mHalf: 'bfe0000000000000', mOneHalf: 'bff8000000000000', three: '4008000000000000',
};

describe('i-PI headers', () => {
  it('are 12 ASCII bytes, upper case, right-padded with spaces', () => {
    expect(Array.from(encodeHeader('STATUS'))).toEqual([83, 84, 65, 84, 85, 83, 32, 32, 32, 32, 32, 32]);
    expect(encodeMessage('FORCEREADY')).toEqual(ascii('FORCEREADY  '));
    for (const m of ['STATUS', 'READY', 'NEEDINIT', 'HAVEDATA', 'INIT', 'POSDATA', 'GETFORCE', 'FORCEREADY', 'EXIT'] as const) {
      expect(decodeHeader(encodeHeader(m))).toBe(m);
    }
    expect(decodeHeader(ascii('READY\0\0\0\0\0\0\0'))).toBe('READY'); // NUL padding of some C clients
  });
  it('reject malformed and unknown headers', () => {
    for (const bad of ['status      ', ' STATUS     ', 'STATUS    X ', 'HELLO WORLD!', 'STATUSSTATUS', '\xff\xfe\x00\x01garbage!']) {
      expect(() => decodeHeader(ascii(bad)), bad).toThrow(IpiProtocolError);
    }
    expect(() => decodeHeader(ascii('STATUS'))).toThrow(/12 bytes/);
    expect(() => encodeHeader('status')).toThrow(IpiProtocolError);
    expect(() => encodeHeader('THIRTEENCHARS')).toThrow(IpiProtocolError);
  });
});

describe('i-PI messages, byte-exact', () => {
  // cell (bohr) with lattice vectors a1 = (2,0,0), a2 = (1,4,0), a3 = (0,0,8): h has them as columns
  const h = [2, 1, 0, 0, 4, 0, 0, 0, 8];
  const hinv = [0.5, -0.125, 0, 0, 0.25, 0, 0, 0, 0.125];
  const POSDATA_BYTES = cat(
    ascii('POSDATA     '),
    ...[F.two, F.one, F.zero, F.zero, F.four, F.zero, F.zero, F.zero, F.eight].map(le),
    ...[F.half, F.mEighth, F.zero, F.zero, F.quarter, F.zero, F.zero, F.zero, F.eighth].map(le),
    le('00000002'),
    ...[F.one, F.two, F.half, F.mHalf, F.zero, F.three].map(le),
  );
  const FORCEREADY_BYTES = cat(
    ascii('FORCEREADY  '),
    le(F.mOneHalf), // energy -1.5 Ha
    le('00000001'), // natoms 1
    ...[F.quarter, F.mHalf, F.one].map(le), // forces
    ...[F.one, F.half, F.zero, F.half, F.two, F.zero, F.zero, F.zero, F.three].map(le), // virial, row-major
    le('00000002'),
    ascii('{}'),
  );

  it('POSDATA matches the hand-written fixture (h columns row-major, h⁻¹, int32 N, positions) and decodes back', async () => {
    const enc = encodePosdata({ h: Float64Array.from(h), hinv: Float64Array.from(hinv), positions: Float64Array.from([1, 2, 0.5, -0.5, 0, 3]) });
    expect(enc.length).toBe(12 + 72 + 72 + 4 + 48);
    expect(enc).toEqual(POSDATA_BYTES);
    const d = await decodeMessage(POSDATA_BYTES);
    expect(d.type).toBe('POSDATA');
    if (d.type !== 'POSDATA') return;
    expect(Array.from(d.data.h)).toEqual(h);
    expect(Array.from(d.data.hinv)).toEqual(hinv);
    expect(Array.from(d.data.positions)).toEqual([1, 2, 0.5, -0.5, 0, 3]);
    expect(encodePosdata(d.data)).toEqual(POSDATA_BYTES);
  });

  it('FORCEREADY matches the hand-written fixture (energy, N, forces, virial, extra length + bytes) and decodes back', async () => {
    const enc = encodeForceReady({
      energy: -1.5, forces: Float64Array.from([0.25, -0.5, 1]), virial: Float64Array.from([1, 0.5, 0, 0.5, 2, 0, 0, 0, 3]), extra: ascii('{}'),
    });
    expect(enc).toEqual(FORCEREADY_BYTES);
    const d = await decodeMessage(FORCEREADY_BYTES);
    if (d.type !== 'FORCEREADY') throw new Error(d.type);
    expect(d.data.energy).toBe(-1.5);
    expect(Array.from(d.data.forces)).toEqual([0.25, -0.5, 1]);
    expect(Array.from(d.data.virial)).toEqual([1, 0.5, 0, 0.5, 2, 0, 0, 0, 3]);
    expect(new TextDecoder().decode(d.data.extra)).toBe('{}');
    expect(encodeForceReady(d.data)).toEqual(FORCEREADY_BYTES);
  });

  it('INIT carries the replica index and at least one byte', async () => {
    expect(encodeInit(0)).toEqual(cat(ascii('INIT        '), le('00000000'), le('00000001'), new Uint8Array(1)));
    expect(encodeInit(3, new Uint8Array(0)).length).toBe(12 + 8 + 1);
    const d = await decodeMessage(encodeInit(7, ascii('<init/>')));
    expect(d).toEqual({ type: 'INIT', replica: 7, init: ascii('<init/>') });
  });

  it('random round trips are bit-exact (encode → decode → encode)', async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 1e3;
    for (const n of [1, 2, 7, 100]) {
      const forces = Float64Array.from({ length: 3 * n }, rnd);
      const f = { energy: rnd(), forces, virial: Float64Array.from({ length: 9 }, rnd), extra: ascii(JSON.stringify({ n, u: 'ü' })) };
      const b = encodeForceReady(f);
      const d = await decodeMessage(b);
      if (d.type !== 'FORCEREADY') throw new Error(d.type);
      expect(d.data).toEqual(f);
      expect(encodeForceReady(d.data)).toEqual(b);
      const p = { h: Float64Array.from({ length: 9 }, rnd), hinv: Float64Array.from({ length: 9 }, rnd), positions: Float64Array.from({ length: 3 * n }, rnd) };
      const pb = encodePosdata(p);
      const pd = await decodeMessage(pb);
      if (pd.type !== 'POSDATA') throw new Error(pd.type);
      expect(pd.data).toEqual(p);
    }
  });

  it('hostile lengths are rejected before anything is allocated or read', async () => {
    const fr = (natoms: string, extraLen?: string) => {
      const head = cat(le(F.one), le(natoms));
      return extraLen === undefined ? head : cat(le(F.one), le('00000001'), new Uint8Array(24 + 72), le(extraLen));
    };
    await expect(readForceReadyPayload(new BufferSource(fr('7fffffff')), 2)).rejects.toThrow(/2147483647 atoms, but 2 atoms were sent/);
    await expect(readForceReadyPayload(new BufferSource(fr('ffffffff')))).rejects.toThrow(/outside/);
    await expect(readForceReadyPayload(new BufferSource(fr('00000001', '7fffffff')), 1)).rejects.toThrow(/extra-string length 2147483647/);
    await expect(readForceReadyPayload(new BufferSource(fr('00000001', 'ffffffff')), 1)).rejects.toThrow(/extra-string length -1/);
    await expect(readPosdataPayload(new BufferSource(cat(new Uint8Array(144), le('40000000'))))).rejects.toThrow(/atom count 1073741824/);
    await expect(decodeMessage(cat(encodeMessage('STATUS'), new Uint8Array(1)))).rejects.toThrow(/1 bytes after/);
    await expect(decodeMessage(encodeHeader('POSDATA'))).rejects.toThrow(/truncated/);
  });
});

describe('unit conversion (only in the protocol module)', () => {
  it('uses physics.md 1.2: Ha 27.211386246 eV, bohr 0.529177210903 Å, Ha/bohr = their quotient ≈ 51.4220675 eV/Å', () => {
    expect(HA_EV).toBe(27.211386246);
    expect(BOHR_A).toBe(0.529177210903);
    expect(Math.abs(HA_BOHR_EV_A / 51.4220675 - 1)).toBeLessThan(1e-9);
  });

  const s = new Structure({
    cell: [4.1, 0.2, -0.3, 0.7, 3.9, 0.1, -0.4, 0.5, 5.2],
    species: ['Si', 'O', 'O'],
    frac: [0.1, 0.2, 0.3, 0.6, 0.4, 0.9, 0.33, 0.77, 0.05],
  });

  it('POSDATA: the cell is sent transposed (lattice vectors as columns), in bohr, with its inverse', () => {
    const p = toWirePositions(s.cell, s.cartesian());
    // h[row α, column j] = a_j,α
    for (let j = 0; j < 3; j++) for (let al = 0; al < 3; al++) expect(p.h[3 * al + j]).toBeCloseTo(s.cell[3 * j + al] / BOHR_A, 14);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let x = 0;
        for (let k = 0; k < 3; k++) x += p.h[3 * i + k] * p.hinv[3 * k + j];
        expect(x).toBeCloseTo(i === j ? 1 : 0, 14);
      }
    const back = fromWirePositions(p);
    const x = s.cartesian();
    for (let i = 0; i < 9; i++) expect(Math.abs(back.cell[i] - s.cell[i])).toBeLessThan(1e-15 * 6);
    for (let i = 0; i < x.length; i++) expect(Math.abs(back.cartesian[i] - x[i])).toBeLessThan(1e-15 * 6);
  });

  it('FORCEREADY: E, f, and σ = −W/Ω (tensile-positive) round-trip to 1e-15 relative', () => {
    const r = { energy: -12.345, forces: Float64Array.from([0.1, -0.2, 0.3, 1.5, 0, -2.25, -1.6, 0.2, 1.95]), stress: Float64Array.from([0.01, 0.002, -0.003, 0.002, -0.02, 0.004, -0.003, 0.004, 0.015]) };
    const V = s.volume;
    const w = toWireForces(r, V);
    expect(w.energy).toBe(-12.345 / 27.211386246);
    expect(w.forces[0]).toBe(0.1 / HA_BOHR_EV_A);
    // virial in Ha, not divided by the volume; a compressed cell (σ < 0) has a positive virial
    expect(w.virial[4]).toBeCloseTo((0.02 * V) / HA_EV, 15);
    expect(w.virial[4]).toBeGreaterThan(0);
    const b = fromWireForces(w, V);
    expect(Math.abs(b.energy / r.energy - 1)).toBeLessThan(1e-15);
    for (let i = 0; i < 9; i++) expect(Math.abs(b.forces[i] - r.forces[i])).toBeLessThan(1e-15 * 3);
    for (let i = 0; i < 9; i++) expect(Math.abs(b.stress[i] - r.stress[i])).toBeLessThan(1e-17 * 3);
    expect(b.extra).toBe(''); // the customary single NUL
  });
});
