"""Multi-task fine-tuning of BBTModel on FinCUGE (text-to-text with Source Prompts + classification heads).

One Accelerate loop: the same code runs on the CPU (fp32), one GPU (bf16) or several (DDP / DeepSpeed ZeRO via
`accelerate launch --config_file configs/accelerate/*.yaml`). Layout of --out:
    best/        the best checkpoint by eval score (save_pretrained: config, safetensors, tokenizer)
    last/        the latest checkpoint + Accelerate state (optimizer, scheduler, RNG) for --resume
    log.jsonl    one JSON object per logged step / evaluation
Both checkpoints are written to a temporary directory and renamed, so a kill never leaves a half checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bbt.errors import BBTError
from bbt.train.engine import (check_optimizer, from_main, make_accelerator, make_optimizer, micro_step,
                              set_micro_batch, trim_log)



@dataclass
class FinetuneConfig:
    preset: str = "mini"  # model size when not starting from --init
    tasks: tuple[str, ...] = ()  # () = all nine FinCUGE tasks
    init: str | None = None  # checkpoint to start from (BBT or plain T5 dir / .tar.gz); None = from scratch
    tokenizer: str | None = None  # tokenizer dir when starting from scratch (default: the one in --init)
    max_input_len: int = 256  # why: covers most FinCUGE inputs; longer QA/summary texts are truncated
    batch_size: int = 32
    grad_accum: int = 1
    # why adafactor: 1000-step runs of mini from scratch scored 36.3 (Adafactor 1e-2) vs 33.2 (AdamW 1e-3) on the
    # whole eval split (scripts/finetune_probe.sh -> results/finetune_probe/summary.md)
    optimizer: str = "adafactor"  # adamw | adafactor (bbt.train.engine.make_optimizer)
    lr: float | None = None  # peak; None: 1e-2 from scratch (the probe), 1e-3 from --init (T5's fine-tuning rate)
    weight_decay: float = 0.01
    warmup_steps: int = 200
    steps: int = 3000  # optimiser steps at most
    time_budget_s: float | None = None  # wall-clock cap (checked every step)
    train_limit: int | None = None  # why: first N train rows per task, for smoke runs and tests
    mix_cap: int = 4000  # why: rows counted per task for the mixing weights (T5's examples-proportional cap)
    cls_heads: bool = True  # pooled-encoder heads for the label tasks (the NLU fast path)
    eval_every: int = 500  # 0 = no evaluation during training (e.g. DeepSpeed ZeRO-3); best/ = the latest weights
    save_every: int = 500  # checkpoint interval when eval_every is 0
    eval_limit: int = 200  # eval rows per task during training (the full eval is `bbt eval fincuge`)
    patience: int = 4  # evaluations without improvement before stopping
    log_every: int = 25
    seed: int = 0
    mixed_precision: str = "auto"  # auto: bf16 on a GPU that supports it, fp32 on the CPU


class _ModelBackend:
    """Adapts a live model to the harness's backend protocol (for evaluation during training)."""

    def __init__(self, generator, name="training"):
        self.gen, self.name = generator, name

    def generate(self, task, examples):
        return self.gen.generate([e.input for e in examples], task.max_new_tokens, task=task.name)


def _is_multilabel(task) -> bool:
    from bbt.tasks import MultiLabelTask

    return isinstance(task, MultiLabelTask)


def build_model(cfg: FinetuneConfig, head_labels: dict[str, list[str]], multilabel: tuple[str, ...]):
    from bbt.model.modeling import load_model
    from bbt.model.config import preset_config
    from bbt.model.modeling import BBTModel
    from bbt.text.tokenizer import load_tokenizer

    if cfg.init:
        model, tok, report = load_model(cfg.init, cls_heads=head_labels, multilabel_heads=multilabel)
        if cfg.tokenizer:
            tok = load_tokenizer(cfg.tokenizer)
        if tok is None:
            raise BBTError(f"{cfg.init} has no tokenizer; pass --tokenizer DIR")
        return model, tok
    if not cfg.tokenizer:
        raise BBTError("training from scratch needs --tokenizer DIR (train one with `bbt tokenizer train`)")
    tok = load_tokenizer(cfg.tokenizer)
    config = preset_config(cfg.preset, vocab_size=len(tok), cls_heads=head_labels, multilabel_heads=multilabel)
    return BBTModel(config), tok


def finetune(cfg: FinetuneConfig, data_dir: Path, out: Path, resume: bool = False, console=None) -> dict:
    from accelerate.utils import set_seed
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from transformers import get_cosine_schedule_with_warmup

    from bbt.tasks.runner import evaluate
    from bbt.tasks import TASKS, get_task
    from bbt.model.checkpoint import save_pretrained
    from bbt.model.inference import BBTGenerator
    from bbt.train.data import TaskMixture, collate, tokenize_task

    check_optimizer(cfg.optimizer)  # before any data or model is loaded
    if cfg.lr is None:  # resolved here, so the saved config says which rate ran
        cfg = dataclasses.replace(cfg, lr=1e-3 if cfg.init else 1e-2)
    out = Path(out)
    last = out / "last"
    from bbt.model.checkpoint import recover_checkpoint

    if resume and not (recover_checkpoint(last) and (last / "trainer_state.json").is_file()):
        raise BBTError(f"--resume: no checkpoint in {last}")
    out.mkdir(parents=True, exist_ok=True)
    names = list(cfg.tasks) or list(TASKS)
    tasks = [get_task(n) for n in names]
    acc = make_accelerator(cfg.mixed_precision, cfg.grad_accum)
    set_seed(cfg.seed)
    # label tasks (those with a fixed label set) get a pooled-encoder head; multi-label ones a sigmoid per label
    head_labels = {t.name: list(t.labels) for t in tasks if cfg.cls_heads and t.labels}
    multilabel = tuple(t.name for t in tasks if t.name in head_labels and _is_multilabel(t))
    model, tok = build_model(cfg, head_labels, multilabel)

    data = []
    for t in tasks:
        examples = t.load(data_dir, "train", limit=cfg.train_limit)
        data.append(tokenize_task(tok, t, examples, cfg.max_input_len, head_labels.get(t.name),
                                  t.name in multilabel))
    mixture = TaskMixture(data, cfg.batch_size, cfg.mix_cap, cfg.seed + acc.process_index)
    opt = make_optimizer(model, cfg.optimizer, cfg.lr, cfg.weight_decay)
    sched = get_cosine_schedule_with_warmup(opt, cfg.warmup_steps, cfg.steps)
    set_micro_batch(acc, cfg.batch_size)
    model, opt, sched = acc.prepare(model, opt, sched)

    mixture_file = f"mixture_state_{acc.process_index}.json"  # why per process: each rank samples its own batches
    state = {"step": 0, "best": -math.inf, "best_step": 0, "bad_evals": 0, "seconds": 0.0,
             "config": dataclasses.asdict(cfg)}
    if resume:
        acc.load_state(str(last / "accelerate"))
        saved = json.loads((last / "trainer_state.json").read_text(encoding="utf-8"))
        state.update({k: v for k, v in saved.items() if k not in ("mixture", "config")})
        per_rank = last / "accelerate" / mixture_file
        mixture.load_state(json.loads(per_rank.read_text(encoding="utf-8")) if per_rank.is_file() else saved["mixture"])
        if acc.is_main_process:
            trim_log(out / "log.jsonl", state["step"])

    log = (out / "log.jsonl").open("a", encoding="utf-8")

    def write_log(rec: dict) -> None:
        if acc.is_main_process:
            log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            log.flush()

    # `weights` = acc.get_state_dict(model), taken on every process (it gathers ZeRO-3 shards) once per save point
    def save_best(extra: dict, weights: dict) -> None:
        if acc.is_main_process:
            save_pretrained(acc.unwrap_model(model), out / "best", tok, extra=extra, state_dict=weights)
        acc.wait_for_everyone()

    def checkpoint(weights: dict) -> None:
        tmp = out / ".last.tmp"
        if acc.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
        acc.wait_for_everyone()
        acc.save_state(str(tmp / "accelerate"))
        (tmp / "accelerate" / mixture_file).write_text(json.dumps(mixture.state()), encoding="utf-8")
        acc.wait_for_everyone()  # every rank's RNG and mixture state is on disk before the move
        if acc.is_main_process:
            def extras(d: Path) -> None:
                shutil.move(str(tmp / "accelerate"), str(d / "accelerate"))
                (d / "trainer_state.json").write_text(json.dumps({**state, "mixture": mixture.state()}),
                                                      encoding="utf-8")
            save_pretrained(acc.unwrap_model(model), last, tok, also=extras, state_dict=weights)
            shutil.rmtree(tmp, ignore_errors=True)
        acc.wait_for_everyone()

    def run_eval() -> float:
        net = acc.unwrap_model(model)
        net.eval()
        gen = BBTGenerator(net, tok, max_input_len=cfg.max_input_len, device=str(acc.device))
        res = evaluate(_ModelBackend(gen), tasks, data_dir, split="eval", batch_size=64, limit=cfg.eval_limit,
                       progress=False)
        net.train()
        write_log({"step": state["step"], "eval": {k: v["score"] for k, v in res["tasks"].items()},
                   "eval_average": res["average"]})
        return float(res["average"])

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TextColumn("loss {task.fields[loss]:.3f}"), TimeElapsedColumn(), TimeRemainingColumn())
    t_start, t_prev = time.perf_counter(), state["seconds"]
    model.train()
    running: list[float] = []
    with Progress(*columns, console=console, disable=not acc.is_main_process) as progress:
        bar = progress.add_task("finetune", total=cfg.steps, completed=state["step"], loss=float("nan"))
        while state["step"] < cfg.steps:
            for _ in range(cfg.grad_accum):
                t_data, idx = mixture.sample()
                batch = collate(t_data, idx, tok.pad_token_id)
                task = batch.pop("task")
                batch = {k: v.to(acc.device) for k, v in batch.items()}
                loss = micro_step(acc, model, opt, sched, lambda: model(**batch, task=task).loss)
                running.append(float(loss))
            state["step"] += 1
            state["seconds"] = t_prev + time.perf_counter() - t_start
            progress.update(bar, advance=1, loss=float(np.mean(running[-50:])))
            if state["step"] % cfg.log_every == 0:
                write_log({"step": state["step"], "loss": float(np.mean(running[-cfg.log_every * cfg.grad_accum:])),
                           "lr": sched.get_last_lr()[0], "seconds": round(state["seconds"], 1)})
            # rank 0's clock and eval decide for every process: ranks that stop at different steps hang DDP
            out_of_time = cfg.time_budget_s is not None and bool(
                from_main(acc, float(state["seconds"] >= cfg.time_budget_s)))
            step, at_end = state["step"], state["step"] == cfg.steps or out_of_time
            if cfg.eval_every and (step % cfg.eval_every == 0 or at_end):
                score = from_main(acc, run_eval() if acc.is_main_process else 0.0)
                weights = acc.get_state_dict(model)
                if score > state["best"] + 1e-6:
                    state.update(best=score, best_step=step, bad_evals=0)
                    save_best({"step": step, "eval_average": score, "config": state["config"]}, weights)
                else:
                    state["bad_evals"] += 1
                checkpoint(weights)
            elif at_end or step % cfg.save_every == 0:  # no evaluation: the latest weights are the result
                state["best_step"] = step
                weights = acc.get_state_dict(model)
                save_best({"step": step, "eval_average": None, "config": state["config"]}, weights)
                checkpoint(weights)
            if state["bad_evals"] >= cfg.patience or at_end:
                break
    log.close()
    return {"steps": state["step"], "best_eval_average": state["best"], "best_step": state["best_step"],
            "seconds": state["seconds"], "out": str(out)}
