"""Extractive span head: start / end pointers over the encoder states plus an answer-mode classifier.

    hidden [B, L, D] --Linear--> start, end logits [B, L]   (softmax over the allowed positions)
    mean(hidden) [B, D] --Linear--> mode logits [B, n_modes]  (none | span | generate)

The mode is the no-answer option and more: "none" answers the task's none word, "span" reads the pointers,
"generate" hands the row to the decoder (answers that are not in the text: finqa's event types, fincqa's
"X导致Y" chains). Pointer losses count only rows whose mode is "span" and only the positions `allowed` marks
(the text after the source prompt), so a pointer never learns to fire on the prompt or padding. With several gold
spans each gold piece k has its own term, -log of the probability summed over piece k's starts (ends; a piece
may occur several times), averaged over pieces: the optimum gives each of K pieces 1/K, so no answer can take
the others' mass. Decoding keeps every start within half of the best one's probability.

Why a softmax and not a sigmoid per token: with one positive among ~200 positions, a per-token BCE is dominated by
the negatives and the pointers stayed near zero for the first 1,500 steps of a mini fine-tune (finese 46 char-F1
at step 1,500 against 87 for the baseline); the softmax spends the whole gradient on ranking the positions.
"""

from __future__ import annotations

import torch
from torch import nn

from bbt.model.heads.base import masked_mean, register_head

MODES = ("none", "span", "generate")


@register_head("span")
class SpanHead(nn.Module):
    fused = "mode"  # the output the lexical channel adds to (bbt.model.lexical)
    def __init__(self, d_model: int, max_spans: int = 1, max_span_tokens: int = 32, none: str = "无",
                 joiner: str = ","):
        super().__init__()
        # settings the decoder of the answer reads (saved in config.json with the head)
        self.max_spans, self.max_span_tokens, self.none, self.joiner = max_spans, max_span_tokens, none, joiner
        self.pointer = nn.Linear(d_model, 2)
        self.mode = nn.Linear(d_model, len(MODES))
        self.drop = nn.Dropout(0.1)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor, allowed: torch.Tensor | None = None) -> dict:
        se = self.pointer(self.drop(hidden))  # [B, L, 2]
        keep = (allowed if allowed is not None else mask).bool()
        neg = torch.finfo(se.dtype).min / 2
        start, end = se[..., 0].masked_fill(~keep, neg), se[..., 1].masked_fill(~keep, neg)  # [B, L]
        return {"start": start, "end": end, "mode": self.mode(self.drop(masked_mean(hidden, mask))), "keep": keep}

    def loss(self, out: dict, mask: torch.Tensor, span_start: torch.Tensor, span_end: torch.Tensor,
             span_mode: torch.Tensor, **_) -> torch.Tensor:
        loss = nn.functional.cross_entropy(out["mode"], span_mode)
        rows = span_mode == MODES.index("span")  # [B]
        if rows.any():
            for key, target in (("start", span_start), ("end", span_end)):
                logp = torch.log_softmax(out[key][rows].float(), dim=-1)  # [b, L]
                piece = target[rows].round().long() * out["keep"][rows]  # [b, L]: 0 or the gold piece's k + 1
                terms = []
                for k in range(1, int(piece.max()) + 1):  # at most a few pieces per task
                    gold = piece == k
                    has = gold.any(-1)
                    if has.any():
                        terms.append(-logp.masked_fill(~gold, float("-inf")).logsumexp(-1)[has])
                if terms:
                    loss = loss + torch.cat(terms).mean()
        return loss


def decode_spans(start: torch.Tensor, end: torch.Tensor, max_spans: int, max_len: int,
                 relative: float = 0.5) -> list[tuple[int, int]]:
    """Token spans (i, j inclusive) from one row's start / end logits [L].

    Several spans: every start whose probability is at least `relative` times the best start's, each closed by
    its most likely end within `max_len` tokens; ranked by p(start) * p(end), a span overlapping a better one is
    dropped. `max_spans` = 1 keeps the best-scoring span only."""
    ps, pe = torch.softmax(start.float(), -1), torch.softmax(end.float(), -1)  # [L]
    starts = torch.nonzero(ps >= relative * ps.max()).flatten().tolist()
    spans = []
    for i in starts:
        j = i + int(pe[i:min(i + max_len, len(pe))].argmax())
        spans.append((float(ps[i] * pe[j]), i, j))
    spans.sort(key=lambda s: -s[0])
    kept: list[tuple[int, int]] = []
    for _, i, j in spans:
        if len(kept) < max_spans and all(j < a or i > b for a, b in kept):
            kept.append((i, j))
    return sorted(kept)
