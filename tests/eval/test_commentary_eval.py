"""`bbt eval commentary`: the template scores 100% precision, the placebo does not; texts from a file are scored
and a bad line is named."""

import json

import pytest

from bbt.errors import BBTError, DataError
from bbt.eval.commentary import load_writer, run, run_texts


def test_template_against_its_placebo(data_dir, tmp_path):
    res = run("template", data_dir, 20, tmp_path / "c.json", seed=1)
    for style in ("analyst", "retail"):
        t, p = res["styles"][style]["totals"], res["styles"][style]["placebo"]
        assert t["texts"] == 20 and t["precision"] == 1.0 and t["contradiction_rate"] == 0.0
        assert t["share_covering_3"] == 1.0 and t["style_match"] >= 0.8
        assert p["precision"] < 0.6  # another window's text is mostly wrong about this one
    assert "placebo" in (tmp_path / "c.md").read_text()
    with pytest.raises(BBTError, match="not available yet"):
        load_writer("bbt:runs/x")


def test_texts_from_a_file(data_dir, tmp_path):
    csv = sorted((data_dir / "stocks" / "ashare_qfq").glob("*.csv"))[0]
    from bbt.data import load_market_file

    frame = load_market_file(csv)
    end = str(frame["date"].iloc[-30].date())
    close = frame[frame["date"] <= end]["close"].iloc[-1]
    bars = [{"date": str(d.date()), "open": o, "high": h, "low": lo, "close": c, "volume": v}
            for d, o, h, lo, c, v in frame[frame["date"] <= end].tail(40)[
                ["date", "open", "high", "low", "close", "volume"]].itertuples(index=False)]
    lines = [{"csv": str(csv), "end": end, "text": f"收于{close:.2f}元", "style": "analyst"},
             {"series": bars, "end": end, "text": f"收于{close * 1.2:.2f}元"}]
    f = tmp_path / "texts.jsonl"
    f.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    res = run_texts(f, tmp_path / "out.json", data_dir)
    assert [r["claims"][0]["verdict"] for r in res["texts"]] == ["verified", "wrong"]
    assert set(res["totals"]["style_match"]) == {"analyst"} and "reads_as" in res["texts"][0]
    assert res["totals"]["precision"] == 0.5
    f.write_text(json.dumps(lines[0]) + "\n" + json.dumps({"end": end, "text": "x"}), encoding="utf-8")
    with pytest.raises(DataError, match="row 2"):
        run_texts(f, tmp_path / "out.json")
    f.write_bytes("收于".encode("gbk"))
    with pytest.raises(DataError, match="not UTF-8"):
        run_texts(f, tmp_path / "out.json")
    f.write_text("\n\n")
    with pytest.raises(DataError, match="no JSON lines"):
        run_texts(f, tmp_path / "out.json")
    with pytest.raises(DataError, match="no such file"):
        run_texts(tmp_path / "nope.jsonl", tmp_path / "out.json")
