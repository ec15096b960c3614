#!/usr/bin/python3
"""Table of the lowest structures of an `anharm search` run folder: per pressure the first N of the
ranking with space group (spglib at 0.05 and 0.1 A), atoms, dH (meV/atom) from the best, V/atom and
the distinct S-H distances below 2 A, the shortest H-H distance (and the number of H-H pairs below 1.0 A, i.e. H2-like units).
Usage: ranking.py RUNDIR [N=6]"""
import json, os, sys
import numpy as np
from ase.io import read
from ase.neighborlist import neighbor_list
import spglib

run = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 6
res = json.load(open(os.path.join(run, 'results.json')))
for pr in res['pressures']:
    rk = pr['ranking'][:N]
    h0 = rk[0]['enthalpyPerAtom']
    print(f"{pr['pressure']} GPa ({pr['relaxations']} relaxations, {pr['failed']} failed)")
    for r in rk:
        a = read(os.path.join(run, r['files']['poscar']))
        cell = (a.cell[:], a.get_scaled_positions(), a.numbers)
        g1 = spglib.get_spacegroup(cell, symprec=0.05)
        g2 = spglib.get_spacegroup(cell, symprec=0.1)
        i, j, d = neighbor_list('ijd', a, 2.5)
        s = np.array(a.get_chemical_symbols())
        sh = d[(s[i] == 'S') & (s[j] == 'H')]
        hh = d[(s[i] == 'H') & (s[j] == 'H')]
        nh2 = int((hh < 1.0).sum() // 2)
        print(f"  {r['rank']:2d} {g1:14s} ({g2:14s}) {r['natoms']} at  dH {1000 * (r['enthalpyPerAtom'] - h0):7.1f} meV/at  "
              f"V {r['volumePerAtom']:.3f}  S-H<2 {'/'.join(f'{x:.3f}' for x in np.unique(np.round(sh[sh < 2.0], 3)))}  "
              f"H-H min {hh.min() if len(hh) else np.nan:.3f}  H2-like pairs {nh2}")
