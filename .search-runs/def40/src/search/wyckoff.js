// Wyckoff positions of the 230 space groups (physics.md 7.2), read from @spglib/moyo-wasm's own tables
// (MIT OR Apache-2.0): `wyckoff_positions(hall)` gives letter, multiplicity, site symmetry and the
// representative coordinate triplet ("x,2x,1/4"), `operations_from_number` the operations with the
// centering translations. One Hall setting per group: moyo's standard one (ITA: unique axis b,
// origin choice 2, hexagonal axes for R groups), i.e. `space_group_type(n).hall_number`.
//
// From these we precompute, per Wyckoff position, its whole orbit as affine maps of the free
// parameters p = (x, y, z): image_k(p) = L_k p + c_k (conventional fractional coordinates; images that
// coincide for every p, i.e. equal L and c mod 1, are merged). The number of images must equal the
// tabulated multiplicity, which checks the parsing and the operations on every load. The same orbits
// are also kept in the primitive cell of the centering (multiplicity / number of centering vectors).
//
// Nothing here touches the file system: moyo must be initialised (src/node/moyo.ts `loadMoyo()` in
// Node, `initMoyo(url)` in browsers) or a handle passed in.
import { det3, inv3 } from '../structure/mat3.js';
import { getMoyo } from '../symmetry/moyo.js';
export class WyckoffError extends Error {
    constructor(message) {
        super(message);
        this.name = 'WyckoffError';
    }
}
/** Primitive basis (rows, in conventional fractional coordinates) of each centering; det = 1/n. */
const PRIMITIVE_BASIS = {
    P: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    A: [1, 0, 0, 0, 0.5, 0.5, 0, -0.5, 0.5],
    B: [0.5, 0, 0.5, 0, 1, 0, -0.5, 0, 0.5],
    C: [0.5, 0.5, 0, -0.5, 0.5, 0, 0, 0, 1],
    I: [-0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0.5, 0.5, -0.5],
    F: [0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0],
    R: [2 / 3, 1 / 3, 1 / 3, -1 / 3, 1 / 3, 1 / 3, -1 / 3, -2 / 3, 1 / 3],
};
const PARAMS = ['x', 'y', 'z'];
/**
 * Parse one coordinate of a Wyckoff triplet ("-x+1/4", "2x", "1/2", "x-y") into coefficients of
 * (x, y, z) and a constant.
 */
export function parseCoordinate(text) {
    const s = text.replace(/\s+/g, '');
    if (s.length === 0)
        throw new WyckoffError(`empty coordinate in Wyckoff triplet`);
    const coef = [0, 0, 0];
    let constant = 0;
    const term = /([+-]?)(\d+(?:\/\d+)?)?([xyz])?/y;
    let pos = 0;
    while (pos < s.length) {
        term.lastIndex = pos;
        const m = term.exec(s);
        if (!m || m[0].length === 0 || (m[2] === undefined && m[3] === undefined)) {
            throw new WyckoffError(`cannot parse Wyckoff coordinate "${text}" at "${s.slice(pos)}"`);
        }
        const sign = m[1] === '-' ? -1 : 1;
        let value = 1;
        if (m[2] !== undefined) {
            const [num, den] = m[2].split('/');
            value = Number(num) / (den === undefined ? 1 : Number(den));
        }
        if (m[3] !== undefined)
            coef[PARAMS.indexOf(m[3])] += sign * value;
        else
            constant += sign * value;
        pos += m[0].length;
    }
    return { coef, constant };
}
/** Parse a triplet "x,2x,1/4" into an affine map of (x, y, z). */
export function parseTriplet(text) {
    const parts = text.split(',');
    if (parts.length !== 3)
        throw new WyckoffError(`Wyckoff triplet "${text}" does not have 3 coordinates`);
    const linear = new Float64Array(9);
    const constant = new Float64Array(3);
    parts.forEach((p, i) => {
        const { coef, constant: c } = parseCoordinate(p);
        linear.set(coef, 3 * i);
        constant[i] = c;
    });
    return { linear, constant };
}
/** Wrap into [0, 1), snapping values within 1e-9 of an integer to 0 (exact table fractions). */
function wrap01(v) {
    let y = v - Math.floor(v);
    if (y > 1 - 1e-9 || y < 1e-9)
        y = 0;
    return y;
}
function mapKey(m) {
    let k = '';
    for (let i = 0; i < 9; i++)
        k += Math.round(m.linear[i] * 1e6) + ',';
    for (let i = 0; i < 3; i++)
        k += Math.round(wrap01(m.constant[i]) * 1e6) % 1000000 + ',';
    return k;
}
/** Apply a matrix (row-major, acting on columns) to an affine map: M·(L p + c). */
function transformMap(M, m, shift) {
    const linear = new Float64Array(9);
    const constant = new Float64Array(3);
    for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++)
            linear[3 * i + j] = M[3 * i] * m.linear[j] + M[3 * i + 1] * m.linear[3 + j] + M[3 * i + 2] * m.linear[6 + j];
        constant[i] = M[3 * i] * m.constant[0] + M[3 * i + 1] * m.constant[1] + M[3 * i + 2] * m.constant[2] + (shift ? shift[i] : 0);
    }
    // Snap to the exact table fractions (denominators up to 24) so orbit keys compare exactly.
    for (let i = 0; i < 9; i++)
        linear[i] = Math.round(linear[i] * 24) / 24;
    for (let i = 0; i < 3; i++)
        constant[i] = wrap01(Math.round(constant[i] * 48) / 48);
    return { linear, constant };
}
const cache = new Map();
function crystalSystemOf(s) {
    const c = s.toLowerCase();
    if (['triclinic', 'monoclinic', 'orthorhombic', 'tetragonal', 'trigonal', 'hexagonal', 'cubic'].includes(c))
        return c;
    throw new WyckoffError(`unexpected crystal system "${s}" from moyo`);
}
/**
 * The Wyckoff table and operations of space group `number` (1..230) in its standard setting, built
 * from moyo on first use and cached. Throws WyckoffError for a number outside 1..230.
 */
export function spaceGroupWyckoff(number, moyo) {
    if (!Number.isInteger(number) || number < 1 || number > 230) {
        throw new WyckoffError(`space group must be an integer in 1..230, got ${number}`);
    }
    const hit = cache.get(number);
    if (hit)
        return hit;
    const m = getMoyo(moyo);
    const type = m.space_group_type(number);
    const hall = m.hall_symbol_entry(type.hall_number);
    const centering = hall.centering;
    // moyo serialises rotation matrices column by column: transpose to row-major.
    const operations = m
        .operations_from_number(number, { type: 'HallNumber', value: type.hall_number }, false)
        .map((o) => {
        const r = o.rotation;
        return {
            rotation: Int32Array.of(r[0], r[3], r[6], r[1], r[4], r[7], r[2], r[5], r[8]),
            translation: Float64Array.from(o.translation, (t) => wrap01(Math.round(t * 48) / 48)),
        };
    });
    const isIdentity = (r) => r[0] === 1 && r[4] === 1 && r[8] === 1 && r[1] === 0 && r[2] === 0 && r[3] === 0 && r[5] === 0 && r[6] === 0 && r[7] === 0;
    const centeringVectors = operations.filter((o) => isIdentity(o.rotation)).map((o) => o.translation);
    const basis = Float64Array.from(PRIMITIVE_BASIS[centering]);
    if (Math.abs(det3(basis) * centeringVectors.length - 1) > 1e-9) {
        throw new WyckoffError(`group ${number}: ${centeringVectors.length} centering vectors do not match centering ${centering}`);
    }
    // s_prim = M⁻ᵀ s_conv for rows M = primitive basis; every centering vector must become integer.
    const toPrim = inv3(transposeOf(basis));
    for (const v of centeringVectors) {
        const p = [0, 1, 2].map((i) => toPrim[3 * i] * v[0] + toPrim[3 * i + 1] * v[1] + toPrim[3 * i + 2] * v[2]);
        if (p.some((x) => Math.abs(x - Math.round(x)) > 1e-9))
            throw new WyckoffError(`group ${number}: centering vector ${v} is not a primitive lattice vector`);
    }
    const nCent = centeringVectors.length;
    const positions = m.wyckoff_positions(type.hall_number).map((w) => {
        const representative = parseTriplet(w.coordinates);
        const seen = new Map();
        for (const op of operations) {
            const img = transformMap(op.rotation, representative, op.translation);
            const k = mapKey(img);
            if (!seen.has(k))
                seen.set(k, img);
        }
        const orbit = [...seen.values()];
        if (orbit.length !== w.multiplicity) {
            throw new WyckoffError(`group ${number} position ${w.multiplicity}${w.letter} (${w.coordinates}): orbit has ${orbit.length} images`);
        }
        const primSeen = new Map();
        for (const img of orbit) {
            const p = transformMap(toPrim, img);
            const k = mapKey(p);
            if (!primSeen.has(k))
                primSeen.set(k, p);
        }
        const primitiveOrbit = [...primSeen.values()];
        if (primitiveOrbit.length * nCent !== w.multiplicity) {
            throw new WyckoffError(`group ${number} position ${w.multiplicity}${w.letter}: ${primitiveOrbit.length} primitive images`);
        }
        const freeParameters = PARAMS.filter((_, j) => [0, 1, 2].some((i) => representative.linear[3 * i + j] !== 0));
        return {
            letter: w.letter,
            multiplicity: w.multiplicity,
            primitiveMultiplicity: w.multiplicity / nCent,
            siteSymmetry: w.site_symmetry,
            coordinates: w.coordinates,
            freeParameters,
            dof: freeParameters.length,
            representative,
            orbit,
            primitiveOrbit,
        };
    });
    const table = {
        number,
        hallNumber: type.hall_number,
        symbol: type.hm_short,
        crystalSystem: crystalSystemOf(type.crystal_system),
        rhombohedral: centering === 'R',
        centering,
        centeringVectors,
        operations,
        primitiveBasis: basis,
        positions,
    };
    cache.set(number, table);
    return table;
}
function transposeOf(a) {
    return Float64Array.of(a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]);
}
/** Evaluate an affine map at parameters p into out[o..o+2]. */
export function evaluateMap(m, p, out, o = 0) {
    const L = m.linear, c = m.constant;
    out[o] = L[0] * p[0] + L[1] * p[1] + L[2] * p[2] + c[0];
    out[o + 1] = L[3] * p[0] + L[4] * p[1] + L[5] * p[2] + c[1];
    out[o + 2] = L[6] * p[0] + L[7] * p[1] + L[8] * p[2] + c[2];
}
