#!/bin/sh
# One active-learning round k >= 1 (physics.md 8, stage B), from the repository root after npm run build:
#   1. anharm search with the model of round k-1 at 100, 150 and 200 GPa (1-2 formula units, small run);
#   2. select.mjs: lowest unique endpoints per pressure + MaxVol picks + a few failed relaxations
#      -> data/h3s-pbe/small/round<k>-input.extxyz;
#   3. label.py (GPAW, resumable) -> data/h3s-pbe/small/round<k>.extxyz;
#   4. errors of the model of round k-1 on these fresh labels (fit/fresh-r<k>.txt);
#   5. train.sh -> $WORK/model-r<k>.json (copied as model.json).
#
#   sh data/h3s-pbe/small/round.sh K [POPULATION=16] [GENERATIONS=6]
# Every step is skipped when its output exists (label.py itself resumes frame by frame).
# Environment: WORK (default /tmp/h3s-small-fit), LEVEL RCUT RMIN (train.sh), FMAX (split.py),
# LOW CAP FAILED (select.mjs: --low --cap --failed).
set -eu
K=$1; POP=${2:-16}; GEN=${3:-6}
HERE=$(dirname "$0")
WORK=${WORK:-/tmp/h3s-small-fit}
export WORK
ANHARM="node $HERE/../../../dist/bin/anharm.js"
PREV="$WORK/model-r$((K - 1)).json"
[ -f "$PREV" ] || { echo "no $PREV (round 0: sh $HERE/train.sh, then cp \$WORK/model.json $PREV)" >&2; exit 2; }
mkdir -p "$HERE/fit" "$HERE/searches"
SEARCH="$WORK/search-r$K"
if [ ! -f "$SEARCH/results.json" ]; then
  $ANHARM search --formula H3S --pressure 100,150,200 --formula-units 1-2 --potential "$PREV" --out "$SEARCH" \
    --population "$POP" --generations "$GEN" --seed "$K" 2>&1 | grep -v '^ ' | tee "$HERE/searches/search-r$K.txt"
fi
cp "$SEARCH/results.json" "$HERE/searches/results-r$K.json"
IN="$HERE/round$K-input.extxyz"
if [ ! -f "$IN" ]; then
  node "$HERE/select.mjs" "$PREV" "$IN" "$SEARCH" --prefix "r$K" --low "${LOW:-3}" --cap "${CAP:-8}" \
    --failed "${FAILED:-3}" > "$HERE/searches/endpoints-r$K.txt"
fi
OMP_NUM_THREADS=1 /usr/bin/python3 "$HERE/label.py" "$IN" "$HERE/round$K.extxyz"
$ANHARM evaluate "$PREV" "$HERE/round$K.extxyz" --quiet | tee "$HERE/fit/fresh-r$K.txt"
sh "$HERE/train.sh" "${LEVEL:-14}" "${RCUT:-3.5}" "${RMIN:-0.4}"
cp "$WORK/model.json" "$WORK/model-r$K.json"
