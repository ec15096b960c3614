#!/usr/bin/python3
"""Print per frame: key, atoms, space group (spglib, 0.05 A), V/atom, shortest H-H and S-H distances,
k-grid of label.py, and, if labelled, free energy/atom and pressure.  Usage: describe.py FILE..."""
import sys
import numpy as np
import spglib
from ase.io import read
from ase.neighborlist import neighbor_list
sys.path.insert(0, __import__('os').path.dirname(__file__))
from label import kgrid


def shortest(at):
    i, j, d = neighbor_list('ijd', at, 3.0)
    sym = np.array(at.get_chemical_symbols())
    out = {}
    for pair in (('H', 'H'), ('H', 'S'), ('S', 'S')):
        m = ((sym[i] == pair[0]) & (sym[j] == pair[1]))
        out[pair] = d[m].min() if m.any() else np.nan
    return out


def spg(at, prec=0.05):
    return spglib.get_spacegroup((at.cell[:], at.get_scaled_positions(), at.numbers), symprec=prec)


if __name__ == '__main__':
    for f in sys.argv[1:]:
        for at in read(f, ':'):
            s = shortest(at)
            e = ''
            if at.calc is not None:
                try:
                    fe = at.get_potential_energy(force_consistent=True)
                except Exception:
                    fe = at.get_potential_energy()
                st = at.get_stress()
                e = f' F={fe / len(at):.4f} P={-st[:3].mean() * 160.21766:.0f}GPa fmax={np.abs(at.get_forces()).max():.2f}'
            print(f'{at.info.get("key", "?")} {len(at)} {spg(at)} V={at.get_volume() / len(at):.3f} '
                  f'HH={s[("H", "H")]:.3f} SH={s[("H", "S")]:.3f} SS={s[("S", "S")]:.3f} k={kgrid(at)}{e}')
