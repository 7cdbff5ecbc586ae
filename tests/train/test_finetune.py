"""Multi-task fine-tuning end to end on real FinCUGE rows with the tiny preset: checkpoints, log, exact resume."""

import json

import pytest
import torch

import bbt.train.data as train_data
from bbt.errors import BBTError
from bbt.train.finetune import FinetuneConfig, finetune

TASKS = ("finfe", "finnl", "finese")


def config(tokenizer_dir, **kw):
    base = dict(preset="tiny", tasks=TASKS, tokenizer=str(tokenizer_dir), steps=6, batch_size=4,
                max_input_len=48, warmup_steps=2, eval_every=3, eval_limit=3, log_every=1, lr=3e-3,
                train_limit=400)
    return FinetuneConfig(**{**base, **kw})


def losses(out):
    return [r["loss"] for r in map(json.loads, (out / "log.jsonl").read_text().splitlines()) if "loss" in r]


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_finetune_writes_checkpoints_and_log(data_dir, tokenizer_dir, tmp_path):
    out = tmp_path / "run"
    res = finetune(config(tokenizer_dir), data_dir, out)
    assert res["steps"] == 6 and res["best_step"] in (3, 6)
    for d in ("best", "last"):
        assert (out / d / "config.json").is_file() and (out / d / "model.safetensors").is_file()
        assert (out / d / "tokenizer.json").is_file()
    cfg = json.loads((out / "best" / "config.json").read_text())
    assert cfg["bbt"]["cls_heads"]["finfe"] == ["消极", "中性", "积极"] and cfg["bbt"]["multilabel_heads"] == ["finnl"]
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    evals = [r for r in records if "eval" in r]
    assert [r["step"] for r in evals] == [3, 6] and set(evals[0]["eval"]) == set(TASKS)
    assert len(losses(out)) == 6 and all(v == v and v > 0 for v in losses(out))  # finite, positive

    # the best checkpoint is what `bbt eval fincuge --model DIR` reads
    from typer.testing import CliRunner

    from bbt.bench.fincuge.tasks import INVALID, get_task
    from bbt.cli.main import app

    report = tmp_path / "eval.json"
    r = CliRunner().invoke(app, ["eval", "fincuge", "--model", str(out / "best"), "--data-dir", str(data_dir),
                                 "--tasks", ",".join(TASKS), "--limit", "5", "--out", str(report), "--no-progress"])
    assert r.exit_code == 0, r.output
    result = json.loads(report.read_text())
    assert set(result["tasks"]) == set(TASKS) and all(result["tasks"][t]["n"] == 5 for t in TASKS)
    # label tasks answer from their classification head: always a valid label
    cache = [json.loads(line) for line in report.with_suffix(".cache.jsonl").read_text().splitlines()]
    finfe = get_task("finfe")
    examples = {e.id: e for e in finfe.load(data_dir, "eval", limit=5)}
    outs = [c for c in cache if c.get("task") == "finfe"]
    assert len(outs) == 5
    for c in outs:
        assert finfe.parse(c["output"], examples[c["id"]]) != INVALID


def test_resume_after_a_kill_continues_the_same_run(data_dir, tokenizer_dir, tmp_path, monkeypatch):
    straight = tmp_path / "straight"
    finetune(config(tokenizer_dir), data_dir, straight)

    killed = tmp_path / "killed"
    real, calls = train_data.collate, {"n": 0}

    def dying_collate(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:  # step 5, after the checkpoint at step 3
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(train_data, "collate", dying_collate)
    with pytest.raises(KeyboardInterrupt):
        finetune(config(tokenizer_dir), data_dir, killed)
    monkeypatch.setattr(train_data, "collate", real)
    res = finetune(config(tokenizer_dir), data_dir, killed, resume=True)
    assert res["steps"] == 6
    # steps 1-4 logged before the kill (4 was lost with the kill), then 4-6 again from the step-3 checkpoint
    resumed = losses(killed)
    assert resumed[:3] == pytest.approx(losses(straight)[:3], abs=0)
    assert resumed[-3:] == pytest.approx(losses(straight)[3:], rel=1e-6)


def test_resume_without_a_checkpoint_and_scratch_without_tokenizer(data_dir, tokenizer_dir, tmp_path):
    with pytest.raises(BBTError, match="no checkpoint"):
        finetune(config(tokenizer_dir), data_dir, tmp_path / "none", resume=True)
    with pytest.raises(BBTError, match="needs --tokenizer"):
        finetune(config(tokenizer_dir, tokenizer=None), data_dir, tmp_path / "x")
