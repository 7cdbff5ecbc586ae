"""`bbt pretrain`: span-corruption pre-training of BBTModel on a corpus (+ knowledge masking, + text/series).

The same Accelerate loop shape as fine-tuning: CPU fp32, one GPU bf16, several GPUs or nodes through
`accelerate launch --config_file configs/accelerate/*.yaml` (DDP, DeepSpeed ZeRO-2/3). Layout of --out:
    final/       the pre-trained weights + tokenizer (what `bbt finetune --init` reads)
    last/        the latest checkpoint + Accelerate state (optimizer, scheduler, RNGs) + data-stream state
    log.jsonl    loss (per objective), learning rate, tokens/s
Checkpoints go to a temporary directory and are renamed, so a kill -9 never leaves a half one, and `--resume`
continues with exactly the batches and losses an uninterrupted run would have had.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bbt.errors import BBTError
from bbt.train import engine
from bbt.train.engine import check_optimizer, make_accelerator, micro_step, set_micro_batch, trim_log


@dataclass
class PretrainConfig:
    preset: str = "mini"
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
    knowledge_rate: float = 0.0  # share of batches that are knowledge-triple masking (needs the shared KG)
    joint_rate: float = 0.0  # share of batches that are news + price window -> next open (needs shared data)
    batch_size: int = 32
    grad_accum: int = 1
    optimizer: str = "adamw"  # adamw | adafactor (T5's own: updates scaled by each matrix's RMS)
    lr: float = 2e-3  # peak; warm-up then cosine decay to 0
    weight_decay: float = 0.01
    warmup_steps: int = 100
    steps: int = 1000
    time_budget_s: float | None = None  # why: equal compute per ablation arm; stops at the first step past it
    dropout: float = 0.0  # why: T5 v1.1 pre-trains without dropout (the saved config keeps the preset's rate)
    log_every: int = 10
    save_every: int = 200
    seed: int = 0
    mixed_precision: str = "auto"
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
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = p
        elif isinstance(getattr(m, "dropout", None), float):  # T5Attention passes a float rate to SDPA
            m.dropout = p


def pretrain(cfg: PretrainConfig, corpus: Path, out: Path, data_dir: Path | None = None, resume: bool = False,
             console=None) -> dict:
    from accelerate.utils import set_seed
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from transformers import get_cosine_schedule_with_warmup

    from bbt.model.checkpoint import recover_checkpoint, save_pretrained
    from bbt.pretrain.data import PretrainData
    from bbt.train.finetune import build_model

    check_config(cfg)
    out, last = Path(out), Path(out) / "last"
    if resume and not (recover_checkpoint(last) and (last / "trainer_state.json").is_file()):
        raise BBTError(f"--resume: no checkpoint in {last}")
    out.mkdir(parents=True, exist_ok=True)
    acc = make_accelerator(cfg.mixed_precision, cfg.grad_accum)
    set_seed(cfg.seed)
    model, tok = build_model(cfg, {}, ())  # the fine-tuning builder, without classification heads
    _set_dropout(model, cfg.dropout)
    with acc.main_process_first():  # the first process builds the KG cache, the others read it
        data = PretrainData(cfg, Path(corpus), tok, data_dir, seed=cfg.seed + 7919 * acc.process_index,
                            cache_dir=out)
    opt = make_optimizer(model, cfg)
    sched = get_cosine_schedule_with_warmup(opt, cfg.warmup_steps, cfg.steps)
    set_micro_batch(acc, cfg.batch_size)
    model, opt, sched = acc.prepare(model, opt, sched)

    data_file = f"data_state_{acc.process_index}.json"  # why per process: each rank streams its own batches
    state = {"step": 0, "seconds": 0.0, "tokens": 0, "window": {}, "config": dataclasses.asdict(cfg)}
    if resume:
        acc.load_state(str(last / "accelerate"))
        saved = json.loads((last / "trainer_state.json").read_text(encoding="utf-8"))
        state.update({k: v for k, v in saved.items() if k not in ("config", "data")})
        per_rank = last / "accelerate" / data_file
        data.load_state(json.loads(per_rank.read_text(encoding="utf-8")) if per_rank.is_file() else saved["data"])
        if acc.is_main_process:
            trim_log(out / "log.jsonl", state["step"])
    log = (out / "log.jsonl").open("a", encoding="utf-8")

    def write_log(rec: dict) -> None:
        if acc.is_main_process:
            log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            log.flush()

    def save(directory: Path, with_state: bool) -> None:
        net = acc.unwrap_model(model)
        _set_dropout(net, net.config.t5.dropout_rate)  # the saved model is the fine-tuning starting point
        weights = acc.get_state_dict(model)  # every process: gathers ZeRO-3 shards
        tmp = out / ".last.tmp"
        if with_state:
            if acc.is_main_process:
                shutil.rmtree(tmp, ignore_errors=True)
            acc.wait_for_everyone()
            acc.save_state(str(tmp / "accelerate"), safe_serialization=False)
            (tmp / "accelerate" / data_file).write_text(json.dumps(data.state()), encoding="utf-8")
            acc.wait_for_everyone()  # every rank's RNG and data state is on disk before the move
        if acc.is_main_process:
            def extras(d: Path) -> None:
                if with_state:
                    shutil.move(str(tmp / "accelerate"), str(d / "accelerate"))
                    (d / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
            save_pretrained(net, directory, tok, extra={"pretrain": {k: v for k, v in state.items() if k != "window"}},
                            also=extras, state_dict=weights)
            shutil.rmtree(tmp, ignore_errors=True)
        _set_dropout(net, cfg.dropout)
        acc.wait_for_everyone()

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TextColumn("loss {task.fields[loss]:.3f}  {task.fields[tps]:,.0f} tok/s"), TimeElapsedColumn(),
               TimeRemainingColumn())
    t_start, t_prev = time.perf_counter(), state["seconds"]
    model.train()
    window = state["window"]  # loss per objective since the last log line (saved, so a resume logs the same)
    # tokens since the last log line, summed over processes when saved: the main process carries them on resume
    t_window, tok_window = time.perf_counter(), (state.get("window_tokens", 0) if acc.is_main_process else 0)
    with Progress(*columns, console=console, disable=not acc.is_main_process) as progress:
        bar = progress.add_task("pretrain", total=cfg.steps, completed=state["step"], loss=float("nan"), tps=0.0)
        while state["step"] < cfg.steps:
            for _ in range(cfg.grad_accum):
                kind, batch = data.batch(cfg.batch_size)
                batch = {k: torch.as_tensor(v).to(acc.device) for k, v in batch.items()}
                loss = micro_step(acc, model, opt, sched, lambda: model(**batch).loss)
                window.setdefault(kind, []).append(float(loss))
                tok_window += count_tokens(batch)
            state["step"] += 1
            step = state["step"]
            if step % cfg.log_every == 0 or step == cfg.steps:
                n_tok = int(acc.reduce(torch.tensor(tok_window, device=acc.device), "sum"))  # all processes
                state["tokens"] += n_tok
                now = time.perf_counter()
                state["seconds"] = t_prev + now - t_start
                tps = n_tok / max(now - t_window, 1e-9)
                write_log({"step": step, **{f"loss_{k}": float(np.mean(v)) for k, v in window.items()},
                           "lr": sched.get_last_lr()[0], "tokens": state["tokens"], "tokens_per_s": round(tps, 1),
                           "seconds": round(state["seconds"], 1)})
                progress.update(bar, loss=float(np.mean(window.get("text") or sum(window.values(), []))), tps=tps)
                window.clear()
                t_window, tok_window = now, 0
            state["seconds"] = t_prev + time.perf_counter() - t_start
            progress.update(bar, completed=step)
            out_of_time = cfg.time_budget_s is not None and state["seconds"] >= cfg.time_budget_s
            if cfg.time_budget_s is not None:  # why: every process must stop at the same step (else DDP hangs)
                out_of_time = bool(acc.reduce(torch.tensor(float(out_of_time), device=acc.device), "max"))
            at_end = step == cfg.steps or out_of_time
            if at_end or step % cfg.save_every == 0 or step == cfg.stop_at:
                state["window_tokens"] = int(acc.reduce(torch.tensor(tok_window, device=acc.device), "sum"))
                save(last, with_state=True)
            if at_end or step == cfg.stop_at:
                break
    if state["step"] != cfg.stop_at or state["step"] == cfg.steps:
        save(out / "final", with_state=False)
    log.close()
    return {"steps": state["step"], "tokens": state["tokens"], "seconds": state["seconds"],
            "tokens_by_source": data.state()["text"]["tokens_by_source"], "out": str(out)}
