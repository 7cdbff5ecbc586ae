"""Every route through the typed client, on real rows of the shared data (a quick bundle: smoke-level scores)."""

import json

import numpy as np

from bbt.data import load_market_file


def rows(data_dir, task, n=6, split="eval"):
    return json.loads((data_dir / "fincuge" / task / f"{split}_list.json").read_text("utf-8"))[:n]


def test_health_needs_no_key_and_ready_lists_every_capability(api):
    client, http, _, _ = api
    assert http.get("/v1/health").json()["status"] == "ok"
    ready = client.ready()
    assert ready.ready and {"forum_sentiment", "ner", "forecast", "kg"} <= set(ready.capabilities)
    keyless = http.get("/v1/ready").json()
    assert keyless == {"ready": True, "capabilities": {}}  # up, but which models serve is for key holders


def test_forum_and_news_sentiment(api, data_dir):
    client, *_ = api
    texts = [r[0] for r in rows(data_dir, "finfe")]
    res = client.forum_sentiment(texts)
    assert len(res.results) == len(texts)
    for r in res.results:
        assert r.label in ("negative", "neutral", "positive")
        assert set(r.probs) == {"negative", "neutral", "positive"}
        assert abs(sum(r.probs.values()) - 1) < 1e-4 and r.probs[r.label] == max(r.probs.values())
    news = client.news_sentiment([r[0] for r in rows(data_dir, "finne", 3)])
    assert len(news.results) == 3 and news.model


def test_forum_sentiment_matches_the_bundle_and_beats_chance(api, bundle, data_dir):
    client, *_ = api
    data = rows(data_dir, "finfe", 8 * 12)
    got = []
    for i in range(0, len(data), 8):  # 8 = the test app's batch limit
        got += [r.label for r in client.forum_sentiment([t for t, _ in data[i:i + 8]]).results]
    direct = [r["label"] for r in bundle.sentiment("forum_sentiment", "finfe", [t for t, _ in data])]
    assert got == direct
    gold = [{0: "negative", 1: "neutral", 2: "positive"}[int(lab)] for _, lab in data]
    assert np.mean([g == p for g, p in zip(gold, got)]) > 0.45  # 3 classes; the quick bundle saw 600 rows


def test_news_classification(api, data_dir):
    client, *_ = api
    res = client.classify_news([r[0] for r in rows(data_dir, "finnl", 4)])
    for r in res.results:
        assert r.labels and all(lab in r.scores for lab in r.labels)
        assert all(0 < s < 1 for s in r.scores.values())


def test_summarize(api, data_dir):
    client, *_ = api
    texts = [r[1] for r in rows(data_dir, "finna", 3)]
    res = client.summarize(texts)
    assert all(r.summary and len(r.summary) < len(t) for r, t in zip(res.results, texts))


def test_ner_offsets_point_into_the_text_with_the_finner_types(api, data_dir):
    from bbt.tasks import FINNER_TYPES

    client, *_ = api
    texts = [r[3] for r in rows(data_dir, "finre", 7)] + ["  外交部发言人华春莹说，\n中国平安将出席会议"]
    res = client.ner(texts)
    assert len(res.results) == len(texts)
    n = 0
    for t, r in zip(texts, res.results):
        for e in r.entities:
            assert t[e.start:e.end] == e.text and e.text == e.text.strip() and e.type in FINNER_TYPES
            n += 1
    assert n > 0


def test_relations_given_pair_and_ner_pairs(api, data_dir):
    client, *_ = api
    data = rows(data_dir, "finre", 4)
    res = client.relations([{"text": t, "head": h, "tail": tl} for h, tl, _, t in data])
    for (h, tl, _, _), r in zip(data, res.results):
        assert len(r.relations) == 1 and (r.relations[0].head, r.relations[0].tail) == (h, tl)
    auto = client.relations([{"text": data[0][3]}], include_unknown=True)
    assert all(rel.head != rel.tail for rel in auto.results[0].relations)


def test_events_and_causal(api, data_dir):
    client, *_ = api
    texts = [r[1] for r in rows(data_dir, "finese", 3)]
    ev = client.events(texts)
    assert len(ev.results) == 3 and all(isinstance(r.events, list) for r in ev.results)
    causal_text = rows(data_dir, "fincqa", 1)[0][0].split("？", 1)[1]
    ca = client.causal([causal_text])
    assert len(ca.results) == 1
    for pair in ca.results[0].causal:
        assert pair.cause.type and pair.effect.type


def test_announcements_typed_values(api):
    client, *_ = api
    text = ("科远股份(002380)公告，公司股东将其持有的1050.3万股质押给华泰证券股份有限公司，占其所持股份的30.00%，"
            "质押融资1.2亿元。")
    r = client.announcements([text]).results[0]
    kinds = {(f.kind, f.value) for f in r.fields}
    assert ("shares", 10503000.0) in kinds and ("amount", 120000000.0) in kinds and ("percent", 30.0) in kinds
    assert all(text[f.start:f.end] == f.text for f in r.fields)
    assert r.company is not None and r.company.code == "002380"


def test_negative_news_with_given_and_found_entities(api, data_dir):
    client, *_ = api
    data = [r for r in rows(data_dir, "finnsp", 40) if r[3]][:4]
    res = client.negative_news([{"title": r[1], "text": r[2][:1500], "entities": r[3].split(";")} for r in data])
    for r, out in zip(data, res.results):
        assert set(out.subjects) <= set(out.candidates) <= set(r[3].split(";"))
    found = client.negative_news([{"text": data[0][2][:1500]}])
    assert isinstance(found.results[0].negative, bool)


def test_knowledge_graph_profile_and_search(api):
    client, *_ = api
    res = client.companies(["000001", "平安银行", "不存在的公司XYZ"])
    a, b, missing = res.results
    assert a.found and a.profile.name == "平安银行" and a.profile.code == "000001"
    assert b.profile.code == "000001" and a.profile.top_holders[0].name.startswith("中国平安保险")
    assert not missing.found and missing.profile is None
    hits = client.search(["平安"], limit=5, types=["company"]).results[0].hits
    assert 0 < len(hits) <= 5 and all(h.type == "company" for h in hits)


def test_forecast_on_a_real_price_series(api, data_dir):
    client, *_ = api
    frame = load_market_file(sorted((data_dir / "stocks" / "ashare_qfq").glob("*.csv"))[0])
    close, volume = frame["close"].to_numpy()[-300:], frame["volume"].to_numpy()[-300:].astype(float)
    res = client.forecast([{"series": {"close": close.tolist(), "volume": volume.tolist()}, "horizon": 5}])
    r = res.results[0]
    assert set(r.forecast) == {"close", "volume"} and all(len(v) == 5 for v in r.forecast.values())
    assert abs(r.forecast["close"][0] - close[-1]) < 0.2 * close[-1]  # near the last price, whatever the model
    dec = r.decomposition["close"]
    assert len(dec["low"]) == r.lookback
    np.testing.assert_allclose(np.add(dec["low"], dec["high"]), np.add(dec["global"], dec["local"]), atol=1e-4)
    one = client.forecast_series([10.0, 10.5, 10.2, 10.8], horizon=3, decompose=False)
    assert len(one.forecast["value"]) == 3 and one.decomposition is None


def test_forecast_is_finite_and_scale_free_at_extreme_magnitudes(bundle):
    """Found by schemathesis: values near the float32 limit once gave null forecasts."""
    base = np.array([1.0, 1.5, 1.2, 1.8, 1.6, 2.0, 1.9, 2.2])
    small, big = (bundle.forecaster.forecast([base * s])[0] for s in (1.0, 1e14))
    assert np.isfinite(big).all()
    np.testing.assert_allclose(big / 1e14, small, rtol=1e-6)
