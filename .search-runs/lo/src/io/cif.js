// CIF (Crystallographic Information File, CIF 1.1 syntax) reader and P1 writer, written from the IUCr
// CIF 1.1 syntax specification and the core dictionary (cell, symmetry and atom_site categories).
//
// Reader: cell parameters; symmetry operations from _space_group_symop_operation_xyz or
// _symmetry_equiv_pos_as_xyz (loop or single item); atom sites with fractional coordinates (numbers may
// carry standard uncertainties, 0.1234(5)); species from _atom_site_type_symbol (charges such as S2- or
// Fe3+ stripped) or from _atom_site_label (H1 → H). The listed operations are applied to every site and
// images closer than `tolerance` (fractional, per component, periodic) are merged; positions are wrapped
// into [0, 1). Occupancies are ignored (a warning is returned for partial occupancy). The cell is built in
// the standard orientation (a along x, b in the xy plane).
//
// Writer: space group P 1 with all atoms listed.
import { isElement } from '../structure/elements.js';
import { cellFromParameters, ISOTOPES, Structure, StructureError } from '../structure/structure.js';
import { formatReal, ParseError, parseFailer, splitLines } from './errors.js';
function tokenize(text, file) {
    const lines = splitLines(text);
    const out = [];
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const ln = i + 1;
        if (line.startsWith(';')) {
            // Text field: up to the next line starting with ';'.
            const parts = [line.slice(1)];
            let j = i + 1;
            while (j < lines.length && !lines[j].startsWith(';'))
                parts.push(lines[j++]);
            if (j >= lines.length)
                throw new ParseError(file, ln, 'text field starting with ";" is never closed');
            out.push({ value: parts.join('\n').trim(), line: ln, quoted: true });
            // Anything after the closing ';' on the same line is tokenized as ordinary content.
            lines[j] = lines[j].slice(1);
            i = j - 1;
            continue;
        }
        let p = 0;
        const n = line.length;
        while (p < n) {
            const ch = line[p];
            if (ch === ' ' || ch === '\t') {
                p++;
                continue;
            }
            if (ch === '#')
                break;
            if (ch === "'" || ch === '"') {
                // Quoted string: ends at the same quote followed by whitespace or end of line.
                let q = p + 1;
                while (q < n && !(line[q] === ch && (q + 1 === n || line[q + 1] === ' ' || line[q + 1] === '\t')))
                    q++;
                if (q >= n)
                    throw new ParseError(file, ln, `unterminated quoted string ${line.slice(p, p + 40)}`);
                out.push({ value: line.slice(p + 1, q), line: ln, quoted: true });
                p = q + 1;
                continue;
            }
            let q = p;
            while (q < n && line[q] !== ' ' && line[q] !== '\t')
                q++;
            out.push({ value: line.slice(p, q), line: ln, quoted: false });
            p = q;
        }
    }
    return out;
}
const lower = (s) => s.toLowerCase();
/** Tag lookup key: case-insensitive; DDL2-style "_category.item" equals "_category_item". */
const tagKey = (s) => lower(s).replace('.', '_');
const isTag = (t) => !t.quoted && t.value.startsWith('_');
const isKeyword = (t) => !t.quoted && /^(data_|loop_$|save_|global_$|stop_$)/i.test(t.value);
/** Parse CIF text into data blocks (no interpretation of the values). */
export function parseCifBlocks(text, file = 'input.cif') {
    const toks = tokenize(text, file);
    const blocks = [];
    let cur;
    let i = 0;
    const need = (t) => {
        if (!cur)
            throw new ParseError(file, t.line, `"${t.value}" before the first data_ block header`);
        return cur;
    };
    while (i < toks.length) {
        const t = toks[i];
        if (!t.quoted && /^data_/i.test(t.value)) {
            cur = { name: t.value.slice(5), line: t.line, items: new Map(), loops: [] };
            blocks.push(cur);
            i++;
        }
        else if (!t.quoted && /^loop_$/i.test(t.value)) {
            const b = need(t);
            const loop = { line: t.line, tags: [], rows: [] };
            i++;
            while (i < toks.length && isTag(toks[i]))
                loop.tags.push(tagKey(toks[i++].value));
            if (loop.tags.length === 0)
                throw new ParseError(file, t.line, 'loop_ without any tags');
            const values = [];
            while (i < toks.length && !isTag(toks[i]) && !isKeyword(toks[i]))
                values.push(toks[i++]);
            if (values.length % loop.tags.length !== 0) {
                const last = values.length > 0 ? values[values.length - 1].line : t.line;
                throw new ParseError(file, last, `loop starting at line ${t.line} has ${values.length} values, not a multiple of its ${loop.tags.length} columns (${loop.tags.join(' ')})`);
            }
            for (let r = 0; r < values.length; r += loop.tags.length)
                loop.rows.push(values.slice(r, r + loop.tags.length));
            b.loops.push(loop);
        }
        else if (isTag(t)) {
            const b = need(t);
            const v = toks[i + 1];
            if (!v || isTag(v) || isKeyword(v))
                throw new ParseError(file, t.line, `tag ${t.value} has no value`);
            b.items.set(tagKey(t.value), { value: v, tagLine: t.line });
            i += 2;
        }
        else if (!t.quoted && /^(save_|global_$|stop_$)/i.test(t.value)) {
            throw new ParseError(file, t.line, `unsupported CIF construct "${t.value}"`);
        }
        else {
            throw new ParseError(file, t.line, `unexpected value ${JSON.stringify(t.value)} outside a loop and without a tag`);
        }
    }
    return blocks;
}
// ------------------------------------------------------------------------------------------------
// Values.
/** A CIF number, with an optional standard uncertainty in parentheses: "0.1234(5)" → 0.1234. */
export function parseCifNumber(s) {
    const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?:\(\d+\))?$/.exec(s);
    return m ? Number(m[1]) : NaN;
}
const isUnknown = (t) => !t.quoted && (t.value === '?' || t.value === '.');
/** Parse a symmetry operation in the "x, y, z" notation ("-x+1/2, y, -z", "x-y, x, z+0.25"). */
export function parseSymop(s) {
    const parts = s.toLowerCase().replace(/\s+/g, '').split(',');
    if (parts.length !== 3)
        return `expected 3 comma-separated components, got ${parts.length}`;
    const rot = new Int32Array(9);
    const trans = new Float64Array(3);
    for (let r = 0; r < 3; r++) {
        const e = parts[r];
        if (e === '')
            return `component ${r + 1} is empty`;
        // Terms: sign, optional number (a, a/b or decimal), optional "*", optional variable.
        const re = /([+-]?)(\d+(?:\.\d*)?(?:\/\d+)?|\.\d+)?(\*)?([xyz])?/y;
        let p = 0;
        while (p < e.length) {
            re.lastIndex = p;
            const m = re.exec(e);
            if (!m || m[0] === '' || (m[2] === undefined && m[4] === undefined) || (m[3] && (!m[2] || !m[4])))
                return `cannot read component ${r + 1} "${e}" at "${e.slice(p)}"`;
            if (p > 0 && m[1] === '')
                return `missing + or - before "${e.slice(p)}" in component ${r + 1}`;
            const sign = m[1] === '-' ? -1 : 1;
            let num = 1;
            if (m[2] !== undefined) {
                const [a, b] = m[2].split('/');
                num = b === undefined ? Number(a) : Number(a) / Number(b);
                if (!Number.isFinite(num))
                    return `bad number "${m[2]}" in component ${r + 1}`;
            }
            if (m[4] !== undefined) {
                if (!Number.isInteger(num))
                    return `non-integer coefficient of ${m[4]} in component ${r + 1}`;
                rot[3 * r + 'xyz'.indexOf(m[4])] += sign * num;
            }
            else {
                trans[r] += sign * num;
            }
            p = re.lastIndex;
        }
    }
    const det = rot[0] * (rot[4] * rot[8] - rot[5] * rot[7]) - rot[1] * (rot[3] * rot[8] - rot[5] * rot[6]) + rot[2] * (rot[3] * rot[7] - rot[4] * rot[6]);
    if (Math.abs(det) !== 1)
        return `rotation part has determinant ${det}, not ±1`;
    return { rot, trans, text: s };
}
/**
 * Element (or isotope label) from an atom-site type symbol or label: "S2-" → S, "Fe3+" → Fe, "H1" → H,
 * "Ca1a" → Ca, "Ow" → O, "D2" → D. Returns undefined if none fits.
 */
export function speciesFromCifName(name) {
    const m = /^[A-Za-z]+/.exec(name);
    if (!m)
        return undefined;
    const letters = m[0];
    const ok = (s) => isElement(s) || s in ISOTOPES;
    if (letters.length >= 2) {
        // Two-letter symbol written properly ("Ca1", "Fe3+") or, when the letters are exactly two, in upper
        // case as older files do for type symbols ("CA", "FE").
        const second = letters[1];
        if (second === second.toLowerCase() || letters.length === 2) {
            const two = letters[0].toUpperCase() + second.toLowerCase();
            if (ok(two))
                return two;
        }
    }
    const one = letters[0].toUpperCase();
    return ok(one) ? one : undefined;
}
function findLoop(b, tag) {
    return b.loops.find((l) => l.tags.includes(tag));
}
/** Read one structure from CIF text. `fileName` is used in error messages only. */
export function readCif(text, fileName = 'input.cif', options = {}) {
    const fail = parseFailer(fileName);
    const tol = options.tolerance ?? 1e-4;
    const blocks = parseCifBlocks(text, fileName);
    if (blocks.length === 0)
        fail(undefined, 'no data_ block found');
    let b;
    if (options.block !== undefined) {
        b = blocks.find((x) => x.name === options.block);
        if (!b)
            fail(undefined, `no data block "${options.block}" (blocks: ${blocks.map((x) => x.name).join(', ')})`);
    }
    else {
        b = blocks.find((x) => findLoop(x, '_atom_site_fract_x') || x.items.has('_atom_site_fract_x')) ?? blocks[0];
    }
    const block = b;
    const warnings = [];
    // Cell.
    const cellPar = [];
    for (const name of ['length_a', 'length_b', 'length_c', 'angle_alpha', 'angle_beta', 'angle_gamma']) {
        const it = block.items.get(`_cell_${name}`);
        if (!it || isUnknown(it.value)) {
            if (name.startsWith('angle')) {
                warnings.push(`_cell_${name} missing: taken as 90°`);
                cellPar.push(90);
                continue;
            }
            fail(block.line, `data block "${block.name}" has no _cell_${name}`);
        }
        const v = parseCifNumber(it.value.value);
        if (Number.isNaN(v))
            fail(it.value.line, `_cell_${name}: expected a number, got ${JSON.stringify(it.value.value)}`);
        cellPar.push(v);
    }
    let cell;
    try {
        cell = cellFromParameters(cellPar[0], cellPar[1], cellPar[2], cellPar[3], cellPar[4], cellPar[5]);
    }
    catch (e) {
        if (e instanceof StructureError)
            fail(block.items.get('_cell_length_a')?.tagLine, e.message);
        throw e;
    }
    // Space-group name (informational, and to refuse files whose operations are missing).
    let spaceGroup;
    for (const tag of ['_space_group_name_h-m_alt', '_symmetry_space_group_name_h-m', '_space_group_name_hall', '_symmetry_space_group_name_hall']) {
        const it = block.items.get(tag);
        if (it && !isUnknown(it.value)) {
            spaceGroup = it.value.value.trim();
            break;
        }
    }
    let sgNumber;
    for (const tag of ['_space_group_it_number', '_symmetry_int_tables_number']) {
        const it = block.items.get(tag);
        if (it && !isUnknown(it.value))
            sgNumber = parseCifNumber(it.value.value);
    }
    // Symmetry operations.
    const opTokens = [];
    for (const tag of ['_space_group_symop_operation_xyz', '_symmetry_equiv_pos_as_xyz']) {
        const loop = findLoop(block, tag);
        if (loop) {
            const c = loop.tags.indexOf(tag);
            for (const row of loop.rows)
                opTokens.push(row[c]);
            break;
        }
        const it = block.items.get(tag);
        if (it) {
            opTokens.push(it.value);
            break;
        }
    }
    const ops = [];
    if (opTokens.length === 0) {
        const isP1 = (spaceGroup === undefined || /^p\s*1$/i.test(spaceGroup)) && (sgNumber === undefined || sgNumber === 1);
        if (!isP1)
            fail(block.line, `space group ${spaceGroup ?? `number ${sgNumber}`} is given but no symmetry operations ` +
                '(_space_group_symop_operation_xyz or _symmetry_equiv_pos_as_xyz) are listed');
        ops.push(parseSymop('x,y,z'));
    }
    else {
        for (const t of opTokens) {
            const op = parseSymop(t.value);
            if (typeof op === 'string')
                fail(t.line, `symmetry operation ${JSON.stringify(t.value)}: ${op}`);
            ops.push(op);
        }
    }
    // Atom sites.
    const siteLoop = findLoop(block, '_atom_site_fract_x');
    let siteTags;
    let siteRows;
    if (siteLoop) {
        siteTags = siteLoop.tags;
        siteRows = siteLoop.rows;
    }
    else if (block.items.has('_atom_site_fract_x')) {
        siteTags = [...block.items.keys()].filter((k) => k.startsWith('_atom_site_'));
        siteRows = [siteTags.map((k) => block.items.get(k).value)];
    }
    else {
        if (findLoop(block, '_atom_site_cartn_x'))
            fail(findLoop(block, '_atom_site_cartn_x').line, 'atom sites with Cartesian coordinates only (_atom_site_Cartn_x) are not supported');
        fail(block.line, `data block "${block.name}" has no atom sites (_atom_site_fract_x)`);
    }
    const col = (tag) => siteTags.indexOf(tag);
    const cx = col('_atom_site_fract_x'), cy = col('_atom_site_fract_y'), cz = col('_atom_site_fract_z');
    if (cy < 0 || cz < 0)
        fail(siteLoop?.line ?? block.line, 'atom-site loop lacks _atom_site_fract_y or _atom_site_fract_z');
    const cType = col('_atom_site_type_symbol');
    const cLabel = col('_atom_site_label');
    const cOcc = col('_atom_site_occupancy');
    const cMult = col('_atom_site_symmetry_multiplicity');
    if (cType < 0 && cLabel < 0)
        fail(siteLoop?.line ?? block.line, 'atom sites have neither _atom_site_type_symbol nor _atom_site_label');
    const sites = [];
    const wrap = (x) => {
        const y = x - Math.floor(x);
        return y >= 1 || y < 0 ? 0 : y;
    };
    const same = (a, b) => {
        for (let k = 0; k < 3; k++) {
            const d = a[k] - b[k];
            if (Math.abs(d - Math.round(d)) > tol)
                return false;
        }
        return true;
    };
    for (const row of siteRows) {
        const line = row[0].line;
        const label = cLabel >= 0 && !isUnknown(row[cLabel]) ? row[cLabel].value : '';
        const typeSym = cType >= 0 && !isUnknown(row[cType]) ? row[cType].value : '';
        const name = typeSym || label;
        const sp = speciesFromCifName(name);
        if (!sp)
            fail(line, `unknown species ${JSON.stringify(name)} (atom site ${label || typeSym})`);
        const xyz = [cx, cy, cz].map((c) => {
            const t = row[c];
            const v = parseCifNumber(t.value);
            if (Number.isNaN(v))
                fail(t.line, `atom site ${label || typeSym}: expected a fractional coordinate, got ${JSON.stringify(t.value)}`);
            return v;
        });
        if (cOcc >= 0 && !isUnknown(row[cOcc])) {
            const occ = parseCifNumber(row[cOcc].value);
            if (Number.isNaN(occ))
                fail(row[cOcc].line, `atom site ${label || typeSym}: bad occupancy ${JSON.stringify(row[cOcc].value)}`);
            if (occ < 1 - 1e-6)
                warnings.push(`${fileName}:${row[cOcc].line}: site ${label || typeSym} has occupancy ${occ}; partial occupancy is ignored (site taken as fully occupied)`);
        }
        const images = [];
        for (const op of ops) {
            const p = [0, 1, 2].map((r) => wrap(op.rot[3 * r] * xyz[0] + op.rot[3 * r + 1] * xyz[1] + op.rot[3 * r + 2] * xyz[2] + op.trans[r]));
            if (!images.some((q) => same(p, q)))
                images.push(p);
        }
        if (cMult >= 0 && !isUnknown(row[cMult])) {
            const mult = parseCifNumber(row[cMult].value);
            if (Number.isInteger(mult) && mult !== images.length)
                warnings.push(`${fileName}:${line}: site ${label || typeSym} has multiplicity ${mult} in the file but ${images.length} images after expansion`);
        }
        sites.push({ species: sp, label: label || typeSym, line, images });
    }
    // Distinct sites must not coincide after expansion.
    for (let a = 0; a < sites.length; a++)
        for (let b2 = a + 1; b2 < sites.length; b2++)
            for (const p of sites[a].images)
                if (sites[b2].images.some((q) => same(p, q)))
                    fail(sites[b2].line, `atom site ${sites[b2].label} coincides with site ${sites[a].label} (line ${sites[a].line}) after applying the symmetry operations` +
                        ' (disordered sites are not supported)');
    const species = [];
    const labels = [];
    const frac = [];
    for (const s of sites)
        for (const p of s.images) {
            species.push(s.species);
            labels.push(s.label);
            frac.push(...p);
        }
    let structure;
    try {
        structure = new Structure({ cell: cell, species, frac, labels });
    }
    catch (e) {
        if (e instanceof StructureError)
            fail(undefined, e.message);
        throw e;
    }
    return { structure: structure, block: block.name, spaceGroup, nOperations: ops.length, warnings };
}
/**
 * Write a CIF in space group P 1 listing every atom. Fractional coordinates and the lattice parameters
 * use the shortest round-trip representation (reading back gives identical fractional coordinates and
 * lattice parameters; the cell orientation in space is not stored by CIF). Labels are the structure's
 * labels when they are unique CIF-safe tokens, otherwise species + running number.
 */
export function writeCif(s, options = {}) {
    const name = (options.dataName ?? 'structure').replace(/[^A-Za-z0-9_\-.()]/g, '_') || 'structure';
    const p = s.lattice();
    const composition = [...s.composition()].map(([el, n]) => `${el}${n}`).join(' ');
    let labels = s.labels ? [...s.labels] : undefined;
    if (labels && (new Set(labels).size !== labels.length || labels.some((l) => !/^[A-Za-z][^\s'"#;$]*$/.test(l) || /^(data_|loop_|save_|global_|stop_)/i.test(l))))
        labels = undefined;
    if (!labels) {
        const count = new Map();
        labels = s.species.map((sp) => {
            const k = (count.get(sp) ?? 0) + 1;
            count.set(sp, k);
            return `${sp}${k}`;
        });
    }
    const out = [
        '# written by anharmonic-csp',
        `data_${name}`,
        `_chemical_formula_sum '${composition}'`,
        `_cell_length_a ${formatReal(p.a)}`,
        `_cell_length_b ${formatReal(p.b)}`,
        `_cell_length_c ${formatReal(p.c)}`,
        `_cell_angle_alpha ${formatReal(p.alpha)}`,
        `_cell_angle_beta ${formatReal(p.beta)}`,
        `_cell_angle_gamma ${formatReal(p.gamma)}`,
        `_cell_volume ${formatReal(s.volume)}`,
        "_symmetry_space_group_name_H-M 'P 1'",
        '_symmetry_Int_Tables_number 1',
        "_space_group_name_H-M_alt 'P 1'",
        '_space_group_IT_number 1',
        '',
        'loop_',
        '_space_group_symop_id',
        '_space_group_symop_operation_xyz',
        "1 'x, y, z'",
        '',
        'loop_',
        '_atom_site_label',
        '_atom_site_type_symbol',
        '_atom_site_fract_x',
        '_atom_site_fract_y',
        '_atom_site_fract_z',
        '_atom_site_occupancy',
    ];
    for (let i = 0; i < s.natoms; i++) {
        const f = s.frac;
        out.push(`${labels[i]} ${s.species[i]} ${formatReal(f[3 * i])} ${formatReal(f[3 * i + 1])} ${formatReal(f[3 * i + 2])} 1`);
    }
    return out.join('\n') + '\n';
}
