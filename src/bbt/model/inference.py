"""Batched inference with a BBT checkpoint: text generation and the pooled-encoder classification fast path."""

from __future__ import annotations

from pathlib import Path

import torch

from bbt.errors import BBTError
from bbt.model.modeling import load_model


class BBTGenerator:
    """generate(prompts, max_new_tokens) -> texts; classify(task, prompts) -> label names (fast path)."""

    def __init__(self, model, tokenizer, max_input_len: int = 512, device: str | None = None,
                 neural_only: bool = False):
        if tokenizer is None:
            raise BBTError("this checkpoint has no tokenizer files (spiece.model / tokenizer.json)")
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model, self.tok, self.max_input_len = model.to(self.device).eval(), tokenizer, max_input_len
        self.neural_only = neural_only  # why: scores a checkpoint with its lexical channel switched off

    def lexical(self, task: str, texts: list[str]):
        """(ids, weights) of the lexical channel for `task`'s head, or None (no channel, or neural_only)."""
        feats, parts = getattr(self.model, "lexical_features", None), self.model.bbt.lexical
        if self.neural_only or feats is None or parts is None or task not in parts.maps:
            return None
        return feats.batch(texts, self.device)

    def _encode(self, prompts: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tok(list(prompts), max_length=self.max_input_len, truncation=True, padding=True,
                       return_tensors="pt")
        return {"input_ids": enc["input_ids"].to(self.device), "attention_mask": enc["attention_mask"].to(self.device)}

    def _length_chunks(self, prompts: list[str], max_tokens: int = 512) -> list[tuple[list[int], dict]]:
        """(row indices, encoded batch) chunks of prompts sorted by token length, each at most `max_tokens`
        padded tokens: short texts batched with long ones would otherwise pay for the long one's padding."""
        ids = self.tok(list(prompts), max_length=self.max_input_len, truncation=True)["input_ids"]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        chunks, cur = [], []
        for i in order:  # ascending lengths: the newest row is the longest of its chunk
            if cur and (len(cur) + 1) * len(ids[i]) > max_tokens:
                chunks.append(cur)
                cur = []
            cur.append(i)
        if cur:
            chunks.append(cur)
        pad = self.tok.pad_token_id
        out = []
        for rows in chunks:
            width = max(len(ids[i]) for i in rows)
            x = torch.full((len(rows), width), pad, dtype=torch.long)
            m = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                x[r, :len(ids[i])] = torch.tensor(ids[i])
                m[r, :len(ids[i])] = 1
            out.append((rows, {"input_ids": x.to(self.device), "attention_mask": m.to(self.device)}))
        return out

    def _head_logits(self, task: str, prompts: list[str]) -> torch.Tensor:
        """[B, n_labels] logits of `task`'s classification head, in the order of `prompts` (length-chunked)."""
        parts, rows_all = [], []
        for rows, enc in self._length_chunks(prompts):
            hidden, mask, _ = self.model.encode(**enc)
            parts.append(self.model.classify(task, hidden, mask, lexical=self.lexical(task, [prompts[i] for i in rows])))
            rows_all += rows
        logits = torch.cat(parts).float()
        out = torch.empty_like(logits)
        out[torch.tensor(rows_all)] = logits
        return out

    @torch.inference_mode()
    def generate(self, prompts: list[str], max_new_tokens: int = 32, task: str | None = None) -> list[str]:
        if task is not None and task in self.model.bbt.cls_heads:
            return self.classify(task, prompts)
        if not prompts:
            return []
        ids = self.model.generate(**self._encode(prompts), max_new_tokens=max_new_tokens, do_sample=False)
        return [t.strip() for t in self.tok.batch_decode(ids, skip_special_tokens=True)]

    @torch.inference_mode()
    def classify(self, task: str, prompts: list[str], threshold: float = 0.5) -> list[str]:
        """Label names from the task's classification head; multi-label heads join labels with '、'."""
        labels = self.model.config.bbt.cls_heads[task]
        if not prompts:
            return []
        logits = self._head_logits(task, prompts)  # [B, n_labels]
        if task in self.model.config.bbt.multilabel_heads:
            probs = torch.sigmoid(logits)
            out = []
            for row in probs:
                chosen = [labels[i] for i in torch.nonzero(row >= threshold).flatten().tolist()]
                out.append("、".join(chosen or [labels[int(row.argmax())]]))
            return out
        return [labels[i] for i in logits.argmax(-1).tolist()]


    @torch.inference_mode()
    def label_probs(self, task: str, prompts: list[str]) -> tuple[list[str], torch.Tensor]:
        """(label names, [B, n_labels] probabilities) of a single-label classification head."""
        labels = self.model.config.bbt.cls_heads[task]
        if not prompts:
            return list(labels), torch.zeros(0, len(labels))
        return list(labels), torch.softmax(self._head_logits(task, prompts), dim=-1).cpu()


def trained_input_len(path: str | Path) -> int | None:
    """The max_input_len a fine-tuned checkpoint was trained with (its bbt_state.json), if it says."""
    import json

    f = Path(path) / "bbt_state.json"
    try:
        n = json.loads(f.read_text(encoding="utf-8")).get("config", {}).get("max_input_len")
    except (OSError, ValueError, AttributeError):
        return None
    return int(n) if isinstance(n, int) and n > 0 else None


def load_generator(path: str | Path, device: str | None = None, max_input_len: int | None = None,
                   neural_only: bool = False) -> BBTGenerator:
    """max_input_len None: what the checkpoint was fine-tuned with (pointer heads never saw longer inputs), else
    512."""
    model, tokenizer, _ = load_model(path)
    n = max_input_len or trained_input_len(path) or 512
    return BBTGenerator(model, tokenizer, max_input_len=n, device=device, neural_only=neural_only)
