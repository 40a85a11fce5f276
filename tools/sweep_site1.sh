#!/usr/bin/env bash
# Learning-rate sweep of one job's tuning settings on site-1 alone, judged on the validation split only
# (the test split is never read). Prints each run's validation loss per epoch.
#   tools/sweep_site1.sh JOB_FOLDER EPOCHS MAX_STEPS LR... [-- EXTRA TRAIN FLAGS]
# e.g. tools/sweep_site1.sh jobs/fpb_fedavg_mlp 30 1110 1e-3 1e-2 1e-1 3e-1
#      tools/sweep_site1.sh jobs/fpb_fedavg_lora 12 400 3e-4 1e-3 3e-3 1e-2 -- --lora-targets all
set -euo pipefail
job=$1 epochs=$2 max_steps=$3; shift 3
lrs=(); while [ $# -gt 0 ] && [ "$1" != "--" ]; do lrs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
out=${SWEEP_OUT:-sweep}
fedprompt=${FEDPROMPT:-"dotnet run --project src/FedPrompt.Cli -c Release --"}
mkdir -p "$out/runs"
[ -f "$out/fpb/financial_phrase_bank_val.jsonl" ] || $fedprompt data prepare --out "$out/fpb" > /dev/null
[ -f "$out/sites/site-1.jsonl" ] || $fedprompt data split --input "$out/fpb/financial_phrase_bank_train.jsonl" --sites 3 --out "$out/sites" > /dev/null
python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1]))['tuning'], open(sys.argv[2], 'w'))" "$job/app_site/config.json" "$out/settings.json"
for lr in "${lrs[@]}"; do
  run="$out/runs/$(basename "$job")-$lr"
  $fedprompt train --settings "$out/settings.json" --train "$out/sites/site-1.jsonl" --validation "$out/fpb/financial_phrase_bank_val.jsonl" \
    --epochs "$epochs" --max-steps "$max_steps" --lr "$lr" --out "$run" --overwrite "$@" > "$run.log" 2>&1
  echo "$(basename "$job") lr $lr: $(python3 -c "import json,sys; print(' '.join(f\"{json.loads(l)['validation_loss']:.3f}\" for l in open(sys.argv[1])))" "$run/metrics.jsonl")"
done
