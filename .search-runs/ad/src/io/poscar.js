// VASP POSCAR / CONTCAR reader and writer, written from the format description in the VASP manual
// (https://www.vasp.at/wiki/index.php/POSCAR):
//   1  comment
//   2  scale: one number s (> 0: multiplies lattice vectors and Cartesian positions; < 0: target cell
//      volume in Å³), or three positive numbers scaling the x, y, z Cartesian components
//   3–5 lattice vectors (rows)
//   6  species names (VASP 5; absent in VASP 4 files)
//   7  counts per species
//   [Selective dynamics]  (only the first character, S or s, is significant)
//   Direct | Cartesian    (first character C, c, K or k means Cartesian, anything else Direct)
//   positions, one line per atom: 3 numbers [+ 3 flags T/F with selective dynamics] [+ ignored text]
//   anything after (velocities, predictor-corrector block of a CONTCAR) is ignored.
// Isomorphic: takes and returns strings; files are read in src/node/files.ts.
import { isElement } from '../structure/elements.js';
import { det3 } from '../structure/mat3.js';
import { ISOTOPES, Structure, StructureError } from '../structure/structure.js';
import { formatReal, parseFailer, parseInteger, parseReal, quoteLine, splitLines } from './errors.js';
import { cbrt } from '../numeric/detmath.js';
/** Species name as written on a VASP 5 species line, with POTCAR suffixes ("Si_pv", "H/1a2b…") removed. */
function cleanSpecies(tok) {
    return tok.split(/[_/]/)[0];
}
function isSpecies(s) {
    return isElement(s) || s in ISOTOPES;
}
/** Read a POSCAR/CONTCAR from a string. `fileName` is used in error messages only. */
export function readPoscar(text, fileName = 'POSCAR', options = {}) {
    const lines = splitLines(text);
    const fail = parseFailer(fileName);
    const getLine = (i, what) => {
        if (i >= lines.length)
            fail(i + 1, `unexpected end of file: expected ${what}`);
        return lines[i];
    };
    if (lines.length === 0 || lines.every((l) => l.trim() === ''))
        fail(undefined, 'file is empty');
    const comment = lines[0].trim();
    // Scale line.
    const scaleToks = getLine(1, 'the scale factor').trim().split(/\s+/);
    const scaleNums = [];
    for (const t of scaleToks.slice(0, 3)) {
        const v = parseReal(t);
        if (Number.isNaN(v))
            break;
        scaleNums.push(v);
    }
    if (scaleNums.length === 0)
        fail(2, `expected the scale factor (one number, or three), got ${quoteLine(lines[1])}`);
    if (scaleNums.length === 2)
        fail(2, `expected one scale factor or three, got two numbers in ${quoteLine(lines[1])}`);
    if (scaleNums.length === 3 && scaleNums.some((x) => !(x > 0)))
        fail(2, `three scale factors must all be positive, got ${quoteLine(lines[1])}`);
    if (scaleNums.length === 1 && scaleNums[0] === 0)
        fail(2, 'scale factor must not be zero');
    // Lattice vectors.
    const raw = new Float64Array(9);
    for (let r = 0; r < 3; r++) {
        const line = getLine(2 + r, `lattice vector ${r + 1}`);
        const toks = line.trim().split(/\s+/);
        const nums = toks.slice(0, 3).map(parseReal);
        if (toks.length < 3 || nums.some(Number.isNaN))
            fail(3 + r, `expected 3 numbers for lattice vector ${r + 1}, got ${quoteLine(line)}`);
        raw.set(nums, 3 * r);
    }
    const cell = new Float64Array(9);
    const axisScale = [1, 1, 1];
    if (scaleNums.length === 3) {
        for (let r = 0; r < 3; r++)
            for (let k = 0; k < 3; k++)
                cell[3 * r + k] = raw[3 * r + k] * scaleNums[k];
        axisScale.splice(0, 3, ...scaleNums);
    }
    else {
        let s = scaleNums[0];
        if (s < 0) {
            const v0 = Math.abs(det3(raw));
            if (!(v0 > 0))
                fail(3, 'lattice vectors are degenerate (zero volume)');
            s = cbrt(-s / v0);
        }
        for (let i = 0; i < 9; i++)
            cell[i] = raw[i] * s;
        axisScale.fill(s);
    }
    if (!(Math.abs(det3(cell)) > 1e-8))
        fail(3, `lattice vectors are degenerate (volume ${det3(cell)} Å³)`);
    // Species and counts.
    let li = 5;
    const line6 = getLine(li, 'species names or atom counts');
    const toks6 = line6.trim().split(/\s+/).filter((t) => t !== '');
    if (toks6.length === 0)
        fail(6, 'expected species names or atom counts, got an empty line');
    const vasp5 = Number.isNaN(parseInteger(toks6[0]));
    let species;
    let countLineNo;
    if (vasp5) {
        species = [];
        for (const t of toks6) {
            if (t.startsWith('!') || t.startsWith('#'))
                break;
            const s = cleanSpecies(t);
            if (!isSpecies(s))
                fail(6, `unknown species "${t}" on the species line`);
            species.push(s);
        }
        li = 6;
        countLineNo = 7;
    }
    else {
        countLineNo = 6;
    }
    const countLine = getLine(li, 'atom counts per species');
    const countToks = countLine.trim().split(/\s+/).filter((t) => t !== '');
    const counts = [];
    for (const t of countToks) {
        if (t.startsWith('!') || t.startsWith('#'))
            break;
        const n = parseInteger(t);
        if (Number.isNaN(n) || n < 0)
            fail(countLineNo, `expected atom counts (non-negative integers), got ${quoteLine(countLine)}`);
        counts.push(n);
    }
    if (counts.length === 0)
        fail(countLineNo, `expected atom counts, got ${quoteLine(countLine)}`);
    if (species) {
        if (species.length !== counts.length)
            fail(countLineNo, `${species.length} species names on line 6 but ${counts.length} atom counts on line 7`);
        if (options.species) {
            const given = options.species.map(cleanSpecies);
            if (given.length !== species.length || given.some((s, i) => s !== species[i]))
                fail(6, `species line (${species.join(' ')}) disagrees with the species given by the caller (${options.species.join(' ')})`);
        }
    }
    else if (options.species) {
        const given = options.species.map(cleanSpecies);
        if (given.length !== counts.length)
            fail(6, `${counts.length} atom counts but ${given.length} species names given by the caller`);
        for (const s of given)
            if (!isSpecies(s))
                fail(6, `unknown species "${s}" given by the caller`);
        species = given;
    }
    else {
        const fromComment = comment.split(/\s+/).slice(0, counts.length).map(cleanSpecies);
        if (fromComment.length === counts.length && fromComment.every(isSpecies))
            species = fromComment;
        else
            fail(6, `VASP 4 format (no species line): the species of the ${counts.length} atom types are unknown; ` +
                'pass species names to the reader or start the comment line with them');
    }
    const nat = counts.reduce((a, b) => a + b, 0);
    if (nat === 0)
        fail(countLineNo, 'the file has no atoms (all counts are 0)');
    li++;
    // Selective dynamics and coordinate mode.
    let modeLine = getLine(li, '"Direct" or "Cartesian"');
    let selective = false;
    if (/^\s*[sS]/.test(modeLine)) {
        selective = true;
        li++;
        modeLine = getLine(li, '"Direct" or "Cartesian"');
    }
    if (modeLine.trim() === '')
        fail(li + 1, 'expected "Direct" or "Cartesian", got an empty line');
    const cartesian = /^\s*[cCkK]/.test(modeLine);
    li++;
    const atomSpecies = [];
    species.forEach((s, k) => {
        for (let n = 0; n < counts[k]; n++)
            atomSpecies.push(s);
    });
    const pos = new Float64Array(3 * nat);
    const flags = selective ? [] : undefined;
    for (let i = 0; i < nat; i++, li++) {
        if (li >= lines.length || lines[li].trim() === '')
            fail(li + 1, `expected position of atom ${i + 1} of ${nat}, got ${li >= lines.length ? 'end of file' : 'an empty line'}`);
        const line = lines[li];
        const toks = line.trim().split(/\s+/);
        const nums = toks.slice(0, 3).map(parseReal);
        if (toks.length < 3 || nums.some(Number.isNaN))
            fail(li + 1, `expected 3 numbers for the position of atom ${i + 1}, got ${quoteLine(line)}`);
        for (let k = 0; k < 3; k++)
            pos[3 * i + k] = cartesian ? nums[k] * axisScale[k] : nums[k];
        if (flags) {
            const f = toks.slice(3, 6);
            if (f.length < 3 || f.some((t) => !/^[TFtf]$/.test(t)))
                fail(li + 1, `expected 3 selective-dynamics flags (T or F) after the position of atom ${i + 1}, got ${quoteLine(line)}`);
            flags.push(f.map((t) => t === 'T' || t === 't'));
        }
    }
    let structure;
    try {
        structure = new Structure(cartesian ? { cell, species: atomSpecies, cartesian: pos } : { cell, species: atomSpecies, frac: pos });
    }
    catch (e) {
        if (e instanceof StructureError)
            fail(undefined, e.message);
        throw e;
    }
    return { structure: structure, comment, vasp5, coordinates: cartesian ? 'cartesian' : 'direct', selectiveDynamics: flags };
}
/**
 * Write a VASP 5 POSCAR. Species are written in runs of consecutive equal species (so atom order is
 * kept exactly; a species may appear more than once on the species line). Numbers use the shortest
 * round-trip representation, so reading the file back gives bit-identical cell and fractional
 * coordinates. Masses and labels are not stored by the format.
 */
export function writePoscar(s, options = {}) {
    const runs = [];
    for (const sp of s.species) {
        if (runs.length > 0 && runs[runs.length - 1][0] === sp)
            runs[runs.length - 1][1]++;
        else
            runs.push([sp, 1]);
    }
    const comment = (options.comment ?? runs.map((r) => r[0]).join(' ')).replace(/[\r\n]+/g, ' ');
    const cartesian = options.coordinates === 'cartesian';
    const sel = options.selectiveDynamics;
    if (sel && sel.length !== s.natoms)
        throw new StructureError(`selectiveDynamics: expected ${s.natoms} entries, got ${sel.length}`);
    const num = (x) => formatReal(x).padStart(24);
    const out = [comment, '1.0'];
    for (let r = 0; r < 3; r++)
        out.push(`${num(s.cell[3 * r])} ${num(s.cell[3 * r + 1])} ${num(s.cell[3 * r + 2])}`);
    if (options.vasp5 ?? true)
        out.push(runs.map((r) => r[0].padStart(4)).join(' '));
    out.push(runs.map((r) => String(r[1]).padStart(4)).join(' '));
    if (sel)
        out.push('Selective dynamics');
    out.push(cartesian ? 'Cartesian' : 'Direct');
    const p = cartesian ? s.cartesian() : s.frac;
    for (let i = 0; i < s.natoms; i++) {
        let line = `${num(p[3 * i])} ${num(p[3 * i + 1])} ${num(p[3 * i + 2])}`;
        if (sel) {
            const f = sel[i];
            if (!f || f.length !== 3)
                throw new StructureError(`selectiveDynamics[${i}] must have 3 flags`);
            line += ' ' + f.map((b) => (b ? 'T' : 'F')).join(' ');
        }
        out.push(line);
    }
    return out.join('\n') + '\n';
}
