"""Option types shared by the commands, declared once (`data_dir: DataDir = None`), and the config-to-option glue.

A command that takes a dataclass config declares only what differs from its fields; `config_options` builds the
Typer parameters of the dataclass's fields (--kebab-name, type, default; help from a mapping that must cover every
field), so an option and the field it sets can never drift apart (`bbt finetune`, `bbt pretrain`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

DataDir = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="Data directory (default: BBT_DATA_DIR, else ../shared/data).")]
Threads = Annotated[int, typer.Option("--threads", help="torch threads (0 = torch default).")]
ShowProgress = Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")]


def set_threads(threads: int) -> None:
    """torch intra-op threads for this process (0 keeps torch's default)."""
    if threads:
        import torch

        torch.set_num_threads(threads)


# help of the OptimConfig fields (bbt.train.engine) that read the same for `bbt finetune` and `bbt pretrain`
TRAIN_HELP = {
    "preset": "Model size from scratch: tiny | mini | base | large.",
    "grad_accum": "Gradient accumulation steps.",
    "weight_decay": "AdamW weight decay.",
    "warmup_steps": "Warm-up steps (then cosine decay to 0).",
    "time_budget_s": "Stop after this many seconds of training.",
    "log_every": "Log every N steps.",
    "seed": "Random seed.",
    "mixed_precision": "auto | no | bf16 | fp16.",
}


def config_options(cls, help: dict[str, str], names: dict[str, tuple[str, ...]] | None = None,
                   defaults: dict | None = None, skip: tuple[str, ...] = ()):
    """Decorator: the Typer command `command(cfg: cls, <own options>)` becomes one that takes an option per
    field of the dataclass `cls` (--kebab-name, the field's type and default, help from `help`, which must cover
    every generated field) and calls `command(cfg=cls(**those values), <own options>)`.

    A field the command declares itself (e.g. one parsed from a string) or lists in `skip` gets no generated
    option and keeps its dataclass default in cfg. `names`: the option names of a field instead of --kebab-name
    (e.g. {"time_budget_s": ("--time-budget",)}); `defaults`: a field's default on the command line when it
    differs from the dataclass's."""
    import dataclasses
    import functools
    import inspect
    import types
    import typing

    names, defaults = names or {}, defaults or {}

    def option_type(hint):
        args = typing.get_args(hint)
        if (typing.get_origin(hint) in (typing.Union, types.UnionType)) and type(None) in args:
            rest = [a for a in args if a is not type(None)]
            return Optional[rest[0]] if len(rest) == 1 else hint  # noqa: UP045 (what Typer reads)
        return hint

    def decorate(command):
        own = inspect.signature(command, eval_str=True).parameters
        hints = typing.get_type_hints(cls)
        generated = []
        for f in dataclasses.fields(cls):
            if f.name in own or f.name in skip:
                continue
            if f.name not in help:
                raise TypeError(f"{cls.__name__}.{f.name}: no help for its command-line option")
            option = typer.Option(defaults.get(f.name, f.default), *names.get(f.name, ()), help=help[f.name])
            generated.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=option,
                                               annotation=option_type(hints[f.name])))
        fields = [p.name for p in generated]
        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own.values() if p.name != "cfg"]

        @functools.wraps(command)
        def run(**kwargs):
            cfg = cls(**{name: kwargs.pop(name) for name in fields})
            return command(cfg=cfg, **kwargs)

        run.__signature__ = inspect.Signature(params + generated)
        run.__annotations__ = {p.name: p.annotation for p in params + generated}
        return run

    return decorate
