"""Task-shaped heads: span decoding, gold targets -> ideal logits -> the gold answer again (through real tokenizer
offsets), entity markers, save/load round trips, and a short fine-tune that serves the heads through the harness."""

import json

import pytest
import torch
from typer.testing import CliRunner

from bbt.model.config import preset_config
from bbt.model.heads.span import MODES, decode_spans
from bbt.model.modeling import BBTModel, load_model
from bbt.tasks import get_task
from bbt.text.tokenizer import load_tokenizer
from bbt.train.task_heads import (
    HEAD_MARK,
    TAIL_MARK,
    adapter_for,
    encode,
    head_answers,
    head_spec,
    mark_entities,
    token_range,
)


@pytest.fixture(scope="module")
def tok(tokenizer_dir):
    return load_tokenizer(tokenizer_dir)


def logits(marks, on=8.0):
    return torch.tensor([on if m else -on for m in marks])


def test_decode_spans_several_starts_fallback_and_single():
    start = logits([0, 1, 0, 0, 1, 0, 0])
    end = logits([0, 0, 1, 0, 0, 0, 1])
    assert decode_spans(start, end, max_spans=4, max_len=10) == [(1, 2), (4, 6)]
    assert decode_spans(start, end, max_spans=4, max_len=2) == [(1, 2), (4, 4)]  # no end within 2 tokens
    start[4] = 7.8  # nearly as likely: kept with max_spans=4, dropped with max_spans=1 (the stronger one wins)
    assert decode_spans(start, end, max_spans=1, max_len=10) == [(1, 2)]
    assert decode_spans(start, end, max_spans=4, max_len=10) == [(1, 2), (4, 6)]
    start[4] = 2.0  # far less likely than the best start: not a second answer
    assert decode_spans(start, end, max_spans=4, max_len=10) == [(1, 2)]
    quiet = torch.full((5,), -3.0)
    quiet[3] = -1.0  # the clearly best start alone, closed by its best end
    assert decode_spans(quiet, logits([0, 0, 0, 0, 1]), max_spans=3, max_len=5) == [(3, 4)]


def test_token_range_maps_characters_to_tokens_and_back():
    offsets = [(0, 2), (2, 3), (3, 6), (0, 0)]  # the last is </s>
    assert token_range(offsets, 2, 5) == (1, 2) and token_range(offsets, 0, 1) == (0, 0)
    assert token_range(offsets, 7, 9) is None


def _ideal_span_output(targets):
    n = len(targets["span_start"])
    mode = torch.full((1, len(MODES)), -5.0)
    mode[0, targets["span_mode"]] = 5.0
    return {"start": logits(targets["span_start"]).view(1, n), "end": logits(targets["span_end"]).view(1, n),
            "mode": mode}


@pytest.mark.parametrize("name", ["finese", "finqa", "fincqa", "finnsp"])
def test_span_targets_decode_back_to_the_gold_answer(name, data_dir, tok):
    task = get_task(name)
    adapter = adapter_for(task)
    head = type("H", (), {k: v for k, v in head_spec(task).items()})
    head.max_span_tokens, head.joiner = 64, ","
    examples = task.load(data_dir, "eval", limit=120)
    texts = [adapter.text(task, e) for e in examples]
    enc = encode(tok, texts, 512)
    modes, exact, answerable = set(), 0, 0
    for e, t, o in zip(examples, texts, enc.offsets):
        tg = adapter.token_targets(task, e, t, o)
        mode = MODES[tg["span_mode"]]
        modes.add(mode)
        got = adapter.answer(task, e, t, o, _ideal_span_output(tg), 0, head)
        if mode == "generate":
            assert got is None  # handed to the decoder
            continue
        answerable += 1
        exact += task.parse(got, e) == task.parse(e.target, e)
    assert "span" in modes and answerable > 60
    # token boundaries may cut a span inside a piece: the ideal head still recovers nearly every answer
    assert exact >= 0.9 * answerable, (exact, answerable)


def test_finna_extract_targets_are_whole_clauses_that_beat_lead(data_dir, tok):
    from bbt.classical.summary import LeadModel
    from bbt.tasks import metrics
    from bbt.train.task_heads import oracle_extract

    task = get_task("finna")
    adapter = adapter_for(task)
    head = type("H", (), {k: v for k, v in head_spec(task).items()})
    examples = task.load(data_dir, "eval", limit=120)
    texts = [adapter.text(task, e) for e in examples]
    enc = encode(tok, texts, 512)
    oracles, back = [], 0
    for e, t, o in zip(examples, texts, enc.offsets):
        body = t[len(task.prompt):]
        oracle = oracle_extract(body, e.reference)
        assert oracle and oracle in body and len(oracle) <= 90
        tg = adapter.token_targets(task, e, t, o)
        assert MODES[tg["span_mode"]] == "span"
        back += adapter.answer(task, e, t, o, _ideal_span_output(tg), 0, head) == oracle
        oracles.append(oracle)
    assert back >= 0.9 * len(examples)  # the ideal head reads the extract back through the token offsets
    lead = LeadModel()  # its defaults: the first sentence, 30 characters, dateline dropped
    leads = [lead._lead(e.fields["text"], lead.length, lead.first_sentence, lead.drop_dateline) for e in examples]
    refs = [e.reference for e in examples]
    oracle_score, lead_score = (sum(metrics.rouge_chars(p, refs).values()) for p in (oracles, leads))
    assert oracle_score > lead_score + 30  # the extract's ceiling is far above Lead (mean ROUGE in points x 3)


def test_tagger_targets_decode_back_to_the_gold_pairs(data_dir, tok):
    from bbt.model.heads.tagger import bio_labels

    task = get_task("finner")
    adapter = adapter_for(task)
    tags = bio_labels(task.labels)
    head = type("H", (), {"none": "无"})
    examples = task.load(data_dir, "eval", limit=200)
    texts = [adapter.text(task, e) for e in examples]
    enc = encode(tok, texts, 512)
    tp = gold = 0
    for e, t, o in zip(examples, texts, enc.offsets):
        tg = adapter.token_targets(task, e, t, o)["tags"]
        got = task.parse(adapter.answer(task, e, t, o, {"tags": [[tags[k] for k in tg]]}, 0, head), e)
        tp, gold = tp + len(got & e.reference), gold + len(e.reference)
        assert all(span in e.fields["text"] for span, _ in got)
    assert tp / gold > 0.8  # the rest: mentions cut inside a token of this small tokenizer, or not in the text


def test_entity_markers_and_relation_masks(tok):
    assert mark_entities("甲公司收购乙公司，甲公司称", "甲公司", "乙公司") == "<甲公司>收购[乙公司]，<甲公司>称"
    assert mark_entities("中国平安银行与中国平安", "中国平安", "中国平安银行") == "<中国平安>银行与<中国平安>"[:0] + \
        "[中国平安银行]与<中国平安>"  # the longer name is marked whole
    task = get_task("finre")
    adapter = adapter_for(task)
    from bbt.tasks import Example

    ex = Example("0", "", "", "收购", {"head": "甲公司", "tail": "乙公司", "text": "甲公司收购乙公司"})
    text = adapter.text(task, ex)
    assert text.endswith(f"{HEAD_MARK[0]}甲公司{HEAD_MARK[1]}收购{TAIL_MARK[0]}乙公司{TAIL_MARK[1]}")
    o = encode(tok, [text], 128).offsets[0]
    tg = adapter.token_targets(task, ex, text, o)
    head_chars = "".join(text[a:b] for (a, b), m in zip(o, tg["head_mask"]) if m)
    tail_chars = "".join(text[a:b] for (a, b), m in zip(o, tg["tail_mask"]) if m)
    assert "甲公司" in head_chars and "乙公司" not in head_chars and "乙公司" in tail_chars
    assert tg["rel_label"] == list(task.labels).index("收购")


def _head_model(tok, names):
    heads = {n: head_spec(get_task(n)) for n in names}
    torch.manual_seed(0)
    return BBTModel(preset_config("tiny", len(tok), task_heads=heads)).eval()


def test_every_head_survives_a_save_load_round_trip(tok, tmp_path, data_dir):
    from bbt.model.inference import BBTGenerator

    names = ["finese", "finner", "finre"]
    model = _head_model(tok, names)
    with torch.no_grad():
        for p in model.bbt.task_heads.parameters():
            p.add_(0.3 * torch.randn_like(p))
    model.save_pretrained(tmp_path / "ckpt", tokenizer=tok)
    cfg = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    ner = cfg["bbt"]["task_heads"]["finner"]
    assert ner["kind"] == "tagger" and len(ner["types"]) == 11
    back, tok2, _ = load_model(tmp_path / "ckpt")
    for n in names:
        task = get_task(n)
        examples = task.load(data_dir, "eval", limit=6)
        a = head_answers(BBTGenerator(model, tok, 128, "cpu"), task, examples)
        b = head_answers(BBTGenerator(back, tok2, 128, "cpu"), task, examples)
        assert a == b and len(a) == 6, n
    sd, sd2 = model.state_dict(), back.state_dict()
    assert all(torch.equal(sd[k], sd2[k]) for k in sd if k.startswith("bbt.task_heads"))


def test_finetune_with_heads_serves_them_through_the_harness(data_dir, tokenizer_dir, tmp_path):
    from bbt.cli.main import app
    from bbt.train.finetune import FinetuneConfig, finetune

    tasks = ("finese", "finner", "finre", "finnsp", "finfe", "finna")
    cfg = FinetuneConfig(preset="tiny", tasks=tasks, tokenizer=str(tokenizer_dir), steps=6, batch_size=4,
                         max_input_len=64, warmup_steps=2, eval_every=6, eval_limit=3, log_every=1, lr=3e-3,
                         train_limit=60)
    out = tmp_path / "run"
    finetune(cfg, data_dir, out)
    saved = json.loads((out / "best" / "config.json").read_text())["bbt"]
    assert set(saved["task_heads"]) == {"finese", "finner", "finre", "finnsp", "finna"}
    assert set(saved["cls_heads"]) == {"finfe"}
    report = tmp_path / "eval.json"
    r = CliRunner().invoke(app, ["eval", "fincuge", "--model", str(out / "best"), "--data-dir", str(data_dir),
                                 "--tasks", ",".join(tasks), "--limit", "4", "--out", str(report), "--no-progress"])
    assert r.exit_code == 0, r.output
    res = json.loads(report.read_text())
    assert all(res["tasks"][t]["n"] == 4 for t in tasks)
    # without the decoder fallback, every span answer is a piece of its own text or the none word
    from bbt.model.inference import load_generator

    gen = load_generator(out / "best", device="cpu", max_input_len=64)
    ese = get_task("finese")
    examples = ese.load(data_dir, "eval", limit=8)
    for a, e in zip(head_answers(gen, ese, examples), examples):
        assert a == ese.none or a in e.input, a
    na = get_task("finna")
    examples = na.load(data_dir, "eval", limit=8)
    assert all(a and a in e.fields["text"] for a, e in zip(head_answers(gen, na, examples), examples))
    ner = get_task("finner")
    examples = ner.load(data_dir, "eval", limit=8)
    for a, e in zip(head_answers(gen, ner, examples), examples):
        assert all(span in e.fields["text"] for span, _ in ner.parse(a, e)), a


def test_the_fused_head_with_and_without_the_lexical_channel(tok, data_dir, tmp_path):
    from bbt.model.inference import BBTGenerator
    from bbt.model.lexical import LexicalFeatures

    fe = get_task("finfe")
    train = fe.load(data_dir, "train", limit=300)
    feats = LexicalFeatures.fit([e.input for e in train], max_features=2000)
    heads = {"finre": head_spec(get_task("finre"))}
    torch.manual_seed(0)
    model = BBTModel(preset_config("tiny", len(tok), cls_heads={"finfe": list(fe.labels)}, task_heads=heads,
                                   lexical={"finfe": 3, "finre": len(get_task("finre").labels)},
                                   lexical_features=feats.n_features)).eval()
    model.lexical_features = feats
    examples = fe.load(data_dir, "eval", limit=8)
    gen = BBTGenerator(model, tok, 128, "cpu")
    _, before = gen.label_probs("finfe", [e.input for e in examples])
    with torch.no_grad():  # the channel starts at zero: fused == neural; then give it weight
        for m in model.bbt.lexical.maps.values():
            m.weight.normal_(0, 2.0)
    _, fused = gen.label_probs("finfe", [e.input for e in examples])
    gen.neural_only = True
    _, neural = gen.label_probs("finfe", [e.input for e in examples])
    assert torch.allclose(before, neural) and not torch.allclose(fused, neural)
    gen.neural_only = False
    re_examples = get_task("finre").load(data_dir, "eval", limit=6)
    with_lex = head_answers(gen, get_task("finre"), re_examples)
    model.save_pretrained(tmp_path / "ckpt", tokenizer=tok)
    assert (tmp_path / "ckpt" / "lexical.json").is_file()
    back, tok2, _ = load_model(tmp_path / "ckpt")
    gen2 = BBTGenerator(back, tok2, 128, "cpu")
    assert torch.allclose(gen2.label_probs("finfe", [e.input for e in examples])[1], fused, atol=1e-6)
    assert head_answers(gen2, get_task("finre"), re_examples) == with_lex
    (tmp_path / "ckpt" / "lexical.json").unlink()
    from bbt.errors import BBTError

    with pytest.raises(BBTError, match="lexical.json is missing"):
        load_model(tmp_path / "ckpt")


def test_finetune_with_the_lexical_channel_and_neural_only_eval(data_dir, tokenizer_dir, tmp_path):
    from bbt.cli.main import app
    from bbt.train.finetune import FinetuneConfig, finetune

    tasks = ("finfe", "finre", "finnsp")
    cfg = FinetuneConfig(preset="tiny", tasks=tasks, tokenizer=str(tokenizer_dir), steps=4, batch_size=4,
                         max_input_len=64, warmup_steps=1, eval_every=0, save_every=4, log_every=1, lr=3e-3,
                         train_limit=60, lexical="finfe,finre,finnsp", lexical_features=3000)
    out = tmp_path / "run"
    finetune(cfg, data_dir, out)
    saved = json.loads((out / "best" / "config.json").read_text())["bbt"]
    assert saved["lexical"] == {"finfe": 3, "finre": 44, "finnsp": 3} and 0 < saved["lexical_features"] <= 3000
    results = {}
    for flag in ([], ["--neural-only"]):
        report = tmp_path / f"eval{len(flag)}.json"
        r = CliRunner().invoke(app, ["eval", "fincuge", "--model", str(out / "best"), "--data-dir", str(data_dir),
                                     "--tasks", ",".join(tasks), "--limit", "4", "--out", str(report), "--no-progress",
                                     *flag])
        assert r.exit_code == 0, r.output
        results[len(flag)] = json.loads(report.read_text())
    back, _, _ = load_model(out / "best")
    # the channel learned in 4 steps (zero-initialised, it takes absolute optimiser steps: bbt.model.zero_init)
    assert max(float(m.weight.detach().abs().max()) for m in back.bbt.lexical.maps.values()) > 1e-3
    assert results[1]["model"].endswith("#neural-only") and results[1]["neural_only"]
    assert not results[0]["model"].endswith("#neural-only")
    with pytest.raises(Exception, match="applies to BBT checkpoints"):
        from bbt.eval.harness import evaluate_model

        evaluate_model("dummy", "finfe", data_dir, tmp_path / "d.json", limit=2, progress=False, neural_only=True)


def test_span_decoding_and_loss_treat_several_answers_fairly():
    from bbt.model.heads.span import SpanHead

    # a weaker start inside the best span must not cut it short: 5..9 beats 7..9
    start = torch.full((12,), -9.0)
    start[5], start[7] = 2.0, 1.6
    end = torch.full((12,), -9.0)
    end[9] = 5.0
    assert decode_spans(start, end, max_spans=1, max_len=8) == [(5, 9)]
    assert decode_spans(start, end, max_spans=3, max_len=8) == [(5, 9)]  # 7..9 overlaps the better span
    # two gold pieces: all mass on one of them costs more than sharing it (each piece has its own term)
    head = SpanHead(4)
    target = torch.zeros(1, 6)
    target[0, 1], target[0, 4] = 1.0, 2.0
    keep = torch.ones(1, 6, dtype=torch.bool)
    mode = torch.tensor([[0.0, 9.0, 0.0]])

    def loss(logits):
        out = {"start": logits, "end": logits, "mode": mode, "keep": keep}
        return float(head.loss(out, keep, target, target, torch.tensor([1])))

    one_sided = torch.tensor([[-9.0, 9.0, -9.0, -9.0, -9.0, -9.0]])
    shared = torch.tensor([[-9.0, 9.0, -9.0, -9.0, 9.0, -9.0]])
    assert loss(shared) < loss(one_sided)


def test_a_span_cut_by_truncation_is_not_a_target():
    offsets = [(0, 2), (2, 4), (0, 0)]  # the text went on past character 4, truncated
    assert token_range(offsets, 2, 4) == (1, 1) and token_range(offsets, 2, 6) is None


def test_eval_reads_inputs_as_long_as_fine_tuning_did(tmp_path):
    from bbt.model.inference import trained_input_len

    (tmp_path / "bbt_state.json").write_text(json.dumps({"config": {"max_input_len": 256}}))
    assert trained_input_len(tmp_path) == 256 and trained_input_len(tmp_path / "none") is None


def test_a_checkpoint_without_the_lexical_channel_inits_a_run_with_it(data_dir, tokenizer_dir, tmp_path):
    from bbt.train.finetune import FinetuneConfig, finetune

    base = dict(preset="tiny", tasks=("finfe",), tokenizer=str(tokenizer_dir), steps=2, batch_size=4, max_input_len=64,
                warmup_steps=1, eval_every=0, save_every=2, log_every=1, lr=3e-3, train_limit=40)
    finetune(FinetuneConfig(**base), data_dir, tmp_path / "plain")
    assert not (tmp_path / "plain" / "best" / "lexical.json").exists()
    finetune(FinetuneConfig(**base, init=str(tmp_path / "plain" / "best"), lexical="finfe", lexical_features=500),
             data_dir, tmp_path / "fused")
    back, _, _ = load_model(tmp_path / "fused" / "best")
    assert back.lexical_features is not None and "finfe" in back.bbt.lexical.maps
