#!/usr/bin/env bash
# FedPrompt's p-tuning and engine benchmarks beside the PyTorch scripts, in one run and one precision,
# each FedPrompt line with the bf16/fp32 linear peak it measured in its own process:
#   bash tools/bench_side_by_side.sh [bf16|fp32] [steps]
# Needs Debian's python3-torch (apt-get install -y python3-torch libopenblas0-pthread). Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
precision=${1:-bf16}
steps=${2:-10}
examples=$(mktemp --suffix .json)
trap 'rm -f "$examples"' EXIT
fedprompt() { dotnet run --project src/FedPrompt.Cli -c Release --no-build -- "$@"; }
fedprompt bench ptuning --steps "$steps" --precision "$precision" --dump "$examples" | tail -1
OMP_NUM_THREADS=2 /usr/bin/python3 tools/bench_ptuning.py --examples "$examples" --mode gathered --precision "$precision"
OMP_NUM_THREADS=2 /usr/bin/python3 tools/bench_ptuning.py --examples "$examples" --mode packed --precision "$precision"
OMP_NUM_THREADS=2 /usr/bin/python3 tools/bench_ptuning.py --examples "$examples" --mode nemo --precision "$precision"
fedprompt bench engine --iterations "$steps" --precision "$precision" | tail -1
OMP_NUM_THREADS=2 /usr/bin/python3 tools/bench_engine.py --iterations "$steps" --precision "$precision"
