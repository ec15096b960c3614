import { describe, expect, it } from 'vitest';
import { readPoscar, writePoscar } from '../../src/io/poscar.js';
import { det3 } from '../../src/structure/mat3.js';
import { Structure } from '../../src/structure/structure.js';
import { expectParseError } from '../helpers/expect.js';
import { structureFixture } from '../helpers/fixtures.js';

// Reference: ase.io.read(file, format='vasp') for every fixture (ASE 3.22); files written by ASE and pymatgen.
interface AtomsJson {
  symbols: string[];
  cell: number[][];
  positions: number[][];
  scaled_positions: number[][];
}
const ref = JSON.parse(structureFixture('poscar_reference.json')) as {
  files: Record<string, { ase: AtomsJson; selective: boolean[][] | null }>;
};

const bitEqual = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`element ${i}: ${a[i]} !== ${b[i]}`);
};

describe('POSCAR fixtures written by ASE and pymatgen', () => {
  it.each(Object.keys(ref.files))('%s reads like ASE reads it', (name) => {
    const r = ref.files[name];
    const d = readPoscar(structureFixture(name), name);
    const s = d.structure;
    expect([...s.species]).toEqual(r.ase.symbols);
    bitEqual(s.cell, r.ase.cell.flat());
    const x = s.cartesian();
    r.ase.positions.flat().forEach((v, k) => expect(Math.abs(x[k] - v)).toBeLessThan(1e-12));
    r.ase.scaled_positions.flat().forEach((v, k) => expect(Math.abs(s.frac[k] - v)).toBeLessThan(1e-13));
    if (r.selective) expect(d.selectiveDynamics).toEqual(r.selective);
    else expect(d.selectiveDynamics).toBeUndefined();
  });

  it('recognizes VASP 4 files and takes species from the comment line or from the caller', () => {
    const text = structureFixture('gete_vasp4.POSCAR');
    const d = readPoscar(text, 'gete_vasp4.POSCAR');
    expect(d.vasp5).toBe(false);
    expect([...d.structure.composition()]).toEqual([['Ge', 3], ['Te', 3]]);
    // Without the species in the comment line the caller must give them.
    const noComment = 'GeTe R3m\n' + text.split('\n').slice(1).join('\n');
    expectParseError(() => readPoscar(noComment, 'POSCAR'), 'POSCAR', 6, /VASP 4 format \(no species line\).*pass species names/);
    const given = readPoscar(noComment, 'POSCAR', { species: ['Ge', 'Te'] });
    expect([...given.structure.species]).toEqual([...d.structure.species]);
    expectParseError(() => readPoscar(noComment, 'POSCAR', { species: ['Ge'] }), 'POSCAR', 6, /2 atom counts but 1 species names/);
  });

  it('the selective-dynamics file is Cartesian and its flags follow ASE constraints', () => {
    const d = readPoscar(structureFixture('lowsym_cart_selective.vasp'), 'x.vasp');
    expect(d.coordinates).toBe('cartesian');
    expect(d.selectiveDynamics![0]).toEqual([false, false, false]);
    expect(d.selectiveDynamics![5]).toEqual([false, true, false]);
  });
});

describe('POSCAR round trips', () => {
  const s = new Structure({
    cell: [3.1234567890123457, 0.1, -0.2, 0.3, 4.2, 1e-17, -1.25, 0.5, 5.0000000000000009],
    species: ['H', 'H', 'S', 'H', 'Fe'],
    frac: [0.1, 0.2, 0.3, 1 / 3, 2 / 3, 0.999999999999, 0.5, 0.5, 0.5, -0.25, 1.5, 1e-300, 0.7, 0.123456789012345678, 0.9],
  });

  it('Direct: write → read gives bit-identical cell and fractional coordinates, atom order kept', () => {
    const text = writePoscar(s, { comment: 'test' });
    const d = readPoscar(text, 'POSCAR');
    bitEqual(d.structure.cell, s.cell);
    bitEqual(d.structure.frac, s.frac);
    expect([...d.structure.species]).toEqual([...s.species]);
    expect(text.split('\n')[5].trim().split(/\s+/)).toEqual(['H', 'S', 'H', 'Fe']);
    // A second round trip writes the same text.
    expect(writePoscar(d.structure, { comment: 'test' })).toBe(text);
  });

  it('Cartesian with selective dynamics: flags identical, positions to 1e-14 relative', () => {
    const sel = s.species.map((_, i) => [i % 2 === 0, true, i % 3 === 0]);
    const text = writePoscar(s, { coordinates: 'cartesian', selectiveDynamics: sel });
    const d = readPoscar(text, 'POSCAR');
    expect(d.selectiveDynamics).toEqual(sel);
    const a = s.cartesian(), b = d.structure.cartesian();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-14 * 10);
  });

  it('VASP 4 output (no species line) reads back through the comment line', () => {
    const text = writePoscar(s, { vasp5: false });
    const d = readPoscar(text, 'POSCAR');
    expect(d.vasp5).toBe(false);
    expect([...d.structure.species]).toEqual([...s.species]);
  });
});

describe('POSCAR scale factors', () => {
  const body = ['1 0 0', '0 1 0', '0 0.5 2', 'H S', '1 1', 'Cartesian', '0.5 0.5 0.5', '0 0 1'];
  it('positive scale multiplies lattice and Cartesian positions', () => {
    const d = readPoscar(['c', '2.5', ...body].join('\n'), 'POSCAR');
    expect(Array.from(d.structure.cell)).toEqual([2.5, 0, 0, 0, 2.5, 0, 0, 1.25, 5]);
    const x = d.structure.cartesian();
    [1.25, 1.25, 1.25, 0, 0, 2.5].forEach((v, k) => expect(x[k]).toBeCloseTo(v, 14));
  });
  it('negative scale is the cell volume', () => {
    const d = readPoscar(['c', '-54', ...body].join('\n'), 'POSCAR');
    expect(d.structure.volume).toBeCloseTo(54, 12);
    expect(det3(d.structure.cell)).toBeCloseTo(54, 12);
    expect(d.structure.cell[0]).toBeCloseTo(3, 14); // (54 / 2)^(1/3) = 3
    const x = d.structure.cartesian();
    expect(x[5]).toBeCloseTo(3, 14);
  });
  it('three scale factors scale the Cartesian x, y, z components', () => {
    const d = readPoscar(['c', '2 3 4', ...body].join('\n'), 'POSCAR');
    expect(Array.from(d.structure.cell)).toEqual([2, 0, 0, 0, 3, 0, 0, 1.5, 8]);
    const x = d.structure.cartesian();
    [1, 1.5, 2, 0, 0, 4].forEach((v, k) => expect(x[k]).toBeCloseTo(v, 14));
  });
});

describe('malformed POSCAR input names file, line and reason', () => {
  const good = ['H3S', '1.0', '3.09 0 0', '0 3.09 0', '0 0 3.09', 'S H', '1 3', 'Direct', '0 0 0', '0 0.5 0.5', '0.5 0 0.5', '0.5 0.5 0'];
  const edit = (i: number, v: string | null) => {
    const l = [...good];
    if (v === null) l.splice(i, 1);
    else l[i] = v;
    return l.join('\n');
  };
  it('the good file reads', () => {
    expect(readPoscar(good.join('\n'), 'POSCAR').structure.natoms).toBe(4);
  });
  it.each([
    ['bad scale', edit(1, 'abc'), 2, /expected the scale factor \(one number, or three\), got "abc"/],
    ['two scales', edit(1, '1.0 2.0'), 2, /expected one scale factor or three/],
    ['zero scale', edit(1, '0'), 2, /must not be zero/],
    ['negative triple scale', edit(1, '1 -1 1'), 2, /must all be positive/],
    ['bad lattice vector', edit(3, '1.0 abc'), 4, /^expected 3 numbers for lattice vector 2, got "1.0 abc"$/],
    ['short lattice vector', edit(4, '1.0 2.0'), 5, /expected 3 numbers for lattice vector 3/],
    ['degenerate lattice', edit(4, '3.09 3.09 0'), 3, /degenerate/],
    ['unknown species', edit(5, 'S Xx'), 6, /unknown species "Xx"/],
    ['count/species mismatch', edit(6, '1 2 1'), 7, /2 species names on line 6 but 3 atom counts/],
    ['bad count', edit(6, '1 x'), 7, /expected atom counts/],
    ['zero atoms', edit(6, '0 0'), 7, /no atoms/],
    ['bad position', edit(10, '0.5 zero 0.5'), 11, /expected 3 numbers for the position of atom 3/],
    ['missing atoms', good.slice(0, 10).join('\n'), 11, /expected position of atom 3 of 4, got end of file/],
    ['blank line inside positions', edit(10, ''), 11, /expected position of atom 3 of 4, got an empty line/],
    ['no coordinate mode', good.slice(0, 7).join('\n'), 8, /unexpected end of file: expected "Direct" or "Cartesian"/],
    ['file ends in lattice', good.slice(0, 3).join('\n'), 4, /unexpected end of file: expected lattice vector 2/],
  ])('%s', (_name, text, line, reason) => {
    expectParseError(() => readPoscar(text as string, 'POSCAR'), 'POSCAR', line as number, reason as RegExp);
  });
  it('bad selective-dynamics flags', () => {
    const l = [...good];
    l.splice(7, 0, 'Selective dynamics');
    l[9] = '0 0 0 T T';
    expectParseError(() => readPoscar(l.join('\n'), 'CONTCAR'), 'CONTCAR', 10, /expected 3 selective-dynamics flags \(T or F\) after the position of atom 1/);
  });
  it('empty file', () => {
    expectParseError(() => readPoscar('\n\n', 'empty.vasp'), 'empty.vasp', undefined, /file is empty/);
  });
  it('POTCAR-style species suffixes are accepted; isotopes keep their mass', () => {
    const d = readPoscar(edit(5, 'S_pv D/abc123'), 'POSCAR');
    expect([...d.structure.species]).toEqual(['S', 'H', 'H', 'H']);
    expect(d.structure.masses[1]).toBe(2.014101778);
  });
});
