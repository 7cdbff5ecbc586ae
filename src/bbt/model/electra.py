"""Replaced-token detection (ELECTRA, Clark et al. 2020): a pre-training objective for the BBT encoder.

    ids [B, L] --mask 15% (rtd_mask, drawn by the data stream)--> small generator (shares the token embedding)
        --MLM logits at the masked positions [M, V]--> cross-entropy with the original tokens   (generator loss)
        --sample one token per masked position (no gradient)--> corrupted ids [B, L]
    corrupted ids --BBT encoder (the model being pre-trained)--> h [B, L, D] --linear--> replaced? [B, L]
        --> binary cross-entropy over every real token                                     (x `weight`)

Why for 2 CPU cores: the encoder learns from every input token, not from the 15% a masked-LM or span target
names, so a pre-training minute teaches it more (ELECTRA's compute-efficiency result). The generator is one
narrow layer so it stays a small share of the step; it and the detector head are pre-training scaffolding:
`bbt.pretrain.loop` attaches them as `model.rtd` and leaves them out of every saved checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class RTDConfig:
    generator_layers: int = 1  # why: ELECTRA's generator works best at 1/4-1/2 of the discriminator's size
    generator_heads: int = 4
    generator_ff: int = 384  # feed-forward width of the generator layer
    max_len: int = 1024  # learned absolute positions (the generator has no relative bias of its own)
    weight: float = 50.0  # why: ELECTRA's lambda; the binary loss is ~50x smaller than the MLM loss per token


class ReplacedTokenDetection(nn.Module):
    """Generator + detector head around a BBTModel's shared embedding and encoder (see the module docstring)."""

    def __init__(self, d_model: int, vocab_size: int, mask_id: int, cfg: RTDConfig | None = None):
        super().__init__()
        self.cfg = cfg or RTDConfig()
        self.mask_id = mask_id
        self.pos = nn.Embedding(self.cfg.max_len, d_model)
        nn.init.normal_(self.pos.weight, std=0.02)
        layer = nn.TransformerEncoderLayer(d_model, self.cfg.generator_heads, self.cfg.generator_ff, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.generator = nn.TransformerEncoder(layer, self.cfg.generator_layers, enable_nested_tensor=False)
        self.gen_norm = nn.LayerNorm(d_model)
        self.gen_bias = nn.Parameter(torch.zeros(vocab_size))
        self.detector = nn.Linear(d_model, 1)

    def fill(self, model, input_ids: torch.Tensor, real: torch.Tensor, rtd_mask: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """The generator: (its MLM loss at the masked positions, ids [B, L] with one sampled token at each)."""
        emb = model.t5.shared  # [V, D], the discriminator's own input embedding (tied, as in ELECTRA)
        x = emb(input_ids.masked_fill(rtd_mask, self.mask_id)) + self.pos.weight[: input_ids.shape[1]]  # [B, L, D]
        h = self.generator(x, src_key_padding_mask=~real)  # [B, L, D]
        # why the d^-0.5 scale: T5's embedding rows have std ~1, so raw dot products start far from uniform
        logits = self.gen_norm(h[rtd_mask]) @ emb.weight.t() * emb.weight.shape[1] ** -0.5 + self.gen_bias  # [M, V]
        mlm = F.cross_entropy(logits.float(), input_ids[rtd_mask])
        with torch.no_grad():
            sampled = torch.multinomial(F.softmax(logits.float(), dim=-1), 1).squeeze(-1)  # [M]
            corrupted = input_ids.clone()
            corrupted[rtd_mask] = sampled
        return mlm, corrupted

    def forward(self, model, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                rtd_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """-> {"generator": the generator's MLM loss, "detector": weight x the detection loss}."""
        real = attention_mask.bool()  # [B, L]
        rtd_mask = rtd_mask.bool() & real
        mlm, corrupted = self.fill(model, input_ids, real, rtd_mask)
        replaced = (corrupted != input_ids) & real  # a sampled original token counts as original
        hidden, _, _ = model.encode(input_ids=corrupted, attention_mask=attention_mask)  # [B, L, D]
        score = self.detector(hidden).squeeze(-1)  # [B, L]
        detect = F.binary_cross_entropy_with_logits(score[real].float(), replaced[real].float())
        return {"generator": mlm, "detector": self.cfg.weight * detect}


__all__ = ["RTDConfig", "ReplacedTokenDetection"]
