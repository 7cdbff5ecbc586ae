"""/v1/commentary: bars or a code in, checked text out; bad input is a 4xx naming the field."""

import json

import pytest

from bbt.data import load_market_file


@pytest.fixture(scope="module")
def bars(data_dir):
    frame = load_market_file(sorted((data_dir / "stocks" / "ashare_qfq").glob("*.csv"))[0]).tail(120)
    return [{"date": str(d.date()), "open": float(o), "high": float(h), "low": float(lo), "close": float(c),
             "volume": float(v)}
            for d, o, h, lo, c, v in frame[["date", "open", "high", "low", "close", "volume"]].itertuples(index=False)]


def test_commentary_on_bars_and_on_a_code(api, bars):
    client, *_ = api
    r = client.commentary(bars, code="600000", style="retail")
    assert r.end == bars[-1]["date"] and r.style == "retail" and r.writer == "template"
    assert r.claims and all(c.verdict == "verified" for c in r.claims) and len(r.facts_used) >= 3
    assert all(r.text[c.start:c.end] == c.text for c in r.claims)
    r = client.commentary(code="600519", end="2020-07-03")
    assert r.end == "2020-07-03" and r.name == "贵州茅台" and r.summary["precision"] == 1.0


@pytest.mark.parametrize("change, field", [
    (lambda b: b[:5] + [b[6], b[5]] + b[7:], "series[6].date"),   # unsorted
    (lambda b: b[:6] + [b[5]] + b[6:], "series[6].date"),          # duplicate day
    (lambda b: [dict(b[0], close=-1.0)] + b[1:], "series[0].close"),  # negative price
    (lambda b: b * 5, "series"),                                    # too long (limit 500)
    (lambda b: b[:10], "end"),                                      # too short for facts
])
def test_bad_bars_are_4xx_naming_the_field(api, bars, change, field):
    _, http, _, key = api
    r = http.post("/v1/commentary", json={"series": change(bars)}, headers={"X-API-Key": key})
    assert 400 <= r.status_code < 500 and r.json()["error"]["field"] == field, r.json()


def test_nan_and_unknown_codes(api, bars):
    _, http, _, key = api
    body = json.dumps({"series": [dict(bars[0], close=float("nan"))] + bars[1:]})
    r = http.post("/v1/commentary", content=body, headers={"X-API-Key": key, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "series[0].close"
    r = http.post("/v1/commentary", json={"code": "600001"}, headers={"X-API-Key": key})
    assert r.status_code == 404 and r.json()["error"]["field"] == "code"
    r = http.post("/v1/commentary", json={"code": "12"}, headers={"X-API-Key": key})
    assert r.status_code == 404 and r.json()["error"]["field"] == "code"
