#!/usr/bin/env bash
# Does a pre-training recipe leave the unigram plateau within a few hundred steps? Short `bbt pretrain` runs that
# differ in one setting each; the summary reads only the pre-training logs (no FinCUGE row is touched), so it can
# choose the ablation's recipe before the ablation runs.
#   bash scripts/pretrain_probe.sh [OUT] [STEPS]      (needs runs/tok8k and runs/corpus_shared, see README)
# Writes OUT/<name>/log.jsonl per run and OUT/summary.{json,md}: the last logged losses per objective.
set -euo pipefail
OUT="${1:-results/pretrain_probe}"
STEPS="${2:-150}"
BBT="${BBT:-.venv/bin/bbt}"
RUNS="${RUNS:-runs/pretrain_probe}"
mkdir -p "$OUT"
run() {  # run NAME ARGS...: one short pre-training run, its log copied to OUT/NAME.jsonl
  local name="$1"; shift
  [[ -f "$OUT/$name.jsonl" ]] && return
  "$BBT" pretrain --corpus runs/corpus_shared --tokenizer runs/tok8k --out "$RUNS/$name" --steps "$STEPS" \
    --warmup-steps $((STEPS / 10)) --weights size --no-source-prompt --save-every "$STEPS" "$@"
  cp "$RUNS/$name/log.jsonl" "$OUT/$name.jsonl"
}
run adamw_2e-3        --infill-rate 0.5 --optimizer adamw --lr 2e-3
run adafactor_1e-2    --infill-rate 0.5 --optimizer adafactor --lr 1e-2
run adafactor_3e-2    --infill-rate 0.5 --optimizer adafactor --lr 3e-2
.venv/bin/python - "$OUT" <<'PY'
import json, statistics, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = {}
for p in sorted(out.glob("*.jsonl")):
    recs = [json.loads(l) for l in p.read_text().splitlines() if l.strip()]
    kinds = sorted({k for r in recs for k in r if k.startswith("loss_")})
    rows[p.stem] = {k: statistics.mean([r[k] for r in recs if k in r][-5:]) for k in kinds}
    rows[p.stem]["steps"] = recs[-1]["step"]
    rows[p.stem]["seconds"] = recs[-1]["seconds"]
(out / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
kinds = sorted({k for r in rows.values() for k in r if k.startswith("loss_")})
md = ["Pre-training probe: mean of the last 5 logged losses (nats per target token) per objective.", "",
      "| run | steps | seconds | " + " | ".join(kinds) + " |", "|---|---|---|" + "---|" * len(kinds)]
md += [f"| {n} | {r['steps']} | {r['seconds']:.0f} | " + " | ".join(f"{r.get(k, float('nan')):.3f}" for k in kinds)
       + " |" for n, r in rows.items()]
(out / "summary.md").write_text("\n".join(md) + "\n")
print("\n".join(md))
PY
