#!/usr/bin/env bash
# GPU check (issue 15, section 6): bf16 pre-training of the `base` preset for a few hundred steps (tokens/s, peak
# memory, MFU), then a short fine-tune and an evaluation of the ten tasks -> gpu_check.json (bbt.bench.gpu_check).
# Only where the `device` tool lends a machine; never in CI. The device image has PyTorch but not all our
# dependencies and no network, so `prepare` gathers what the run needs into .gpu/ (git-ignored, < 64 MiB):
#
#   1. here:   bash scripts/gpu_check.sh prepare          wheels (cp312), tokenizer, a corpus slice, FinCUGE lists
#   2. device: run(command="bash scripts/gpu_check.sh run", carry=[".gpu"], timeout_s=540)
#              -> $OUT/gpu_check.json; copy it to results/gpu_check.json here
#   dry run of step 2 on this CPU (tiny preset, a few steps): bash scripts/gpu_check.sh dry
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
G=.gpu
# what the device image lacks (see ../.library/device/KINDS.md, "Python packages already there")
BINARY_WHEELS="PyWavelets pydantic-settings python-dotenv datasketch sklearn-crfsuite python-crfsuite pytorch-crf pypdf"
SOURCE_ONLY="jieba"

check() {  # the run in one Python call: everything it measures lands in one JSON file
  local out="$1" preset="$2" pt_steps="$3" ft_steps="$4" batch="$5" limit="$6"
  PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}" BBT_DATA_DIR="$G/data" "${PY:-python3}" - "$out" "$preset" \
      "$pt_steps" "$ft_steps" "$batch" "$limit" <<'PY'
import sys
from pathlib import Path
from bbt.bench.gpu_check import run
out, preset, pt, ft, batch, limit = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
res = run(Path(".gpu/corpus"), Path(".gpu/tok8k"), Path(".gpu/data"), Path(out), preset=preset, pretrain_steps=pt,
          finetune_steps=ft, batch_size=batch, eval_limit=limit)
print({k: res[k] for k in ("device", "pretrain", "finetune")})
PY
}

case "${1:-}" in
  prepare)
    mkdir -p "$G/wheels" "$G/data/fincuge"
    PIP=(.venv/bin/python -m pip download -q --disable-pip-version-check --no-deps --dest "$G/wheels")
    "${PIP[@]}" --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 $BINARY_WHEELS
    "${PIP[@]}" $SOURCE_ONLY
    [[ -d runs/tok8k ]] || .venv/bin/bbt tokenizer train --shared --vocab-size 8000 --out runs/tok8k
    rm -rf "$G/tok8k" && cp -r runs/tok8k "$G/tok8k"
    [[ -d runs/corpus_shared ]] || .venv/bin/bbt corpus build-shared --out runs/corpus_shared
    rm -rf "$G/corpus" && mkdir -p "$G/corpus"
    cp $(ls runs/corpus_shared/shard-*.parquet | head -n 4) "$G/corpus/"  # a slice: the run is a few hundred steps
    DATA="${BBT_DATA_DIR:-../shared/data}"
    for d in "$DATA"/fincuge/*/; do  # train and eval lists only: never the problem (test) inputs
      t="$(basename "$d")"; mkdir -p "$G/data/fincuge/$t"; cp "$d"train_list.json "$d"eval_list.json "$G/data/fincuge/$t/"
    done
    du -sh "$G"; echo "ready: run(command=\"bash scripts/gpu_check.sh run\", carry=[\".gpu\"], timeout_s=540)"
    ;;
  run)
    python3 -m pip install -q --no-index --no-deps --find-links "$G/wheels" $BINARY_WHEELS $SOURCE_ONLY
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    check "${OUT:-results}/gpu_check.json" base 300 300 64 200
    ;;
  dry)
    PY=.venv/bin/python check "${OUT:-/tmp}/gpu_check_dry.json" tiny 4 4 4 3
    ;;
  *) echo "usage: bash scripts/gpu_check.sh prepare|run|dry" >&2; exit 2 ;;
esac
