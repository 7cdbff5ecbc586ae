"""The evaluation loop: result shape, caching, resuming an interrupted run, the leaderboard."""

import json

import pytest

from bbt.bench.leaderboard import ANCHORS, PUBLISHED, console_table, leaderboard_markdown
from bbt.errors import BBTError
from bbt.eval.backends import load_backend
from bbt.tasks.runner import evaluate


class Recorder:
    """Answers like dummy:gold, records every example id it was asked for, can fail after `fail_after` batches."""

    def __init__(self, name="rec", fail_after=None):
        self.name, self.fail_after, self.batches, self.seen = name, fail_after, 0, []

    def generate(self, task, examples):
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise RuntimeError("simulated crash")
        self.batches += 1
        self.seen += [(task.name, e.id) for e in examples]
        return [e.target for e in examples]


def test_dummy_end_to_end_shape(data_dir):
    res = evaluate(load_backend("dummy"), "all", data_dir, limit=20, batch_size=8, progress=False)
    assert res["model"] == "dummy:first" and res["split"] == "eval"
    assert list(res["tasks"]) == ["finfe", "finne", "finnl", "finre", "finnsp", "finese", "finqa", "fincqa", "finna",
                                 "finner"]
    for name, r in res["tasks"].items():
        assert {"metric", "score", "n", "seconds"} <= set(r) and r["n"] == 20, name
        assert 0.0 <= r["score"] <= 100.0 and r["seconds"] >= 0
    assert res["average"] == pytest.approx(sum(r["score"] for r in res["tasks"].values()) / 10)
    assert res["seconds"] >= 0 and res["tasks"]["finre"]["score"] == 0.0  # "无关系" everywhere finds nothing
    assert {"precision", "recall", "accuracy"} <= set(res["tasks"]["finre"])
    assert {"rouge1", "rouge2", "rougeL", "rouge1_words"} <= set(res["tasks"]["finna"])
    json.dumps(res)  # plain JSON values only


def test_gold_scores_100(data_dir):
    res = evaluate(load_backend("dummy:gold"), ["finnsp", "finqa"], data_dir, limit=30, progress=False)
    assert res["average"] == pytest.approx(100.0)


def test_resume_after_interruption(data_dir, tmp_path):
    cache = tmp_path / "r.cache.jsonl"
    crashing = Recorder(fail_after=2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        evaluate(crashing, "finfe,finne", data_dir, limit=40, batch_size=8, cache_path=cache, progress=False)
    assert len(crashing.seen) == 16 and len(cache.read_text(encoding="utf-8").splitlines()) == 16
    first = set(crashing.seen)
    again = Recorder()
    res = evaluate(again, "finfe,finne", data_dir, limit=40, batch_size=8, cache_path=cache, progress=False)
    assert not first & set(again.seen)  # the two batches done before the crash are not recomputed
    assert len(again.seen) == 80 - 16 and res["tasks"]["finfe"]["cached"] == 16
    assert res["average"] == pytest.approx(100.0)
    third = Recorder()  # everything cached now
    evaluate(third, "finfe,finne", data_dir, limit=40, batch_size=8, cache_path=cache, progress=False)
    assert third.seen == []
    other = Recorder(name="another-model")  # the key holds the backend name: nothing reused
    evaluate(other, "finfe", data_dir, limit=8, cache_path=cache, progress=False)
    assert len(other.seen) == 8


def test_changed_prompt_or_half_written_line_is_recomputed(data_dir, tmp_path):
    cache = tmp_path / "c.jsonl"
    evaluate(Recorder(), "finfe", data_dir, limit=4, cache_path=cache, progress=False)
    with cache.open("a", encoding="utf-8") as f:
        f.write('{"model": "rec", "task": "fin')  # what a kill mid-write would leave
    prompted = Recorder()
    prompted.prompt = lambda task, ex: "another prompt " + ex.input
    evaluate(prompted, "finfe", data_dir, limit=4, cache_path=cache, progress=False)
    assert len(prompted.seen) == 4
    prompted.seen = []  # the records appended after the broken line were kept
    evaluate(prompted, "finfe", data_dir, limit=4, cache_path=cache, progress=False)
    assert prompted.seen == []


def test_backend_errors_are_clear(data_dir):
    class Short(Recorder):
        def generate(self, task, examples):
            return ["积极"]

    with pytest.raises(BBTError, match="returned 1 outputs for a batch of 4"):
        evaluate(Short(), "finfe", data_dir, limit=4, progress=False)
    with pytest.raises(BBTError, match="batch size"):
        evaluate(Recorder(), "finfe", data_dir, batch_size=0, progress=False)
    with pytest.raises(BBTError, match="unknown FinCUGE task"):
        evaluate(Recorder(), "finfe,nope", data_dir, progress=False)


def test_leaderboard_marks_sources(data_dir):
    ours = evaluate(load_backend("dummy"), "all", data_dir, limit=10, progress=False)
    part = evaluate(load_backend("dummy:gold"), "finfe", data_dir, split="train", limit=5, progress=False)
    md = leaderboard_markdown([ours, part])
    lines = md.splitlines()
    assert sum(PUBLISHED in line for line in lines) == len(ANCHORS)
    assert any("ours, eval split, first 10 rows per task" in line and "dummy:first" in line for line in lines)
    assert any("ours, train split" in line and "100.00" in line for line in lines)
    assert "| BBT-T5-base | published, their test split | 80.05 |" in md
    assert console_table([ours]).row_count == 13  # ten tasks and three averages


def test_model_labels_are_short_but_tell_runs_apart():
    from bbt.bench.leaderboard import _model_label

    assert _model_label("hf:/models/a/mt5-small") == "hf:mt5-small"
    assert _model_label("bbt:/work/runs/mini_af/best") == "bbt:mini_af/best"
    assert _model_label("bbt:/work/runs/pt/final/") == "bbt:pt/final"
    assert _model_label("openai:http://127.0.0.1:8000/v1#gpt") == "openai:127.0.0.1:8000#gpt"
    assert _model_label("baseline") == "baseline"
