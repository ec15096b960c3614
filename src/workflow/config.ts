// The configuration of `anharm run` (physics.md 8): one JSON (or TOML, parsed by the CLI) object,
// every option with a documented default. Validation names the field; paths stay as written (the
// Node adapter resolves them against the configuration file's folder).

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where reference (DFT-like) labels come from. */
export type ReferenceSpec =
  | { engine: 'potential'; potential: string }
  | { engine: 'gpaw'; cutoff: number; kspacing: number; smearing: number; clients: number }
  | { engine: 'ipi'; address: string };

export interface RunConfig {
  /** Chemical formula of one formula unit, e.g. "H3S". */
  formula: string;
  /** Target pressures (GPa). */
  pressures: number[];
  /** Formula units per cell explored by the search. */
  formulaUnits: number[];
  /** Temperature of the SSCHA (K). */
  temperature: number;
  /** Master seed; every stage derives its own seed from it. */
  seed: number;
  explore: {
    /** Relaxing potential of the exploration (a potential file: built-in, MLIP or ONNX). */
    potential: string;
    generations: number;
    population: number;
    /** Enthalpy window above the best structure kept as candidates (eV/atom). */
    window: number;
    /** Volume per atom of the first random structures (Å³); default: estimated by the search. */
    volumePerAtom: number | null;
  };
  reference: ReferenceSpec;
  /** GPAW settings whenever GPAW is the reference (reference.engine "gpaw", or `--reference gpaw`). */
  gpaw: { cutoff: number; kspacing: number; smearing: number; clients: number };
  mlip: {
    /** Starting training data (extended XYZ files). */
    data: string[];
    /** Starting model (skip the first training) or null. */
    model: string | null;
    level: number;
    rcut: number;
    rmin: number;
    /** Labelling threshold and trust limit of the extrapolation grade (physics.md 6.6). */
    gradeSelect: number;
    gradeStop: number;
    /** Most configurations labelled per active-learning round. */
    maxLabels: number;
    /** Configurations of the explorer's harmonic ensemble labelled per phase and pressure before the first training. */
    ensemble: number;
    /** Generations of the search continued with the MLIP, learning on its relaxations (physics.md 8 step 4); 0: none. */
    searchGenerations: number;
    /** Labels more than this above the lowest energy per atom of their composition are kept out of the fit (eV/atom). */
    trainWindow: number;
  };
  sscha: {
    /** Supercell of the conventional/primitive cell found by the search (diagonal). */
    supercell: [number, number, number];
    configs: number;
    /** How many of the lowest phases per pressure go to the SSCHA. */
    phases: number;
    /** Phases that must be computed even if the search misses them: name → structure file. */
    include: Record<string, string>;
    /** Active-learning rounds (retrain + re-minimise) at most. */
    maxRounds: number;
    hessian: boolean;
    /** Reference evaluations per final ensemble for the model-error spot check (0: none). */
    spotCheck: number;
  };
}

export const DEFAULTS = {
  formulaUnits: [1, 2],
  temperature: 0,
  seed: 1,
  explore: { generations: 8, population: 16, window: 0.15 },
  mlip: { data: [] as string[], model: null as string | null, level: 16, rcut: 4.0, rmin: 0.6, gradeSelect: 2, gradeStop: 10, maxLabels: 20, ensemble: 8, searchGenerations: 0, trainWindow: 1 },
  sscha: { supercell: [2, 2, 2] as [number, number, number], configs: 200, phases: 3, include: {} as Record<string, string>, maxRounds: 3, hessian: true, spotCheck: 16 },
  gpaw: { cutoff: 400, kspacing: 0.25, smearing: 0.1, clients: 1 },
};

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function known(obj: Json, keys: string[], where: string): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) throw new ConfigError(`${where}: unknown field "${k}" (allowed: ${keys.join(', ')})`);
}

function number(v: unknown, where: string, dflt: number | undefined, check: (x: number) => boolean = () => true, what = 'a number'): number {
  if (v === undefined) {
    if (dflt === undefined) throw new ConfigError(`${where} is missing`);
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new ConfigError(`${where} must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

const positive = (x: number) => x > 0;
const posInt = (x: number) => Number.isInteger(x) && x > 0;

function string(v: unknown, where: string, dflt?: string): string {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(`${where} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function list<T>(v: unknown, where: string, dflt: T[] | undefined, item: (x: unknown, w: string) => T): T[] {
  if (v === undefined) {
    if (dflt === undefined) throw new ConfigError(`${where} is missing`);
    return dflt;
  }
  const arr = Array.isArray(v) ? v : [v];
  if (arr.length === 0) throw new ConfigError(`${where} must not be empty`);
  return arr.map((x, i) => item(x, `${where}[${i}]`));
}

function section(obj: Json, key: string, where: string): Json {
  const v = obj[key];
  if (v === undefined) return {};
  if (!isObj(v)) throw new ConfigError(`${where}.${key} must be an object`);
  return v;
}

/** Validate a parsed configuration and fill the defaults. `where` names the file in messages. */
export function parseRunConfig(raw: unknown, where = 'config'): RunConfig {
  if (!isObj(raw)) throw new ConfigError(`${where}: the configuration must be an object`);
  known(raw, ['formula', 'pressures', 'formulaUnits', 'temperature', 'seed', 'explore', 'reference', 'gpaw', 'mlip', 'sscha'], where);
  const formula = string(raw.formula, `${where}: formula`);
  if (!/^([A-Z][a-z]?\d*)+$/.test(formula)) throw new ConfigError(`${where}: formula must look like "H3S", got ${JSON.stringify(formula)}`);
  const pressures = list(raw.pressures, `${where}: pressures`, undefined, (x, w) => number(x, w, undefined, (p) => p >= 0 && p <= 2000, 'a pressure in GPa between 0 and 2000'));
  const formulaUnits = list(raw.formulaUnits, `${where}: formulaUnits`, DEFAULTS.formulaUnits, (x, w) => number(x, w, undefined, (n) => posInt(n) && n <= 8, 'an integer from 1 to 8'));
  const temperature = number(raw.temperature, `${where}: temperature`, DEFAULTS.temperature, (t) => t >= 0, 'a temperature in K (>= 0)');
  const seed = number(raw.seed, `${where}: seed`, DEFAULTS.seed, (s) => Number.isSafeInteger(s) && s >= 0, 'a non-negative integer');

  const e = section(raw, 'explore', where);
  known(e, ['potential', 'generations', 'population', 'window', 'volumePerAtom'], `${where}: explore`);
  const explore = {
    potential: string(e.potential, `${where}: explore.potential`),
    generations: number(e.generations, `${where}: explore.generations`, DEFAULTS.explore.generations, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer (0: no search, the included phases only)'),
    population: number(e.population, `${where}: explore.population`, DEFAULTS.explore.population, (n) => posInt(n) && n >= 2, 'an integer >= 2'),
    window: number(e.window, `${where}: explore.window`, DEFAULTS.explore.window, positive, 'a positive energy in eV/atom'),
    volumePerAtom: e.volumePerAtom === undefined ? null : number(e.volumePerAtom, `${where}: explore.volumePerAtom`, undefined, positive, 'a volume in Å³ per atom'),
  };

  const gp = section(raw, 'gpaw', where);
  known(gp, ['cutoff', 'kspacing', 'smearing', 'clients'], `${where}: gpaw`);
  const gpawSettings = (o: Json, w: string) => ({
    cutoff: number(o.cutoff, `${w}.cutoff`, DEFAULTS.gpaw.cutoff, positive, 'a plane-wave cutoff in eV'),
    kspacing: number(o.kspacing, `${w}.kspacing`, DEFAULTS.gpaw.kspacing, positive, 'a k-point spacing in 1/Å'),
    smearing: number(o.smearing, `${w}.smearing`, DEFAULTS.gpaw.smearing, positive, 'a Fermi-Dirac width in eV'),
    clients: number(o.clients, `${w}.clients`, DEFAULTS.gpaw.clients, posInt, 'a positive integer'),
  });
  const gpaw = gpawSettings(gp, `${where}: gpaw`);
  const r = section(raw, 'reference', where);
  let reference: ReferenceSpec;
  const engine = r.engine === undefined ? 'potential' : r.engine;
  if (engine === 'potential') {
    known(r, ['engine', 'potential'], `${where}: reference`);
    reference = { engine, potential: string(r.potential, `${where}: reference.potential`, explore.potential) };
  } else if (engine === 'gpaw') {
    known(r, ['engine', 'cutoff', 'kspacing', 'smearing', 'clients'], `${where}: reference`);
    // the reference section's own settings win over the gpaw section's
    reference = { engine, ...gpawSettings({ ...gp, ...r }, `${where}: reference`) };
  } else if (engine === 'ipi') {
    known(r, ['engine', 'address'], `${where}: reference`);
    reference = { engine, address: string(r.address, `${where}: reference.address`) };
  } else {
    throw new ConfigError(`${where}: reference.engine must be "potential", "gpaw" or "ipi", got ${JSON.stringify(engine)}`);
  }

  const m = section(raw, 'mlip', where);
  known(m, ['data', 'model', 'level', 'rcut', 'rmin', 'gradeSelect', 'gradeStop', 'maxLabels', 'ensemble', 'searchGenerations', 'trainWindow'], `${where}: mlip`);
  const mlip = {
    data: m.data === undefined ? [] : list(m.data, `${where}: mlip.data`, [], (x, w) => string(x, w)),
    model: m.model === undefined || m.model === null ? null : string(m.model, `${where}: mlip.model`),
    level: number(m.level, `${where}: mlip.level`, DEFAULTS.mlip.level, (n) => Number.isInteger(n) && n >= 2 && n <= 28, 'an integer level from 2 to 28'),
    rcut: number(m.rcut, `${where}: mlip.rcut`, DEFAULTS.mlip.rcut, positive, 'a cutoff radius in Å'),
    rmin: number(m.rmin, `${where}: mlip.rmin`, DEFAULTS.mlip.rmin, positive, 'a minimum distance in Å'),
    gradeSelect: number(m.gradeSelect, `${where}: mlip.gradeSelect`, DEFAULTS.mlip.gradeSelect, (g) => g >= 1, 'a grade >= 1'),
    gradeStop: number(m.gradeStop, `${where}: mlip.gradeStop`, DEFAULTS.mlip.gradeStop, (g) => g >= 1, 'a grade >= 1'),
    maxLabels: number(m.maxLabels, `${where}: mlip.maxLabels`, DEFAULTS.mlip.maxLabels, posInt, 'a positive integer'),
    ensemble: number(m.ensemble, `${where}: mlip.ensemble`, DEFAULTS.mlip.ensemble, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
    searchGenerations: number(m.searchGenerations, `${where}: mlip.searchGenerations`, DEFAULTS.mlip.searchGenerations, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer (0: no search with the MLIP)'),
    trainWindow: number(m.trainWindow, `${where}: mlip.trainWindow`, DEFAULTS.mlip.trainWindow, positive, 'a positive energy in eV/atom'),
  };
  if (mlip.rmin >= mlip.rcut) throw new ConfigError(`${where}: mlip.rmin (${mlip.rmin}) must be below mlip.rcut (${mlip.rcut})`);
  if (mlip.gradeStop < mlip.gradeSelect) throw new ConfigError(`${where}: mlip.gradeStop must be >= mlip.gradeSelect`);

  const s = section(raw, 'sscha', where);
  known(s, ['supercell', 'configs', 'phases', 'include', 'maxRounds', 'hessian', 'spotCheck'], `${where}: sscha`);
  const sc = list(s.supercell, `${where}: sscha.supercell`, DEFAULTS.sscha.supercell, (x, w) => number(x, w, undefined, posInt, 'a positive integer'));
  if (sc.length !== 3) throw new ConfigError(`${where}: sscha.supercell must have 3 integers, got ${sc.length}`);
  const include: Record<string, string> = {};
  if (s.include !== undefined) {
    if (!isObj(s.include)) throw new ConfigError(`${where}: sscha.include must map phase names to structure files`);
    for (const [name, file] of Object.entries(s.include)) include[name] = string(file, `${where}: sscha.include.${name}`);
  }
  if (s.hessian !== undefined && typeof s.hessian !== 'boolean') throw new ConfigError(`${where}: sscha.hessian must be true or false`);
  const configs = number(s.configs, `${where}: sscha.configs`, DEFAULTS.sscha.configs, (n) => posInt(n) && n % 2 === 0 && n >= 8, 'an even integer >= 8 (antithetic pairs)');
  const sscha = {
    supercell: sc as [number, number, number],
    configs,
    phases: number(s.phases, `${where}: sscha.phases`, DEFAULTS.sscha.phases, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer (0: only the included phases)'),
    include,
    maxRounds: number(s.maxRounds, `${where}: sscha.maxRounds`, DEFAULTS.sscha.maxRounds, posInt, 'a positive integer'),
    hessian: s.hessian === undefined ? DEFAULTS.sscha.hessian : (s.hessian as boolean),
    spotCheck: number(s.spotCheck, `${where}: sscha.spotCheck`, DEFAULTS.sscha.spotCheck, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
  };
  return { formula, pressures: [...pressures].sort((a, b) => a - b), formulaUnits, temperature, seed, explore, reference, gpaw, mlip, sscha };
}
