"""Zero-initialised parameters (the lexical channel, modality embedding, series head) must learn under Adafactor."""

import torch
from torch import nn

from bbt.model.lexical import LexicalHeads
from bbt.model.zero_init import starts_at_zero
from bbt.train.engine import make_optimizer


def _push_up(model: nn.Module, heads: LexicalHeads, optimizer: str, steps: int = 20) -> float:
    opt = make_optimizer(model, optimizer, lr=1e-2, weight_decay=0.0)
    ids, weights = torch.tensor([[1, 2, 3]]), torch.full((1, 3), 0.5)
    for _ in range(steps):
        loss = -heads("t", ids, weights)[:, 0].sum() + model["dense"](torch.ones(1, 4)).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(heads.maps["t"].weight[1, 0].detach())


def test_lexical_channel_is_marked_and_moves_under_adafactor():
    heads = LexicalHeads(1000, {"t": 3})
    model = nn.ModuleDict({"dense": nn.Linear(4, 3), "lex": heads})
    assert starts_at_zero(heads.maps["t"].weight) and not starts_at_zero(model["dense"].weight)
    # why 0.1: absolute steps of lr=1e-2 reach ~0.2 in 20 steps; scaled by the zero RMS (floor 1e-3) they reach 2e-4
    assert _push_up(model, heads, "adafactor") > 0.1
    untouched = heads.maps["t"].weight[10:].detach().abs().max()
    assert float(untouched) == 0.0  # rows of features never seen get no update


def test_adafactor_keeps_two_groups_in_a_stable_order():
    heads = LexicalHeads(50, {"t": 2})
    model = nn.ModuleDict({"dense": nn.Linear(4, 3), "lex": heads})
    opt = make_optimizer(model, "adafactor", lr=1e-2, weight_decay=0.0)
    assert [g["scale_parameter"] for g in opt.param_groups] == [True, False]
    assert opt.param_groups[1]["params"][0] is heads.maps["t"].weight
