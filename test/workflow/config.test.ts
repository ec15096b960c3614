import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, parseRunConfig } from '../../src/workflow/config.js';

const minimal = { formula: 'H3S', pressures: [200, 150], explore: { potential: 'h3s.json' } };

describe('run configuration', () => {
  it('fills every default and sorts the pressures', () => {
    const c = parseRunConfig(minimal, 'h3s.json');
    expect(c.pressures).toEqual([150, 200]);
    expect(c.formulaUnits).toEqual(DEFAULTS.formulaUnits);
    expect(c.reference).toEqual({ engine: 'potential', potential: 'h3s.json' });
    expect(c.mlip.level).toBe(DEFAULTS.mlip.level);
    expect(c.sscha.supercell).toEqual([2, 2, 2]);
    expect(c.sscha.hessian).toBe(true);
  });
  it('takes a GPAW reference with its defaults', () => {
    const c = parseRunConfig({ ...minimal, reference: { engine: 'gpaw', cutoff: 500 } });
    expect(c.reference).toEqual({ engine: 'gpaw', cutoff: 500, kspacing: 0.25, smearing: 0.1, clients: 1 });
    // the gpaw section gives the settings (for --reference gpaw too); the reference section's own win
    const g = parseRunConfig({ ...minimal, gpaw: { kspacing: 0.5, cutoff: 450 }, reference: { engine: 'gpaw', cutoff: 500 } });
    expect(g.reference).toEqual({ engine: 'gpaw', cutoff: 500, kspacing: 0.5, smearing: 0.1, clients: 1 });
    expect(g.gpaw).toEqual({ cutoff: 450, kspacing: 0.5, smearing: 0.1, clients: 1 });
    expect(() => parseRunConfig({ ...minimal, gpaw: { kspacin: 0.5 } })).toThrow(/gpaw: unknown field "kspacin"/);
  });
  const bad: [string, unknown, RegExp][] = [
    ['not an object', [], /must be an object/],
    ['missing formula', { pressures: [1], explore: { potential: 'x' } }, /formula/],
    ['bad formula', { ...minimal, formula: 'h3s' }, /formula must look like/],
    ['pressure as a string', { ...minimal, pressures: ['150 GPa'] }, /pressures\[0\] must be a pressure in GPa/],
    ['typo', { ...minimal, presures: [1] }, /unknown field "presures"/],
    ['typo in a section', { ...minimal, sscha: { config: 10 } }, /sscha: unknown field "config"/],
    ['odd configs', { ...minimal, sscha: { configs: 11 } }, /even integer/],
    ['supercell of 2', { ...minimal, sscha: { supercell: [2, 2] } }, /3 integers/],
    ['unknown engine', { ...minimal, reference: { engine: 'vasp' } }, /reference.engine must be/],
    ['rmin above rcut', { ...minimal, mlip: { rmin: 5, rcut: 4 } }, /rmin \(5\) must be below/],
    ['no explore potential', { formula: 'H3S', pressures: [1] }, /explore.potential/],
  ];
  it.each(bad)('rejects %s naming the field', (_name, raw, msg) => {
    expect(() => parseRunConfig(raw, 'run.json')).toThrow(ConfigError);
    expect(() => parseRunConfig(raw, 'run.json')).toThrow(msg);
  });
});
