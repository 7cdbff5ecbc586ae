"""One training shell for the fine-tuning and the pre-training loops, and the small pieces it is made of.

A loop brings its data (a batch stream with `state()` / `load_state()`), its objective (one micro-batch's loss)
and its config fields; `TrainingShell` does the rest, the same way for both:
    shell = TrainingShell(cfg, out, resume, stream_name="data")  # settings check, --resume check, Accelerator
    model, stream = ...                                          # the loop's own model and batch stream
    shell.prepare(model, tok, stream, state={...})               # optimiser + schedule, resume, log trim
    shell.train(micro_batch, after_step, "loss {task.fields[loss]:.3f}", name="pretrain", loss=nan)
        micro_batch(): one micro-batch -> shell.micro_step(lambda: loss)
        after_step(step, at_end) -> stop?: log lines (shell.log), evaluations, shell.checkpoint / shell.save
Layout of OUT: last/ = the weights + Accelerate state (optimizer, scheduler, RNGs) + trainer_state.json + each
rank's stream state (accelerate/<stream>_state_<rank>.json), written to .last.tmp and renamed, so a kill never
leaves a half checkpoint; log.jsonl = one JSON object per logged step (rank 0), trimmed back to the checkpoint
on --resume. Every stop decision (time budget, early stopping) is rank 0's, broadcast (`from_main`): ranks that
stop at different steps hang DDP.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bbt.errors import BBTError
from bbt.results import recover_dir, write_text

if TYPE_CHECKING:  # why lazy: the CLI builds its options from the configs without importing torch
    import torch

OPTIMIZERS = ("adamw", "adafactor")


@dataclass
class OptimConfig:
    """What every training run sets: model start, batch, optimiser + schedule, budget, logging, seed, precision.
    FinetuneConfig / PretrainConfig add their own fields and redeclare a field to change its default."""

    preset: str = "mini"  # model size when not starting from --init
    tokenizer: str | None = None  # tokenizer dir when starting from scratch (default: the one in --init)
    init: str | None = None  # checkpoint to start from (BBT or plain T5 dir / .tar.gz); None = from scratch
    batch_size: int = 32  # rows per micro-batch and process
    grad_accum: int = 1
    optimizer: str = "adamw"  # adamw | adafactor (make_optimizer)
    lr: float | None = 2e-3  # peak; warm-up then cosine decay to 0
    weight_decay: float = 0.01
    warmup_steps: int = 100
    steps: int = 1000  # optimiser steps at most (the schedule spans these)
    time_budget_s: float | None = None  # wall-clock cap, checked every step; stops at the first step past it
    log_every: int = 10
    save_every: int = 200  # checkpoint interval (steps)
    seed: int = 0
    mixed_precision: str = "auto"  # auto: bf16 on a GPU that supports it, fp32 on the CPU


def mixed_precision(setting: str) -> str:
    """auto: bf16 on a GPU that supports it, fp32 ("no") elsewhere."""
    import torch

    if setting != "auto":
        return setting
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"


def make_accelerator(precision: str, grad_accum: int):
    import torch
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs

    # why step_scheduler_with_optimizer=False: with no prepared dataloader Accelerate would step the schedule
    # once per process per optimiser step; `micro_step` steps it once per optimiser step.
    # why find_unused_parameters: a text batch leaves the series embedding, the forecasting head and the other
    # tasks' classification heads without gradients, which DDP otherwise refuses on the next step
    acc = Accelerator(mixed_precision=mixed_precision(precision), gradient_accumulation_steps=grad_accum,
                      step_scheduler_with_optimizer=False,
                      kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])
    if acc.device.type == "cpu":
        # why: values below ~1e-38 (softmax tails, tiny gradients) run CPU matmuls up to 2x slower; flushing them
        # to zero changes nothing a float32 training run can notice
        torch.set_flush_denormal(True)
    return acc


def set_micro_batch(acc, batch_size: int) -> None:
    """DeepSpeed reads the micro-batch size from a prepared dataloader; our loops sample their own batches."""
    if acc.state.deepspeed_plugin is not None:
        acc.state.deepspeed_plugin.deepspeed_config["train_micro_batch_size_per_gpu"] = batch_size


def from_main(acc, value: float) -> float:
    """rank 0's value on every process, so that all ranks take the same stop / save decisions."""
    if acc.num_processes == 1:
        return value
    import torch
    from accelerate.utils import broadcast

    return float(broadcast(torch.tensor([float(value)], device=acc.device), from_process=0).item())


def _step_of(line: str) -> float:
    """A log line's step; a blank or torn line (a kill in the middle of a write) sorts after every checkpoint."""
    try:
        return json.loads(line).get("step", 0) if line.strip() else float("inf")
    except ValueError:
        return float("inf")


def trim_log(path, step: int) -> None:
    """On resume: drop the log lines of steps after the checkpoint, which are about to be redone."""
    path = Path(path)
    if path.is_file():
        keep = [line for line in path.read_text(encoding="utf-8").splitlines() if _step_of(line) <= step]
        write_text(path, "".join(line + "\n" for line in keep))


def micro_step(acc, model, opt, sched, compute_loss: Callable[[], torch.Tensor], clip: float = 1.0) -> torch.Tensor:
    """Forward + backward of one micro-batch; the optimiser and schedule step when the accumulation is complete."""
    with acc.accumulate(model):
        loss = compute_loss()
        acc.backward(loss)
        if acc.sync_gradients:
            acc.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if acc.sync_gradients:
            sched.step()
        opt.zero_grad(set_to_none=True)
    return loss.detach()


def check_optimizer(name: str) -> None:
    """The optimiser name, checked before any data or model is loaded."""
    if name not in OPTIMIZERS:
        raise BBTError(f"unknown optimizer {name!r}; use {' or '.join(OPTIMIZERS)}")


def make_optimizer(model: torch.nn.Module, name: str, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    import torch

    check_optimizer(name)
    if name == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name == "adafactor":
        from transformers.optimization import Adafactor

        # why scale_parameter: an update proportional to the matrix's RMS moves std-1 embeddings as fast as
        # the small-init projections (plain AdamW moves them ~15x slower, relatively)
        # ...but a parameter that starts at zero has no RMS to scale by: it takes absolute steps (bbt.model.zero_init)
        from bbt.model.zero_init import starts_at_zero

        params = [p for p in model.parameters() if p.requires_grad]
        groups = [{"params": [p for p in params if not starts_at_zero(p)], "scale_parameter": True},
                  {"params": [p for p in params if starts_at_zero(p)], "scale_parameter": False}]
        return Adafactor([g for g in groups if g["params"]], lr=lr, relative_step=False, warmup_init=False,
                         weight_decay=0.0)


class TrainingShell:
    """Everything around a loop's data and objective: Accelerator, optimiser + schedule, resume, log, atomic
    checkpoint of OUT/last, time budget, progress bar. See the module docstring for the call order."""

    def __init__(self, cfg: OptimConfig, out: Path, resume: bool = False, stream_name: str = "data",
                 console=None):
        from accelerate.utils import set_seed

        check_optimizer(cfg.optimizer)  # before any data or model is loaded
        self.cfg, self.out, self.last, self.resume, self.console = cfg, Path(out), Path(out) / "last", resume, console
        if resume and not (recover_dir(self.last) and (self.last / "trainer_state.json").is_file()):
            raise BBTError(f"--resume: no checkpoint in {self.last}")
        self.out.mkdir(parents=True, exist_ok=True)
        self.acc = make_accelerator(cfg.mixed_precision, cfg.grad_accum)
        set_seed(cfg.seed)
        self.stream_name = stream_name
        # why per process: each rank samples its own batches, and a resume puts every rank back on its own stream
        self.stream_file = f"{stream_name}_state_{self.acc.process_index}.json"
        self.state: dict = {}
        self._log = self._progress = None

    @property
    def is_main(self) -> bool:
        return self.acc.is_main_process

    def prepare(self, model, tok, stream, state: dict | None = None) -> None:
        """Optimiser, warm-up + cosine schedule, Accelerate's wrapping; on --resume the Accelerate state, the
        trainer state (`state`'s keys: the loop's counters, saved in trainer_state.json) and this rank's stream
        state come back, and the log loses the lines after the checkpoint. Opens the log (rank 0)."""
        from transformers import get_cosine_schedule_with_warmup

        cfg, acc = self.cfg, self.acc
        opt = make_optimizer(model, cfg.optimizer, cfg.lr, cfg.weight_decay)
        sched = get_cosine_schedule_with_warmup(opt, cfg.warmup_steps, cfg.steps)
        set_micro_batch(acc, cfg.batch_size)
        self.model, self.opt, self.sched = acc.prepare(model, opt, sched)
        self.tok, self.stream = tok, stream
        self.state = {"step": 0, "seconds": 0.0, **(state or {}), "config": dataclasses.asdict(cfg)}
        if self.resume:
            acc.load_state(str(self.last / "accelerate"))
            saved = json.loads((self.last / "trainer_state.json").read_text(encoding="utf-8"))
            self.state.update({k: v for k, v in saved.items() if k not in ("config", self.stream_name)})
            per_rank = self.last / "accelerate" / self.stream_file
            # a checkpoint from before the per-rank files kept rank 0's stream in trainer_state.json
            stream.load_state(json.loads(per_rank.read_text(encoding="utf-8")) if per_rank.is_file()
                              else saved[self.stream_name])
            if self.is_main:
                trim_log(self.out / "log.jsonl", self.state["step"])
        if self.is_main:
            self._log = (self.out / "log.jsonl").open("a", encoding="utf-8")

    def micro_step(self, compute_loss: Callable[[], torch.Tensor]) -> torch.Tensor:
        return micro_step(self.acc, self.model, self.opt, self.sched, compute_loss)

    def lr(self) -> float:
        return self.sched.get_last_lr()[0]

    def log(self, rec: dict) -> None:
        """One log line (rank 0 writes; the others call it too and write nothing)."""
        if self._log is not None:
            self._log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self._log.flush()

    def show(self, **fields) -> None:
        """Update the progress bar's fields (e.g. loss=...)."""
        if self._progress is not None:
            self._progress.update(self._bar, **fields)

    def out_of_time(self) -> bool:
        """Past the time budget, by rank 0's clock (so every process stops at the same step)."""
        budget = self.cfg.time_budget_s
        return budget is not None and bool(from_main(self.acc, float(self.state["seconds"] >= budget)))

    def weights(self) -> dict:
        """The full state dict, taken on every process (it gathers ZeRO-3 shards): once per save point."""
        return self.acc.get_state_dict(self.model)

    def save(self, directory: Path, extra: dict | None = None, weights: dict | None = None,
             also: Callable[[Path], None] | None = None) -> None:
        """A checkpoint (save_pretrained: config, safetensors, tokenizer, `extra` as bbt_state.json) by rank 0;
        call it on every process."""
        from bbt.model.checkpoint import save_pretrained

        weights = self.weights() if weights is None else weights
        if self.is_main:
            save_pretrained(self.acc.unwrap_model(self.model), directory, self.tok, extra=extra, also=also,
                            state_dict=weights)
        self.acc.wait_for_everyone()

    def checkpoint(self, extra: dict | None = None, weights: dict | None = None) -> None:
        """OUT/last, atomically: the weights + Accelerate state + trainer_state.json + every rank's stream state."""
        acc, tmp = self.acc, self.out / ".last.tmp"
        if self.is_main:
            shutil.rmtree(tmp, ignore_errors=True)
        acc.wait_for_everyone()
        # why pickle, not safetensors: T5 ties both embed_tokens to `shared`, which safetensors will not store
        # twice (Accelerate drops them with a warning at every save); the weights proper are save_pretrained's
        acc.save_state(str(tmp / "accelerate"), safe_serialization=False)
        (tmp / "accelerate" / self.stream_file).write_text(json.dumps(self.stream.state()), encoding="utf-8")
        acc.wait_for_everyone()  # every rank's RNG and stream state is on disk before the move

        def extras(d: Path) -> None:
            shutil.move(str(tmp / "accelerate"), str(d / "accelerate"))
            (d / "trainer_state.json").write_text(json.dumps(self.state), encoding="utf-8")

        self.save(self.last, extra=extra, weights=weights, also=extras)
        if self.is_main:
            shutil.rmtree(tmp, ignore_errors=True)
        acc.wait_for_everyone()

    def train(self, micro_batch: Callable[[], None], after_step: Callable[[int, bool], bool], *bar_columns: str,
              name: str = "train", **bar_fields) -> None:
        """The step loop: cfg.grad_accum `micro_batch()` calls per optimiser step, then `after_step(step, at_end)`
        (logging, evaluation, checkpoints; True = stop), until cfg.steps or the time budget (at_end)."""
        from bbt.progress import progress_bar

        cfg, state = self.cfg, self.state
        t_start, t_prev = time.perf_counter(), state["seconds"]
        self.model.train()
        try:
            with progress_bar(*bar_columns, console=self.console, enabled=self.is_main) as self._progress:
                self._bar = self._progress.add_task(name, total=cfg.steps, completed=state["step"], **bar_fields)
                while state["step"] < cfg.steps:
                    for _ in range(cfg.grad_accum):
                        micro_batch()
                    state["step"] += 1
                    state["seconds"] = t_prev + time.perf_counter() - t_start
                    self._progress.update(self._bar, completed=state["step"])
                    at_end = state["step"] == cfg.steps or self.out_of_time()
                    if after_step(state["step"], at_end) or at_end:
                        break
        finally:
            self._progress = None
            if self._log is not None:
                self._log.close()
                self._log = None
