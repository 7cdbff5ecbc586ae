"""`bbt experiment pretrain-ablation` end to end at toy scale, and the throughput bench's bookkeeping."""

import json

import pytest
from typer.testing import CliRunner

from bbt.cli.main import app
from bbt.errors import BBTError


def test_ablation_writes_the_keyed_table_and_caches_stages(small_corpus, tokenizer_dir, data_dir, tmp_path):
    report = tmp_path / "ablation.json"
    args = ["experiment", "pretrain-ablation", "--out", str(tmp_path / "work"), "--report", str(report),
            "--tokenizer", str(tokenizer_dir), "--corpus", str(small_corpus), "--data-dir", str(data_dir),
            "--preset", "tiny", "--pretrain-steps", "2", "--finetune-steps", "2", "--batch-size", "4",
            "--input-len", "32", "--eval-limit", "2", "--arms", "scratch,pretrained_ss_sp"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    res = json.loads(report.read_text())
    assert {"scratch", "pretrained_ss_sp"} <= set(res) and "pretrained" not in res
    for arm in ("scratch", "pretrained_ss_sp"):
        assert set(res[arm]["tasks"]) == {"finfe", "finne", "finnl", "finre", "finnsp", "finese", "finqa", "fincqa",
                                          "finna", "finner"}
        assert 0 <= res[arm]["average"] <= 100
    assert abs(sum(v["similarity_weight"] for v in res["weights"]["sources"].values()) - 1) < 1e-9
    assert res["pretrained_ss_sp"]["pretrain_loss"] > 0 and "pretrain_loss" not in res["scratch"]
    assert 0 < res["weights"]["span_target_unigram_entropy"] < 10
    use = res["pretrained_ss_sp"]["encoder_use"]
    assert use["gap"] == pytest.approx(use["other_row_input"] - use["own_input"]) and use["own_input"] > 0
    assert "| scratch |" in report.with_suffix(".md").read_text()
    # every stage is cached: a re-run trains nothing and reproduces the numbers
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    again = json.loads(report.read_text())
    assert again["scratch"] == res["scratch"] and again["protocol"]["trained_this_run"] == []
    assert set(again["protocol"]["stage_seconds"]) == set(res["protocol"]["stage_seconds"])
    # other settings must not reuse these stages
    r = CliRunner().invoke(app, [a if a != "4" else "8" for a in args])
    assert isinstance(r.exception, BBTError) and "batch_size" in str(r.exception)


def test_throughput_bench_reports_both_loops(small_corpus, tokenizer_dir):
    from bbt.bench.pretrain_throughput import markdown, run

    res = run(small_corpus, str(tokenizer_dir), preset="tiny", batch=2, input_len=32, steps=2, warmup=1, repeats=1,
              progress=False)
    assert res["bare_median"] > 0 and res["pipeline_median"] > 0
    assert "bare `transformers` T5" in markdown(res)


def test_bad_pretraining_settings_fail_before_any_stage(small_corpus, tokenizer_dir, data_dir, tmp_path):
    base = ["experiment", "pretrain-ablation", "--out", str(tmp_path / "work"), "--report", str(tmp_path / "r.json"),
            "--tokenizer", str(tokenizer_dir), "--corpus", str(small_corpus), "--data-dir", str(data_dir),
            "--preset", "tiny", "--arms", "scratch,pretrained"]
    for extra, needle in ((["--pretrain-optimizer", "sgd"], "sgd"), (["--infill-rate", "1.5"], "infill_rate")):
        r = CliRunner().invoke(app, base + extra)
        assert isinstance(r.exception, BBTError) and needle in str(r.exception)
        assert not (tmp_path / "work" / "finetune_scratch_seed0").exists()  # nothing trained first
