import { describe, expect, it } from 'vitest';
import { parseSymop, readCif, speciesFromCifName, writeCif } from '../../src/io/cif.js';
import { Structure } from '../../src/structure/structure.js';
import { expectParseError } from '../helpers/expect.js';
import { structureFixture } from '../helpers/fixtures.js';

// Reference: ase.io.read(file) of every CIF (ASE 3.22) plus pymatgen's atom count
// (test/fixtures/scripts/make_structure_fixtures.py). The CIFs were written by ASE (P1, all atoms,
// _space_group_symop_operation_xyz) and by pymatgen's CifWriter(symprec=0.01) (asymmetric unit plus the
// space group's operations in _symmetry_equiv_pos_as_xyz, which we must expand).
interface AtomsJson {
  symbols: string[];
  cell: number[][];
  scaled_positions: number[][];
}
const ref = JSON.parse(structureFixture('cif_reference.json')) as { files: Record<string, { ase: AtomsJson; pymatgen_natoms: number }> };

/** Every atom of `s` matches exactly one reference atom of the same species (periodic, fractional). */
function expectSameAtoms(s: Structure, symbols: string[], frac: number[][], tol = 1e-6) {
  expect(s.natoms).toBe(symbols.length);
  const used = new Set<number>();
  for (let i = 0; i < s.natoms; i++) {
    const f = [s.frac[3 * i], s.frac[3 * i + 1], s.frac[3 * i + 2]];
    for (const x of f) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    const hits = frac
      .map((t, j) => [t, j] as const)
      .filter(([t, j]) => symbols[j] === s.species[i] && t.every((x, a) => Math.abs(x - f[a] - Math.round(x - f[a])) < tol));
    expect(hits.length, `atom ${i + 1} (${s.species[i]} at ${f})`).toBe(1);
    used.add(hits[0][1]);
  }
  expect(used.size).toBe(s.natoms);
}

describe('CIF fixtures written by ASE and pymatgen', () => {
  it.each(Object.keys(ref.files))('%s: atom count, species, cell and positions equal what ASE reads', (name) => {
    const r = ref.files[name];
    const d = readCif(structureFixture(name), name);
    expect(d.structure.natoms).toBe(r.pymatgen_natoms);
    r.ase.cell.flat().forEach((v, k) => expect(Math.abs(d.structure.cell[k] - v)).toBeLessThan(1e-12));
    expectSameAtoms(d.structure, r.ase.symbols, r.ase.scaled_positions);
    expect(d.warnings).toEqual([]);
  });

  it('H3S Im-3m from pymatgen: 2 sites expanded with 96 operations to S2H6, S at 2a and H at 6b', () => {
    const text = structureFixture('h3s_Im-3m_pymatgen.cif');
    expect(text).toContain('_symmetry_equiv_pos_as_xyz');
    const d = readCif(text, 'h3s.cif');
    expect(d.nOperations).toBe(96);
    expect(d.spaceGroup).toBe('Im-3m');
    expect([...d.structure.composition()]).toEqual([['H', 6], ['S', 2]]);
    expect(d.structure.lattice().a).toBe(3.09);
    expectSameAtoms(
      d.structure,
      ['S', 'S', 'H', 'H', 'H', 'H', 'H', 'H'],
      [[0, 0, 0], [0.5, 0.5, 0.5], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]],
      1e-12,
    );
  });

  it('ASE files use the _space_group_symop_operation_xyz loop; pymatgen R3m expands the rhombohedral centring', () => {
    expect(structureFixture('h3s_Im-3m_ase.cif')).toContain('_space_group_symop_operation_xyz');
    const d = readCif(structureFixture('gete_R3m_pymatgen.cif'), 'gete.cif');
    expect(d.nOperations).toBe(18);
    expect(d.structure.natoms).toBe(6);
  });
});

describe('CIF syntax and value handling', () => {
  const base = (extra: string, sites: string, symops = "loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n") =>
    `# comment line\ndata_test\n_cell_length_a 3.09(2)\n_cell_length_b 3.09\n_cell_length_c 3.09\n_cell_angle_alpha 90\n_cell_angle_beta 90.0(1)\n_cell_angle_gamma 90\n${extra}${symops}${sites}`;

  it('uncertainties, charged type symbols, labels only, text fields and quoted strings', () => {
    const text = base(
      `_chemical_name_common 'it''s "quoted"'\n_publ_section_title\n;\nA multi-line\n title with 'quotes' and loop_ inside\n;\n`,
      'loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n' +
        'S1 S2- 0.0000(1) 0.00000 0.0\nH1 H1+ 0.5 0.25(3) .5\n' +
        "loop_\n_atom_site_aniso_label\n_atom_site_aniso_U_11\nS1 0.01\n",
    );
    const d = readCif(text, 't.cif');
    expect([...d.structure.species]).toEqual(['S', 'H']);
    expect(d.structure.labels).toEqual(['S1', 'H1']);
    expect(Array.from(d.structure.frac)).toEqual([0, 0, 0, 0.5, 0.25, 0.5]);
    expect(d.structure.lattice().a).toBe(3.09);

    const labelsOnly = base('', 'loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nCa1a 0 0 0\nOw2 0.5 0.5 0.5\nD3 0.25 0.25 0.25\n');
    const e = readCif(labelsOnly, 'l.cif');
    expect([...e.structure.species]).toEqual(['Ca', 'O', 'H']);
    expect(e.structure.masses[2]).toBe(2.014101778);
  });

  it('expands operations with fractional and decimal translations and merges duplicates within 1e-4', () => {
    const ops = "loop_\n_space_group_symop_id\n_space_group_symop_operation_xyz\n1 'x, y, z'\n2 '-x, -y, -z'\n3 'x+1/2, y+1/2, z+1/2'\n4 '-x+0.5,-y+.5,1/2-z'\n";
    const sites =
      'loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n_atom_site_symmetry_multiplicity\n' +
      'S1 0 0 0 1 2\nH1 0.00003 0.5 0.49998 1.0 4\nH2 0.1 0.2 0.3 0.5 4\n';
    const d = readCif(base('', sites, ops), 'ops.cif');
    // S: 2 images; H1 (on an inversion centre up to 3e-5): 2; H2: general position, 4.
    expect(d.structure.natoms).toBe(2 + 2 + 4);
    expect([...d.structure.species]).toEqual(['S', 'S', 'H', 'H', 'H', 'H', 'H', 'H']);
    const f = Array.from(d.structure.frac.subarray(12, 24)).map((x) => +x.toFixed(12));
    expect(f).toEqual([0.1, 0.2, 0.3, 0.9, 0.8, 0.7, 0.6, 0.7, 0.8, 0.4, 0.3, 0.2]);
    // Multiplicity 4 claimed for H1 but 2 images, and partial occupancy of H2: warnings, not errors.
    expect(d.warnings).toHaveLength(2);
    expect(d.warnings[0]).toMatch(/ops\.cif:\d+: site H1 has multiplicity 4 in the file but 2 images/);
    expect(d.warnings[1]).toMatch(/ops\.cif:\d+: site H2 has occupancy 0\.5; partial occupancy is ignored/);
  });

  it('accepts a single (non-loop) operation item, DDL2-style names, and no operations for P 1', () => {
    const one = base('', 'loop_\n_atom_site.label\n_atom_site.fract_x\n_atom_site.fract_y\n_atom_site.fract_z\nS1 0.1 0.2 0.3\n', "_symmetry_equiv_pos_as_xyz 'x,y,z'\n");
    expect(readCif(one, 'one.cif').structure.natoms).toBe(1);
    const p1 = base("_symmetry_space_group_name_H-M 'P 1'\n", 'loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nS1 0.1 0.2 0.3\n', '');
    expect(readCif(p1, 'p1.cif').nOperations).toBe(1);
  });

  it('parses symmetry operation strings', () => {
    const op = parseSymop('x-y+2/3, -Y, 1/2+Z') as Exclude<ReturnType<typeof parseSymop>, string>;
    expect(Array.from(op.rot)).toEqual([1, -1, 0, 0, -1, 0, 0, 0, 1]);
    expect(Array.from(op.trans)).toEqual([2 / 3, 0, 0.5]);
    expect(parseSymop('x, y')).toMatch(/3 comma-separated/);
    expect(parseSymop('x, y, q')).toMatch(/cannot read component 3/);
    expect(parseSymop('x, y, x')).toMatch(/determinant 0/);
    expect(parseSymop('x, yz, z')).toMatch(/missing \+ or -/);
  });

  it('derives species from type symbols and labels', () => {
    expect(speciesFromCifName('S2-')).toBe('S');
    expect(speciesFromCifName('Fe3+')).toBe('Fe');
    expect(speciesFromCifName('H1')).toBe('H');
    expect(speciesFromCifName('SI')).toBe('Si');
    expect(speciesFromCifName('Hg12')).toBe('Hg');
    expect(speciesFromCifName('Xx')).toBeUndefined();
    expect(speciesFromCifName('12')).toBeUndefined();
  });
});

describe('malformed CIF input names file, line and reason', () => {
  const lines = [
    'data_bad', //                1
    '_cell_length_a 3.09', //      2
    '_cell_length_b 3.09', //      3
    '_cell_length_c 3.09', //      4
    '_cell_angle_alpha 90', //     5
    '_cell_angle_beta 90', //      6
    '_cell_angle_gamma 90', //     7
    "_symmetry_space_group_name_H-M 'I m -3 m'", // 8
    'loop_', //                    9
    '_symmetry_equiv_pos_as_xyz', // 10
    "'x, y, z'", //                11
    "'-x, -y, -z'", //             12
    'loop_', //                    13
    '_atom_site_label', //         14
    '_atom_site_type_symbol', //   15
    '_atom_site_fract_x', //       16
    '_atom_site_fract_y', //       17
    '_atom_site_fract_z', //       18
    'S1 S 0 0 0', //               19
    'H1 H 0 0.5 0.5', //           20
  ];
  const edit = (i: number, v: string | null) => {
    const l = [...lines];
    if (v === null) l.splice(i - 1, 1);
    else l[i - 1] = v;
    return l.join('\n') + '\n';
  };
  it('the good file reads', () => {
    expect(readCif(lines.join('\n'), 'bad.cif').structure.natoms).toBe(2);
  });
  it.each([
    ['unknown species', edit(20, 'Xx1 Xx 0 0.5 0.5'), 20, /unknown species "Xx" \(atom site Xx1\)/],
    ['bad coordinate', edit(20, 'H1 H 0 abc 0.5'), 20, /atom site H1: expected a fractional coordinate, got "abc"/],
    ['ragged loop', edit(20, 'H1 H 0 0.5'), 20, /loop starting at line 13 has 9 values, not a multiple of its 5 columns/],
    ['bad cell length', edit(3, '_cell_length_b 3.o9'), 3, /_cell_length_b: expected a number, got "3.o9"/],
    ['missing cell length', edit(4, null), 1, /has no _cell_length_c/],
    ['bad symmetry operation', edit(12, "'-x, -y, -w'"), 12, /symmetry operation "-x, -y, -w": cannot read component 3/],
    ['unterminated quote', edit(12, "'-x, -y, -z"), 12, /unterminated quoted string/],
    ['tag without value', edit(7, '_cell_angle_gamma'), 7, /tag _cell_angle_gamma has no value/],
    ['space group without operations', edit(10, '_foo').replace("'x, y, z'\n'-x, -y, -z'\n", "1\n2\n"), 1, /space group I m -3 m is given but no symmetry operations/],
    ['coinciding sites', edit(20, 'H1 H 0 0 1.00001'), 20, /atom site H1 coincides with site S1 \(line 19\)/],
    ['value outside a loop', edit(8, 'stray'), 8, /unexpected value "stray" outside a loop/],
    ['impossible angles', edit(5, '_cell_angle_alpha 10').replace('_cell_angle_beta 90', '_cell_angle_beta 10'), 2, /do not form a cell/],
  ])('%s', (_name, text, line, reason) => {
    expectParseError(() => readCif(text as string, 'bad.cif'), 'bad.cif', line as number, reason as RegExp);
  });
  it('unterminated text field, no data block, no atom sites', () => {
    expectParseError(() => readCif(lines.join('\n') + '\n_title\n;\nnever closed\n', 'x.cif'), 'x.cif', 22, /text field starting with ";" is never closed/);
    expectParseError(() => readCif('# nothing\n', 'x.cif'), 'x.cif', undefined, /no data_ block/);
    expectParseError(() => readCif(lines.slice(0, 12).join('\n'), 'x.cif'), 'x.cif', 1, /has no atom sites/);
  });
});

describe('CIF writing (P 1) and round trips', () => {
  it('write → read keeps fractional coordinates bit for bit, lattice parameters, species and labels', () => {
    const s = new Structure({
      cell: [4.4, 0.3, -0.1, -1.2510676679818935, 4.9441712844652086, 0.2, -0.5750745151213437, 0.8226732577939695, 5.9154457154950384],
      species: ['Si', 'O', 'H', 'O'],
      frac: [0.11, 0.23, 0.37000000000000011, 1 / 3, 2 / 3, 0.999999999999, 0, 0.5, 1e-17, 0.123456789012345678, 0.9, 0.25],
      labels: ['Si1', 'O1', 'H1', 'O2'],
    });
    const text = writeCif(s, { dataName: 'round trip' });
    expect(text).toContain('data_round_trip');
    const d = readCif(text, 'rt.cif');
    expect(d.nOperations).toBe(1);
    expect(Array.from(d.structure.frac)).toEqual(Array.from(s.frac));
    expect([...d.structure.species]).toEqual([...s.species]);
    expect(d.structure.labels).toEqual(s.labels);
    const p = s.lattice(), q = d.structure.lattice();
    for (const k of ['a', 'b', 'c', 'alpha', 'beta', 'gamma'] as const) expect(Math.abs(p[k] - q[k])).toBeLessThan(1e-12 * p[k]);
    expect(d.structure.volume).toBeCloseTo(s.volume, 10);
    // Writing what was read gives the same symmetry and atom-site text (cell numbers may differ in the last
    // bit because the cell is rebuilt in the standard orientation).
    const again = writeCif(d.structure, { dataName: 'round trip' });
    expect(again.slice(again.indexOf('_symmetry_space_group'))).toBe(text.slice(text.indexOf('_symmetry_space_group')));
  });

  it('a pymatgen symmetric CIF → read → P1 CIF → read gives the same atoms', () => {
    const a = readCif(structureFixture('lowsym_P21c_pymatgen.cif'), 'l.cif').structure;
    const b = readCif(writeCif(a), 'p1.cif').structure;
    expect(Array.from(b.frac)).toEqual(Array.from(a.frac));
    expect([...b.species]).toEqual([...a.species]);
  });

  it('generates unique labels when the structure has none or duplicates', () => {
    const s = new Structure({ cell: [3, 0, 0, 0, 3, 0, 0, 0, 3], species: ['H', 'S', 'H'], frac: [0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0, 0], labels: ['X', 'X', 'Y'] });
    expect(readCif(writeCif(s), 'x.cif').structure.labels).toEqual(['H1', 'S1', 'H2']);
  });
});
