"""What the fine-tuning and pre-training loops share: the Accelerator and one (micro-)step."""

from __future__ import annotations

from collections.abc import Callable

import torch

from bbt.errors import BBTError

OPTIMIZERS = ("adamw", "adafactor")


def mixed_precision(setting: str) -> str:
    """auto: bf16 on a GPU that supports it, fp32 ("no") elsewhere."""
    if setting != "auto":
        return setting
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"


def make_accelerator(precision: str, grad_accum: int):
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
    from accelerate.utils import broadcast

    return float(broadcast(torch.tensor([float(value)], device=acc.device), from_process=0).item())


def _step_of(line: str, json) -> float:
    """A log line's step; a blank or torn line (a kill in the middle of a write) sorts after every checkpoint."""
    try:
        return json.loads(line).get("step", 0) if line.strip() else float("inf")
    except ValueError:
        return float("inf")


def trim_log(path, step: int) -> None:
    """On resume: drop the log lines of steps after the checkpoint, which are about to be redone."""
    import json
    from pathlib import Path

    path = Path(path)
    if path.is_file():
        keep = [line for line in path.read_text(encoding="utf-8").splitlines() if _step_of(line, json) <= step]
        path.write_text("".join(line + "\n" for line in keep), encoding="utf-8")


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
    check_optimizer(name)
    if name == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name == "adafactor":
        from transformers.optimization import Adafactor

        # why scale_parameter: an update proportional to the matrix's RMS moves std-1 embeddings as fast as
        # the small-init projections (plain AdamW moves them ~15x slower, relatively)
        return Adafactor(model.parameters(), lr=lr, scale_parameter=True, relative_step=False,
                         warmup_init=False, weight_decay=0.0)
