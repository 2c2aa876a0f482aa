#!/bin/sh
# Rebuild the bundled default model (models/default) on this machine's CPU (tfjs-wasm, one
# thread), then evaluate it for docs/model-card.md. "Recipe S" (sessions 14-17): one model trained
# in STAGES stages on a growing synthetic cohort, each stage continuing the previous stage's weights
# (`vtrial train --init`), about 20 minutes of cohort writing, then per stage ~5 minutes of
# loading, the training budget and ~3 minutes of calibration:
#   A   from scratch, tokeniser version 6, width 96, 60 minutes, on recipe B's cohort (train2:
#       165,000 participants: 20,000 `vtrial cohort` participants followed 3 years, 15,000
#       exposure-dense ones, 30,000 trial-like ones from the populations trials recruit, 100,000
#       trial-like ones followed 6 months with drug onsets at the baseline visit, 30% placebo);
#   C3  version 7 (dose escalation), 30 minutes, train2 + 20,000 combination-design participants
#       (a background diet or programme with an add-on; `--combined`);
#   S1  version 8 (the screening visit), 30 minutes, the same participants with the readings they
#       were selected on written at day -14 (`--screening-visit`);
#   S2  30 minutes more on the same cohort (seed 4);
#   S3  30 minutes on it + 10,000 trial-like participants visited monthly with every panel
#       (`--full-panels`);
# and finally the manifest's rollout is set to feed every sampled variable back at monthly latent
# steps (rolloutFeed 'all', rolloutStepDays 31; docs/model-card.md, sessions 12-16).
#   sh scripts/train-default.sh [OUT_DIR] [MINUTES]   (MINUTES: each fine-tune's budget, 30 bundled;
#   the first stage gets twice it)
# Budgets are wall time, so the steps behind each stage depend on the machine's speed: this trains
# the same recipe, not the exact bundled checkpoint, and runs of one recipe differ a lot (model
# card, "Training").
set -eu
OUT=${1:-models/default}
MINUTES=${2:-30}
WORK=${TMPDIR:-/tmp}/vtrial-default
S=scripts/model-cohort-supplement.mjs
mkdir -p "$WORK"
npx tsc -p tsconfig.json
node bin/vtrial.js cohort --n 20000 --years 3 --seed 1 --out "$WORK/cohort-base.csv"
node $S 15000 3 101 "$WORK/cohort-dense.csv"
node $S 30000 1.5 303 "$WORK/cohort-trial.csv" --trial-like --enriched
node $S 100000 0.5 505 "$WORK/cohort-onset.csv" --trial-like --enriched --placebo-controls 0.3
node $S 20000 1.5 707 "$WORK/cohort-combined.csv" --combined --placebo-controls 0.25
# the same participants with their screening readings (every other row identical)
node $S 30000 1.5 303 "$WORK/cohort-trial-s.csv" --trial-like --enriched --screening-visit
node $S 100000 0.5 505 "$WORK/cohort-onset-s.csv" --trial-like --enriched --placebo-controls 0.3 --screening-visit
node $S 20000 1.5 707 "$WORK/cohort-combined-s.csv" --combined --placebo-controls 0.25 --screening-visit
node $S 10000 1 313 "$WORK/cohort-full-s.csv" --trial-like --enriched --placebo-controls 0.3 --screening-visit --full-panels
node bin/vtrial.js cohort --n 2000 --years 3 --seed 2 --out "$WORK/cohort-held.csv"
# supplement subject ids are keyed by seed, so the files concatenate into one cohort
concat() { out=$1; shift; cp "$WORK/cohort-base.csv" "$out"; for f in "$@"; do tail -n +2 "$WORK/cohort-$f.csv" >> "$out"; done; }
concat "$WORK/train2.csv" dense trial onset
concat "$WORK/train3.csv" dense trial onset combined
concat "$WORK/train8.csv" dense trial-s onset-s combined-s
concat "$WORK/train9.csv" dense trial-s onset-s combined-s full-s
# stage NAME COHORT MINUTES INIT CONFIG: train one stage (the cohorts have 36-48 million rows:
# Node's heap needs room, ~11 GB resident)
stage() {
  rm -rf "$WORK/$1"
  printf '%s\n' "$5" > "$WORK/$1.json"
  if [ "$4" = none ]; then init=""; else init="--init $WORK/$4"; fi
  # shellcheck disable=SC2086
  NODE_OPTIONS=--max-old-space-size=16000 node bin/vtrial.js train --cohort "$2" --out "$WORK/$1" --config "$WORK/$1.json" --max-minutes "$3" $init
}
FT='"lr":0.001,"epochs":60,"patience":8,"changeWeight":4,"earlyWeight":3,"snapshotMinutes":0'
stage A "$WORK/train2.csv" $((MINUTES * 2)) none '{"dModel":96,"nLayers":2,"nHeads":4,"mlpRatio":4,"nMix":3,"blockSize":32,"batchSize":64,"lr":0.002,"epochs":60,"patience":8,"changeWeight":4,"earlyWeight":3,"interaction":32,"tokenizerVersion":6,"snapshotMinutes":0,"seed":3}'
stage C3 "$WORK/train3.csv" "$MINUTES" A "{$FT,\"tokenizerVersion\":7,\"seed\":3}"
stage S1 "$WORK/train8.csv" "$MINUTES" C3 "{$FT,\"tokenizerVersion\":8,\"seed\":3}"
stage S2 "$WORK/train8.csv" "$MINUTES" S1 "{$FT,\"tokenizerVersion\":8,\"seed\":4}"
stage S3 "$WORK/train9.csv" "$MINUTES" S2 "{$FT,\"tokenizerVersion\":8,\"seed\":5}"
mkdir -p "$OUT"
# optimiser state is only needed to resume; the bundled checkpoint leaves it out
cp "$WORK/S3/weights.bin" "$WORK/S3/model-card.md" "$OUT/"
node -e "const fs = require('fs'); const m = JSON.parse(fs.readFileSync(process.argv[1], 'utf8')); m.rolloutFeed = 'all'; m.rolloutStepDays = 31; fs.writeFileSync(process.argv[2], JSON.stringify(m, null, 1) + '\n')" "$WORK/S3/manifest.json" "$OUT/manifest.json"
node scripts/evaluate-model.mjs "$OUT" "$WORK/cohort-held.csv" --out "$OUT/evaluation.json"
