// Random P1 structures: a random cell (ratios in [0.5, 2], angles in [60°, 120°], scaled to the
// target volume) filled atom by atom at uniform positions that respect the minimum distances. The
// fallback generator when no symmetric generator is given (and a baseline for tests); the search
// proper uses the random symmetric generator of random-structure.ts (physics.md 7.2).
import { cellFromParameters, Structure } from '../structure/structure.js';
import { imageTranslations } from './constraints.js';
import { cbrt, hypot3 } from '../numeric/detmath.js';
/** A random cell of volume V: lattice parameters with ratios in [0.5, 2], angles in [60°, 120°]. */
export function randomCell(d, volume) {
    for (let attempt = 0; attempt < 1000; attempt++) {
        const a = 1, b = d.range(0.5, 2), c = d.range(0.5, 2);
        const al = d.range(60, 120), be = d.range(60, 120), ga = d.range(60, 120);
        let cell;
        try {
            cell = cellFromParameters(a, b, c, al, be, ga);
        }
        catch {
            continue;
        }
        const v = Math.abs(cell[0] * (cell[4] * cell[8] - cell[5] * cell[7]) - cell[1] * (cell[3] * cell[8] - cell[5] * cell[6]) + cell[2] * (cell[3] * cell[7] - cell[4] * cell[6]));
        // reject very flat cells (volume below 40 % of a·b·c): they rarely give sensible crystals
        if (v < 0.4 * a * b * c)
            continue;
        const k = cbrt(volume / v);
        return cell.map((x) => x * k);
    }
    throw new RangeError('randomCell: no cell found in 1000 attempts');
}
/**
 * Random P1 structure with the given species (one entry per atom) and volume, or null when the atoms
 * could not be placed in `attempts` tries.
 */
export function randomP1Structure(d, species, volume, md, attempts = 50) {
    const n = species.length;
    for (let attempt = 0; attempt < attempts; attempt++) {
        const cell = randomCell(d, volume);
        const T = imageTranslations(cell, md.max);
        const frac = new Float64Array(3 * n);
        let ok = true;
        for (let i = 0; i < n && ok; i++) {
            let placed = false;
            for (let tries = 0; tries < 200 && !placed; tries++) {
                const f = [d.uniform(), d.uniform(), d.uniform()];
                placed = true;
                // own images
                const dii = md.get(species[i], species[i]);
                for (let m = 0; m < T.length && placed; m += 3)
                    if (hypot3(T[m], T[m + 1], T[m + 2]) < dii)
                        placed = false;
                for (let j = 0; j < i && placed; j++) {
                    const lim = md.get(species[i], species[j]);
                    let u = f[0] - frac[3 * j], v = f[1] - frac[3 * j + 1], w = f[2] - frac[3 * j + 2];
                    u -= Math.round(u);
                    v -= Math.round(v);
                    w -= Math.round(w);
                    const dx = u * cell[0] + v * cell[3] + w * cell[6], dy = u * cell[1] + v * cell[4] + w * cell[7], dz = u * cell[2] + v * cell[5] + w * cell[8];
                    if (dx * dx + dy * dy + dz * dz < lim * lim)
                        placed = false;
                    for (let m = 0; m < T.length && placed; m += 3) {
                        const p = dx + T[m], q = dy + T[m + 1], r = dz + T[m + 2];
                        if (p * p + q * q + r * r < lim * lim)
                            placed = false;
                    }
                }
                if (placed)
                    frac.set(f, 3 * i);
            }
            if (!placed)
                ok = false;
        }
        if (ok)
            return new Structure({ cell, species: [...species], frac });
    }
    return null;
}
