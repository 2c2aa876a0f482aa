#!/bin/bash
# Run a trial as PARTS Slurm array tasks, then merge them:
#   deploy/slurm/submit.sh trials/dash-sodium.yaml results 8
set -euo pipefail
TRIAL=${1:?usage: submit.sh TRIAL.yaml RESULTS_DIR PARTS}
RESULTS=${2:?usage: submit.sh TRIAL.yaml RESULTS_DIR PARTS}
PARTS=${3:?usage: submit.sh TRIAL.yaml RESULTS_DIR PARTS}
HERE=$(cd "$(dirname "$0")" && pwd)
vtrial check "$TRIAL"
ARRAY=$(sbatch --parsable --array=1-$PARTS --export=ALL,PARTS="$PARTS" "$HERE/vtrial-shards.sbatch" "$TRIAL" "$RESULTS")
ARRAY=${ARRAY%%;*}
MERGE=$(sbatch --parsable --dependency=afterok:"$ARRAY" "$HERE/vtrial-merge.sbatch" "$RESULTS")
echo "parts: job array $ARRAY ($PARTS tasks); merge: job $MERGE -> $RESULTS/report/report.json"
