"""Backends: spec parsing, BBT checkpoints and the baseline (faked), an OpenAI-compatible fake server, and tiny
randomly initialised Hugging Face models (seq2seq and causal) built here: outputs are garbage, the plumbing is not."""

import json
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bbt.errors import BBTError
from bbt.eval.backends import Backend, load_backend, prompt_of
from bbt.tasks import get_task
from bbt.tasks.runner import evaluate


def test_specs(tmp_path):
    assert load_backend("dummy").name == "dummy:first" and load_backend("dummy:gold").name == "dummy:gold"
    assert isinstance(load_backend("dummy"), Backend)
    with pytest.raises(BBTError, match="unknown dummy mode"):
        load_backend("dummy:nope")
    with pytest.raises(BBTError, match="not a directory and not a known spec"):
        load_backend(str(tmp_path / "missing"))
    with pytest.raises(BBTError, match="no config.json"):
        load_backend(f"hf:{tmp_path}")
    with pytest.raises(BBTError, match="http"):
        load_backend("openai:localhost:8000#m")
    with pytest.raises(BBTError, match="directory not found"):
        load_backend(f"baseline:{tmp_path / 'nope'}")


def test_checkpoint_dir_uses_load_generator(data_dir, tmp_path, monkeypatch):
    calls = []

    class FakeGenerator:
        def generate(self, prompts, max_new_tokens):
            calls.append((list(prompts), max_new_tokens))
            return ["积极"] * len(prompts)

    fake = types.ModuleType("bbt.model.inference")
    fake.load_generator = lambda path: FakeGenerator()
    monkeypatch.setitem(sys.modules, "bbt.model.inference", fake)
    (tmp_path / "ckpt").mkdir()
    backend = load_backend(str(tmp_path / "ckpt"))
    assert backend.name == f"bbt:{(tmp_path / 'ckpt').resolve()}"
    res = evaluate(backend, "finfe", data_dir, limit=5, batch_size=4, progress=False)
    assert [len(p) for p, _ in calls] == [4, 1] and calls[0][1] == get_task("finfe").max_new_tokens
    assert calls[0][0][0].startswith("【股吧情绪】") and res["tasks"]["finfe"]["n"] == 5


def test_checkpoint_generator_may_take_the_task(data_dir, tmp_path, monkeypatch):
    seen = []

    class TaskGenerator:
        def generate(self, prompts, max_new_tokens=32, task=None):
            seen.append(task)
            return ["中性"] * len(prompts)

    fake = types.ModuleType("bbt.model.inference")
    fake.load_generator = lambda path: TaskGenerator()
    monkeypatch.setitem(sys.modules, "bbt.model.inference", fake)
    evaluate(load_backend(f"bbt:{tmp_path}"), "finne", data_dir, limit=3, progress=False)
    assert seen == ["finne"]


def test_baseline_backend(data_dir, tmp_path, monkeypatch):
    class FakeBaseline:
        def predict_texts(self, task_name, examples):
            return [e.target if i % 2 == 0 else "?" for i, e in enumerate(examples)]

    fake = types.ModuleType("bbt.classical")
    fake.load_baseline = lambda path: FakeBaseline()
    monkeypatch.setitem(sys.modules, "bbt.classical", fake)
    res = evaluate(load_backend(f"baseline:{tmp_path}"), "finfe", data_dir, limit=10, batch_size=10, progress=False)
    assert res["tasks"]["finfe"]["score"] == pytest.approx(50.0)


# ---------------------------------------------------------------------------------------------- openai fake


@pytest.fixture
def fake_openai(data_dir):
    """A chat-completions server answering the gold label for even rows (found by their text), "不知道" for odd
    ones; the first request gets a 503 to exercise the retry."""
    examples = get_task("finfe").load(data_dir, limit=12)
    answers = {e.fields["text"]: (e.target if i % 2 == 0 else "不知道") for i, e in enumerate(examples)}
    state = {"requests": [], "failed_once": False}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, code, obj):
            body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._reply(200, {"data": [{"id": "fake-llm"}]} if self.path == "/v1/models" else {})

        def do_POST(self):
            req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if not state["failed_once"]:
                state["failed_once"] = True
                return self._reply(503, {"error": "warming up"})
            state["requests"].append((req, self.headers.get("Authorization")))
            content = req["messages"][0]["content"]
            answer = next((a for t, a in answers.items() if t in content), "???")
            self._reply(200, {"choices": [{"message": {"role": "assistant", "content": f"答案：{answer}"}}]})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", state
    server.shutdown()
    server.server_close()


def test_openai_backend_against_a_fake_server(data_dir, fake_openai, monkeypatch, tmp_path):
    url, state = fake_openai
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("BBT_OPENAI_MODEL", raising=False)
    backend = load_backend(f"openai:{url}")
    backend.backoff = 0.01  # keep the retry test quick
    assert backend.name == f"openai:{url}#fake-llm"
    res = evaluate(backend, "finfe", data_dir, limit=12, batch_size=5, cache_path=tmp_path / "c.jsonl",
                   progress=False)
    assert res["tasks"]["finfe"]["score"] == pytest.approx(50.0)  # right on the even rows, unreadable on odd ones
    assert len(state["requests"]) == 12
    req, auth = state["requests"][0]
    assert req["model"] == "fake-llm" and req["temperature"] == 0 and auth == "Bearer sk-test"
    assert "消极、中性、积极" in req["messages"][0]["content"]  # the instruction, not the seq2seq input
    assert prompt_of(backend, get_task("finfe"), get_task("finfe").load(data_dir, limit=1)[0]).startswith("判断")


def test_bbt_eval_command_with_the_openai_backend(data_dir, fake_openai, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from bbt.cli.main import app

    url, state = fake_openai
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    out = tmp_path / "openai.json"
    r = CliRunner().invoke(app, ["eval", "fincuge", "--model", f"openai:{url}#fake-llm", "--data-dir", str(data_dir),
                                 "--tasks", "finfe", "--limit", "6", "--batch-size", "3", "--out", str(out),
                                 "--no-progress"])
    assert r.exit_code == 0, r.output
    result = json.loads(out.read_text())
    assert result["model"] == f"openai:{url}#fake-llm" and result["tasks"]["finfe"]["n"] == 6
    assert result["tasks"]["finfe"]["score"] == pytest.approx(50.0) and len(state["requests"]) == 6
    assert "ours, eval split" in out.with_suffix(".md").read_text()


def test_openai_model_from_spec_and_errors(fake_openai, monkeypatch):
    url, _ = fake_openai
    assert load_backend(f"openai:{url}#my-model").model == "my-model"
    monkeypatch.setenv("BBT_OPENAI_MODEL", "env-model")
    assert load_backend(f"openai:{url}").model == "env-model"
    backend = load_backend("openai:http://127.0.0.1:9/v1#m")  # nothing listens on port 9
    backend.retries, backend.backoff = 1, 0.01
    with pytest.raises(BBTError, match="gave up after 2 tries"):
        backend.complete("hi", 4)


# ---------------------------------------------------------------------------------------------- tiny HF models

CHARS = list("【】股吧情绪事件主体类型其他无是否积极消极中性的一了在上下文判断答案：\n用户助手，。0123456789")


def _tokenizer():
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(c, -1.0) for c in CHARS] + [("▁", -2.0)]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration

    torch.set_num_threads(1)
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("hf")
    tok = _tokenizer()
    t5 = T5ForConditionalGeneration(T5Config(
        vocab_size=len(tok), d_model=16, d_ff=32, d_kv=8, num_layers=1, num_heads=2, decoder_start_token_id=0,
        pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id))
    t5.save_pretrained(root / "t5")
    tok.save_pretrained(root / "t5")
    gcfg = GPT2Config(vocab_size=len(tok), n_embd=16, n_layer=1, n_head=2, n_positions=64,
                      bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id)
    for name, template in [("gpt_chat", "{% for m in messages %}用户：{{ m['content'] }}\n{% endfor %}"
                                        "{% if add_generation_prompt %}助手：{% endif %}"), ("gpt_plain", None)]:
        tok = _tokenizer()
        tok.chat_template = template
        GPT2LMHeadModel(gcfg).save_pretrained(root / name)
        tok.save_pretrained(root / name)
    return root


@pytest.mark.parametrize("model,seq2seq,chat", [("t5", True, False), ("gpt_chat", False, True),
                                                ("gpt_plain", False, False)])
def test_hf_backend_end_to_end(data_dir, tiny_models, tmp_path, monkeypatch, model, seq2seq, chat):
    backend = load_backend(f"hf:{tiny_models / model}")
    assert backend.seq2seq is seq2seq and backend.chat is chat
    finese = get_task("finese")
    ex = finese.load(data_dir, limit=1)[0]
    prompt = prompt_of(backend, finese, ex)
    assert prompt == ex.input if seq2seq else ("事件" in prompt and prompt.startswith("用户：") == chat)
    cache = tmp_path / "c.jsonl"
    res = evaluate(backend, "finfe,finese", data_dir, limit=5, batch_size=3, cache_path=cache, progress=False)
    for r in res["tasks"].values():
        assert r["n"] == 5 and 0.0 <= r["score"] <= 100.0
    outputs = [json.loads(line)["output"] for line in cache.read_text(encoding="utf-8").splitlines()]
    assert len(outputs) == 10 and all(isinstance(o, str) for o in outputs)
    # long inputs are cut to the model's 64 positions (causal: minus the generation budget), not an error
    if not seq2seq:
        enc = backend._encode([prompt * 5], finese.max_new_tokens)
        assert enc["input_ids"].shape[1] == 64 - finese.max_new_tokens
    # a second run is served from the cache
    monkeypatch.setattr(backend, "generate", lambda task, exs: pytest.fail("recomputed a cached output"))
    again = evaluate(backend, "finfe,finese", data_dir, limit=5, batch_size=3, cache_path=cache, progress=False)
    assert again["tasks"] == {k: {**v, "seconds": again["tasks"][k]["seconds"], "cached": 5}
                              for k, v in res["tasks"].items()}
