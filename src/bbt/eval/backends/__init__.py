"""Model backends for the harness: one protocol, one small module per kind, registered by decorator.

Specs (`load_backend`):
  DIR or bbt:DIR        a BBT checkpoint directory (`bbt.model.inference.load_generator`), reads `Example.input`
  hf:PATH               a local Hugging Face model: seq2seq reads `Example.input`, causal LM the task's instruction
  openai:URL[#MODEL]    an OpenAI-compatible chat-completions server (model also from BBT_OPENAI_MODEL)
  baseline:DIR          the classical baseline (`bbt.classical.load_baseline`)
  dummy[:first|:gold]   for harness tests: the first label / the first characters of the text, or the gold target
"""

from bbt.eval.backends.base import load_backend, register_backend, spec_help
from bbt.tasks.runner import Backend, prompt_of

# Each import registers its backend(s), in the order the help text lists them.
# isort: off
from bbt.eval.backends import hf, openai, external, dummy  # noqa: E402,F401
# isort: on

__all__ = ["Backend", "load_backend", "prompt_of", "register_backend", "spec_help"]
