import { inv3 } from '../structure/mat3.js';
import { Structure } from '../structure/structure.js';
import { getMoyo, moyoError, SymmetryError } from './moyo.js';
import { AtomLocator, atomTypes, findAtomMaps, makeOp } from './operations.js';
/** Row-major 3×3 from moyo's column-by-column serialisation. */
function fromMoyo(m) {
    return Float64Array.of(m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]);
}
function toMoyoCell(structure, types) {
    const c = structure.cell;
    const positions = [];
    for (let i = 0; i < structure.natoms; i++)
        positions.push([structure.frac[3 * i], structure.frac[3 * i + 1], structure.frac[3 * i + 2]]);
    return {
        // rows = lattice vectors, which is what moyo's column serialisation of its basis (columns = vectors) looks like
        lattice: { basis: [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]] },
        positions,
        numbers: Array.from(types, (t) => t + 1),
    };
}
function normaliseOptions(options) {
    if (typeof options === 'number')
        return { symprec: options };
    return options ?? {};
}
/** Call moyo's analyze_cell and return its raw dataset (errors become SymmetryErrors). */
export function moyoDataset(structure, options = {}) {
    const opts = normaliseOptions(options);
    const symprec = opts.symprec ?? 1e-3;
    if (!(symprec > 0) || !Number.isFinite(symprec))
        throw new SymmetryError(`symprec must be a positive number (Å), got ${symprec}`);
    if (opts.angleTolerance !== undefined) {
        throw new SymmetryError('angleTolerance is not supported: @spglib/moyo-wasm 0.15 exposes no angle tolerance (moyo uses its default)');
    }
    const setting = opts.setting ?? 'spglib';
    if (setting !== 'spglib' && setting !== 'standard')
        throw new SymmetryError(`unknown setting "${setting}" (use 'spglib' or 'standard')`);
    const moyo = getMoyo(opts.moyo);
    const types = atomTypes(structure);
    try {
        return moyo.analyze_cell(JSON.stringify(toMoyoCell(structure, types)), symprec, setting === 'spglib' ? 'Spglib' : 'Standard');
    }
    catch (e) {
        throw moyoError(`symmetry analysis failed (${structure.natoms} atoms, symprec ${symprec} Å)`, e);
    }
}
/**
 * Analyse the symmetry of a structure. `options` may be the symprec (Å) alone.
 * Throws SymmetryError when moyo fails or when an operation has no consistent atom map.
 */
export function analyzeSymmetry(structure, options = {}) {
    const opts = normaliseOptions(options);
    const symprec = opts.symprec ?? 1e-3;
    const ds = moyoDataset(structure, opts);
    const mapTolerance = opts.mapTolerance ?? symprec;
    const types = atomTypes(structure);
    const operations = ds.operations.map((o) => makeOp(fromMoyo(o.rotation), o.translation));
    const atomMaps = findAtomMaps(structure, operations, mapTolerance);
    const n = structure.natoms;
    const equivalentAtoms = new Int32Array(n).fill(n);
    for (const p of atomMaps)
        for (let i = 0; i < n; i++)
            equivalentAtoms[p[i]] = Math.min(equivalentAtoms[p[i]], i);
    // representative input atom per type code, to recover species and mass of standardized cells
    const repOfType = new Map();
    for (let i = 0; i < n; i++)
        if (!repOfType.has(types[i]))
            repOfType.set(types[i], i);
    const conv = buildCell(structure, ds.std_cell, fromMoyo(ds.std_linear), Float64Array.from(ds.std_origin_shift), types, repOfType, mapTolerance, 'standardized');
    const prim = buildCell(structure, ds.prim_std_cell, fromMoyo(ds.prim_std_linear), Float64Array.from(ds.prim_std_origin_shift), types, repOfType, mapTolerance, 'primitive');
    // input atom → primitive atom: x_prim = P x + p, then locate in the primitive cell
    const primTypes = atomTypes(prim.structure);
    const tmap = new Map();
    prim.fromInput.forEach((src, k) => tmap.set(types[src], primTypes[k]));
    const ploc = new AtomLocator(prim.structure.cell, prim.structure.frac, primTypes, Math.max(mapTolerance, 1e-6) * 2);
    const mapping = new Int32Array(n);
    const x = new Float64Array(3);
    for (let i = 0; i < n; i++) {
        transformFrac(prim.transformationMatrix, prim.originShift, structure.frac, 3 * i, x);
        const j = ploc.find(x, tmap.get(types[i]) ?? -1);
        if (j < 0)
            throw new SymmetryError(`input atom ${i} has no image in moyo's primitive cell`);
        mapping[i] = j;
    }
    const symbol = ds.hm_symbol;
    return {
        number: ds.number,
        hallNumber: ds.hall_number,
        internationalSymbol: symbol,
        internationalShort: symbol.replace(/\s+/g, ''),
        pearsonSymbol: ds.pearson_symbol,
        symprec,
        mapTolerance,
        operations,
        atomMaps,
        wyckoffs: [...ds.wyckoffs],
        siteSymmetrySymbols: [...ds.site_symmetry_symbols],
        equivalentAtoms,
        conventional: { ...conv, rotation: fromMoyo(ds.std_rotation_matrix) },
        primitive: { ...prim, mapping },
    };
}
function transformFrac(P, p, s, o, out) {
    for (let r = 0; r < 3; r++)
        out[r] = P[3 * r] * s[o] + P[3 * r + 1] * s[o + 1] + P[3 * r + 2] * s[o + 2] + p[r];
}
function buildCell(input, cell, linear, shift, inputTypes, repOfType, tol, what) {
    // moyo: x_input = L x_std + o  ⇒  P = L⁻¹, p = -L⁻¹ o
    const P = inv3(linear);
    const p = Float64Array.from([0, 1, 2], (r) => -(P[3 * r] * shift[0] + P[3 * r + 1] * shift[1] + P[3 * r + 2] * shift[2]));
    const species = [];
    const masses = [];
    const fromInput = new Int32Array(cell.numbers.length);
    const frac = [];
    const inCell = new Float64Array(9);
    for (let k = 0; k < 9; k++)
        inCell[k] = cell.lattice.basis[k];
    // locate every standardized atom among the transformed input atoms
    const nIn = input.natoms;
    const xs = new Float64Array(3 * nIn);
    const x = new Float64Array(3);
    for (let i = 0; i < nIn; i++) {
        transformFrac(P, p, input.frac, 3 * i, x);
        xs.set(x, 3 * i);
    }
    const loc = new AtomLocator(inCell, xs, inputTypes, Math.max(tol, 1e-6) * 4);
    cell.positions.forEach((pos, k) => {
        const t = cell.numbers[k] - 1;
        const rep = repOfType.get(t);
        if (rep === undefined)
            throw new SymmetryError(`moyo's ${what} cell has an unknown atom type ${cell.numbers[k]}`);
        species.push(input.species[rep]);
        masses.push(input.masses[rep]);
        frac.push(pos[0], pos[1], pos[2]);
        const src = loc.find(pos, t);
        fromInput[k] = src >= 0 ? src : rep;
    });
    const structure = new Structure({ cell: inCell, species, frac, masses });
    return { structure, transformationMatrix: P, originShift: p, fromInput };
}
/** Symbol without spaces, e.g. for comparing with spglib's `international`. */
export function compactSymbol(s) {
    return s.replace(/\s+/g, '');
}
