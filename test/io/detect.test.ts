import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, formatFromContent, formatFromName, ParseError, readFrames, readStructure, writeStructure } from '../../src/io/index.js';
import { readFramesFile, readStructureFile, writeFramesFile, writeStructureFile } from '../../src/node/files.js';
import { Structure } from '../../src/structure/structure.js';
import { structureFixture } from '../helpers/fixtures.js';

describe('format detection', () => {
  it('by file name', () => {
    expect(formatFromName('a/b/POSCAR')).toBe('poscar');
    expect(formatFromName('CONTCAR_relaxed')).toBe('poscar');
    expect(formatFromName('x.vasp')).toBe('poscar');
    expect(formatFromName('H3S.CIF')).toBe('cif');
    expect(formatFromName('train.extxyz')).toBe('extxyz');
    expect(formatFromName('C:\\data\\frames.xyz')).toBe('extxyz');
    expect(formatFromName('structure.txt')).toBeUndefined();
  });

  it('by content, for files written by ASE and pymatgen', () => {
    expect(formatFromContent(structureFixture('h3s_Im-3m_pymatgen.cif'))).toBe('cif');
    expect(formatFromContent(structureFixture('h3s_Im-3m_ase.cif'))).toBe('cif');
    expect(formatFromContent(structureFixture('ase_frames.extxyz'))).toBe('extxyz');
    expect(formatFromContent(structureFixture('h3s_vasp5_direct.POSCAR'))).toBe('poscar');
    expect(formatFromContent(structureFixture('gete_vasp4.POSCAR'))).toBe('poscar');
    expect(formatFromContent('hello\nworld\n')).toBeUndefined();
  });

  it('name wins over content; unknown format is an error naming the file', () => {
    expect(detectFormat('x.cif', structureFixture('ase_frames.extxyz'))).toBe('cif');
    expect(detectFormat('data.txt', structureFixture('tric_pymatgen.POSCAR'))).toBe('poscar');
    expect(() => detectFormat('data.txt', 'nothing here')).toThrow(ParseError);
    expect(() => detectFormat('data.txt', 'nothing here')).toThrow(/^data\.txt: cannot tell the file format/);
  });

  it('readStructure / readFrames dispatch on the detected format', () => {
    expect(readStructure(structureFixture('h3s_Im-3m_pymatgen.cif'), 'h3s.cif').natoms).toBe(8);
    expect(readStructure(structureFixture('h3s_vasp5_direct.POSCAR'), 'in.txt').natoms).toBe(8);
    expect(readStructure(structureFixture('ase_frames.extxyz'), 'f.xyz', { frame: -1 }).natoms).toBe(6);
    expect(readFrames(structureFixture('ase_frames.extxyz'), 'f.xyz').length).toBe(3);
    expect(readFrames(structureFixture('gete_R3m_ase.cif'), 'g.cif').length).toBe(1);
    expect(() => readStructure(structureFixture('ase_frames.extxyz'), 'f.xyz', { frame: 7 })).toThrow(/frame 7 requested but the file has 3 frames/);
  });
});

describe('Node file adapter', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'anharm-files-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const s = new Structure({ cell: [3.09, 0, 0, 0, 3.09, 0, 0, 0, 3.09], species: ['S', 'H'], frac: [0, 0, 0, 0, 0.5, 0.5] });

  it.each(['POSCAR', 'out.cif', 'out.extxyz'])('write and read %s', async (name) => {
    const path = join(tmp, name);
    await writeStructureFile(path, s);
    const back = await readStructureFile(path);
    expect([...back.species]).toEqual(['S', 'H']);
    expect(Array.from(back.frac)).toEqual(Array.from(s.frac));
    expect(readFileSync(path, 'utf8')).toBe(writeStructure(s, detectFormat(name)));
  });

  it('frames, and errors name the path and line', async () => {
    const path = join(tmp, 'frames.xyz');
    await writeFramesFile(path, [{ structure: s, energy: -1.25 }, { structure: s, energy: -1.5 }]);
    const frames = await readFramesFile(path);
    expect(frames.map((f) => f.energy)).toEqual([-1.25, -1.5]);
    const bad = join(tmp, 'POSCAR_bad');
    writeFileSync(bad, 'x\n1.0\n1 0 0\n0 1 0\n0 0 1\nH\n1\nDirect\n0 0 q\n');
    await expect(readStructureFile(bad)).rejects.toThrow(`${bad}:9: expected 3 numbers for the position of atom 1, got "0 0 q"`);
  });
});
