#!/bin/sh
# Train the H-S moment-tensor potential on the 32-atom bcc-like frames of ../ plus the small search-driven
# cells of this folder (round*.extxyz), evaluate it on the held-out frames of both (split.py).
#
#   sh data/h3s-pbe/small/train.sh [LEVEL=14] [RCUT=3.5] [RMIN=0.4]   (repository root, after npm run build)
#
# Writes $WORK/model.json (default WORK=/tmp/h3s-small-fit) and the reports fit/{train,evaluate-*}.txt here.
set -eu
LEVEL=${1:-14}
RCUT=${2:-3.5}
RMIN=${3:-0.4}
HERE=$(dirname "$0")
WORK=${WORK:-/tmp/h3s-small-fit}
OUT="$HERE/fit"
mkdir -p "$OUT" "$WORK"
/usr/bin/python3 "$HERE/split.py" "$WORK"
ANHARM="node $HERE/../../../dist/bin/anharm.js"
$ANHARM train "$WORK/train.extxyz" --out "$WORK/model.json" --level "$LEVEL" --rcut "$RCUT" --rmin "$RMIN" \
  --holdout 0 --seed 1 --quiet | tee "$OUT/train.txt"
$ANHARM evaluate "$WORK/model.json" "$WORK/test-bcc.extxyz" --quiet | tee "$OUT/evaluate-bcc.txt"
$ANHARM evaluate "$WORK/model.json" "$WORK/test-small.extxyz" --quiet | tee "$OUT/evaluate-small.txt"
