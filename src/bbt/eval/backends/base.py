"""The backend registry: a model spec `KIND:REST` -> a backend object, one registered factory per kind.

A backend is anything with a `name` and `generate(task, examples) -> list[str]` (`bbt.tasks.runner.Backend`).
Add a kind by decorating a class in a new module of this package with `@register_backend("kind")`; its
`from_spec(rest)` receives what follows the colon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bbt.errors import BBTError


@dataclass(frozen=True)
class RegisteredBackend:
    kind: str
    cls: type
    needs_rest: bool  # `kind:` must be followed by a path / URL (dummy's mode is optional)
    spec: str  # how the spec is written, for help texts and errors


_REGISTRY: dict[str, RegisteredBackend] = {}


def register_backend(kind: str, spec: str, needs_rest: bool = True) -> Callable[[type], type]:
    """Register `cls` as the backend for specs `kind:...`; `cls.from_spec(rest)` builds it."""

    def deco(cls: type) -> type:
        if kind in _REGISTRY:
            raise ValueError(f"backend {kind!r} registered twice")
        _REGISTRY[kind] = RegisteredBackend(kind, cls, needs_rest, spec)
        return cls

    return deco


def spec_help() -> str:
    specs = [r.spec for r in _REGISTRY.values() if r.kind != "bbt"]  # a bare DIR is said first
    return "a BBT checkpoint DIR, " + ", ".join(specs[:-1]) + f", or {specs[-1]}"


def load_backend(spec: str):
    """Parse a model spec into a backend; a BBTError says what is accepted. A bare directory is a BBT checkpoint."""
    spec = str(spec).strip()
    kind, sep, rest = spec.partition(":")
    entry = _REGISTRY.get(kind.lower())
    if entry is not None and (sep or not entry.needs_rest):
        return entry.cls.from_spec(rest)
    if spec and Path(spec).is_dir():
        return _REGISTRY["bbt"].cls.from_spec(spec)
    raise BBTError(f"cannot use model {spec!r}: not a directory and not a known spec; expected {spec_help()}")
