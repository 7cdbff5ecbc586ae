#!/usr/bin/env bash
# Which fine-tuning recipe learns FinCUGE fastest? Short `bbt finetune` runs of the mini model that differ in one
# setting each (same steps, batch, schedule; final weights, no checkpoint selection), each scored by
# `bbt eval fincuge` on the whole eval split. The eval split is the only labelled split besides train, so the
# recipe is chosen on it: the README says so beside the numbers.
#   bash scripts/finetune_probe.sh [OUT] [STEPS]      (needs runs/tok8k, see README)
# PROBES="NAME ..." picks the runs; NAME = INIT_OPTIMIZER_LR, INIT = scratch or a pre-training run under runs/
# whose final/ is the start (results/finetune_probe used runs/pt500 -> the pre-training ablation's
# pretrain_pretrained_ss_sp: 500 steps, Adafactor 3e-2, 50% infilling).
# Writes OUT/<name>.json (the eval result) per run and OUT/summary.{json,md}.
set -euo pipefail
OUT="${1:-results/finetune_probe}"
STEPS="${2:-1000}"
BBT="${BBT:-.venv/bin/bbt}"
RUNS="${RUNS:-runs/finetune_probe}"
mkdir -p "$OUT"
run() {  # run NAME ARGS...: one short fine-tuning run + its full eval
  local name="$1"; shift
  [[ -f "$OUT/$name.json" ]] && return
  "$BBT" finetune --out "$RUNS/$name" --steps "$STEPS" --eval-every 0 --threads 2 "$@"
  # the result is written under RUNS (beside its per-example cache) and copied: results/ keeps no caches
  "$BBT" eval fincuge --model "$RUNS/$name/best" --batch-size 64 --threads 2 --no-progress --out "$RUNS/$name.json"
  cp "$RUNS/$name.json" "$RUNS/$name.md" "$OUT/"
  cp "$RUNS/$name/log.jsonl" "$OUT/$name.log.jsonl"
}
for spec in ${PROBES:-scratch_adamw_1e-3 scratch_adafactor_1e-2 scratch_adafactor_3e-2}; do
  IFS=_ read -r init opt lr <<<"$spec"
  if [[ "$init" == scratch ]]; then src=(--tokenizer runs/tok8k); else src=(--init "runs/$init/final"); fi
  run "$spec" "${src[@]}" --optimizer "$opt" --lr "$lr"
done
.venv/bin/python - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = {}
for p in sorted(out.glob("*.json")):
    if p.name == "summary.json":
        continue
    r = json.loads(p.read_text())
    log = [json.loads(l) for l in (out / f"{p.stem}.log.jsonl").read_text().splitlines() if l.strip()]
    rows[p.stem] = {"average": r["average"], "tasks": {t: v["score"] for t, v in r["tasks"].items()},
                    "steps": log[-1]["step"], "train_seconds": log[-1].get("seconds"),
                    "final_loss": next(x["loss"] for x in reversed(log) if "loss" in x)}
(out / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
tasks = list(next(iter(rows.values()))["tasks"]) if rows else []
md = ["Fine-tuning probe (mini, final weights, whole FinCUGE eval split; run name = init_optimizer_lr).", "",
      "| run | steps | train s | last loss | average | " + " | ".join(tasks) + " |",
      "|---|---|---|---|---|" + "---|" * len(tasks)]
md += [f"| {n} | {r['steps']} | {r['train_seconds']:.0f} | {r['final_loss']:.3f} | {r['average']:.2f} | "
       + " | ".join(f"{r['tasks'][t]:.2f}" for t in tasks) + " |" for n, r in rows.items()]
(out / "summary.md").write_text("\n".join(md) + "\n")
print("\n".join(md))
PY
