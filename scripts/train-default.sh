#!/bin/sh
# Rebuild the bundled default model (models/default) from scratch on this machine's CPU:
# a reference-world training cohort (`vtrial cohort`, plus exposure-dense supplementary
# participants from scripts/model-cohort-supplement.mjs), a held-out cohort, training with a
# wall-time budget, then the evaluation that fills docs/model-card.md.
# About an hour on 2 cores (tfjs-wasm, one thread).
#   sh scripts/train-default.sh [OUT_DIR] [MINUTES]
set -eu
OUT=${1:-models/default}
MINUTES=${2:-50}
WORK=${TMPDIR:-/tmp}/vtrial-default
mkdir -p "$WORK"
npx tsc -p tsconfig.json
# training cohort: 20,000 participants followed 3 years (seed 1) + 15,000 exposure-dense ones (seed 101)
node bin/vtrial.js cohort --n 20000 --years 3 --seed 1 --out "$WORK/cohort-base.csv"
node scripts/model-cohort-supplement.mjs 15000 3 101 "$WORK/cohort-sup.csv"
{ cat "$WORK/cohort-base.csv"; tail -n +2 "$WORK/cohort-sup.csv"; } > "$WORK/cohort-train.csv"
# held out: 2,000 other participants (seed 2), never seen in training
node bin/vtrial.js cohort --n 2000 --years 3 --seed 2 --out "$WORK/cohort-held.csv"
cat > "$WORK/config.json" <<'JSON'
{"dModel":64,"nLayers":2,"nHeads":4,"mlpRatio":4,"nMix":3,"blockSize":32,"batchSize":64,"lr":0.002,"epochs":40,"patience":4}
JSON
node bin/vtrial.js train --cohort "$WORK/cohort-train.csv" --out "$OUT" --config "$WORK/config.json" --max-minutes "$MINUTES"
# optimiser state is only needed to resume; the bundled checkpoint leaves it out
rm -f "$OUT/train-state.bin" "$OUT/train-state.json"
node scripts/evaluate-model.mjs "$OUT" "$WORK/cohort-held.csv" --out "$OUT/evaluation.json"
