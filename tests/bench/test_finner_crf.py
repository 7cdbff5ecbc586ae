"""`bbt bench finner-crf` on a few real rows: every variant fitted, scored and written."""

import json

from bbt.bench.finner_crf import VARIANTS, run


def test_finner_crf_bench_writes_every_variant(data_dir, tmp_path):
    out = tmp_path / "crf.json"
    run(data_dir, out, limit=60, max_iterations=3, workers=1, variants=("chars", "+words+lexicon+kg", "+words+lexicon+weak"))
    res = json.loads(out.read_text())
    assert [r["variant"] for r in res["variants"]] == ["chars", "+words+lexicon+kg", "+words+lexicon+weak"]
    assert all(0 <= r["scores"]["score"] <= 100 for r in res["variants"])
    assert [r["train_rows"] for r in res["variants"]] == [60, 60, 120]  # + 60 weak rows (the limit caps them)
    assert res["variants"][2]["weak_rows"] == 60 and res["variants"][2]["weak_entities"] > 60
    assert res["eval_split_choices"] == 1 and set(VARIANTS) >= {"chars", "+words"}
    assert "one choice made on the eval split" in out.with_suffix(".md").read_text()
