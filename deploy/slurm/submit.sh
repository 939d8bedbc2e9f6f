#!/bin/bash
# Submits a sharded fleet study and its merge:  deploy/slurm/submit.sh N OUT.sqlite SCENARIOS...
# The merge runs when every array task has succeeded (afterok), and writes OUT.sqlite,
# which `hasim report` reads and which equals an unsharded run's fleet tables row for row.
set -euo pipefail
N="$1"; OUT="$2"; shift 2
HERE="$(cd "$(dirname "$0")" && pwd)"
SHARDS="${HASIM_SHARDS:-shards}"
mkdir -p "$SHARDS"
ARRAY=$(sbatch --parsable --array=0-$((N - 1)) "$HERE/fleet-array.sbatch" "$@")
files=()
for k in $(seq 1 "$N"); do files+=("$SHARDS/shard-$k.sqlite"); done
sbatch --parsable --dependency=afterok:"$ARRAY" --job-name=hasim-merge --output="$SHARDS/merge.log" \
    --wrap "${HASIM:-hasim} merge --out $OUT ${files[*]}"
