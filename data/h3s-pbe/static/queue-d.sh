#!/bin/sh
# k-point convergence of the stiffness at 170 GPa (cell of pw700-fd0.03-k16), then the pressure
# dependence at k24; one GPAW process at a time.
cd "$(dirname "$0")"
export OMP_NUM_THREADS=1
A="--a-from pw700-fd0.03-k16 --stages hess"
/usr/bin/python3 run.py pw700-fd0.03-k32 $A --pressures 170
/usr/bin/python3 run.py pw700-fd0.1-k32 $A --pressures 170
/usr/bin/python3 run.py pw700-fd0.03-k24 $A --pressures 180,160
