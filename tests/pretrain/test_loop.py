"""`bbt pretrain`: a crash + --resume continues with the same batches and losses; the objectives mix; CLI."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from bbt.cli.main import app
from bbt.errors import BBTError
from bbt.model.modeling import load_model
from bbt.pretrain.loop import PretrainConfig, pretrain


def cfg(tokenizer_dir, **kw):
    base = dict(preset="tiny", tokenizer=str(tokenizer_dir), input_len=64, batch_size=4, steps=6, warmup_steps=2,
                log_every=1, save_every=100, mixed_precision="no", seed=1)
    return PretrainConfig(**{**base, **kw})


def losses(out):
    by_step = {}
    for line in (out / "log.jsonl").read_text().splitlines():
        rec = json.loads(line)
        by_step[rec["step"]] = rec  # a resumed run re-logs the steps after its checkpoint: keep the last
    return by_step


def test_resume_after_crash_matches_an_uninterrupted_run(small_corpus, tokenizer_dir, tmp_path):
    full = tmp_path / "full"
    pretrain(cfg(tokenizer_dir), small_corpus, full)
    crashed = tmp_path / "crashed"
    pretrain(cfg(tokenizer_dir, stop_at=3), small_corpus, crashed)
    assert not (crashed / "final").exists() and (crashed / "last" / "trainer_state.json").is_file()
    pretrain(cfg(tokenizer_dir), small_corpus, crashed, resume=True)
    a, b = losses(full), losses(crashed)
    assert sorted(a) == sorted(b) == list(range(1, 7))
    for step in range(4, 7):
        assert a[step]["loss_text"] == pytest.approx(b[step]["loss_text"], rel=1e-5), step
        assert a[step]["tokens"] == b[step]["tokens"], step
    wa = load_model(full / "final")[0].state_dict()
    wb = load_model(crashed / "final")[0].state_dict()
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
    assert a[6]["loss_text"] < a[1]["loss_text"]  # it learns


def test_token_total_survives_a_checkpoint_between_log_lines(small_corpus, tokenizer_dir, tmp_path):
    full, crashed = tmp_path / "full", tmp_path / "crashed"
    pretrain(cfg(tokenizer_dir, log_every=4, steps=8), small_corpus, full)
    pretrain(cfg(tokenizer_dir, log_every=4, steps=8, stop_at=3), small_corpus, crashed)  # saved mid-window
    pretrain(cfg(tokenizer_dir, log_every=4, steps=8), small_corpus, crashed, resume=True)
    a, b = losses(full), losses(crashed)
    assert sorted(a) == sorted(b) == [4, 8]
    assert [a[s]["tokens"] for s in (4, 8)] == [b[s]["tokens"] for s in (4, 8)]
    assert a[4]["loss_text"] == pytest.approx(b[4]["loss_text"], rel=1e-5)


def test_final_checkpoint_is_a_finetuning_start(small_corpus, tokenizer_dir, tmp_path):
    pretrain(cfg(tokenizer_dir, steps=2), small_corpus, tmp_path / "run")
    model, tok, _ = load_model(tmp_path / "run" / "final")
    assert tok is not None and model.config.t5.dropout_rate == 0.1  # pre-trained without, saved with the preset's
    assert all(m.p == 0.1 for m in model.modules() if isinstance(m, torch.nn.Dropout))
    state = json.loads((tmp_path / "run" / "final" / "bbt_state.json").read_text())
    assert state["pretrain"]["step"] == 2 and state["pretrain"]["tokens"] > 0


def test_knowledge_and_joint_batches_join_the_mix(small_corpus, tokenizer_dir, data_dir, tmp_path):
    out = tmp_path / "mix"
    pretrain(cfg(tokenizer_dir, steps=12, knowledge_rate=0.3, joint_rate=0.3), small_corpus, out, data_dir=data_dir)
    kinds = {k for rec in losses(out).values() for k in rec if k.startswith("loss_")}
    assert kinds == {"loss_text", "loss_knowledge", "loss_joint"}
    assert all(np.isfinite(v) for rec in losses(out).values() for k, v in rec.items() if k.startswith("loss_"))


def test_infill_batches_join_the_mix(small_corpus, tokenizer_dir, tmp_path):
    out = tmp_path / "infill"
    pretrain(cfg(tokenizer_dir, steps=10, infill_rate=0.5), small_corpus, out)  # needs no shared data
    recs = losses(out).values()
    assert {k for rec in recs for k in rec if k.startswith("loss_")} == {"loss_text", "loss_infill"}
    with pytest.raises(BBTError, match="infill_rate"):
        pretrain(cfg(tokenizer_dir, infill_rate=1.0), small_corpus, tmp_path / "bad")


def test_bad_settings(small_corpus, tokenizer_dir, tmp_path):
    with pytest.raises(BBTError, match="--data-dir"):
        pretrain(cfg(tokenizer_dir, joint_rate=0.2), small_corpus, tmp_path / "a")
    with pytest.raises(BBTError, match="knowledge_rate"):
        pretrain(cfg(tokenizer_dir, knowledge_rate=0.6, joint_rate=0.5), small_corpus, tmp_path / "b")
    with pytest.raises(BBTError, match="no checkpoint"):
        pretrain(cfg(tokenizer_dir), small_corpus, tmp_path / "c", resume=True)
    with pytest.raises(BBTError, match="tokenizer"):
        pretrain(cfg(tokenizer_dir, tokenizer=None), small_corpus, tmp_path / "d")


def test_cli_pretrain_and_weights(small_corpus, tokenizer_dir, data_dir, tmp_path):
    runner = CliRunner()
    report = tmp_path / "weights.json"
    r = runner.invoke(app, ["corpus", "weights", str(small_corpus), "--data-dir", str(data_dir), "--per-source", "50",
                            "--per-task", "20", "--report", str(report)])
    assert r.exit_code == 0, r.output
    table = json.loads(report.read_text())
    assert set(table["sources"]) == {"news", "forum"} and report.with_suffix(".md").is_file()
    r = runner.invoke(app, ["pretrain", "--corpus", str(small_corpus), "--tokenizer", str(tokenizer_dir),
                            "--out", str(tmp_path / "run"), "--preset", "tiny", "--steps", "2", "--batch-size", "2",
                            "--input-len", "32", "--weights", str(report), "--no-source-prompt"])
    assert r.exit_code == 0, r.output
    assert "2 steps" in r.output and (tmp_path / "run" / "final" / "model.safetensors").is_file()


def test_kill_9_then_resume_gives_the_same_loss_curve(small_corpus, tokenizer_dir, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    settings = dict(steps=30, batch_size=8, input_len=128, save_every=5)
    pretrain(cfg(tokenizer_dir, **settings), small_corpus, tmp_path / "full")
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "bbt.cli.main", "pretrain", "--corpus", str(small_corpus), "--tokenizer",
           str(tokenizer_dir), "--out", str(out), "--preset", "tiny", "--steps", "30", "--batch-size", "8",
           "--input-len", "128", "--save-every", "5", "--log-every", "1", "--warmup-steps", "2", "--seed", "1",
           "--mixed-precision", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = out / "last" / "trainer_state.json"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            if json.loads(state.read_text())["step"] >= 10:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (out / "final").exists()
    r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    a, b = losses(tmp_path / "full"), losses(out)
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 31))  # the killed run's lines after its checkpoint were dropped, not repeated
    assert [a[s]["loss_text"] for s in range(1, 31)] == pytest.approx([b[s]["loss_text"] for s in range(1, 31)],
                                                                        rel=1e-4)


def test_adafactor_option(small_corpus, tokenizer_dir, tmp_path):
    from transformers.optimization import Adafactor

    from bbt.pretrain.loop import make_optimizer

    model = torch.nn.Linear(3, 3)
    assert isinstance(make_optimizer(model, cfg(tokenizer_dir, optimizer="adafactor")), Adafactor)
    with pytest.raises(BBTError, match="sgd"):
        make_optimizer(model, cfg(tokenizer_dir, optimizer="sgd"))
    pretrain(cfg(tokenizer_dir, optimizer="adafactor", lr=1e-2, steps=3), small_corpus, tmp_path / "af")
    assert len(losses(tmp_path / "af")) == 3
