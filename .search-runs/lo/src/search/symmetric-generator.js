import { admissibleSpaceGroups, randomSymmetricStructure } from './random-structure.js';
export function symmetricGenerator(options = {}) {
    const admissible = new Map();
    const strikes = new Map();
    const allowed = options.spaceGroups ? new Set(options.spaceGroups) : null;
    return (d, species, volume, md) => {
        const composition = {};
        for (const s of species)
            composition[s] = (composition[s] ?? 0) + 1;
        const key = Object.entries(composition).map(([s, n]) => `${s}${n}`).join('');
        let groups = admissible.get(key);
        if (!groups) {
            const all = admissibleSpaceGroups(composition, 1, options.moyo);
            groups = all.filter((g) => (allowed ? allowed.has(g) : g >= 2));
            if (groups.length === 0)
                groups = all.filter((g) => !allowed || allowed.has(g));
            admissible.set(key, groups);
        }
        const minDistances = md.toJSON();
        for (let t = 0; t < (options.groupsPerCall ?? 20); t++) {
            const live = groups.filter((g) => (strikes.get(`${key}/${g}`) ?? 0) < 3);
            if (live.length === 0)
                return null;
            const g = live[d.int(live.length)];
            const r = randomSymmetricStructure({
                composition,
                formulaUnits: 1,
                spaceGroup: g,
                volume,
                minDistances,
                rng: d.rng,
                maxAttempts: options.attemptsPerGroup ?? 20,
                moyo: options.moyo,
            });
            if (r)
                return r.structure;
            strikes.set(`${key}/${g}`, (strikes.get(`${key}/${g}`) ?? 0) + 1);
        }
        return null;
    };
}
