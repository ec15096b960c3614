#!/usr/bin/python3
"""Collects runs.jsonl into results.json (the numbers the README quotes; an oracle fixture)
and prints the tables of the README."""
import json, os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h3s_static import HERE, read_results

runs = read_results(os.path.join(HERE, 'runs.jsonl'))
names = []
for r in runs:
    if r.get('settings') and r['settings'] not in names and r['kind'] != 'supercell_check':
        names.append(r['settings'])


def crossing(ps, ys):
    """First pressure where y goes from < 0 to >= 0 (linear interpolation), or None."""
    for i in range(len(ps) - 1):
        if ys[i] < 0 <= ys[i + 1]:
            return ps[i] + (ps[i + 1] - ps[i]) * (-ys[i]) / (ys[i + 1] - ys[i])
    return None


out = {'units': {'P': 'GPa', 'a': 'A', 'k_min': 'eV/A^2 per 4-atom cell (lowest eigenvalue of the '
                 '2x2 stiffness of the R3m distortion (u, v) at fixed cubic cell)',
                 'bonds': 'A', 'dH': 'meV/atom, H(R3m relaxed) - H(Im-3m), Mermin free energy + PV'},
       'settings': {}}
for n in names:
    e = sorted([r for r in runs if r['kind'] == 'eos' and r['settings'] == n], key=lambda r: r['a'])
    h = sorted([r for r in runs if r['kind'] == 'hess' and r['settings'] == n], key=lambda r: r['P'])
    x = sorted([r for r in runs if r['kind'] == 'relax' and r['settings'] == n], key=lambda r: r['P'])
    d = {}
    if e:
        d['eos'] = [dict(a=r['a'], P=round(r['pressure'], 3), seconds=r['seconds']) for r in e]
    if h:
        d['stiffness'] = [dict(P=r['P'], a=round(r['a'], 5), k_min=round(r['k_min'], 4),
                               mode_uv=[round(c, 3) for c in r['soft_mode_uv']],
                               seconds=r['seconds']) for r in h]
        d['P_instability_fixed_cell'] = crossing([r['P'] for r in h], [r['k_min'] for r in h])
    if x:
        d['relaxed'] = [dict(P=r['P'], sh_short=round(r['sh_short'], 4), sh_long=round(r['sh_long'], 4),
                             dH_free=round(r['dH_free_meV_atom'], 3), dH_energy=round(r['dH_energy_meV_atom'], 3),
                             steps=r['steps'], seconds=r['seconds'], converged=r['converged'])
                        for r in x]
        # (long - short)^2 is linear in P near a continuous transition: extrapolate the two
        # highest pressures with a clear distortion (> 0.02 A) to zero
        dist = [(r['P'], (r['sh_long'] - r['sh_short']) ** 2) for r in x if r['sh_long'] - r['sh_short'] > 0.02]
        if len(dist) >= 2:
            (p1, y1), (p2, y2) = dist[-2], dist[-1]
            d['P_symmetrisation_relaxed'] = p2 + y2 * (p2 - p1) / (y1 - y2)
    out['settings'][n] = d
chk = [r for r in runs if r['kind'] == 'supercell_check']
if chk:
    out['supercell_check'] = chk[-1]
json.dump(out, open(os.path.join(HERE, 'results.json'), 'w'), indent=1)

for n, d in out['settings'].items():
    print(f'## {n}')
    for s in d.get('stiffness', []):
        print(f"  P={s['P']:6.1f} a={s['a']:.4f} k_min={s['k_min']:8.4f} mode={s['mode_uv']} t={s['seconds']}")
    if 'P_instability_fixed_cell' in d:
        print(f"  -> Im-3m unstable below {d['P_instability_fixed_cell']}")
    for s in d.get('relaxed', []):
        print(f"  relax P={s['P']:6.1f} S-H {s['sh_short']:.4f}/{s['sh_long']:.4f} dH {s['dH_free']:.3f} ({s['dH_energy']:.3f}) steps {s['steps']} {s['seconds']} s")
    if 'P_symmetrisation_relaxed' in d:
        print(f"  -> relaxed symmetrisation at {d['P_symmetrisation_relaxed']:.1f}")
