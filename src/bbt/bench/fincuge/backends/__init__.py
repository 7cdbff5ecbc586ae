"""Model backends for the FinCUGE harness: one protocol, one small module per kind, one spec parser.

Specs (`load_backend`):
  DIR or bbt:DIR        a BBT checkpoint directory (`bbt.model.inference.load_generator`), reads `Example.input`
  hf:PATH               a local Hugging Face model: seq2seq reads `Example.input`, causal LM the task's instruction
  openai:URL[#MODEL]    an OpenAI-compatible chat-completions server (model also from BBT_OPENAI_MODEL)
  baseline:DIR          the classical baseline (`bbt.bench.fincuge.baseline.load_baseline`)
  dummy[:first|:gold]   for harness tests: the first label / the first characters of the text, or the gold target
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from bbt.bench.fincuge.tasks import Example, Task
from bbt.errors import BBTError

__all__ = ["Backend", "load_backend", "prompt_of", "SPEC_HELP"]

SPEC_HELP = ("a BBT checkpoint DIR, hf:PATH (local Hugging Face model), openai:URL[#MODEL], baseline:DIR, "
             "or dummy[:first|:gold]")


@runtime_checkable
class Backend(Protocol):
    """Anything that turns a batch of one task's examples into one output text each."""

    name: str  # canonical spec; part of the cache key, recorded as "model" in the results

    def generate(self, task: Task, examples: list[Example]) -> list[str]: ...


def prompt_of(backend: object, task: Task, example: Example) -> str:
    """The text the backend actually shows its model (a changed prompt must invalidate cached outputs)."""
    fn = getattr(backend, "prompt", None)
    return fn(task, example) if callable(fn) else example.input


def load_backend(spec: str) -> Backend:
    """Parse a model spec (see the module docstring) into a backend; a BBTError says what is accepted."""
    spec = str(spec).strip()
    kind, sep, rest = spec.partition(":")
    kind = kind.lower()
    if kind == "dummy":
        from bbt.bench.fincuge.backends.dummy import DummyBackend
        return DummyBackend(rest or "first")
    if sep and kind == "hf":
        from bbt.bench.fincuge.backends.hf import HFBackend
        return HFBackend(rest)
    if sep and kind == "openai":
        from bbt.bench.fincuge.backends.openai import OpenAIBackend
        url, _, model = rest.partition("#")
        return OpenAIBackend(url, model or None)
    if sep and kind == "baseline":
        from bbt.bench.fincuge.backends.external import BaselineBackend
        return BaselineBackend(rest)
    if sep and kind == "bbt":
        from bbt.bench.fincuge.backends.external import CheckpointBackend
        return CheckpointBackend(rest)
    if spec and Path(spec).is_dir():
        from bbt.bench.fincuge.backends.external import CheckpointBackend
        return CheckpointBackend(spec)
    raise BBTError(f"cannot use model {spec!r}: not a directory and not a known spec; expected {SPEC_HELP}")
