// The structure model: a periodic cell (rows = lattice vectors, Å), one chemical element per atom,
// fractional positions, and masses in amu (standard atomic weights unless overridden, e.g. by
// isotopes such as D). Immutable by convention: operations return new structures.
import { elementMass, isElement } from './elements.js';
import { det3, inv3, vecMul3 } from './mat3.js';
import { acos, cosDeg, hypot3, sinDeg } from '../numeric/detmath.js';
/** Isotope labels accepted wherever a species is read: label → (element, mass in amu). */
export const ISOTOPES = {
    D: { element: 'H', mass: 2.014101778 },
    T: { element: 'H', mass: 3.01604928 },
};
export class StructureError extends Error {
    constructor(message) {
        super(message);
        this.name = 'StructureError';
    }
}
export class Structure {
    cell;
    species;
    frac;
    masses;
    labels;
    constructor(init) {
        const cell = Float64Array.from(init.cell);
        if (cell.length !== 9)
            throw new StructureError(`cell must have 9 numbers, got ${cell.length}`);
        if (!cell.every(Number.isFinite))
            throw new StructureError('cell contains NaN or Inf');
        const vol = det3(cell);
        if (!(Math.abs(vol) > 1e-8))
            throw new StructureError(`cell is degenerate (volume ${vol} Å³)`);
        const n = init.species.length;
        if (n === 0)
            throw new StructureError('structure has no atoms');
        const species = [];
        const masses = new Float64Array(n);
        for (let i = 0; i < n; i++) {
            const s = init.species[i];
            const iso = ISOTOPES[s];
            if (iso) {
                species.push(iso.element);
                masses[i] = iso.mass;
            }
            else if (isElement(s)) {
                species.push(s);
                masses[i] = elementMass(s);
            }
            else {
                throw new StructureError(`unknown species "${s}" (atom ${i + 1})`);
            }
        }
        if (init.masses) {
            if (init.masses.length !== n)
                throw new StructureError(`masses: expected ${n} values, got ${init.masses.length}`);
            for (let i = 0; i < n; i++) {
                const m = init.masses[i];
                if (!(m > 0) || !Number.isFinite(m))
                    throw new StructureError(`mass of atom ${i + 1} must be positive, got ${m}`);
                masses[i] = m;
            }
        }
        let frac;
        if (init.frac) {
            frac = Float64Array.from(init.frac);
        }
        else if (init.cartesian) {
            const inv = inv3(cell);
            frac = new Float64Array(3 * n);
            for (let i = 0; i < n; i++)
                vecMul3(init.cartesian, inv, frac, 3 * i, 3 * i);
        }
        else {
            throw new StructureError('positions missing: give frac or cartesian');
        }
        if (frac.length !== 3 * n)
            throw new StructureError(`positions: expected ${3 * n} numbers for ${n} atoms, got ${frac.length}`);
        if (!frac.every(Number.isFinite))
            throw new StructureError('positions contain NaN or Inf');
        if (init.labels && init.labels.length !== n)
            throw new StructureError(`labels: expected ${n}, got ${init.labels.length}`);
        this.cell = cell;
        this.species = species;
        this.frac = frac;
        this.masses = masses;
        this.labels = init.labels ? [...init.labels] : undefined;
    }
    get natoms() {
        return this.species.length;
    }
    /** Cell volume (Å³), positive for a right-handed cell. */
    get volume() {
        return Math.abs(det3(this.cell));
    }
    /** Cartesian positions (Å), 3 per atom. */
    cartesian() {
        const out = new Float64Array(3 * this.natoms);
        for (let i = 0; i < this.natoms; i++)
            vecMul3(this.frac, this.cell, out, 3 * i, 3 * i);
        return out;
    }
    /** Lattice parameters a, b, c (Å) and α, β, γ (degrees). */
    lattice() {
        const c = this.cell;
        const len = (i) => hypot3(c[3 * i], c[3 * i + 1], c[3 * i + 2]);
        const dot = (i, j) => c[3 * i] * c[3 * j] + c[3 * i + 1] * c[3 * j + 1] + c[3 * i + 2] * c[3 * j + 2];
        const a = len(0), b = len(1), cc = len(2);
        const ang = (i, j, li, lj) => (acos(Math.max(-1, Math.min(1, dot(i, j) / (li * lj)))) * 180) / Math.PI;
        return { a, b, c: cc, alpha: ang(1, 2, b, cc), beta: ang(0, 2, a, cc), gamma: ang(0, 1, a, b) };
    }
    /** Chemical formula in order of first appearance, e.g. "H3S" → counts per element. */
    composition() {
        const m = new Map();
        for (const s of this.species)
            m.set(s, (m.get(s) ?? 0) + 1);
        return m;
    }
    /** Chemical formula of the cell in order of first appearance, e.g. "SH3", "Si2". */
    formula() {
        let f = '';
        for (const [el, n] of this.composition())
            f += n > 1 ? `${el}${n}` : el;
        return f;
    }
    /** A copy with some fields replaced. */
    with(changes) {
        const base = {
            cell: this.cell,
            species: [...this.species],
            frac: this.frac,
            masses: this.masses,
            labels: this.labels ? [...this.labels] : undefined,
        };
        const next = { ...base, ...changes };
        if (changes.cartesian)
            delete next.frac;
        return new Structure(next);
    }
    /** Fractional coordinates wrapped into [0, 1). */
    wrapped() {
        const f = this.frac.map((x) => {
            const y = x - Math.floor(x);
            return y >= 1 ? 0 : y;
        });
        return this.with({ frac: f });
    }
}
// ------------------------------------------------------------------------------------------------
// Cell parameters and overlap checks.
/** cos and sin of an angle in degrees, exact for the multiples of 30° and 45° that crystallography uses. */
function cosSinDeg(deg) {
    const exact = {
        90: [0, 1],
        60: [0.5, Math.sqrt(3) / 2],
        120: [-0.5, Math.sqrt(3) / 2],
        30: [Math.sqrt(3) / 2, 0.5],
        150: [-Math.sqrt(3) / 2, 0.5],
        45: [Math.SQRT1_2, Math.SQRT1_2],
        135: [-Math.SQRT1_2, Math.SQRT1_2],
    };
    if (exact[deg])
        return exact[deg];
    return [cosDeg(deg), sinDeg(deg)];
}
/**
 * Cell matrix (rows = lattice vectors, Å) from lattice parameters a, b, c (Å) and α, β, γ (degrees)
 * in the standard orientation: a₁ along x, a₂ in the xy plane, a₃ with positive z.
 */
export function cellFromParameters(a, b, c, alpha, beta, gamma) {
    for (const [name, v] of [['a', a], ['b', b], ['c', c]])
        if (!(v > 0) || !Number.isFinite(v))
            throw new StructureError(`cell length ${name} must be positive, got ${v}`);
    for (const [name, v] of [['alpha', alpha], ['beta', beta], ['gamma', gamma]])
        if (!(v > 0 && v < 180))
            throw new StructureError(`cell angle ${name} must be in (0, 180) degrees, got ${v}`);
    const [ca,] = cosSinDeg(alpha);
    const [cb,] = cosSinDeg(beta);
    const [cg, sg] = cosSinDeg(gamma);
    const cy = (ca - cb * cg) / sg;
    const cz2 = 1 - cb * cb - cy * cy;
    if (!(cz2 > 1e-12))
        throw new StructureError(`cell angles α=${alpha}°, β=${beta}°, γ=${gamma}° do not form a cell`);
    return Float64Array.of(a, 0, 0, b * cg, b * sg, 0, c * cb, c * cy, c * Math.sqrt(cz2));
}
/**
 * Find pairs of atoms closer than `minDistance` (Å), periodic images included. O(N²) over pairs; for each
 * pair the fractional difference is wrapped into [−½, ½) and every lattice image that can lie within
 * `minDistance` is tried (the search range follows from the cell's plane spacings, so it is exact for
 * skewed cells too).
 */
export function checkStructure(s, minDistance = 0.5) {
    const c = s.cell;
    const vol = Math.abs(det3(c));
    // Plane spacing h_k = V / |a_i × a_j|.
    const cross = (i, j) => {
        const x = c[3 * i + 1] * c[3 * j + 2] - c[3 * i + 2] * c[3 * j + 1];
        const y = c[3 * i + 2] * c[3 * j] - c[3 * i] * c[3 * j + 2];
        const z = c[3 * i] * c[3 * j + 1] - c[3 * i + 1] * c[3 * j];
        return hypot3(x, y, z);
    };
    const h = [vol / cross(1, 2), vol / cross(2, 0), vol / cross(0, 1)];
    const range = h.map((hk) => Math.ceil(0.5 + minDistance / hk));
    const n = s.natoms;
    const f = s.frac;
    const overlaps = [];
    const d = [0, 0, 0];
    const v = new Float64Array(3);
    for (let i = 0; i < n; i++) {
        for (let j = i; j < n; j++) {
            const shift = [0, 0, 0];
            for (let k = 0; k < 3; k++) {
                const t = f[3 * j + k] - f[3 * i + k];
                shift[k] = -Math.round(t);
                d[k] = t + shift[k];
            }
            let best = Infinity;
            let bestImg = [0, 0, 0];
            for (let n1 = -range[0]; n1 <= range[0]; n1++)
                for (let n2 = -range[1]; n2 <= range[1]; n2++)
                    for (let n3 = -range[2]; n3 <= range[2]; n3++) {
                        if (i === j && n1 === 0 && n2 === 0 && n3 === 0)
                            continue;
                        vecMul3([d[0] + n1, d[1] + n2, d[2] + n3], c, v);
                        const r = hypot3(v[0], v[1], v[2]);
                        if (r < best) {
                            best = r;
                            bestImg = [shift[0] + n1, shift[1] + n2, shift[2] + n3];
                        }
                    }
            if (best < minDistance)
                overlaps.push({ i, j, distance: best, image: bestImg });
        }
    }
    const messages = overlaps.map((o) => o.i === o.j
        ? `atom ${o.i + 1} (${s.species[o.i]}) is ${o.distance.toFixed(4)} Å from its own periodic image [${o.image.join(' ')}]`
        : `atoms ${o.i + 1} (${s.species[o.i]}) and ${o.j + 1} (${s.species[o.j]}) are ${o.distance.toFixed(4)} Å apart` +
            (o.image.some((x) => x !== 0) ? ` (image [${o.image.join(' ')}] of atom ${o.j + 1})` : ''));
    return { ok: overlaps.length === 0, overlaps, messages };
}
/** Throw a StructureError listing every overlapping pair closer than `minDistance` (Å). */
export function assertNoOverlaps(s, minDistance = 0.5) {
    const r = checkStructure(s, minDistance);
    if (!r.ok)
        throw new StructureError(`atoms closer than ${minDistance} Å:\n  ${r.messages.join('\n  ')}`);
}
