#!/bin/sh
# k-point / cutoff convergence of the stiffness at fixed cubic cells (a(P) of pw700-fd0.03-k16),
# one GPAW process at a time.
cd "$(dirname "$0")"
export OMP_NUM_THREADS=1
A="--a-from pw700-fd0.03-k16 --stages hess"
/usr/bin/python3 run.py pw700-fd0.1-k24 $A --pressures 170
/usr/bin/python3 run.py pw900-fd0.1-k16 --a-from pw700-fd0.1-k16 --stages hess --pressures 170
# the rest was run by queue-d.sh (reordered)
# /usr/bin/python3 run.py pw700-fd0.03-k32 $A --pressures 170
# /usr/bin/python3 run.py pw700-fd0.03-k24 $A --pressures 180,160
