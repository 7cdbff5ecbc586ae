"""The head-ceiling benchmark on real train rows: shares in [0, 100], and finna's extract ceiling above Lead."""

import json

from bbt.bench.head_ceiling import TASKS, run


def test_head_ceiling_reports_every_task_and_the_extract_beats_lead(data_dir, tokenizer_dir, tmp_path):
    out = tmp_path / "ceiling.json"
    res = run([tokenizer_dir], data_dir, out, limit=60, max_len=128)
    row = res["tokenizers"][str(tokenizer_dir)]
    assert all(0.0 <= row[t]["ceiling"] <= 100.0 for t in TASKS)
    assert row["finna"]["ceiling"] > row["finna"]["lead"] + 10
    assert res["split"] == "train" and json.loads(out.read_text())["limit_per_task"] == 60
    assert "Lead on the same rows" in out.with_suffix(".md").read_text()
