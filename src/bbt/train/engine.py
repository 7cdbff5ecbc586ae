"""What the fine-tuning and pre-training loops share: the Accelerator and one (micro-)step."""

from __future__ import annotations

from collections.abc import Callable

import torch


def mixed_precision(setting: str) -> str:
    """auto: bf16 on a GPU that supports it, fp32 ("no") elsewhere."""
    if setting != "auto":
        return setting
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"


def make_accelerator(precision: str, grad_accum: int):
    from accelerate import Accelerator

    # why step_scheduler_with_optimizer=False: with no prepared dataloader Accelerate would step the schedule
    # once per process per optimiser step; `micro_step` steps it once per optimiser step
    return Accelerator(mixed_precision=mixed_precision(precision), gradient_accumulation_steps=grad_accum,
                       step_scheduler_with_optimizer=False)


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
