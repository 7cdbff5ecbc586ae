"""`hf:PATH`: a local Hugging Face model directory, seq2seq or causal LM, greedy and batched.

Seq2seq models (T5, mT5, BART ...) read `Example.input`, the source-prompt form our own models are trained on.
Causal LMs read the task's natural-language instruction, through the tokenizer's chat template when it has one;
only the new tokens are decoded. Batches are left-padded for causal models so every prompt ends where
generation starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from bbt.errors import BBTError
from bbt.eval.backends.base import register_backend
from bbt.tasks import Example, Task

DEFAULT_MAX_INPUT = 1024  # tokens, when the config states no limit (T5's relative positions have none)


def _quiet_transformers() -> None:
    # why: transformers' own progress bars and generation warnings would break the harness's rich progress display
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


@register_backend("hf", "hf:PATH (local Hugging Face model)")
class HFBackend:
    @classmethod
    def from_spec(cls, rest: str) -> "HFBackend":
        return cls(rest)

    def __init__(self, path: str, device: str | None = None, max_input_tokens: int | None = None):
        p = Path(path).expanduser()
        if not (p / "config.json").is_file():  # checked before the slow imports
            raise BBTError(f"hf:{path}: not a local Hugging Face model directory (no config.json in {p})")
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        from bbt.settings import get_settings

        self.path = p.resolve()
        self.name = f"hf:{self.path}"
        _quiet_transformers()
        # an explicit device (argument or BBT_DEVICE) wins; otherwise the GPU when there is one, like our checkpoints
        if device is None and "BBT_DEVICE" not in os.environ:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device or get_settings().device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise BBTError(f"device {self.device} requested (BBT_DEVICE) but torch sees no GPU")
        try:
            config = AutoConfig.from_pretrained(self.path, local_files_only=True)
            self.tok = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            self.seq2seq = bool(getattr(config, "is_encoder_decoder", False))
            cls = AutoModelForSeq2SeqLM if self.seq2seq else AutoModelForCausalLM
            # why: float32 on CPU (bf16 matmuls are slow there); the checkpoint's own dtype on a GPU
            dtype = "auto" if self.device.type == "cuda" else torch.float32
            self.model = cls.from_pretrained(self.path, local_files_only=True, dtype=dtype).to(self.device).eval()
        except (OSError, ValueError, KeyError) as e:
            raise BBTError(f"hf:{path}: cannot load the model or tokenizer ({e})") from None
        if self.tok.pad_token is None:  # why: batching needs a pad token; many causal LMs ship none
            if self.tok.eos_token is None:
                raise BBTError(f"hf:{path}: the tokenizer has neither a pad nor an eos token to pad batches with")
            self.tok.pad_token = self.tok.eos_token
        self.tok.padding_side = "right" if self.seq2seq else "left"
        limits = [getattr(config, k, None) for k in ("max_position_embeddings", "n_positions")]
        limits += [self.tok.model_max_length if self.tok.model_max_length < 1e6 else None, max_input_tokens]
        self.max_input_tokens = min([int(x) for x in limits if x] or [DEFAULT_MAX_INPUT])
        self.chat = (not self.seq2seq) and bool(getattr(self.tok, "chat_template", None))

    def prompt(self, task: Task, example: Example) -> str:
        """The exact text the model reads (the harness hashes it into the cache key)."""
        if self.seq2seq:
            return example.input
        text = task.instruction(example)
        if self.chat:
            return self.tok.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                                add_generation_prompt=True)
        return text

    def _encode(self, texts: list[str], budget: int) -> dict:
        # the chat template already holds any special tokens; plain text gets the tokenizer's own
        ids = [self.tok(t, add_special_tokens=not self.chat)["input_ids"] for t in texts]
        limit = max(8, self.max_input_tokens - (0 if self.seq2seq else budget))
        # why: keep the head (the instruction) and the tail (the answer cue) when a text is too long
        ids = [x if len(x) <= limit else x[: limit // 2] + x[len(x) - (limit - limit // 2):] for x in ids]
        enc = self.tok.pad({"input_ids": ids}, padding=True, return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}

    def generate(self, task: Task, examples: list[Example]) -> list[str]:
        import torch

        if not examples:
            return []
        enc = self._encode([self.prompt(task, ex) for ex in examples], task.max_new_tokens)
        with torch.inference_mode():
            out = self.model.generate(**enc, max_new_tokens=task.max_new_tokens, do_sample=False, num_beams=1,
                                      pad_token_id=self.tok.pad_token_id)
        if not self.seq2seq:
            out = out[:, enc["input_ids"].shape[1]:]  # only the new tokens
        return [t.strip() for t in self.tok.batch_decode(out, skip_special_tokens=True)]
