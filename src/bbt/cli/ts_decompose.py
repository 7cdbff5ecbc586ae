"""Placeholder: filled in by its owner."""

from bbt.cli.ts import ts_app  # noqa: F401
