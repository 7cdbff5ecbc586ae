"""BBTConfig: a standard T5 `config.json` with every BBT setting nested under one key, "bbt".

Plain `transformers` reads such a file as a T5Config (the "bbt" dict rides along as an unknown attribute), so
`T5ForConditionalGeneration.from_pretrained(DIR)` still loads the text part of a BBT checkpoint.

Presets (T5 v1.1 shape: gated-GELU feed-forward, untied input/output embeddings, no dropout in pre-training):
    tiny   tests; a few hundred thousand parameters
    mini   the CPU default (d_model 192, 4 + 2 layers); fine-tunes on FinCUGE within an hour on 2 cores
    base   T5 v1.1 base shape (d_model 768, 12 + 12 layers): about 250M parameters with a 32k vocabulary
    large  T5 v1.1 large shape (d_model 1024, 24 + 24 layers): about 0.8B with 32k, about 1B with BBT's 64k vocab
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from transformers import T5Config

from bbt.errors import BBTError

CONFIG_NAME = "config.json"


@dataclass
class BBTSettings:
    """The time-series and head settings of a BBT model (config.json -> "bbt")."""

    n_series: int = 5  # why: channels of a series input (open, high, low, close, log-volume for stocks)
    max_series_len: int = 64  # why: longest series window the TS head is built for (head size is O(L))
    patch_len: int = 1  # why: steps per series token; > 1 shortens the encoder input for long windows
    mark_dim: int = 0  # why: calendar features per step (0 = none); DWT-ST2Vec encodes them with Time2Vec
    wavelet: str = "db2"  # DWT-ST2Vec settings, as in bbt.ts.st2vec.ST2VecConfig
    level: int = 2
    use_dwt: bool = True
    use_spatial: bool = True
    t2v_dim: int = 16
    # why: prices drift in level; every channel in ref_group is read relative to ref_channel's last value
    # (e.g. all prices relative to the last close), so the TS head forecasts a correction to persistence.
    ref_channel: int = 3
    ref_group: tuple[int, ...] = (0, 1, 2, 3)
    forecast_horizon: int = 1  # H of the TS head
    forecast_targets: tuple[int, ...] = (0,)  # channels the TS head forecasts (0 = open)
    n_modalities: int = 2  # type embeddings: 0 = text token, 1 = series token
    # NLU fast path: one pooled-encoder classification head per task name -> its label names (in output order)
    cls_heads: dict[str, list[str]] = field(default_factory=dict)
    multilabel_heads: tuple[str, ...] = ()  # heads trained with a sigmoid per label (multi-label tasks)
    # task-shaped heads (bbt.model.heads): task name -> {"kind": span | tagger | relation, ...its settings}
    task_heads: dict[str, dict] = field(default_factory=dict)
    # the lexical channel (bbt.model.lexical): task -> logits it adds to; its feature count (lexical.json beside)
    lexical: dict[str, int] = field(default_factory=dict)
    lexical_features: int = 0
    # why: BBT-2 checkpoints map \n / \t to [newline] / [tab] pieces; written from the tokenizer at save time, and
    # a load re-installs the mapping on the checkpoint's tokenizer when this is set
    newline_tokens: bool = False
    version: int = 1

    @classmethod
    def from_dict(cls, d: dict) -> "BBTSettings":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise BBTError(f"unknown BBT settings in config.json 'bbt': {unknown}; known: {sorted(known)}")
        d = dict(d)
        for k in ("ref_group", "forecast_targets", "multilabel_heads"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


@dataclass
class BBTConfig:
    t5: T5Config
    bbt: BBTSettings = field(default_factory=BBTSettings)

    @property
    def d_model(self) -> int:
        return self.t5.d_model

    def to_dict(self) -> dict:
        d = self.t5.to_dict()
        d.pop("bbt", None)
        d["architectures"] = ["T5ForConditionalGeneration"]
        # why: transformers 5 forces tie_word_embeddings=True on T5Config and keeps the v1.0/v1.1 difference in
        # scale_decoder_outputs; writing it back as tie_word_embeddings keeps the file readable by v4 and v5
        # (v1.1 = False: separate LM head, no output scaling).
        d["tie_word_embeddings"] = bool(d.pop("scale_decoder_outputs", self.t5.scale_decoder_outputs))
        d["bbt"] = dataclasses.asdict(self.bbt)
        return d

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / CONFIG_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, d: dict) -> "BBTConfig":
        d = dict(d)
        bbt = BBTSettings.from_dict(d.pop("bbt", None) or {})
        try:
            d.pop("scale_decoder_outputs", None)  # derived from tie_word_embeddings by T5Config
            t5 = T5Config(**{k: v for k, v in d.items() if k not in ("architectures", "transformers_version")})
        except (TypeError, ValueError) as e:
            raise BBTError(f"config.json is not a valid T5 config: {e}") from None
        return cls(t5, bbt)

    @classmethod
    def load(cls, directory: str | Path) -> "BBTConfig":
        path = Path(directory) / CONFIG_NAME
        if not path.is_file():
            raise BBTError(f"no {CONFIG_NAME} in {directory}: not a BBT / T5 checkpoint directory")
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise BBTError(f"{path}: not valid JSON ({e})") from None
        if d.get("model_type", "t5") != "t5":
            raise BBTError(f"{path}: model_type {d.get('model_type')!r}; BBT loads T5-family checkpoints only")
        return cls.from_dict(d)


# T5 v1.1 shapes: (d_model, d_ff, encoder layers, decoder layers, num_heads, d_kv)
PRESET_SHAPES: dict[str, tuple[int, int, int, int, int, int]] = {
    "tiny": (32, 64, 2, 2, 2, 16),
    # why: measured on 2 CPU cores, a 4+4-layer d_model-256 model takes about 3x longer per step than this one;
    # the decoder only writes short labels and spans, so it gets half the encoder's depth.
    "mini": (192, 512, 4, 2, 4, 48),
    "base": (768, 2048, 12, 12, 12, 64),
    "large": (1024, 2816, 24, 24, 16, 64),
}


def preset_config(name: str, vocab_size: int = 32128, **bbt_settings) -> BBTConfig:
    """A fresh BBTConfig of a named size; vocab_size should be len(tokenizer) (T5 pads it to 32128)."""
    if name not in PRESET_SHAPES:
        raise BBTError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_SHAPES)}")
    d_model, d_ff, enc_layers, dec_layers, heads, d_kv = PRESET_SHAPES[name]
    t5 = T5Config(
        vocab_size=vocab_size, d_model=d_model, d_ff=d_ff, num_layers=enc_layers, num_decoder_layers=dec_layers,
        num_heads=heads, d_kv=d_kv, feed_forward_proj="gated-gelu",  # T5 v1.1
        tie_word_embeddings=False,  # v1.1: separate LM head
        dropout_rate=0.1, relative_attention_num_buckets=32, relative_attention_max_distance=128,
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
    )
    return BBTConfig(t5, BBTSettings(**bbt_settings))
