"""Service qualities: auth, rate limits, every input limit, malformed and mistyped bodies: always a 4xx JSON
error naming the field, never a 500; request IDs; metrics; CORS."""

import pytest
from fastapi.testclient import TestClient

from bbt.client import BBTAPIError, BBTClient
from bbt.serve.app import create_app
from bbt.serve.keys import KeyStore
from bbt.serve.settings import ServeSettings

TEXT = "这只股票今天又跌停了"


def post(http, path, body=None, key=None, raw=None, headers=None):
    h = {"Content-Type": "application/json", **({"X-API-Key": key} if key else {}), **(headers or {})}
    return http.post(path, content=raw if raw is not None else None, json=body if raw is None else None, headers=h)


def error(resp, status):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["request_id"] == resp.headers["x-request-id"]
    return body["error"]


def test_missing_wrong_and_revoked_keys(api):
    _, http, keys, _ = api
    assert error(post(http, "/v1/sentiment/forum", {"texts": [TEXT]}), 401)["type"] == "auth_missing"
    assert error(post(http, "/v1/sentiment/forum", {"texts": [TEXT]}, key="bbt_00000000_nope"), 401)["type"] == \
        "auth_invalid"
    key, rec = keys.create("to-revoke")
    assert post(http, "/v1/sentiment/forum", {"texts": [TEXT]}, key=key).status_code == 200
    keys.revoke(rec.id)
    assert error(post(http, "/v1/sentiment/forum", {"texts": [TEXT]}, key=key), 401)["type"] == "auth_revoked"
    bearer = http.post("/v1/ner", json={"texts": [TEXT]}, headers={"Authorization": f"Bearer {api[3]}"})
    assert bearer.status_code == 200


def test_rate_limit_per_key_with_retry_after(api):
    _, http, keys, _ = api
    key, _ = keys.create("slow", rate_limit_per_minute=2)
    codes = [post(http, "/v1/sentiment/forum", {"texts": [TEXT]}, key=key).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = post(http, "/v1/sentiment/forum", {"texts": [TEXT]}, key=key)
    assert error(r, 429)["type"] == "rate_limited" and int(r.headers["retry-after"]) >= 1


@pytest.mark.parametrize("path,body,field,type_", [
    ("/v1/sentiment/forum", {"texts": ["长" * 2001]}, "texts[0]", "text_too_long"),
    ("/v1/ner", {"texts": [TEXT] * 9}, "texts", "too_many_items"),
    ("/v1/summarize", {"texts": [TEXT, "   "]}, "texts[1]", "empty_text"),
    ("/v1/relations", {"items": [{"text": TEXT, "head": "甲"}]}, "items[0].tail", "invalid_input"),
    ("/v1/negative-news", {"items": [{"text": "长" * 2001}]}, "items[0].text", "text_too_long"),
    ("/v1/kg/companies", {"queries": ["x"] * 9}, "queries", "too_many_items"),
    ("/v1/forecast", {"items": [{"series": {"c": [1.0] * 501}}]}, "items[0].series.c", "series_too_long"),
    ("/v1/forecast", {"items": [{"series": {"c": [1.0]}}]}, "items[0].series.c", "series_too_short"),
    ("/v1/forecast", {"items": [{"series": {"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}}]}, "items[0].series",
     "series_length_mismatch"),
    ("/v1/forecast", {"items": [{"series": {"c": [1.0, 2.0]}, "horizon": 999}]}, "items[0].horizon",
     "horizon_too_long"),
    ("/v1/forecast", {"items": [{"series": {"c": [1.0, -3.4e38, 2.0]}}]}, "items[0].series.c[1]",
     "value_out_of_range"),
])
def test_input_limits_name_the_field(api, path, body, field, type_):
    _, http, _, key = api
    err = error(post(http, path, body, key=key), 422)
    assert (err["field"], err["type"]) == (field, type_)


def test_body_size_limit(api):
    _, http, _, key = api
    big = '{"texts": ["' + "长" * 100_000 + '"]}'
    assert error(post(http, "/v1/ner", raw=big.encode(), key=key), 413)["type"] == "body_too_large"


@pytest.mark.parametrize("raw,status,field", [
    (b'{"texts": ["a"', 400, "body"),  # malformed JSON
    (b'{"texts": "just a string"}', 422, "texts"),  # wrong type
    (b'{"texts": [1, 2]}', 422, "texts[0]"),
    (b'{"texts": []}', 422, "texts"),  # empty batch
    (b'{}', 422, "texts"),
    (b'{"texts": ["a"], "extra": 1}', 422, "extra"),
    (b'[1, 2, 3]', 422, "body"),
])
def test_malformed_and_mistyped_bodies(api, raw, status, field):
    _, http, _, key = api
    err = error(post(http, "/v1/sentiment/forum", raw=raw, key=key), status)
    assert err["field"] == field


def test_non_finite_series_values_are_refused(api):
    _, http, _, key = api
    raw = b'{"items": [{"series": {"c": [1.0, NaN, 2.0]}, "horizon": 2}]}'
    assert error(post(http, "/v1/forecast", raw=raw, key=key), 422)["field"].startswith("items[0].series")


def test_client_raises_typed_errors(api):
    client, *_ = api
    with pytest.raises(BBTAPIError) as e:
        client.ner(["长" * 2001])
    assert (e.value.status, e.value.field, e.value.type) == (422, "texts[0]", "text_too_long")
    assert e.value.request_id


def test_request_id_is_kept_and_metrics_count_requests(api):
    client, http, _, key = api
    r = post(http, "/v1/ner", {"texts": [TEXT]}, key=key, headers={"X-Request-ID": "my-trace-1"})
    assert r.headers["x-request-id"] == "my-trace-1"
    text = client.metrics()
    assert 'bbt_requests_total{method="POST",route="/v1/ner",status="200"}' in text
    assert "bbt_batch_items_bucket" in text


def test_unknown_route_is_a_json_404(api):
    _, http, _, key = api
    assert error(http.get("/v1/nope", headers={"X-API-Key": key}), 404)["type"] == "http_error"


def test_openapi_documents_every_route_with_examples(api):
    _, http, _, _ = api
    spec = http.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/v1/kg/companies", "/v1/kg/search", "/v1/summarize", "/v1/sentiment/forum", "/v1/sentiment/news",
            "/v1/news/classify", "/v1/ner", "/v1/relations", "/v1/events", "/v1/causal", "/v1/announcements",
            "/v1/negative-news", "/v1/forecast", "/v1/health", "/v1/ready"} <= paths
    assert "APIKeyHeader" in spec["components"]["securitySchemes"]
    assert "examples" in spec["components"]["schemas"]["TextsRequest"]["properties"]["texts"]


def test_cors_and_keyless_mode(bundle, tmp_path):
    settings = ServeSettings(require_keys=False, cors_origins=["http://localhost:3000"])
    with TestClient(create_app(settings, bundle=bundle, keys=KeyStore(tmp_path / "k.sqlite"))) as http:
        r = http.options("/v1/ner", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"})
        assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert BBTClient(http=http).ner([TEXT]).results is not None  # no key needed in this mode


def test_chunked_body_over_the_limit_is_413(api):
    _, http, _, key = api

    def chunks():
        yield b'{"texts": ["'
        for _ in range(30):
            yield ("长" * 4000).encode()
        yield b'"]}'

    r = http.post("/v1/ner", content=chunks(), headers={"X-API-Key": key, "Content-Type": "application/json"})
    assert error(r, 413)["type"] == "body_too_large"


@pytest.mark.parametrize("path,body,field", [
    ("/v1/ner", {"texts": ["ok", "bad\ud800"]}, "texts[1]"),
    ("/v1/kg/companies", {"queries": ["\ud800"]}, "queries[0]"),
    ("/v1/relations", {"items": [{"text": "甲与乙合作", "head": "甲\udc00", "tail": "乙"}]}, "items[0].head"),
    ("/v1/forecast", {"items": [{"series": {"a\ud800": [1.0, 2.0]}}]}, "items[0].series.a"),
])
def test_lone_surrogates_are_a_422_not_a_500(api, path, body, field):
    _, http, _, key = api
    import json

    raw = json.dumps(body).encode()  # ASCII escapes, as a client would send them
    assert error(post(http, path, raw=raw, key=key), 422)["field"].startswith(field)


@pytest.mark.parametrize("item,field", [
    ({"text": "甲与乙合作", "head": "  ", "tail": "乙"}, "items[0].head"),
    ({"text": "甲与乙合作", "head": "甲" * 201, "tail": "乙"}, "items[0].head"),
])
def test_relation_entities_are_checked(api, item, field):
    _, http, _, key = api
    assert error(post(http, "/v1/relations", {"items": [item]}, key=key), 422)["field"] == field


def test_negative_news_entities_are_checked_and_deduplicated(api):
    client, http, _, key = api
    bad = post(http, "/v1/negative-news", {"items": [{"text": "某公司涉嫌诈骗", "entities": ["甲;乙"]}]}, key=key)
    assert error(bad, 422)["field"] == "items[0].entities[0]"
    out = client.negative_news([{"text": "北银创投涉嫌网络贷款诈骗", "entities": ["北银创投", " 北银创投 ", "网络贷"]}])
    assert out.results[0].candidates == ["北银创投", "网络贷"]


def test_strict_types(api):
    _, http, _, key = api
    r = post(http, "/v1/forecast", {"items": [{"series": {"c": [1.0, 2.0]}, "horizon": "3"}]}, key=key)
    assert error(r, 422)["field"] == "items[0].horizon"
    r = post(http, "/v1/forecast", {"items": [{"series": {"c": [True, 2.0]}}]}, key=key)
    assert error(r, 422)["field"] == "items[0].series.c[0]"


def test_a_bug_is_a_json_500_with_the_request_id(bundle, tmp_path):
    class Broken:
        forecaster = bundle.forecaster

        def functions(self):
            return {name: (lambda xs: 1 / 0) for name in bundle.functions()}

        def model_names(self):
            return bundle.model_names()

    app = create_app(ServeSettings(require_keys=False), bundle=Broken(), keys=KeyStore(tmp_path / "k.sqlite"))
    with TestClient(app, raise_server_exceptions=False) as http:
        r = http.post("/v1/ner", json={"texts": ["x"]}, headers={"X-Request-ID": "trace-500"})
        err = error(r, 500)
        assert err["type"] == "internal_error" and "trace-500" in err["message"]
        assert "Traceback" not in r.text and "ZeroDivision" not in r.text
        bad_id = http.post("/v1/ner", json={"texts": ["x"]}, headers={"X-Request-ID": "evil\nline"})
        assert "\n" not in bad_id.headers["x-request-id"]
