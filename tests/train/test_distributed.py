"""The training loops under two processes (torchrun, gloo on the CPU): the code path DDP runs on GPUs.

A text batch leaves the series embedding, the forecasting head and the other tasks' heads without gradients, and
only rank 0 evaluates: without find_unused_parameters and a broadcast of the eval score these runs fail or hang.
"""

import json
import os
import socket
import subprocess
import sys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_processes(args: list[str]) -> None:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
           str(_free_port()), "-m", "bbt.cli.main", *args]
    # ACCELERATE_USE_CPU: what `accelerate launch --cpu` sets; under torchrun alone Accelerate stays single-process
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "ACCELERATE_USE_CPU": "true"}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def test_two_process_finetune_trains_evaluates_and_saves(data_dir, tokenizer_dir, tmp_path):
    out = tmp_path / "ddp"
    common = ["finetune", "--preset", "tiny", "--tasks", "finfe,finre", "--tokenizer", str(tokenizer_dir),
              "--data-dir", str(data_dir), "--out", str(out), "--batch-size", "4", "--max-input-len", "48",
              "--eval-every", "2", "--eval-limit", "3", "--train-limit", "200", "--threads", "1"]
    run_two_processes(common + ["--steps", "6", "--patience", "1"])
    evals = [x for x in map(json.loads, (out / "log.jsonl").read_text().splitlines()) if "eval" in x]
    # one log line per evaluation (rank 0 only); early stopping (patience 1) decided alike on both ranks, else
    # one rank waits forever in the next collective and the timeout fails the test
    assert [x["step"] for x in evals][:2] == [2, 4] and len(evals) == len({x["step"] for x in evals})
    state = json.loads((out / "last" / "trainer_state.json").read_text())
    assert state["step"] == evals[-1]["step"] and (out / "best" / "model.safetensors").is_file()
    # each rank samples its own batches and saves where it is; a resume puts every rank back on its own stream
    ranks = [json.loads((out / "last" / "accelerate" / f"mixture_state_{i}.json").read_text()) for i in (0, 1)]
    assert ranks[0] != ranks[1]
    run_two_processes(common + ["--steps", "8", "--patience", "10", "--resume"])
    assert json.loads((out / "last" / "trainer_state.json").read_text())["step"] == 8


def test_two_process_pretrain_counts_both_ranks_tokens(small_corpus, tokenizer_dir, tmp_path):
    out = tmp_path / "ddp_pt"
    run_two_processes(["pretrain", "--corpus", str(small_corpus), "--tokenizer", str(tokenizer_dir), "--out",
                       str(out), "--preset", "tiny", "--steps", "4", "--batch-size", "2", "--input-len", "32",
                       "--log-every", "2", "--save-every", "2", "--no-source-prompt", "--mixed-precision", "no"])
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4]
    # tokens are summed over both processes: more than one rank's 2 steps x 2 rows x 32 encoder tokens
    assert records[-1]["tokens"] > 4 * 2 * 32 and (out / "final" / "model.safetensors").is_file()
