#!/bin/sh
# Rebuild the bundled default model (models/default) on this machine's CPU (tfjs-wasm, one
# thread; about 50 minutes of training on 2 cores), then evaluate it for docs/model-card.md.
#   stage 1: 20,000 `vtrial cohort` participants followed 3 years + 15,000 exposure-dense
#            supplementary participants (scripts/model-cohort-supplement.mjs)
#   stage 2: fine-tune (--init) on the same 20,000 + 15,000 trial-like participants whose
#            exposures mostly start at the baseline visit, as in a trial
#   sh scripts/train-default.sh [OUT_DIR]
# The committed checkpoint ran stage 1 under a 50-minute schedule stopped by hand at 31
# minutes (docs/model-card.md says why); this script gives stage 1 a 31-minute budget instead.
set -eu
OUT=${1:-models/default}
WORK=${TMPDIR:-/tmp}/vtrial-default
mkdir -p "$WORK"
npx tsc -p tsconfig.json
node bin/vtrial.js cohort --n 20000 --years 3 --seed 1 --out "$WORK/cohort-base.csv"
node scripts/model-cohort-supplement.mjs 15000 3 101 "$WORK/cohort-dense.csv"
node scripts/model-cohort-supplement.mjs 15000 1 202 "$WORK/cohort-trial.csv" --trial-like
{ cat "$WORK/cohort-base.csv"; tail -n +2 "$WORK/cohort-dense.csv"; } > "$WORK/stage1.csv"
{ cat "$WORK/cohort-base.csv"; tail -n +2 "$WORK/cohort-trial.csv"; } > "$WORK/stage2.csv"
# held out: 2,000 other participants (seed 2), never seen in training
node bin/vtrial.js cohort --n 2000 --years 3 --seed 2 --out "$WORK/cohort-held.csv"
cat > "$WORK/stage1.json" <<'JSON'
{"dModel":64,"nLayers":2,"nHeads":4,"mlpRatio":4,"nMix":3,"blockSize":32,"batchSize":64,"lr":0.002,"epochs":40,"patience":4}
JSON
cat > "$WORK/stage2.json" <<'JSON'
{"lr":0.001,"warmupSteps":50,"epochs":40,"patience":4,"batchSize":64}
JSON
node bin/vtrial.js train --cohort "$WORK/stage1.csv" --out "$WORK/stage1" --config "$WORK/stage1.json" --max-minutes 31
node bin/vtrial.js train --cohort "$WORK/stage2.csv" --out "$OUT" --init "$WORK/stage1" --config "$WORK/stage2.json" --max-minutes 14
# optimiser state is only needed to resume; the bundled checkpoint leaves it out
rm -f "$OUT/train-state.bin" "$OUT/train-state.json"
node scripts/evaluate-model.mjs "$OUT" "$WORK/cohort-held.csv" --out "$OUT/evaluation.json"
