"""Task-shaped heads on the BBT encoder (span pointers, CRF tagger, entity-marked relations), by registered kind."""

from bbt.model.heads import relation, span, tagger  # noqa: F401  (registers the kinds)
from bbt.model.heads.base import available, build_head, masked_mean, register_head

__all__ = ["available", "build_head", "masked_mean", "register_head"]
