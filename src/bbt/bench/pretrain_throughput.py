"""`bbt bench pretrain-throughput`: does the pre-training pipeline add overhead over a bare T5 loop?

Both loops train the same T5 v1.1 shape (the preset) with the same batch (B x input_len encoder tokens, B x
target_len decoder tokens), AdamW and gradient clipping, dropout off:
    bare      `transformers.T5ForConditionalGeneration` on random token ids, a plain PyTorch loop
    pipeline  `bbt pretrain` itself: corpus stream (shard reading, tokenising, Source Prompt, packing, span
              corruption), BBTModel, Accelerate, logging; its per-step log gives the tokens/s
Both flush denormal floats to zero (HF's untied LM head starts with std 1, whose tiny softmax tails
make a bare loop about 2x slower on CPU otherwise). The first `warmup` steps of each run are not timed; the runs alternate (bare, pipeline, bare, ...) so a slow
moment of the machine hits both, and the median over repeats is reported.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def bare_t5_tokens_per_s(preset: str, vocab: int, batch: int, input_len: int, target_len: int, steps: int,
                         warmup: int, seed: int = 0) -> float:
    from transformers import T5ForConditionalGeneration

    from bbt.model.config import preset_config

    torch.manual_seed(seed)
    torch.set_flush_denormal(True)  # as the pipeline does on CPU (else HF's std-1 LM-head init makes it 2x slower)
    t5cfg = preset_config(preset, vocab_size=vocab).t5
    t5cfg.dropout_rate = 0.0
    model = T5ForConditionalGeneration(t5cfg).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    t0 = 0.0
    for step in range(warmup + steps):
        if step == warmup:
            t0 = time.perf_counter()
        ids = torch.as_tensor(rng.integers(3, vocab, (batch, input_len)))
        labels = torch.as_tensor(rng.integers(3, vocab, (batch, target_len)))
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
    return steps * batch * (input_len + target_len) / (time.perf_counter() - t0)


def pipeline_tokens_per_s(corpus: Path, tokenizer: str, preset: str, batch: int, input_len: int, steps: int,
                          warmup: int, seed: int = 0) -> float:
    from bbt.pretrain.loop import PretrainConfig, pretrain

    cfg = PretrainConfig(preset=preset, tokenizer=tokenizer, input_len=input_len, batch_size=batch,
                         steps=warmup + steps, warmup_steps=1, log_every=1, save_every=10**9, seed=seed,
                         mixed_precision="no")
    with tempfile.TemporaryDirectory() as tmp:
        pretrain(cfg, corpus, Path(tmp) / "run")
        log = [json.loads(line) for line in (Path(tmp) / "run" / "log.jsonl").read_text().splitlines()]
    deltas = [(r["tokens"] - p["tokens"], r["tokens_per_s"]) for p, r in zip(log, log[1:]) if r["step"] > warmup]
    tokens = sum(d for d, _ in deltas)
    seconds = sum(d / tps for d, tps in deltas)
    return tokens / seconds


def run(corpus: Path, tokenizer: str, preset: str = "mini", batch: int = 32, input_len: int = 256, steps: int = 20,
        warmup: int = 3, repeats: int = 2, threads: int | None = None, progress: bool = True) -> dict:
    from bbt.pretrain.objectives import input_target_lengths
    from bbt.progress import progress_bar
    from bbt.text.tokenizer import load_tokenizer

    if threads:
        torch.set_num_threads(threads)
    vocab = len(load_tokenizer(tokenizer))
    _, target_len = input_target_lengths(input_len)
    bare, pipe = [], []
    with progress_bar(enabled=progress) as bar:
        task = bar.add_task("throughput (bare / pipeline)", total=2 * repeats)
        for r in range(repeats):
            bare.append(bare_t5_tokens_per_s(preset, vocab, batch, input_len, target_len, steps, warmup, seed=r))
            bar.advance(task)
            pipe.append(pipeline_tokens_per_s(corpus, tokenizer, preset, batch, input_len, steps, warmup, seed=r))
            bar.advance(task)
    b, p = statistics.median(bare), statistics.median(pipe)
    return {"preset": preset, "batch_size": batch, "input_len": input_len, "target_len": target_len,
            "timed_steps": steps, "warmup_steps": warmup, "repeats": repeats, "torch_threads": torch.get_num_threads(),
            "bare_tokens_per_s": bare, "pipeline_tokens_per_s": pipe, "bare_median": b, "pipeline_median": p,
            "pipeline_vs_bare_percent": 100.0 * (p - b) / b, "within_10_percent": p >= 0.9 * b}


def markdown(res: dict) -> str:
    return "\n".join([
        f"# Pre-training throughput: `{res['preset']}` on CPU ({res['torch_threads']} torch threads)", "",
        f"Batch {res['batch_size']} x {res['input_len']} encoder + {res['target_len']} decoder tokens; "
        f"{res['timed_steps']} timed steps after {res['warmup_steps']} warm-up, median of {res['repeats']} "
        "alternating runs; tokens = encoder + decoder tokens.", "",
        "| loop | tokens/s (median) | runs |", "|---|---|---|",
        f"| bare `transformers` T5 | {res['bare_median']:,.0f} | "
        + ", ".join(f"{x:,.0f}" for x in res["bare_tokens_per_s"]) + " |",
        f"| `bbt pretrain` pipeline | {res['pipeline_median']:,.0f} | "
        + ", ".join(f"{x:,.0f}" for x in res["pipeline_tokens_per_s"]) + " |", "",
        f"Pipeline vs bare: {res['pipeline_vs_bare_percent']:+.1f}% "
        f"({'within' if res['within_10_percent'] else 'NOT within'} 10%).", ""])
