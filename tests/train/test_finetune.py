"""Multi-task fine-tuning end to end on real FinCUGE rows with the tiny preset: checkpoints, log, exact resume."""

import json

import pytest
import torch

import bbt.train.data as train_data
from bbt.errors import BBTError
from bbt.train.finetune import FinetuneConfig, finetune

TASKS = ("finfe", "finnl", "finese")


def config(tokenizer_dir, **kw):
    base = dict(preset="tiny", tasks=TASKS, tokenizer=str(tokenizer_dir) if tokenizer_dir else None, steps=6, batch_size=4,
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

    from bbt.tasks import INVALID, get_task
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
    # steps 1-4 logged before the kill (4 was lost with the kill); the resume drops line 4 and redoes 4-6 from
    # the step-3 checkpoint, so the log reads like one run
    resumed = losses(killed)
    assert len(resumed) == 6
    assert resumed[:3] == pytest.approx(losses(straight)[:3], abs=0)
    assert resumed[-3:] == pytest.approx(losses(straight)[3:], rel=1e-6)


def test_resume_without_a_checkpoint_and_scratch_without_tokenizer(data_dir, tokenizer_dir, tmp_path):
    with pytest.raises(BBTError, match="no checkpoint"):
        finetune(config(tokenizer_dir), data_dir, tmp_path / "none", resume=True)
    with pytest.raises(BBTError, match="needs --tokenizer"):
        finetune(config(tokenizer_dir, tokenizer=None), data_dir, tmp_path / "x")


def test_init_from_a_plain_t5_checkpoint_and_from_a_bbt_one(data_dir, tokenizer_dir, tmp_path):
    from transformers import T5Config, T5ForConditionalGeneration

    from bbt.text.tokenizer import load_tokenizer

    tok = load_tokenizer(str(tokenizer_dir))
    t5_dir = tmp_path / "t5"
    cfg = T5Config(vocab_size=len(tok), d_model=32, d_ff=64, num_layers=2, num_heads=2, d_kv=16,
                   feed_forward_proj="gated-gelu", tie_word_embeddings=False, decoder_start_token_id=0)
    T5ForConditionalGeneration(cfg).save_pretrained(t5_dir)
    tok.save_pretrained(str(t5_dir))  # a T5 directory carries its tokenizer
    res = finetune(config(None, init=str(t5_dir), eval_every=0, steps=3), data_dir, tmp_path / "from_t5")
    saved = json.loads((tmp_path / "from_t5" / "best" / "config.json").read_text())
    assert res["steps"] == 3 and saved["d_model"] == 32 and "finfe" in saved["bbt"]["cls_heads"]

    # a BBT checkpoint goes on from where it stopped: its first loss is near the last one, far below a fresh start
    first = tmp_path / "first"
    finetune(config(tokenizer_dir, steps=30, eval_every=0, lr=1e-2), data_dir, first)
    again = tmp_path / "again"
    finetune(config(None, init=str(first / "best"), steps=2, eval_every=0, warmup_steps=1), data_dir, again)
    assert losses(again)[0] < losses(first)[0] - 1.0


def test_early_stopping_time_budget_and_accumulation(data_dir, tokenizer_dir, tmp_path, monkeypatch):
    # lr 0: the eval score never improves, so patience 1 stops at the second evaluation
    res = finetune(config(tokenizer_dir, lr=0.0, steps=20, eval_every=1, patience=1), data_dir, tmp_path / "es")
    assert res["steps"] == 2 and res["best_step"] == 1
    res = finetune(config(tokenizer_dir, steps=20, eval_every=0, time_budget_s=0.0), data_dir, tmp_path / "tb")
    assert res["steps"] == 1 and (tmp_path / "tb" / "best" / "model.safetensors").is_file()

    real, calls = train_data.collate, {"n": 0}

    def counting_collate(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(train_data, "collate", counting_collate)
    res = finetune(config(tokenizer_dir, steps=3, grad_accum=2, eval_every=0), data_dir, tmp_path / "ga")
    assert res["steps"] == 3 and calls["n"] == 6  # two micro-batches per optimiser step


def test_cli_finetune_with_adafactor(data_dir, tokenizer_dir, tmp_path):
    from typer.testing import CliRunner

    from bbt.cli.main import app

    args = ["finetune", "--preset", "tiny", "--tasks", "finfe", "--tokenizer", str(tokenizer_dir), "--data-dir",
            str(data_dir), "--steps", "2", "--batch-size", "4", "--max-input-len", "32", "--eval-every", "2",
            "--eval-limit", "2", "--train-limit", "50", "--threads", "1"]
    r = CliRunner().invoke(app, args + ["--out", str(tmp_path / "af"), "--optimizer", "adafactor", "--lr", "1e-2"])
    assert r.exit_code == 0, r.output
    assert "best eval average" in r.output and (tmp_path / "af" / "best" / "model.safetensors").is_file()
    r = CliRunner().invoke(app, args + ["--out", str(tmp_path / "bad"), "--optimizer", "sgd"])
    # BBTError: `bbt` prints its message without a traceback (bbt.cli.main.main)
    assert isinstance(r.exception, BBTError) and "unknown optimizer 'sgd'" in str(r.exception)
    assert not (tmp_path / "bad").exists()  # refused before any work


def test_best_is_only_replaced_by_a_better_eval_not_by_a_periodic_save(data_dir, tokenizer_dir, tmp_path):
    out = tmp_path / "run"
    # saves at 2 and 4 fall between the evals at 3 and 6: they may write last/, never best/
    res = finetune(config(tokenizer_dir, save_every=2), data_dir, out)
    state = json.loads((out / "best" / "bbt_state.json").read_text())
    assert state["step"] == res["best_step"] in (3, 6) and state["eval_average"] == pytest.approx(
        res["best_eval_average"])
