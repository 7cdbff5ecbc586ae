"""User-facing errors: the CLI prints these as one clear line instead of a stack trace."""

from __future__ import annotations


class BBTError(Exception):
    """Base for errors caused by the user's input or environment, not by a bug."""


class DataError(BBTError, ValueError):
    """Bad input data. Names the file, and the row and column when known."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None):
        self.file, self.row, self.column = file, row, column
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)
