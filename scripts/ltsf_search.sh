#!/usr/bin/env bash
# The validation search behind BBT-TS's ETTh1 settings (bbt.bench.ltsf LTSF_MODEL_DEFAULTS,
# LTSF_FREQ_MODEL_DEFAULTS, LTSF_MEMBERS): the final setting, then each choice undone alone, at H=96 with three
# seeds. Decisions read the val_MSE columns only; test MSE is reported beside them. About 25 minutes on 2 cores.
#   bash scripts/ltsf_search.sh [extra bbt ts bench-ltsf options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BBT="${BBT:-.venv/bin/bbt}"
OUT=results/ltsf_search
run() { local name="$1"; shift; "$BBT" ts bench-ltsf --models bbt --horizons 96 --seeds 3 --out "$OUT/$name.json" "$@"; }
run final                                   "$@"  # 3 members per run: ensemble and single-fit scores
run single         --members 1              "$@"
run all_marks      --members 1 --set bbt.mark_columns='[0,1,2,3]' "$@"
run no_cycle       --members 1 --set bbt.cycle_len=0 "$@"
run dropout_0.3    --members 1 --set bbt.dropout=0.3 "$@"
run previous       --members 1 --set bbt.mark_columns='[0,1,2,3]' --set bbt.cycle_len=0 --set bbt.dropout=0.1 "$@"
"${BBT}" ts search-report "$OUT"
