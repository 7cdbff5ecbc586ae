"""Parameters that start at zero, marked so the optimiser moves them by absolute steps.

why: Adafactor with `scale_parameter` scales each update by the parameter's RMS, floored at 1e-3. A matrix that
starts at zero (the lexical channel, the modality embedding, the series head's last layer) then moves ~1000x slower
than the rest, and a sparse one (the lexical channel: 50k rows, a few hundred active per batch) keeps an RMS near
zero for the whole run and never leaves ~0. The mark lives on the parameter, set in the module's `__init__`, so an
optimiser built after a resume groups the parameters exactly as before.
"""

from __future__ import annotations

import torch
from torch import nn

MARK = "bbt_starts_at_zero"


def zeros_(param: torch.Tensor) -> torch.Tensor:
    """nn.init.zeros_ + the mark read by `starts_at_zero`."""
    nn.init.zeros_(param)
    setattr(param, MARK, True)
    return param


def starts_at_zero(param: torch.Tensor) -> bool:
    return bool(getattr(param, MARK, False))
