"""`bbt corpus ingest` on small files built from real shared-data texts."""

import json
from pathlib import Path

import pandas as pd
import pytest

from bbt.corpus import IngestConfig, ingest
from bbt.corpus.clean import CleanConfig, clean_text
from bbt.corpus.readers import ReadOptions


@pytest.fixture(scope="module")
def news(data_dir):
    lines = (data_dir / "text" / "news_crawl" / "em_xiadie.jsonl").read_text("utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    return [t for t in texts if len(t) > 500][:12]


@pytest.fixture(scope="module")
def forum(data_dir):
    rows = json.loads((data_dir / "fincuge" / "finfe" / "train_list.json").read_text("utf-8"))
    return [r[0] for r in rows if len(r[0]) >= 60][:20]


def cfg(source="news", **read):
    return IngestConfig(read=ReadOptions(source=source, **read), clean=CleanConfig(min_chars=20), shard_size=4)


def load(out: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(out.glob("shard-*.parquet"))], ignore_index=True)


def test_formats_are_read_and_written(tmp_path, news, forum):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text("\n".join(json.dumps({"text": t, "date": "2018-01-0%d" % (i + 1),
                                                         "code": "600519"}, ensure_ascii=False)
                                           for i, t in enumerate(news[:3])) + "\n", encoding="utf-8")
    pd.DataFrame({"text": forum[:3]}).to_csv(src / "b.tsv", sep="\t", index=False)
    (src / "c.txt").write_text("\n".join(forum[3:6]), encoding="utf-8")
    (src / "d.html").write_text(f"<html><head><script>var x=1;</script></head><body><p>{news[3]}</p>"
                                "<p>责任编辑：张三</p></body></html>", encoding="utf-8")
    out = tmp_path / "out"
    m = ingest([src / "a.jsonl", src / "d.html"], out, cfg(), progress=False)
    m = ingest([src / "b.tsv"], out, cfg("forum"), progress=False)
    m = ingest([src / "c.txt"], out, cfg("forum", per_line=True), progress=False)
    assert m["counts"]["news"]["kept"] == 4 and m["counts"]["forum"]["kept"] == 6
    df = load(out)
    assert len(df) == 10 and set(df.source) == {"news", "forum"}
    first = df[df.origin.str.endswith("a.jsonl")].iloc[0]
    assert first.date == "2018-01-01" and "600519" in list(first.codes) and first.line == 1
    html = df[df.origin.str.endswith("d.html")].text.iloc[0]
    assert "var x" not in html and "责任编辑" not in html
    assert (out / "manifest.json").exists() and len(m["shards"]) == 3


def test_pdf_read_and_broken_inputs_reported(tmp_path, news):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    with (tmp_path / "blank.pdf").open("wb") as f:
        w.write(f)  # a valid PDF with no text: read fine, dropped as too short
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage that is not a pdf")
    (tmp_path / "bad.jsonl").write_text(json.dumps({"text": news[0]}, ensure_ascii=False) + "\n{not json\n",
                                        encoding="utf-8")
    (tmp_path / "gbk.txt").write_bytes(news[1].encode("gbk", errors="ignore"))
    m = ingest([tmp_path], tmp_path / "out", cfg(), progress=False)
    c = m["counts"]["news"]
    reasons = {(Path(p["file"]).name, p["line"]): p["reason"] for p in m["problems"]}
    assert "broken PDF" in reasons[("broken.pdf", None)]
    assert "bad JSON" in reasons[("bad.jsonl", 2)]
    assert "cannot decode" in reasons[("gbk.txt", None)]
    assert c["corrupt"] == 3 and c["kept"] == 1 and c["dropped_short"] == 1


def test_exact_and_near_dupes(tmp_path, news):
    base = news[0]
    i = len(base) // 2
    changed = base[:i] + ("涨" if base[i] != "涨" else "跌") + base[i + 1:]
    rows = [base, "  " + base.replace("\n", "\n\n") + " ", changed, news[1]]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in rows),
                                      encoding="utf-8")
    c = ingest([tmp_path / "d.jsonl"], tmp_path / "out", cfg(), progress=False)["counts"]["news"]
    assert (c["kept"], c["exact_dupes"], c["near_dupes"]) == (2, 1, 1)


def test_rerun_adds_nothing_and_new_file_dedups_against_first(tmp_path, news):
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in news[:6]),
                                      encoding="utf-8")
    out = tmp_path / "out"
    first = ingest([tmp_path / "a.jsonl"], out, cfg(), progress=False)
    kept = first["counts"]["news"]["kept"]
    again = ingest([tmp_path / "a.jsonl"], out, cfg(), progress=False)
    assert again["counts"]["news"]["read"] == first["counts"]["news"]["read"] and len(load(out)) == kept
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in news[4:8]),
                                      encoding="utf-8")
    m = ingest([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], out, cfg(), progress=False)
    assert m["counts"]["news"]["exact_dupes"] >= 2 and len(load(out)) == kept + 2
    assert load(out).hash.is_unique


def test_clean_text_controls_and_boilerplate():
    text, removed = clean_text("第一段\x00内容\u3000\u3000很好\r\n点击查看更多\n\n\n免责声明：仅供参考")
    assert text == "第一段内容 很好" and removed


def test_cli_ingest_prints_table(tmp_path, news):
    from typer.testing import CliRunner

    from bbt.cli.corpus import corpus_app

    (tmp_path / "a.jsonl").write_text(json.dumps({"text": news[0]}, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(corpus_app, ["ingest", str(tmp_path / "a.jsonl"), "--source", "news", "--out",
                                        str(tmp_path / "out"), "--no-progress", "--min-chars", "10"])
    assert r.exit_code == 0, r.output
    assert "kept" in r.output and "news" in r.output


def test_worker_processes_give_the_same_corpus(tmp_path, news, forum):
    src = tmp_path / "a.jsonl"
    texts = news + forum + news[:3] + [news[4] + "。"]  # exact and near duplicates across batches
    src.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in texts) + "\n{broken\n",
                   encoding="utf-8")
    import importlib

    ing = importlib.import_module("bbt.corpus.ingest")  # the module (bbt.corpus.ingest is also the function)
    old, ing.BATCH_DOCS = ing.BATCH_DOCS, 5  # several batches in flight
    try:
        runs = {}
        for workers in (1, 2):
            c = cfg()
            c.workers = workers
            m = ingest([src], tmp_path / f"w{workers}", c, progress=False)
            runs[workers] = (m["counts"], load(tmp_path / f"w{workers}")[["text", "hash", "minhash"]])
    finally:
        ing.BATCH_DOCS = old
    assert runs[1][0] == runs[2][0] and runs[1][0]["news"]["corrupt"] == 1
    assert runs[1][0]["news"]["exact_dupes"] >= 3 and runs[1][0]["news"]["near_dupes"] >= 1
    assert runs[1][1].equals(runs[2][1])
