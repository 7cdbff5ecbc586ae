"""`bbt pretrain`: span-corruption pre-training of BBTModel on a corpus (+ replaced-token detection, + knowledge
masking, + text/series).

The loop's data (PretrainData's batch stream) and objective inside the training shell that fine-tuning uses too
(bbt.train.engine.TrainingShell): CPU fp32, one GPU bf16, several GPUs or nodes through
`accelerate launch --config_file configs/accelerate/*.yaml` (DDP, DeepSpeed ZeRO-2/3). Layout of --out:
    final/       the pre-trained weights + tokenizer (what `bbt finetune --init` reads)
    last/        the latest checkpoint + Accelerate state (optimizer, scheduler, RNGs) + data-stream state
    log.jsonl    loss (per objective), learning rate, tokens/s
Checkpoints go to a temporary directory and are renamed, so a kill -9 never leaves a half one, and `--resume`
continues with exactly the batches and losses an uninterrupted run would have had.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bbt.train import engine
from bbt.train.engine import OptimConfig, TrainingShell, check_optimizer

if TYPE_CHECKING:
    import torch


@dataclass
class PretrainConfig(OptimConfig):
    tokenizer: str | None = None  # tokenizer dir (required unless --init has one)
    init: str | None = None  # continue from a BBT / T5 checkpoint instead of a fresh model
    weights: str | None = None  # sampling weights: None/"size" = size-proportional, or a JSON file
    source_prompt: bool = True  # 【新闻】-style tag before every document
    input_len: int = 256  # encoder tokens per packed sequence
    noise_density: float = 0.15
    mean_span: float = 3.0
    # why: share of corpus batches whose target is the whole original text (BART text infilling), not only the
    # masked spans. Span targets alone can be predicted from token frequencies for a long time (the "unigram
    # plateau"): after 500 steps the decoder barely read its input, and fine-tuning from it lost most on the
    # tasks that copy a span of the input. A full target makes copying from the encoder the first thing learned.
    infill_rate: float = 0.0
    # why: share of corpus batches that train the encoder by replaced-token detection (bbt.model.electra): it
    # learns from every input token, where a span target names 15%; the decoder keeps the span batches
    rtd_rate: float = 0.0
    rtd_mask_rate: float = 0.15  # share of tokens the generator fills (ELECTRA's rate)
    knowledge_rate: float = 0.0  # share of batches that are knowledge-triple masking (needs the shared KG)
    joint_rate: float = 0.0  # share of batches that are news + price window -> next open (needs shared data)
    optimizer: str = "adamw"  # adamw | adafactor (T5's own: updates scaled by each matrix's RMS)
    lr: float = 2e-3  # peak; warm-up then cosine decay to 0
    warmup_steps: int = 100
    steps: int = 1000
    time_budget_s: float | None = None  # why: equal compute per ablation arm; stops at the first step past it
    dropout: float = 0.0  # why: T5 v1.1 pre-trains without dropout (the saved config keeps the preset's rate)
    log_every: int = 10
    save_every: int = 200
    stop_at: int | None = None  # simulate a crash right after this step's checkpoint (resume tests)


def check_config(cfg: PretrainConfig) -> None:
    """Settings errors before any work: the optimiser name and the batch-kind rates."""
    from bbt.pretrain.data import mix_rates

    check_optimizer(cfg.optimizer)
    mix_rates(cfg)


def make_optimizer(model: torch.nn.Module, cfg: PretrainConfig) -> torch.optim.Optimizer:
    return engine.make_optimizer(model, cfg.optimizer, cfg.lr, cfg.weight_decay)


def count_tokens(batch: dict[str, torch.Tensor]) -> int:
    """Real tokens of a batch: encoder tokens under the attention mask + decoder targets that are not -100."""
    n = int(batch["attention_mask"].sum()) if "attention_mask" in batch else int(batch["input_ids"].numel())
    return n + (int((batch["labels"] != -100).sum()) if "labels" in batch else 0)


def _set_dropout(model: torch.nn.Module, p: float) -> None:
    import torch

    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = p
        elif isinstance(getattr(m, "dropout", None), float):  # T5Attention passes a float rate to SDPA
            m.dropout = p


def pretrain(cfg: PretrainConfig, corpus: Path, out: Path, data_dir: Path | None = None, resume: bool = False,
             console=None) -> dict:
    import numpy as np
    import torch

    from bbt.pretrain.data import PretrainData
    from bbt.train.finetune import build_model

    check_config(cfg)
    shell = TrainingShell(cfg, out, resume, stream_name="data", console=console)
    out, acc = shell.out, shell.acc
    model, tok = build_model(cfg, {}, ())  # the fine-tuning builder, without classification heads
    if cfg.rtd_rate > 0:  # the generator and detector head: trained here, never saved with the model
        from bbt.model.electra import ReplacedTokenDetection
        from bbt.pretrain.objectives import sentinel_ids

        model.rtd = ReplacedTokenDetection(model.config.d_model, model.t5.shared.num_embeddings,
                                           int(sentinel_ids(tok)[0]))
    _set_dropout(model, cfg.dropout)
    with acc.main_process_first():  # the first process builds the KG cache, the others read it
        data = PretrainData(cfg, Path(corpus), tok, data_dir, seed=cfg.seed + 7919 * acc.process_index,
                            cache_dir=out)
    shell.prepare(model, tok, data, state={"tokens": 0, "window": {}})
    model, state = shell.model, shell.state
    window = state["window"]  # loss per objective since the last log line (saved, so a resume logs the same)
    # tokens since the last log line, summed over processes when saved: the main process carries them on resume
    clock = {"t": time.perf_counter(), "tokens": state.get("window_tokens", 0) if shell.is_main else 0}

    def summed(n: int) -> int:  # over all processes
        return int(acc.reduce(torch.tensor(n, device=acc.device), "sum"))

    def micro_batch() -> None:  # the objective: span corruption / infilling / RTD / knowledge / joint, as drawn
        kind, batch = data.batch(cfg.batch_size)
        batch = {k: torch.as_tensor(v).to(acc.device) for k, v in batch.items()}
        parts: dict = {}

        def loss() -> torch.Tensor:
            out = model(**batch)
            parts.update(out.losses if kind == "rtd" else {})  # RTD logs its generator and detector terms
            return out.loss

        window.setdefault(kind, []).append(float(shell.micro_step(loss)))
        for name, value in parts.items():
            window.setdefault(f"rtd_{name}", []).append(float(value.detach()))
        clock["tokens"] += count_tokens(batch)

    def after_step(step: int, at_end: bool) -> bool:
        if step % cfg.log_every == 0 or step == cfg.steps:
            n_tok = summed(clock["tokens"])
            state["tokens"] += n_tok
            now = time.perf_counter()
            tps = n_tok / max(now - clock["t"], 1e-9)
            shell.log({"step": step, **{f"loss_{k}": float(np.mean(v)) for k, v in window.items()},
                       "lr": shell.lr(), "tokens": state["tokens"], "tokens_per_s": round(tps, 1),
                       "seconds": round(state["seconds"], 1)})
            shell.show(loss=float(np.mean(window.get("text") or sum(window.values(), []))), tps=tps)
            window.clear()
            clock.update(t=now, tokens=0)
        if at_end or step % cfg.save_every == 0 or step == cfg.stop_at:
            state["window_tokens"] = summed(clock["tokens"])
            shell.checkpoint(extra=_saved(state), weights=_model_weights(shell))
        return step == cfg.stop_at

    shell.train(micro_batch, after_step, "loss {task.fields[loss]:.3f}  {task.fields[tps]:,.0f} tok/s",
                name="pretrain", loss=float("nan"), tps=0.0)
    if state["step"] != cfg.stop_at or state["step"] == cfg.steps:
        shell.save(out / "final", extra=_saved(state), weights=_model_weights(shell))
    return {"steps": state["step"], "tokens": state["tokens"], "seconds": state["seconds"],
            "tokens_by_source": data.state()["text"]["tokens_by_source"], "out": str(out)}


def _model_weights(shell: TrainingShell) -> dict:
    """The weights a checkpoint keeps: the model's, without the RTD scaffolding (`rtd.*`); a resume restores
    that from the Accelerate state, which holds everything."""
    return {k: v for k, v in shell.weights().items() if not k.startswith("rtd.")}


def _saved(state: dict) -> dict:
    """What a pre-trained checkpoint records of its run (bbt_state.json)."""
    return {"pretrain": {k: v for k, v in state.items() if k != "window"}}
