#!/usr/bin/env bash
# One entry point for a bare machine: creates .venv when missing (or when pyproject.toml changed),
# then runs a job inside it.
#   bash scripts/run.sh serve        main job: build the default model bundle if needed, then serve the API
#   bash scripts/run.sh bench        stock forecasting benchmark on a few stocks of the shared data
#   bash scripts/run.sh test         the whole test suite
#   bash scripts/run.sh bbt ARGS...  any bbt command
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BBT_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
STAMP="$VENV/.bbt-installed"
WANT="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"

ensure_env() {
  if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then return; fi
  echo ">> setting up $VENV (one time, a few minutes)" >&2
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  local pip=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
  if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    # CPU torch only: the default PyPI torch pulls several GB of CUDA wheels.
    local wheel
    wheel="$(ls /opt/wheels/torch-2.13.0+cpu-cp3*-manylinux*_x86_64.whl 2>/dev/null | head -n1 || true)"
    if [[ -n "$wheel" ]]; then
      "${pip[@]}" "$wheel"
    else
      "${pip[@]}" torch --index-url https://download.pytorch.org/whl/cpu
    fi
  fi
  "${pip[@]}" -e "$ROOT[dev]"
  echo "$WANT" > "$STAMP"
}

ensure_env
export PATH="$VENV/bin:$PATH"
cmd="${1:-help}"; shift || true
case "$cmd" in
  serve) exec bbt serve "$@" ;;
  bench) exec bbt ts bench --stocks "${BBT_BENCH_STOCKS:-4}" --seeds "${BBT_BENCH_SEEDS:-1}" --out results/stock_bench_quick.json "$@" ;;
  test)  exec python -m pytest "$@" ;;
  bbt)   exec bbt "$@" ;;
  *) echo "usage: bash scripts/run.sh {serve|bench|test|bbt ARGS...}" >&2; exit 2 ;;
esac
