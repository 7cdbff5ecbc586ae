"""`bbt corpus build-shared` on a small copy of the shared-data layout holding a few real rows."""

import json
from pathlib import Path

import pandas as pd
import pytest

from bbt.corpus.ingest import IngestConfig
from bbt.corpus.shared import FINCUGE_BY_SOURCE, build_shared

TASKS = [t for tasks in FINCUGE_BY_SOURCE.values() for t in tasks]


def _cells(task, row):
    """The text cells of a row as the corpus reads them (finner rows are objects; QA questions are dropped)."""
    from bbt.text.corpus_text import FINCUGE_TEXT_FIELDS
    if isinstance(row, dict):
        cells = [row.get("text")]
    else:
        cells = [row[j] for j in FINCUGE_TEXT_FIELDS[task]]
    cells = [c.strip() for c in cells if isinstance(c, str)]
    return [(c.partition("？")[2].strip() or c) if task in ("finqa", "fincqa") else c for c in cells]


def _long_rows(rows, task, n, min_len=60):
    return [r for r in rows if isinstance(r, (list, dict)) and _cells(task, r) and len(_cells(task, r)[-1]) >= min_len][:n]


@pytest.fixture(scope="module")
def fake(data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("fake_data")
    t = root / "text"
    for d in ("news_crawl", "flash_news", "astock_news", "guba_sentiment"):
        (t / d).mkdir(parents=True)
    lines = (data_dir / "text" / "news_crawl" / "em_xiadie.jsonl").read_text("utf-8").splitlines()
    (t / "news_crawl" / "em_xiadie.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    flash = (data_dir / "text" / "flash_news" / "latest_news.csv").read_text("utf-8-sig").splitlines()
    (t / "flash_news" / "latest_news.csv").write_text("\n".join(flash[:4]) + "\n", encoding="utf-8")
    for n in ("test.csv", "val.csv"):
        rows = (data_dir / "text" / "astock_news" / n).read_text("utf-8").splitlines()
        (t / "astock_news" / n).write_text("\n".join(rows[:3]) + "\n", encoding="utf-8")
    for n in ("positive.txt", "negative.txt"):
        rows = (data_dir / "text" / "guba_sentiment" / n).read_text("utf-8").splitlines()
        (t / "guba_sentiment" / n).write_text("\n".join(rows[:5]) + "\n", encoding="utf-8")
    (root / "kg" / "event_causality").mkdir(parents=True)
    ccks = (data_dir / "kg" / "event_causality" / "ccks2021_raw.jsonl").read_text("utf-8").splitlines()
    (root / "kg" / "event_causality" / "ccks2021_raw.jsonl").write_text("\n".join(ccks[:3]) + "\n", encoding="utf-8")
    eval_texts = {}
    for task in TASKS:
        (root / "fincuge" / task).mkdir(parents=True)
        for split in ("train", "eval"):
            rows = json.loads((data_dir / "fincuge" / task / f"{split}_list.json").read_text("utf-8"))
            rows = _long_rows(rows, task, 3)
            (root / "fincuge" / task / f"{split}_list.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
            if split == "eval":
                eval_texts[task] = rows
    return root, eval_texts


def load(out: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(out.glob("shard-*.parquet"))], ignore_index=True)


def test_build_shared_sources_no_eval_and_rerun(fake, tmp_path):
    root, eval_texts = fake
    out = tmp_path / "corpus"
    m = build_shared(root, out, base=IngestConfig(shard_size=50), progress=False)
    counts = m["counts"]
    assert set(counts) >= {"news", "forum", "announcement", "other"}
    for source in ("news", "forum", "announcement", "other"):
        assert counts[source]["kept"] > 0, source
    assert json.loads((out / "manifest.json").read_text("utf-8"))["counts"] == counts
    assert not (out / ".staging").exists()

    df = load(out)
    assert len(df) == sum(c["kept"] for c in counts.values())
    texts = set(df["text"])
    corpus = "\n".join(texts)
    for task, rows in eval_texts.items():
        train = json.loads((root / "fincuge" / task / "train_list.json").read_text("utf-8"))
        in_train = "\n".join(c for r in train for c in _cells(task, r))
        for r in rows:
            for cell in _cells(task, r):
                # why the exemption: fincqa asks several questions about one passage, some in train, some in eval
                if len(cell) >= 20 and cell[:40] not in in_train:
                    assert cell[:40] not in corpus, (task, cell[:40])
    # every task's train texts are in (finner's objects and fincqa's passages too)
    for task in ("finner", "fincqa", "finfe"):
        train = json.loads((root / "fincuge" / task / "train_list.json").read_text("utf-8"))
        assert any(_cells(task, r)[-1][:30] in corpus for r in train), task
    # finqa questions are stripped; guba segmentation spaces removed; astock dates read
    assert not any("对应的主体有哪些？" in t for t in texts)
    forum = df[df["source"] == "forum"]["text"]
    assert not any("买入 长期" in t for t in forum)
    assert df[df["source"] == "news"]["date"].notna().any()

    m2 = build_shared(root, out, base=IngestConfig(shard_size=50), progress=False)
    assert len(load(out)) == len(df)
    assert {s: c["kept"] for s, c in m2["counts"].items()} == {s: c["kept"] for s, c in counts.items()}
    assert all(r["files"] == 0 for r in m2["runs"][len(m["runs"]):])


def test_cli_build_shared(fake, tmp_path):
    from typer.testing import CliRunner

    from bbt.cli.corpus import corpus_app

    root, _ = fake
    res = CliRunner().invoke(corpus_app, ["build-shared", "--out", str(tmp_path / "c"), "--data-dir", str(root),
                                          "--no-progress"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "c" / "manifest.json").exists()
    assert "forum" in res.output
