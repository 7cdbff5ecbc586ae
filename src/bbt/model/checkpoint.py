"""Self-describing BBT checkpoints: `config.json` (T5 + "bbt"), `model.safetensors`, and the tokenizer files.

Weight names are the plain T5 ones (`shared.weight`, `encoder.block.0...`, `lm_head.weight`), so plain
`transformers.T5ForConditionalGeneration.from_pretrained(DIR)` loads the text part; BBT's own parts are stored as
`bbt.*`. `load_checkpoint` also reads a plain T5 checkpoint directory or `.tar.gz` (text-only: the BBT parts start
from their initialisation), PyTorch `.bin` weights and sharded checkpoints, strips wrapper prefixes
(`module.` from DDP, `_orig_mod.` from torch.compile), and refuses weights whose shapes do not fit.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import torch
from safetensors.torch import load_file, save_file

from bbt.errors import BBTError
from bbt.model.config import BBTConfig
from bbt.results import atomic_dir

if TYPE_CHECKING:  # why only for types: bbt.model.modeling builds on this module, not the other way round
    from torch import nn

WEIGHTS_NAME = "model.safetensors"
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
TIED_TO_SHARED = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")
# Weights some T5 checkpoints carry that the model does not have (never used by T5's decoder).
IGNORED = ("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight",)


@dataclass
class LoadReport:
    source: str
    initialised: list[str] = field(default_factory=list)  # model weights not in the checkpoint (BBT parts)
    ignored: list[str] = field(default_factory=list)  # checkpoint weights the model does not use
    text_only: bool = False  # a plain T5 checkpoint (no "bbt" section)


def _export_state(model: "nn.Module", state_dict: dict | None = None) -> dict[str, torch.Tensor]:
    out = {}
    for name, tensor in (state_dict if state_dict is not None else model.state_dict()).items():
        key = name.removeprefix("t5.")
        if key in TIED_TO_SHARED:  # the same matrix as shared.weight
            continue
        out[key] = tensor.detach().contiguous().cpu()
    return out


def save_pretrained(model: "nn.Module", directory: str | Path, tokenizer=None, extra: dict | None = None,
                    also: Callable[[Path], None] | None = None, state_dict: dict | None = None) -> Path:
    """Write the checkpoint atomically: into a temporary sibling directory, then renamed over `directory`.
    `extra` is written as bbt_state.json; `also(tmp_dir)` may add files (e.g. optimizer state) before the rename;
    `state_dict` replaces model.state_dict() (DeepSpeed ZeRO-3: the gathered `accelerator.get_state_dict`)."""
    if tokenizer is not None:  # the config records what the saved tokenizer does with \n / \t
        from bbt.text.tokenizer import maps_newlines

        model.config.bbt.newline_tokens = maps_newlines(tokenizer)
    with atomic_dir(directory) as tmp:
        model.config.save(tmp)
        save_file(_export_state(model, state_dict), str(tmp / WEIGHTS_NAME), metadata={"format": "pt"})
        if tokenizer is not None:
            tokenizer.save_pretrained(str(tmp))
        features = getattr(model, "lexical_features", None)  # the lexical channel's fitted vocabulary + IDF
        if features is not None:
            features.save(tmp)
        if extra:
            (tmp / "bbt_state.json").write_text(json.dumps(extra, indent=2, ensure_ascii=False), encoding="utf-8")
        if also is not None:
            also(tmp)
    return Path(directory)


def _strip(key: str) -> str:
    changed = True
    while changed:
        changed = False
        for p in WRAPPER_PREFIXES:
            if key.startswith(p):
                key, changed = key[len(p):], True
    return key.removeprefix("t5.")


def read_weights(directory: Path) -> dict[str, torch.Tensor]:
    """All tensors of a checkpoint directory: safetensors or .bin, single file or sharded (index json)."""
    for index_name, loader in (("model.safetensors.index.json", _load_safetensors),
                               ("pytorch_model.bin.index.json", _load_bin)):
        index = directory / index_name
        if index.is_file():
            files = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
            state: dict[str, torch.Tensor] = {}
            for f in files:
                state.update(loader(str(directory / f)))
            return state
    if (directory / WEIGHTS_NAME).is_file():
        return _load_safetensors(str(directory / WEIGHTS_NAME))
    if (directory / "pytorch_model.bin").is_file():
        return _load_bin(str(directory / "pytorch_model.bin"))
    raise BBTError(f"no weights in {directory}: expected {WEIGHTS_NAME}, pytorch_model.bin or a sharded index")


def _load_safetensors(path: str) -> dict[str, torch.Tensor]:
    try:
        return load_file(path)
    except Exception as e:  # truncated download, not a safetensors file: say which file
        raise BBTError(f"{path}: cannot read safetensors weights ({type(e).__name__}: {e})") from None


def _load_bin(path: str) -> dict[str, torch.Tensor]:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a corrupt or pickled-code file: say which
        raise BBTError(f"{path}: cannot read PyTorch weights ({type(e).__name__}: {e})") from None


def _unpack(path: Path, stack: list) -> Path:
    """A .tar.gz checkpoint is extracted to a temporary directory (kept alive by `stack`)."""
    if path.is_dir():
        return path
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar")):
        tmp = tempfile.TemporaryDirectory(prefix="bbt-ckpt-")
        stack.append(tmp)
        try:
            with tarfile.open(path) as tar:
                tar.extractall(tmp.name, filter="data")
        except (tarfile.TarError, OSError) as e:
            raise BBTError(f"{path}: cannot extract checkpoint archive ({e})") from None
        root = Path(tmp.name)
        configs = sorted(root.rglob("config.json"), key=lambda p: len(p.parts))
        if not configs:
            raise BBTError(f"{path}: archive has no config.json")
        return configs[0].parent
    raise BBTError(f"checkpoint not found: {path} (a directory with config.json, or a .tar.gz of one)")


def load_checkpoint(path: str | Path, build: Callable[[BBTConfig], "nn.Module"], *, with_tokenizer: bool = True,
                    **settings_overrides):
    """-> (build(config) in eval mode with the checkpoint's weights, tokenizer or None, LoadReport).
    settings_overrides change BBT settings that do not exist in a text-only checkpoint (e.g. n_series, cls_heads)
    before the model is built. `bbt.model.modeling.load_model` is this with BBTModel."""
    stack: list = []
    directory = _unpack(Path(path), stack)
    config = BBTConfig.load(directory)
    raw = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    report = LoadReport(str(path), text_only="bbt" not in raw)
    for k, v in settings_overrides.items():
        if not hasattr(config.bbt, k):
            raise BBTError(f"unknown BBT setting {k!r}")
        setattr(config.bbt, k, v)
    model = build(config)
    state = {_strip(k): v for k, v in read_weights(directory).items()}
    if "shared.weight" not in state:
        for k in TIED_TO_SHARED:
            if k in state:
                state["shared.weight"] = state[k]
                break
    if "lm_head.weight" not in state and "shared.weight" in state:
        state["lm_head.weight"] = state["shared.weight"]  # T5 v1.0: the head is the input embedding
    own = {_strip(k): k for k in model.state_dict() if _strip(k) not in TIED_TO_SHARED}
    want = model.state_dict()
    mismatched = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(want[own[k]].shape)}"
                  for k, v in state.items() if k in own and tuple(v.shape) != tuple(want[own[k]].shape)]
    if mismatched:
        raise BBTError(f"{directory}: {len(mismatched)} weights do not fit the config: " + "; ".join(mismatched[:5]))
    missing_text = sorted(k for k in own if k not in state and not k.startswith("bbt."))
    if missing_text:
        raise BBTError(f"{directory}: incomplete T5 checkpoint, missing {len(missing_text)} weights, e.g. "
                       + ", ".join(missing_text[:5]))
    report.initialised = sorted(k for k in own if k not in state)
    report.ignored = sorted(k for k in state if k not in own)
    unknown = [k for k in report.ignored if k not in IGNORED and not k.startswith("bbt.")]
    if unknown:
        raise BBTError(f"{directory}: weights the model does not have: {', '.join(unknown[:5])}"
                       f"{' ...' if len(unknown) > 5 else ''} (a different architecture?)")
    model.load_state_dict({own[k]: v for k, v in state.items() if k in own}, strict=False)
    model.eval()
    if config.bbt.lexical and "lexical" not in settings_overrides:  # a caller that sets the channel fits its own
        from bbt.model.lexical import LEXICAL_FILE, LexicalFeatures

        if not (directory / LEXICAL_FILE).is_file():
            raise BBTError(f"{directory}: config.json has a lexical channel but {LEXICAL_FILE} is missing")
        model.lexical_features = LexicalFeatures.load(directory)
    tokenizer = _load_tokenizer(directory) if with_tokenizer else None
    if tokenizer is not None and config.bbt.newline_tokens:  # trained with [newline]/[tab]: keep reading them so
        from bbt.text.tokenizer import install_newline_mapping

        install_newline_mapping(tokenizer)
    for tmp in stack:
        tmp.cleanup()
    return model, tokenizer, report


def _load_tokenizer(directory: Path):
    if not any((directory / n).is_file() for n in ("spiece.model", "tokenizer.json")):
        return None
    from bbt.text.tokenizer import load_tokenizer

    return load_tokenizer(directory)
