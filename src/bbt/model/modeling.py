"""BBTModel: a T5 v1.1 encoder-decoder whose encoder reads text tokens and time-series tokens together.

    text ids [B, Lt] --T5 shared embedding--------------------------------+ type 0 --.
                                                                                      cat --> T5 encoder --> h [B, Lt+Ls', D]
    series [B, Ls, C] --window norm--> DWT-ST2Vec [B, Ls, D] --patch--> [B, Ls', D] + type 1 --'
    h --> NLG: T5 decoder + LM head (also NLU as label generation)
      --> NLU fast path: masked mean of h --> one linear head per task
      --> task heads (bbt.model.heads): span pointers, CRF tagger, entity-marked relation, one per task
      --> TS: [last series token, mean series tokens, mean text tokens] --> MLP --> correction to persistence [B, H, C_out]

The T5 part is a plain `transformers.T5ForConditionalGeneration` held as `self.t5`, so its weights keep their
standard names in checkpoints (see bbt.model.checkpoint); the BBT parts live under `bbt.*`. Type embeddings and
the TS output layer start at zero, so a text-only T5 loaded into BBTModel computes exactly what it computed
before, and the TS head starts from the persistence forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import T5ForConditionalGeneration
from transformers.modeling_outputs import BaseModelOutput

from bbt.errors import BBTError
from bbt.model.checkpoint import load_checkpoint, save_pretrained
from bbt.model.config import BBTConfig
from bbt.model.heads import build_head
from bbt.model.lexical import LexicalHeads
from bbt.model.zero_init import zeros_
from bbt.ts.st2vec import DWTST2Vec, ST2VecConfig

TEXT, SERIES = 0, 1


@dataclass
class BBTOutput:
    loss: torch.Tensor | None = None  # sum of the losses whose targets were given
    losses: dict[str, torch.Tensor] | None = None  # each loss by name: lm, cls, ts
    lm_logits: torch.Tensor | None = None  # [B, T, V]
    cls_logits: torch.Tensor | None = None  # [B, n_labels]
    head: dict | None = None  # the task head's outputs (bbt.model.heads), when the task has one
    forecast: torch.Tensor | None = None  # [B, H, C_out] on the input's scale
    encoder_hidden: torch.Tensor | None = None  # [B, Lt + Ls', D]
    encoder_mask: torch.Tensor | None = None  # [B, Lt + Ls']


class BBTParts(nn.Module):
    """Everything BBT adds to T5 (saved under the `bbt.` prefix)."""

    def __init__(self, config: BBTConfig):
        super().__init__()
        s, d = config.bbt, config.d_model
        st = ST2VecConfig(d_model=d, wavelet=s.wavelet, level=s.level, use_dwt=s.use_dwt,
                          use_spatial=s.use_spatial, t2v_dim=s.t2v_dim, dropout=config.t5.dropout_rate)
        self.series_embed = DWTST2Vec(s.n_series, s.mark_dim, st)
        self.patch = nn.Linear(s.patch_len * d, d) if s.patch_len > 1 else None
        self.modality = nn.Embedding(s.n_modalities, d)
        zeros_(self.modality.weight)  # why: keeps a loaded text-only T5 exactly as it was
        self.cls_heads = nn.ModuleDict({task: nn.Linear(d, len(labels)) for task, labels in s.cls_heads.items()})
        self.task_heads = nn.ModuleDict({task: build_head(spec, d) for task, spec in s.task_heads.items()})
        self.lexical = LexicalHeads(s.lexical_features, s.lexical) if s.lexical else None
        self.drop = nn.Dropout(config.t5.dropout_rate)
        n_out = s.forecast_horizon * len(s.forecast_targets)
        self.ts_head = nn.Sequential(nn.Linear(3 * d, d), nn.GELU(), nn.Linear(d, n_out))
        zeros_(self.ts_head[-1].weight)  # why: start at persistence (the last value)
        zeros_(self.ts_head[-1].bias)


class BBTModel(nn.Module):
    def __init__(self, config: BBTConfig):
        super().__init__()
        self.config = config
        self.t5 = T5ForConditionalGeneration(config.t5)
        # why: transformers 5 always ties T5's LM head to the input embedding; T5 v1.1 (and BBT-FinT5) keep them
        # separate. We always own a separate head: a tied (v1.0) checkpoint simply loads the same matrix into
        # both (bbt.model.checkpoint), and config.t5.scale_decoder_outputs keeps v1.0's output scaling.
        self.t5.lm_head.weight = nn.Parameter(self.t5.shared.weight.detach().clone())
        # why: HF's T5 init draws the untied head with std 1, i.e. logits of std sqrt(d_model) before training;
        # std d_model^-0.5 starts from near-uniform predictions (a from-scratch model trains faster).
        nn.init.normal_(self.t5.lm_head.weight, std=config.d_model ** -0.5)
        self.bbt = BBTParts(config)
        self.lexical_features = None  # bbt.model.lexical.LexicalFeatures when config.bbt.lexical is set

    # ---- inputs -> encoder -------------------------------------------------------------------------------
    def series_stats(self, series: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
        """Reference (last value) and scale (window std) per channel, [B, 1, C] each; ref_group channels use
        ref_channel's, so prices stay comparable with each other (open vs yesterday's close)."""
        s = self.config.bbt
        ref = series[:, -1:].detach()  # [B, 1, C]
        scale = torch.sqrt(series.var(dim=1, keepdim=True, unbiased=False) + eps).detach()  # [B, 1, C]
        if s.ref_group and 0 <= s.ref_channel < series.shape[-1]:
            g, r = list(s.ref_group), s.ref_channel
            ref, scale = ref.clone(), scale.clone()
            ref[..., g], scale[..., g] = ref[..., r : r + 1], scale[..., r : r + 1]
        return ref, scale

    def embed_series(self, series: torch.Tensor, marks: torch.Tensor | None,
                     series_mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """series [B, Ls, C] -> tokens [B, Ls', D] and their mask [B, Ls']."""
        s = self.config.bbt
        if series.dim() != 3 or series.shape[-1] != s.n_series:
            raise BBTError(f"series must be [batch, steps, {s.n_series}], got {list(series.shape)}")
        if not torch.isfinite(series).all():
            bad = (~torch.isfinite(series)).nonzero()[0].tolist()
            raise BBTError(f"series holds NaN or inf (first at batch {bad[0]}, step {bad[1]}, channel {bad[2]}); "
                           "fill or drop missing values before the model")
        ref, scale = self.series_stats(series)
        tokens = self.bbt.series_embed((series - ref) / scale, marks)  # [B, Ls, D]
        mask = series_mask if series_mask is not None else series.new_ones(series.shape[:2], dtype=torch.long)
        if self.bbt.patch is not None:
            b, n, d = tokens.shape
            p = s.patch_len
            if n % p:
                raise BBTError(f"series length {n} is not a multiple of patch_len {p}")
            tokens = self.bbt.patch(tokens.reshape(b, n // p, p * d))  # [B, Ls/p, D]
            mask = mask.reshape(b, n // p, p).amax(-1)
        return tokens + self.bbt.modality.weight[SERIES], mask

    def encode(self, input_ids=None, attention_mask=None, series=None, series_mask=None, series_marks=None
               ) -> tuple[torch.Tensor, torch.Tensor, int]:
        """-> encoder states [B, Lt + Ls', D], their mask, and Lt (where the series tokens start)."""
        parts, masks = [], []
        if input_ids is not None:
            parts.append(self.t5.shared(input_ids) + self.bbt.modality.weight[TEXT])  # [B, Lt, D]
            masks.append(attention_mask if attention_mask is not None else torch.ones_like(input_ids))
        n_text = parts[0].shape[1] if parts else 0
        if series is not None:
            tok, m = self.embed_series(series, series_marks, series_mask)
            parts.append(tok)
            masks.append(m.to(masks[0].dtype) if masks else m)
        if not parts:
            raise BBTError("BBTModel needs input_ids, series, or both")
        embeds, mask = torch.cat(parts, dim=1), torch.cat(masks, dim=1)
        hidden = self.t5.encoder(inputs_embeds=embeds, attention_mask=mask).last_hidden_state
        return hidden, mask, n_text

    # ---- heads -------------------------------------------------------------------------------------------
    @staticmethod
    def _masked_mean(h: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        w = m.unsqueeze(-1).to(h.dtype)  # [B, L, 1]
        return (h * w).sum(1) / w.sum(1).clamp(min=1.0)  # [B, D]

    def _lexical_term(self, task: str, lexical) -> torch.Tensor | None:
        """The lexical channel's logits for `task` from lexical = (ids [B, K], weights [B, K]); None when off."""
        if lexical is None or self.bbt.lexical is None or task not in self.bbt.lexical.maps:
            return None
        return self.bbt.lexical(task, *lexical)

    def classify(self, task: str, hidden: torch.Tensor, mask: torch.Tensor, lexical=None) -> torch.Tensor:
        if task not in self.bbt.cls_heads:
            raise BBTError(f"no classification head for task {task!r}; heads: {sorted(self.bbt.cls_heads)}")
        logits = self.bbt.cls_heads[task](self.bbt.drop(self._masked_mean(hidden, mask)))  # [B, n_labels]
        term = self._lexical_term(task, lexical)
        return logits if term is None else logits + term

    def forecast(self, series: torch.Tensor, hidden: torch.Tensor, mask: torch.Tensor, n_text: int) -> torch.Tensor:
        s = self.config.bbt
        b, d = hidden.shape[0], hidden.shape[-1]
        h_series, m_series = hidden[:, n_text:], mask[:, n_text:]
        h_text = self._masked_mean(hidden[:, :n_text], mask[:, :n_text]) if n_text else hidden.new_zeros(b, d)
        feats = torch.cat([h_series[:, -1], self._masked_mean(h_series, m_series), h_text], dim=-1)  # [B, 3D]
        delta = self.bbt.ts_head(self.bbt.drop(feats)).view(b, s.forecast_horizon, len(s.forecast_targets))
        ref, scale = self.series_stats(series)
        idx = list(s.forecast_targets)
        return delta * scale[..., idx] + ref[..., idx]  # [B, H, C_out] on the input's scale

    # ---- forward -----------------------------------------------------------------------------------------
    def run_head(self, task: str, hidden: torch.Tensor, mask: torch.Tensor, lexical=None, **inputs) -> dict:
        if task not in self.bbt.task_heads:
            raise BBTError(f"no task head for {task!r}; heads: {sorted(self.bbt.task_heads)}")
        head = self.bbt.task_heads[task]
        out = head(hidden, mask, **inputs)
        term = self._lexical_term(task, lexical) if head.fused else None
        if term is not None:
            out[head.fused] = out[head.fused] + term
        return out

    def forward(self, input_ids=None, attention_mask=None, series=None, series_mask=None, series_marks=None,
                labels=None, task: str | None = None, cls_labels=None, series_target=None,
                head_inputs: dict | None = None, head_targets: dict | None = None, lexical=None,
                rtd_mask=None) -> BBTOutput:
        """labels [B, T] (-100 = ignore): LM loss; task + cls_labels ([B] or [B, n] multi-hot): classification
        loss; task + head_inputs / head_targets (tensors the task's head takes, bbt.model.heads): the head's
        loss; lexical = (ids, weights) of the lexical channel (bbt.model.lexical) for the fused heads;
        series_target [B, H, C_out]: MSE of the forecast relative to the window scale; rtd_mask [B, Lt] (positions
        the generator fills): replaced-token detection, when pre-training attached `self.rtd` (bbt.model.electra)."""
        if rtd_mask is not None:  # its own encoder pass over the corrupted text; nothing else in the batch
            if getattr(self, "rtd", None) is None:
                raise BBTError("rtd_mask given but no replaced-token detection attached (bbt.pretrain.loop does it)")
            losses = self.rtd(self, input_ids, attention_mask, rtd_mask)
            return BBTOutput(loss=sum(losses.values()), losses=losses)
        hidden, mask, n_text = self.encode(input_ids, attention_mask, series, series_mask, series_marks)
        out = BBTOutput(encoder_hidden=hidden, encoder_mask=mask, losses={})
        if task is not None and task in self.bbt.task_heads:
            m = mask[:, : hidden.shape[1]]
            out.head = self.run_head(task, hidden, m, lexical=lexical, **(head_inputs or {}))
            if head_targets is not None:
                out.losses["head"] = self.bbt.task_heads[task].loss(out.head, m, **head_targets)
        if labels is not None:
            lm = self.t5(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), attention_mask=mask,
                         labels=labels)
            out.lm_logits, out.losses["lm"] = lm.logits, lm.loss
        if task is not None and task in self.bbt.cls_heads:
            out.cls_logits = self.classify(task, hidden, mask, lexical=lexical)
            if cls_labels is not None:
                if task in self.config.bbt.multilabel_heads:
                    out.losses["cls"] = nn.functional.binary_cross_entropy_with_logits(
                        out.cls_logits, cls_labels.to(out.cls_logits.dtype))
                else:
                    out.losses["cls"] = nn.functional.cross_entropy(out.cls_logits, cls_labels)
        if series is not None:
            out.forecast = self.forecast(series, hidden, mask, n_text)
            if series_target is not None:
                _, scale = self.series_stats(series)
                err = (out.forecast - series_target) / scale[..., list(self.config.bbt.forecast_targets)]
                out.losses["ts"] = err.pow(2).mean()
        if out.losses:
            out.loss = sum(out.losses.values())
        return out

    @torch.no_grad()
    def generate(self, input_ids=None, attention_mask=None, series=None, series_mask=None, series_marks=None,
                 max_new_tokens: int = 32, **kwargs) -> torch.Tensor:
        """Greedy (or any `transformers` generation setting) decoding from the joint encoder states."""
        hidden, mask, _ = self.encode(input_ids, attention_mask, series, series_mask, series_marks)
        return self.t5.generate(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), attention_mask=mask,
                                max_new_tokens=max_new_tokens, **kwargs)

    # ---- checkpoints (bbt.model.checkpoint does the work; these are the names transformers users reach for)
    def save_pretrained(self, directory, tokenizer=None, extra: dict | None = None):
        """config.json + model.safetensors (+ the tokenizer), written atomically."""
        return save_pretrained(self, directory, tokenizer, extra=extra)

    @classmethod
    def from_pretrained(cls, path, **settings_overrides) -> "BBTModel":
        """A BBT or plain T5 checkpoint (directory or .tar.gz); `load_model` also returns tokenizer and report."""
        return load_checkpoint(path, cls, with_tokenizer=False, **settings_overrides)[0]

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def load_model(path, *, with_tokenizer: bool = True, **settings_overrides):
    """A BBT or plain T5 checkpoint (directory or .tar.gz) -> (BBTModel in eval mode, tokenizer or None, LoadReport)."""
    return load_checkpoint(path, BBTModel, with_tokenizer=with_tokenizer, **settings_overrides)
