#!/usr/bin/python3
"""Checks that the training settings of generate.py (MP 3x3x3 on the 32-atom 2x2x2 supercell,
symmetry off) are the Gamma-centred 6x6x6 mesh on the 4-atom cell used here: the relaxed
R3m structure of the training-settings relaxation at 150 GPa, computed both ways.
Appends a 'supercell_check' record to runs.jsonl."""
import os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h3s_static import HERE, read_results, append_result, primitive
from ase import Atoms
from gpaw import GPAW, PW, FermiDirac

RUNS = os.path.join(HERE, 'runs.jsonl')
r = [x for x in read_results(RUNS) if x['kind'] == 'relax' and x['settings'] == 'pw400-fd0.1-k6' and x['P'] == 150][0]
prim = Atoms('SH3', positions=r['positions'], cell=r['cell'], pbc=True)
prim.positions[1] += [0.01, -0.02, 0.015]  # break the symmetry a little: forces to compare
out = {}
t = time.time()
prim.calc = GPAW(mode=PW(400), xc='PBE', kpts={'size': (6, 6, 6), 'gamma': True},
                 occupations=FermiDirac(0.1), symmetry='off',
                 convergence={'energy': 1e-6, 'density': 1e-5}, txt=None)
fp, sp = prim.get_potential_energy(force_consistent=True), prim.get_stress()
ffp = prim.get_forces(); out['seconds_primitive'] = round(time.time() - t, 1)
sup = prim.repeat((2, 2, 2))
t = time.time()
sup.calc = GPAW(mode=PW(400), xc='PBE', kpts=(3, 3, 3), occupations=FermiDirac(0.1),
                symmetry='off', convergence={'energy': 1e-6, 'density': 1e-5}, txt=None)
fs, ss = sup.get_potential_energy(force_consistent=True), sup.get_stress()
ffs = sup.get_forces(); out['seconds_supercell'] = round(time.time() - t, 1)
out.update(kind='supercell_check', settings='pw400-fd0.1-k6',
           free_energy_per_atom_primitive=fp / 4, free_energy_per_atom_supercell=fs / 32,
           diff_meV_atom=(fs / 32 - fp / 4) * 1000,
           max_force_diff=float(np.abs(ffs[:4] - ffp).max()),
           max_stress_diff_GPa=float(np.abs(ss - sp).max() / 0.006241509125883258))
append_result(RUNS, out)
print(out, flush=True)
