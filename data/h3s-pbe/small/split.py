#!/usr/bin/python3
"""Training / held-out split of the PBE H3S data: the 32-atom frames of ../chunk-seed*.extxyz with
generator index = 4 (mod 5) are held out (as ../train.sh does), and of the small cells of round*.extxyz
every frame whose position in its round file is = 4 (mod 5). Complete frames only (ASE reads them).

Usage: split.py WORKDIR  ->  WORKDIR/train.extxyz, WORKDIR/test-bcc.extxyz, WORKDIR/test-small.extxyz,
WORKDIR/small-<round>.extxyz (all frames of a round, for errors on fresh labels).
Environment: FMAX (eV/A) leaves out of training and testing the small frames whose largest DFT force
component exceeds it (unrelaxed random structures with near-collisions: tens of eV/A), default 1e9;
PMAX (GPa, default 1000) those whose DFT pressure exceeds it (search endpoints collapsed by an early model);
ROUNDS (default: all) uses only round0 ... round<ROUNDS>."""
import glob, io, os, sys
import numpy as np
from ase.io import read, write

here = os.path.dirname(os.path.abspath(__file__))
work = sys.argv[1]
fmax = float(os.environ.get('FMAX', '1e9'))
pmax = float(os.environ.get('PMAX', '1000'))
rounds = int(os.environ.get('ROUNDS', '1000000'))
os.makedirs(work, exist_ok=True)
train, test_bcc, test_small = [], [], []
for f in sorted(glob.glob(os.path.join(here, '..', 'chunk-seed*.extxyz'))):
    for a in read(f, ':'):
        (test_bcc if int(a.info['index']) % 5 == 4 else train).append(a)
for f in sorted(glob.glob(os.path.join(here, 'round*.extxyz'))):
    name = os.path.basename(f)[len('round'):-len('.extxyz')]
    if not name.isdigit() or int(name) > rounds:
        continue
    frames = read(f, ':')
    write(os.path.join(work, 'small-' + os.path.basename(f)), frames, format='extxyz')
    for i, a in enumerate(frames):
        if np.abs(a.get_forces()).max() > fmax or -a.get_stress()[:3].mean() * 160.21766 > pmax:
            continue
        (test_small if i % 5 == 4 else train).append(a)
for name, frames in (('train', train), ('test-bcc', test_bcc), ('test-small', test_small)):
    write(os.path.join(work, name + '.extxyz'), frames, format='extxyz')
print(f'{len(train)} training, {len(test_bcc)} held-out bcc, {len(test_small)} held-out small')
