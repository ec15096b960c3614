#!/usr/bin/python3
"""Model against DFT on labelled frames: per frame the MLIP and DFT energy/atom, enthalpy/atom at the
frame's `pressure` (H = F + P V, with the DFT or model pressure residual shown), force RMSE; then the
enthalpy differences between the frames of the same pressure (relative to the lowest by DFT).

Usage: compare.py MODEL.json LABELLED.extxyz   (calls `anharm evaluate`-like predictions through node)"""
import json, os, subprocess, sys, tempfile
import numpy as np
from ase.io import read

GPA = 160.21766208
here = os.path.dirname(os.path.abspath(__file__))
model, data = sys.argv[1:3]
frames = read(data, ':')
# MLIP predictions via a tiny node helper (energy, forces, stress per frame)
pred = json.loads(subprocess.run(['node', os.path.join(here, 'predict.mjs'), model, data],
                                 check=True, capture_output=True, text=True).stdout)
rows = []
for a, p in zip(frames, pred):
    n = len(a)
    v = a.get_volume() / n
    P = float(a.info.get('pressure', 0.0))
    fd = a.get_potential_energy(force_consistent=True) / n
    fm = p['energy'] / n
    sd = -a.get_stress()[:3].mean() * GPA
    sm = -np.mean(p['stress'][:3]) * GPA
    ferr = np.sqrt(np.mean((np.array(p['forces']).reshape(-1, 3) - a.get_forces()) ** 2))
    rows.append(dict(key=a.info['key'], P=P, n=n, v=v, hd=fd + P * v / GPA, hm=fm + P * v / GPA,
                     de=1000 * (fm - fd), sd=sd, sm=sm, ferr=ferr, fmax_dft=np.abs(a.get_forces()).max()))
print(f'{"key":34s} {"n":>2s} {"V/at":>6s} {"dE meV/at":>9s} {"P_dft":>6s} {"P_mlip":>6s} {"Frmse":>6s} {"|F|max dft":>9s}  '
      f'{"H_dft-min":>9s} {"H_mlip-min":>10s}')
for P in sorted({r['P'] for r in rows}):
    sub = [r for r in rows if r['P'] == P]
    hd0 = min(r['hd'] for r in sub)
    hm0 = min(r['hm'] for r in sub)
    for r in sorted(sub, key=lambda r: r['hd']):
        print(f'{r["key"]:34s} {r["n"]:2d} {r["v"]:6.3f} {r["de"]:9.1f} {r["sd"]:6.1f} {r["sm"]:6.1f} {r["ferr"]:6.3f} '
              f'{r["fmax_dft"]:9.3f}  {1000 * (r["hd"] - hd0):9.1f} {1000 * (r["hm"] - hm0):10.1f}')
de = np.array([r['de'] for r in rows])
print(f'energy: mean {de.mean():.1f}, RMSE {np.sqrt((de ** 2).mean()):.1f}, RMSE after removing the mean '
      f'{de.std():.1f} meV/atom; force RMSE {np.sqrt(np.mean([r["ferr"] ** 2 for r in rows])):.3f} eV/A')
