// Element data for Z = 1 … 118: symbol, atomic number, standard atomic weight, covalent radius.
//
// Atomic weights (amu): IUPAC Commission on Isotopic Abundances and Atomic Weights (CIAAW),
//   "Standard atomic weights of the elements 2021", T. Prohaska et al., Pure Appl. Chem. 94 (2022)
//   573–600 (table of standard atomic weights). For elements whose standard atomic weight is an interval
//   (H, Li, B, C, N, O, Mg, Si, S, Cl, Ar, Br, Tl, Pb) the "conventional atomic weight" that report
//   gives for such elements is used (e.g. H 1.008, S 32.06). Cross-checked against ase.data (IUPAC 2016
//   there) in test/structure/elements.test.ts; Ar, Yb and Hf differ from ASE by later IUPAC revisions. Elements without stable isotopes and without a standard atomic weight
//   (Tc, Pm, Po … Og except Th, Pa, U) get the mass number of their longest-lived known isotope, the
//   bracketed value printed in periodic tables (e.g. Tc [98]); such masses are only placeholders.
//   Isotopes (e.g. D) are overridden per atom through Structure masses (see ISOTOPES in structure.ts).
//
// Covalent radii (Å): B. Cordero, V. Gómez, A. E. Platero-Prats, M. Revés, J. Echeverría, E. Cremades,
//   F. Barragán, S. Alvarez, "Covalent radii revisited", Dalton Trans. (2008) 2832–2838, Table 2.
//   Where that table gives several values the following are used: C sp3 (0.76), Mn, Fe, Co low spin
//   (1.39, 1.32, 1.26). The table covers Z = 1 … 96 only; for Z ≥ 97 no radius is defined and
//   covalentRadius() throws (hasCovalentRadius() lets callers test first).
// symbol, standard atomic weight (amu), Cordero covalent radius (Å) — in order of Z.
// prettier-ignore
const TABLE = [
    ['H', 1.008, 0.31], ['He', 4.002602, 0.28],
    ['Li', 6.94, 1.28], ['Be', 9.0121831, 0.96], ['B', 10.81, 0.84], ['C', 12.011, 0.76],
    ['N', 14.007, 0.71], ['O', 15.999, 0.66], ['F', 18.998403163, 0.57], ['Ne', 20.1797, 0.58],
    ['Na', 22.98976928, 1.66], ['Mg', 24.305, 1.41], ['Al', 26.9815384, 1.21], ['Si', 28.085, 1.11],
    ['P', 30.973761998, 1.07], ['S', 32.06, 1.05], ['Cl', 35.45, 1.02], ['Ar', 39.95, 1.06],
    ['K', 39.0983, 2.03], ['Ca', 40.078, 1.76], ['Sc', 44.955907, 1.70], ['Ti', 47.867, 1.60],
    ['V', 50.9415, 1.53], ['Cr', 51.9961, 1.39], ['Mn', 54.938043, 1.39], ['Fe', 55.845, 1.32],
    ['Co', 58.933194, 1.26], ['Ni', 58.6934, 1.24], ['Cu', 63.546, 1.32], ['Zn', 65.38, 1.22],
    ['Ga', 69.723, 1.22], ['Ge', 72.630, 1.20], ['As', 74.921595, 1.19], ['Se', 78.971, 1.20],
    ['Br', 79.904, 1.20], ['Kr', 83.798, 1.16],
    ['Rb', 85.4678, 2.20], ['Sr', 87.62, 1.95], ['Y', 88.905838, 1.90], ['Zr', 91.224, 1.75],
    ['Nb', 92.90637, 1.64], ['Mo', 95.95, 1.54], ['Tc', 98, 1.47], ['Ru', 101.07, 1.46],
    ['Rh', 102.90549, 1.42], ['Pd', 106.42, 1.39], ['Ag', 107.8682, 1.45], ['Cd', 112.414, 1.44],
    ['In', 114.818, 1.42], ['Sn', 118.710, 1.39], ['Sb', 121.760, 1.39], ['Te', 127.60, 1.38],
    ['I', 126.90447, 1.39], ['Xe', 131.293, 1.40],
    ['Cs', 132.90545196, 2.44], ['Ba', 137.327, 2.15], ['La', 138.90547, 2.07], ['Ce', 140.116, 2.04],
    ['Pr', 140.90766, 2.03], ['Nd', 144.242, 2.01], ['Pm', 145, 1.99], ['Sm', 150.36, 1.98],
    ['Eu', 151.964, 1.98], ['Gd', 157.25, 1.96], ['Tb', 158.925354, 1.94], ['Dy', 162.500, 1.92],
    ['Ho', 164.930329, 1.92], ['Er', 167.259, 1.89], ['Tm', 168.934219, 1.90], ['Yb', 173.045, 1.87],
    ['Lu', 174.9668, 1.87], ['Hf', 178.486, 1.75], ['Ta', 180.94788, 1.70], ['W', 183.84, 1.62],
    ['Re', 186.207, 1.51], ['Os', 190.23, 1.44], ['Ir', 192.217, 1.41], ['Pt', 195.084, 1.36],
    ['Au', 196.966570, 1.36], ['Hg', 200.592, 1.32], ['Tl', 204.38, 1.45], ['Pb', 207.2, 1.46],
    ['Bi', 208.98040, 1.48], ['Po', 209, 1.40], ['At', 210, 1.50], ['Rn', 222, 1.50],
    ['Fr', 223, 2.60], ['Ra', 226, 2.21], ['Ac', 227, 2.15], ['Th', 232.0377, 2.06],
    ['Pa', 231.03588, 2.00], ['U', 238.02891, 1.96], ['Np', 237, 1.90], ['Pu', 244, 1.87],
    ['Am', 243, 1.80], ['Cm', 247, 1.69], ['Bk', 247, NaN], ['Cf', 251, NaN],
    ['Es', 252, NaN], ['Fm', 257, NaN], ['Md', 258, NaN], ['No', 259, NaN],
    ['Lr', 266, NaN], ['Rf', 267, NaN], ['Db', 268, NaN], ['Sg', 269, NaN],
    ['Bh', 270, NaN], ['Hs', 269, NaN], ['Mt', 278, NaN], ['Ds', 281, NaN],
    ['Rg', 282, NaN], ['Cn', 285, NaN], ['Nh', 286, NaN], ['Fl', 289, NaN],
    ['Mc', 290, NaN], ['Lv', 293, NaN], ['Ts', 294, NaN], ['Og', 294, NaN],
];
/** Elements whose mass above is a mass number (no standard atomic weight exists). */
const NO_STANDARD_WEIGHT = new Set([
    'Tc', 'Pm', 'Po', 'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Np', 'Pu', 'Am', 'Cm', 'Bk', 'Cf', 'Es', 'Fm', 'Md', 'No',
    'Lr', 'Rf', 'Db', 'Sg', 'Bh', 'Hs', 'Mt', 'Ds', 'Rg', 'Cn', 'Nh', 'Fl', 'Mc', 'Lv', 'Ts', 'Og',
]);
/** All elements, index = Z − 1. */
export const ELEMENTS = Object.freeze(TABLE.map(([symbol, mass, radius], i) => Object.freeze({ symbol, Z: i + 1, mass, radius })));
const BY_SYMBOL = new Map(ELEMENTS.map((e) => [e.symbol, e]));
/** Number of elements known (118). */
export const N_ELEMENTS = ELEMENTS.length;
/** True for an exact, case-sensitive element symbol ("Fe", not "FE" or "fe"). */
export function isElement(s) {
    return BY_SYMBOL.has(s);
}
function row(s) {
    const e = BY_SYMBOL.get(s);
    if (!e)
        throw new RangeError(`unknown element "${s}"`);
    return e;
}
/** Standard atomic weight (amu); for elements without one, the mass number of the longest-lived isotope. */
export function elementMass(s) {
    return row(s).mass;
}
/** True if the element has an IUPAC standard atomic weight (false for Tc, Pm, Po…Ac, Np…Og). */
export function hasStandardWeight(s) {
    row(s);
    return !NO_STANDARD_WEIGHT.has(s);
}
/** Atomic number Z of a symbol. */
export function atomicNumber(s) {
    return row(s).Z;
}
/** Element symbol for atomic number Z (1 … 118). */
export function symbolOf(Z) {
    if (!Number.isInteger(Z) || Z < 1 || Z > ELEMENTS.length)
        throw new RangeError(`no element with atomic number ${Z}`);
    return ELEMENTS[Z - 1].symbol;
}
/** True if Cordero et al. (2008) give a covalent radius (Z ≤ 96). */
export function hasCovalentRadius(s) {
    return !Number.isNaN(row(s).radius);
}
/** Covalent radius (Å) from Cordero et al. (2008); throws for Z ≥ 97, where none is tabulated. */
export function covalentRadius(s) {
    const e = row(s);
    if (Number.isNaN(e.radius))
        throw new RangeError(`no covalent radius tabulated for ${s} (Z = ${e.Z}; Cordero et al. 2008 stop at Cm)`);
    return e.radius;
}
/**
 * Turn a loosely written species name into an element symbol, or undefined: normalizes case
 * ("FE" → "Fe", "fe" → "Fe"). Isotope labels (D, T) are left to the caller.
 */
export function normalizeSymbol(s) {
    if (s.length === 0 || s.length > 2)
        return undefined;
    const t = s[0].toUpperCase() + s.slice(1).toLowerCase();
    return BY_SYMBOL.has(t) ? t : undefined;
}
