#!/usr/bin/python3
"""Errors of a model on freshly labelled frames, all and only the low-enthalpy search endpoints
(kind=low): energy RMSE (meV/atom), energy RMSE after removing the mean offset, force RMSE (eV/A).
Usage: fresh-errors.py MODEL.json ROUND.extxyz"""
import json, os, subprocess, sys
import numpy as np
from ase.io import read
here = os.path.dirname(os.path.abspath(__file__))
model, data = sys.argv[1:3]
fr = read(data, ':')
pred = json.loads(subprocess.run(['node', os.path.join(here, 'predict.mjs'), model, data], check=True,
                                 capture_output=True, text=True).stdout)
for label, sel in (('all', lambda a: True), ('low', lambda a: str(a.info.get('kind', '')).startswith('low'))):
    de, df = [], []
    for a, p in zip(fr, pred):
        if not sel(a):
            continue
        de.append(1000 * (p['energy'] - a.get_potential_energy(force_consistent=True)) / len(a))
        df.append((np.array(p['forces']).reshape(-1, 3) - a.get_forces()).ravel())
    if not de:
        continue
    de = np.array(de); df = np.concatenate(df)
    print(f'{label:4s} {len(de):2d} frames: E RMSE {np.sqrt((de ** 2).mean()):7.1f} meV/atom (offset-free {de.std():6.1f}), '
          f'F RMSE {np.sqrt((df ** 2).mean()):.3f} eV/A')
