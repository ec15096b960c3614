import { describe, expect, it } from 'vitest';
import { readExtxyz, writeExtxyz, type ExtxyzFrameInput } from '../../src/io/extxyz.js';
import { Structure } from '../../src/structure/structure.js';
import { expectParseError } from '../helpers/expect.js';
import { structureFixture } from '../helpers/fixtures.js';

// Reference: ase.io.read('ase_frames.extxyz', index=':') (ASE 3.22), file written by ase.io.write with
// SinglePointCalculator results; see test/fixtures/scripts/make_structure_fixtures.py.
interface FrameJson {
  symbols: string[];
  cell: number[][];
  positions: number[][];
  pbc: boolean[];
  energy: number | null;
  forces: number[][] | null;
  stress: number[][] | null;
  info: Record<string, unknown>;
  arrays: Record<string, unknown[]>;
}
const ref = JSON.parse(structureFixture('extxyz_reference.json')) as { files: Record<string, FrameJson[]> };

const bitEqual = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`element ${i}: ${a[i]} !== ${b[i]}`);
};

describe('extended XYZ written by ASE', () => {
  const frames = readExtxyz(structureFixture('ase_frames.extxyz'), 'ase_frames.extxyz');
  const want = ref.files['ase_frames.extxyz'];

  it('reads every frame with the numbers ASE reads: cell, positions, energy, forces, stress', () => {
    expect(frames.length).toBe(want.length);
    frames.forEach((f, k) => {
      const w = want[k];
      expect([...f.structure.species]).toEqual(w.symbols);
      bitEqual(f.structure.cell, w.cell.flat());
      const x = f.structure.cartesian();
      w.positions.flat().forEach((v, i) => expect(Math.abs(x[i] - v)).toBeLessThan(1e-12));
      expect(f.pbc).toEqual(w.pbc);
      if (w.energy === null) expect(f.energy).toBeUndefined();
      else expect(f.energy).toBe(w.energy);
      if (w.forces === null) expect(f.forces).toBeUndefined();
      else bitEqual(f.forces!, w.forces.flat());
      if (w.stress === null) expect(f.stress).toBeUndefined();
      else bitEqual(f.stress!, w.stress.flat());
    });
  });

  it('keeps the other key=value pairs and per-atom columns with their types', () => {
    const [f0, f1, f2] = frames;
    expect(f0.info.get('config_type')).toBe('rattled diamond');
    expect(f0.info.get('temperature')).toBe(300);
    expect(f0.integerKeys!.has('temperature')).toBe(false);
    expect(f0.info.get('step')).toBe(12);
    expect(f0.integerKeys!.has('step')).toBe(true);
    expect(f0.info.get('kpts')).toEqual([4, 4, 4]);
    expect(f0.info.get('converged')).toBe(true);
    for (const [k, v] of Object.entries(want[0].info)) if (k !== 'energy' && k !== 'stress') expect(f0.info.get(k), k).toEqual(v);
    expect(f1.info.get('spacegroup')).toBe('I m -3 m');
    expect(f1.arrays.get('tags2')).toEqual({ type: 'I', ncols: 1, values: want[1].arrays.tags2 });
    expect(f1.arrays.get('spacegroup_kinds')!.values).toEqual(want[1].arrays.spacegroup_kinds);
    expect(f2.energy).toBeUndefined();
    expect(f2.structure.natoms).toBe(6);
  });
});

describe('extended XYZ round trips', () => {
  const s = new Structure({
    cell: [3.1234567890123457, 0.1, -0.2, 0.3, 4.2, 1e-17, -1.25, 0.5, 5.0000000000000009],
    species: ['H', 'D', 'S'],
    frac: [0.1, 0.2, 0.3, 1 / 3, 2 / 3, 0.999999999999, 0.5, 0.5, 0.5],
  });
  const frame: ExtxyzFrameInput = {
    structure: s,
    energy: -35.123456789012345,
    forces: [0.1, -0.2, 1e-9, 1 / 3, 2 / 3, -1, 0, -0, 123.456],
    stress: [0.01, 0.002, -0.003, 0.002, -0.5, 1 / 7, -0.003, 1 / 7, 1e-12],
    info: new Map<string, string | number | boolean | number[] | boolean[]>([
      ['config_type', 'a "quoted" name with spaces\\'],
      ['temperature', 300],
      ['step', 12],
      ['flags', [true, false, true]],
      ['vec', [1.5, -2.25, 3]],
      ['ok', false],
    ]),
    integerKeys: new Set(['step']),
    arrays: new Map([
      ['tags', { type: 'I' as const, ncols: 1, values: [1, 2, 3] }],
      ['moved', { type: 'L' as const, ncols: 1, values: [true, false, true] }],
      ['name', { type: 'S' as const, ncols: 1, values: ['a', 'b', 'c'] }],
      ['magmom', { type: 'R' as const, ncols: 3, values: [0, 0, 0.5, 0, 0, -0.5, 1e-20, 0, 0] }],
    ]),
  };

  it('write → read gives identical energy, forces, stress, cell, masses, info and arrays', () => {
    const text = writeExtxyz([frame, { structure: s }]);
    const [f, g] = readExtxyz(text, 'rt.xyz');
    expect(f.energy).toBe(frame.energy);
    bitEqual(f.forces!, frame.forces!);
    bitEqual(f.stress!, frame.stress!);
    bitEqual(f.structure.cell, s.cell);
    bitEqual(f.structure.masses, s.masses); // D mass kept through a masses column
    expect([...f.info]).toEqual([...(frame.info as Map<string, unknown>)]);
    expect([...f.integerKeys!]).toEqual(['step']);
    expect([...f.arrays]).toEqual([...frame.arrays!]);
    // Positions go through Cartesian coordinates: equal to a few ulps.
    const a = s.cartesian(), b = f.structure.cartesian();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-15 * 8);
    for (let i = 0; i < a.length; i++) expect(Math.abs(s.frac[i] - f.structure.frac[i])).toBeLessThan(1e-15 * 4);
    expect(g.energy).toBeUndefined();
    expect(g.forces).toBeUndefined();
    // Numbers typed as in the input: temperature is written as a real, step as an integer.
    expect(text).toMatch(/ temperature=300\.0 /);
    expect(text).toMatch(/ step=12 /);
    expect(text).toMatch(/stress="0\.01 0\.002 -0\.003 0\.002 -0\.5 /);
  });

  it('a 6-number (Voigt xx yy zz yz xz xy) stress on input becomes the symmetric 3×3', () => {
    const text = '1\nLattice="2 0 0 0 2 0 0 0 2" Properties=species:S:1:pos:R:3 stress="1 2 3 4 5 6"\nH 0 0 0\n';
    expect(Array.from(readExtxyz(text, 'v.xyz')[0].stress!)).toEqual([1, 6, 5, 6, 2, 4, 5, 4, 3]);
    const w = writeExtxyz({ structure: s, stress: [1, 2, 3, 4, 5, 6] });
    expect(w).toContain('stress="1.0 6.0 5.0 6.0 2.0 4.0 5.0 4.0 3.0"');
  });

  it('reads bare keys, braces, brackets, escaped quotes, spaces around "=" and a Z column', () => {
    const text =
      '2\n' +
      'Lattice = "3 0 0 0 3 0 0 0 3" Properties=Z:I:1:pos:R:3 is_bulk kpts={2 2 1} list=[1.5, 2.5] name="x \\"y\\" z" pbc="T T T"\n' +
      '16 0 0 0\n1 1.5 1.5 1.5\n\n\n';
    const [f] = readExtxyz(text, 'k.xyz');
    expect([...f.structure.species]).toEqual(['S', 'H']);
    expect(f.info.get('is_bulk')).toBe(true);
    expect(f.info.get('kpts')).toEqual([2, 2, 1]);
    expect(f.info.get('list')).toEqual([1.5, 2.5]);
    expect(f.info.get('name')).toBe('x "y" z');
    expect(f.pbc).toEqual([true, true, true]);
    // Crystals only: a frame with a non-periodic direction is refused, naming the line.
    expect(() => readExtxyz(text.replace('pbc="T T T"', 'pbc="T T F"'), 'slab.xyz')).toThrow(
      /slab\.xyz:2: .*non-periodic directions are not supported/,
    );
  });
});

describe('malformed extended XYZ names file, line and reason', () => {
  const head = 'Lattice="3 0 0 0 3 0 0 0 3" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.5';
  const good = ['2', head, 'S 0 0 0 0.1 0.2 0.3', 'H 1.5 1.5 1.5 -0.1 -0.2 -0.3'];
  const text = (l: string[]) => l.join('\n') + '\n';
  const edit = (i: number, v: string) => {
    const l = [...good];
    l[i - 1] = v;
    return text(l);
  };
  it('the good file reads, also as two frames', () => {
    expect(readExtxyz(text(good), 'f.xyz')[0].forces![5]).toBe(-0.3);
    expect(readExtxyz(text([...good, ...good]), 'f.xyz').length).toBe(2);
  });
  it.each([
    ['bad atom count', edit(1, 'two'), 1, /expected the number of atoms of frame 1, got "two"/],
    ['no Lattice', edit(2, 'Properties=species:S:1:pos:R:3:forces:R:3'), 2, /has no Lattice= \(non-periodic frames are not supported\)/],
    ['short Lattice', edit(2, head.replace('0 0 3"', '0 3"')), 2, /Lattice must have 9 numbers/],
    ['bad Properties type', edit(2, head.replace('forces:R:3', 'forces:X:3')), 2, /property "forces" has unknown type "X"/],
    ['Properties without pos', edit(2, head.replace('pos:R:3', 'p:R:3')), 2, /must contain pos:R:3/],
    ['unterminated quote', edit(2, head.replace('0 0 3"', '0 0 3')), 2, /unterminated double-quoted string/],
    ['bad energy', edit(2, head.replace('-1.5', 'low')), 2, /energy must be a number, got "low"/],
    ['bad stress', edit(2, head + ' stress="1 2 3 4 5"'), 2, /stress must have 9 numbers \(3×3\) or 6 \(Voigt/],
    ['missing columns', edit(4, 'H 1.5 1.5 1.5 -0.1'), 4, /expected 7 columns \(species:S:1 pos:R:3 forces:R:3\), got 5/],
    ['bad real', edit(3, 'S 0 0 0 0.1 x 0.3'), 3, /column 6 \(forces\): expected a real number, got "x"/],
    ['unknown species', edit(4, 'Qq 1.5 1.5 1.5 -0.1 -0.2 -0.3'), 4, /unknown species "Qq" \(atom 2 of frame 1\)/],
    ['too few atom lines', text(good.slice(0, 3)), 4, /unexpected end of file: expected 2 atom lines in frame 1, got 1/],
    ['no comment line', '3\n', 2, /expected the comment line of frame 1/],
    ['blank line between frames', text([...good, '', ...good]), 5, /blank line where the atom count of frame 2 was expected/],
    ['duplicate key', edit(2, head + ' a=1 a=2'), 2, /key "a" appears twice/],
  ])('%s', (_n, t, line, reason) => {
    expectParseError(() => readExtxyz(t as string, 'f.xyz'), 'f.xyz', line as number, reason as RegExp);
  });
  it('an empty file', () => {
    expectParseError(() => readExtxyz('\n', 'e.xyz'), 'e.xyz', undefined, /no frames/);
  });
  it('the writer refuses bad input instead of writing an unreadable file', () => {
    const s = new Structure({ cell: [3, 0, 0, 0, 3, 0, 0, 0, 3], species: ['H'], frac: [0, 0, 0] });
    expect(() => writeExtxyz({ structure: s, forces: [1, 2] })).toThrow(/forces must have 3 numbers/);
    expect(() => writeExtxyz({ structure: s, info: { 'bad key': 1 } })).toThrow(/info key "bad key" cannot be written/);
    expect(() => writeExtxyz({ structure: s, info: { x: NaN } })).toThrow(/non-finite/);
    expect(() => writeExtxyz({ structure: s, arrays: new Map([['n', { type: 'S' as const, ncols: 1, values: ['a b'] }]]) })).toThrow(/one non-empty token/);
  });
});
