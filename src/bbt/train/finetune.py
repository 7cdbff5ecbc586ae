"""Multi-task fine-tuning of BBTModel on FinCUGE (text-to-text with Source Prompts + classification heads).

The loop's data (a task mixture) and objective (one task's batch, text-to-text + head loss) inside the training
shell (bbt.train.engine.TrainingShell): the same code runs on the CPU (fp32), one GPU (bf16) or several (DDP /
DeepSpeed ZeRO via `accelerate launch --config_file configs/accelerate/*.yaml`). Layout of --out:
    best/        the best checkpoint by eval score (save_pretrained: config, safetensors, tokenizer)
    last/        the latest checkpoint + Accelerate state (optimizer, scheduler, RNG) for --resume
    log.jsonl    one JSON object per logged step / evaluation
Both checkpoints are written to a temporary directory and renamed, so a kill never leaves a half checkpoint.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from bbt.errors import BBTError
from bbt.train.engine import OptimConfig, TrainingShell, from_main


@dataclass
class FinetuneConfig(OptimConfig):
    tasks: tuple[str, ...] = ()  # () = all nine FinCUGE tasks
    max_input_len: int = 256  # why: covers most FinCUGE inputs; longer QA/summary texts are truncated
    # why adafactor: 1000-step runs of mini from scratch scored 36.3 (Adafactor 1e-2) vs 33.2 (AdamW 1e-3) on the
    # whole eval split (scripts/finetune_probe.sh -> results/finetune_probe/summary.md)
    optimizer: str = "adafactor"  # adamw | adafactor (bbt.train.engine.make_optimizer)
    lr: float | None = None  # peak; None: 1e-2 from scratch (the probe), 1e-3 from --init (T5's fine-tuning rate)
    warmup_steps: int = 200
    steps: int = 3000  # optimiser steps at most
    train_limit: int | None = None  # why: first N train rows per task, for smoke runs and tests
    mix_cap: int = 4000  # why: rows counted per task for the mixing weights (T5's examples-proportional cap)
    cls_heads: bool = True  # pooled-encoder heads for the label tasks (the NLU fast path)
    # why: span pointers / CRF tagger / entity-marked relation head for the tasks shaped like them
    # (bbt.train.task_heads.HEAD_TASKS); the decoder still trains on every task and writes what no head can
    task_heads: bool = True
    # why 0: on 2 CPU cores drawing the [B, heads, L, L] dropout mask of the attention probabilities took about a
    # quarter of a 256-token step (torch profiler: aten::bernoulli_); hidden-state dropout (the T5 config's 0.1) stays
    attention_dropout: float = 0.0
    # why: character n-gram TF-IDF fused late into these tasks' heads (bbt.model.lexical); "" = neural only
    lexical: str = ""
    lexical_features: int = 50_000  # n-gram features kept (most frequent in the train texts)
    eval_every: int = 500  # 0 = no evaluation during training (e.g. DeepSpeed ZeRO-3); best/ = the latest weights
    save_every: int = 500  # checkpoint interval when eval_every is 0
    eval_limit: int = 200  # eval rows per task during training (the full eval is `bbt eval fincuge`)
    patience: int = 4  # evaluations without improvement before stopping
    log_every: int = 25


class _ModelBackend:
    """Adapts a live model to the harness's backend protocol (for evaluation during training)."""

    def __init__(self, generator, name="training"):
        self.gen, self.name = generator, name

    def generate(self, task, examples):
        from bbt.train.task_heads import model_answers

        return model_answers(self.gen, task, examples)


def _is_multilabel(task) -> bool:
    from bbt.tasks import MultiLabelTask

    return isinstance(task, MultiLabelTask)


def _has_label_head(task) -> bool:
    """Tasks answered by one label or a label set (finner's types label mentions, not the text)."""
    from bbt.tasks import LabelTask, MultiLabelTask

    return isinstance(task, (LabelTask, MultiLabelTask))


def build_model(cfg: OptimConfig, head_labels: dict[str, list[str]], multilabel: tuple[str, ...],
                task_heads: dict[str, dict] | None = None, lexical: dict | None = None):
    from bbt.model.config import preset_config
    from bbt.model.modeling import BBTModel, load_model
    from bbt.text.tokenizer import load_tokenizer

    if cfg.init:
        # why reset the channel: an init's lexical maps index its own n-gram vocabulary, not this run's
        lex = lexical or {"lexical": {}, "lexical_features": 0}
        model, tok, report = load_model(cfg.init, cls_heads=head_labels, multilabel_heads=multilabel,
                                        task_heads=task_heads or {}, **lex)
        if model.bbt.lexical is not None:
            from bbt.model.zero_init import zeros_

            for m in model.bbt.lexical.maps.values():
                zeros_(m.weight)
        if cfg.tokenizer:
            tok = load_tokenizer(cfg.tokenizer)
        if tok is None:
            raise BBTError(f"{cfg.init} has no tokenizer; pass --tokenizer DIR")
        return model, tok
    if not cfg.tokenizer:
        raise BBTError("training from scratch needs --tokenizer DIR (train one with `bbt tokenizer train`)")
    tok = load_tokenizer(cfg.tokenizer)
    config = preset_config(cfg.preset, vocab_size=len(tok), cls_heads=head_labels, multilabel_heads=multilabel,
                           task_heads=task_heads or {}, **(lexical or {}))
    return BBTModel(config), tok


def set_attention_dropout(model, p: float, device) -> None:
    """Dropout p on the attention probabilities of every T5 attention layer (training only; inference has none).
    On CPU the eager kernel runs: with no attention dropout it is faster than SDPA on 2 cores (measured on
    32 x 256-token FinCUGE batches); accelerators keep SDPA."""
    from transformers.models.t5.modeling_t5 import T5Attention

    for m in model.modules():
        if isinstance(m, T5Attention):
            m.dropout = p
    if str(device).startswith("cpu"):
        model.t5.set_attn_implementation("eager")


def move(value, device):
    """Tensors, dicts of tensors (head inputs / targets) and tuples of tensors (lexical ids, weights) to device."""
    if isinstance(value, dict):
        return {k: move(v, device) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(move(v, device) for v in value)
    return value.to(device)


def _lexical_channel(cfg: FinetuneConfig, tasks, train: dict, head_labels: dict, heads: dict):
    """(LexicalFeatures fitted on the fused tasks' TRAIN texts, the settings that size its maps) or (None, None)."""
    from bbt.model.heads.span import MODES
    from bbt.model.lexical import LexicalFeatures
    from bbt.tasks import select_tasks
    from bbt.train.task_heads import adapter_for

    if not cfg.lexical.strip():
        return None, None
    wanted = [t.name for t in select_tasks(cfg.lexical)]
    sizes = {}
    for t in tasks:
        if t.name not in wanted:
            continue
        kind = heads.get(t.name, {}).get("kind")
        if t.name in head_labels:
            sizes[t.name] = len(head_labels[t.name])
        elif kind == "relation":
            sizes[t.name] = len(t.labels or ())
        elif kind == "span":
            sizes[t.name] = len(MODES)
        else:
            raise BBTError(f"--lexical {t.name}: the task has no head the lexical channel can add to "
                           "(classification, relation or span heads)")
    missing = sorted(set(wanted) - set(sizes))
    if missing:
        raise BBTError(f"--lexical names tasks that are not being fine-tuned: {', '.join(missing)}")
    texts = [adapter_for(t).text(t, e) if t.name in heads else e.input
             for t in tasks if t.name in sizes for e in train[t.name]]
    features = LexicalFeatures.fit(texts, max_features=cfg.lexical_features)
    return features, {"lexical": sizes, "lexical_features": features.n_features}


def finetune(cfg: FinetuneConfig, data_dir: Path, out: Path, resume: bool = False, console=None) -> dict:
    import numpy as np

    from bbt.model.inference import BBTGenerator
    from bbt.tasks import TASKS, get_task
    from bbt.tasks.runner import evaluate
    from bbt.train.data import TaskMixture, collate, tokenize_task
    from bbt.train.task_heads import HEAD_TASKS, head_spec

    if cfg.lr is None:  # resolved here, so the saved config says which rate ran
        cfg = dataclasses.replace(cfg, lr=1e-3 if cfg.init else 1e-2)
    shell = TrainingShell(cfg, out, resume, stream_name="mixture", console=console)
    out, acc = shell.out, shell.acc
    tasks = [get_task(n) for n in (list(cfg.tasks) or list(TASKS))]
    # label tasks (those with a fixed label set) get a pooled-encoder head; multi-label ones a sigmoid per label
    heads = {t.name: head_spec(t) for t in tasks if cfg.task_heads and t.name in HEAD_TASKS}
    head_labels = {t.name: list(t.labels) for t in tasks
                   if cfg.cls_heads and _has_label_head(t) and t.name not in heads}
    multilabel = tuple(t.name for t in tasks if t.name in head_labels and _is_multilabel(t))
    train = {t.name: t.load(data_dir, "train", limit=cfg.train_limit) for t in tasks}
    features, lexical = _lexical_channel(cfg, tasks, train, head_labels, heads)
    model, tok = build_model(cfg, head_labels, multilabel, heads, lexical)
    model.lexical_features = features
    set_attention_dropout(model, cfg.attention_dropout, acc.device)
    data = []
    for t in tasks:
        data.append(tokenize_task(tok, t, train[t.name], cfg.max_input_len, head_labels.get(t.name),
                                  t.name in multilabel, task_head=t.name in heads,
                                  lexical=features if t.name in (lexical or {}).get("lexical", {}) else None))
    mixture = TaskMixture(data, cfg.batch_size, cfg.mix_cap, cfg.seed + acc.process_index)
    shell.prepare(model, tok, mixture, state={"best": -math.inf, "best_step": 0, "bad_evals": 0})
    model, state = shell.model, shell.state
    running: list[float] = []

    def micro_batch() -> None:  # the objective: one task's batch, its text-to-text (+ head) loss
        t_data, idx = mixture.sample()
        batch = collate(t_data, idx, tok.pad_token_id)
        task = batch.pop("task")
        batch = {k: move(v, acc.device) for k, v in batch.items()}
        running.append(float(shell.micro_step(lambda: model(**batch, task=task).loss)))

    def run_eval() -> float:
        net = acc.unwrap_model(model)
        net.eval()
        gen = BBTGenerator(net, tok, max_input_len=cfg.max_input_len, device=str(acc.device))
        res = evaluate(_ModelBackend(gen), tasks, data_dir, split="eval", batch_size=64, limit=cfg.eval_limit,
                       progress=False)
        net.train()
        shell.log({"step": state["step"], "eval": {k: v["score"] for k, v in res["tasks"].items()},
                   "eval_average": res["average"]})
        return float(res["average"])

    def after_step(step: int, at_end: bool) -> bool:
        shell.show(loss=float(np.mean(running[-50:])))
        if step % cfg.log_every == 0:
            shell.log({"step": step, "loss": float(np.mean(running[-cfg.log_every * cfg.grad_accum:])),
                       "lr": shell.lr(), "seconds": round(state["seconds"], 1)})
        if cfg.eval_every and (step % cfg.eval_every == 0 or at_end):
            score = from_main(acc, run_eval() if shell.is_main else 0.0)  # rank 0 evaluates and decides
            weights = shell.weights()
            if score > state["best"] + 1e-6:
                state.update(best=score, best_step=step, bad_evals=0)
                shell.save(out / "best", {"step": step, "eval_average": score, "config": state["config"]}, weights)
            else:
                state["bad_evals"] += 1
            shell.checkpoint(weights=weights)
        elif at_end or step % cfg.save_every == 0:
            weights = shell.weights()
            if not cfg.eval_every:  # no evaluation: the latest weights are the result
                state["best_step"] = step
                shell.save(out / "best", {"step": step, "eval_average": None, "config": state["config"]}, weights)
            shell.checkpoint(weights=weights)  # why not best/: with evaluation, only a better score replaces it
        return state["bad_evals"] >= cfg.patience

    shell.train(micro_batch, after_step, "loss {task.fields[loss]:.3f}", name="finetune", loss=float("nan"))
    return {"steps": state["step"], "best_eval_average": state["best"], "best_step": state["best_step"],
            "seconds": state["seconds"], "out": str(out)}
