"""Per-request size limits (set by the operator in ServeSettings); each error names the offending field."""

from __future__ import annotations

from typing import Sequence

import numpy as np

MAX_ABS_VALUE = 1e15  # why: no price, volume or sensor reading is larger; beyond it float arithmetic degrades

from bbt.serve.settings import ServeSettings


class InputLimitError(Exception):
    """A request that breaks a limit: answered with `status` and a message naming `field`."""

    def __init__(self, field: str, message: str, status: int = 422, type_: str = "input_limit"):
        super().__init__(message)
        self.field, self.message, self.status, self.type = field, message, status, type_


class Limits:
    def __init__(self, settings: ServeSettings):
        self.s = settings

    def batch(self, items: Sequence, field: str) -> None:
        if len(items) > self.s.max_batch_items:
            raise InputLimitError(field, f"{field} has {len(items)} items; at most {self.s.max_batch_items} per "
                                  "request (send several requests)", type_="too_many_items")

    def text(self, text: str, field: str) -> None:
        if not text.strip():
            raise InputLimitError(field, f"{field} is empty", type_="empty_text")
        if len(text) > self.s.max_text_chars:
            raise InputLimitError(field, f"{field} has {len(text)} characters; at most {self.s.max_text_chars}",
                                  type_="text_too_long")

    def name(self, name: str, field: str, max_chars: int = 200) -> str:
        """An entity name given by the client: stripped, non-empty, short (a name, not a text)."""
        name = name.strip()
        if not name:
            raise InputLimitError(field, f"{field} is empty", type_="empty_text")
        if len(name) > max_chars:
            raise InputLimitError(field, f"{field} has {len(name)} characters; an entity name has at most {max_chars}",
                                  type_="text_too_long")
        return name

    def texts(self, texts: Sequence[str], field: str = "texts") -> None:
        self.batch(texts, field)
        for i, t in enumerate(texts):
            self.text(t, f"{field}[{i}]")

    def bars(self, bars: Sequence, field: str) -> None:
        """Daily bars of /v1/commentary: at most max_series_len of them."""
        if len(bars) > self.s.max_series_len:
            raise InputLimitError(field, f"{field} has {len(bars)} bars; at most {self.s.max_series_len}",
                                  type_="series_too_long")

    def series(self, series: dict[str, list[float]], horizon: int, max_horizon: int, field: str) -> None:
        self.batch(list(series), f"{field}.series")
        lengths = {name: len(v) for name, v in series.items()}
        for name, n in lengths.items():
            where = f"{field}.series.{name}"
            if n < 2:
                raise InputLimitError(where, f"{where} has {n} value(s); a forecast needs at least 2",
                                      type_="series_too_short")
            if n > self.s.max_series_len:
                raise InputLimitError(where, f"{where} has {n} values; at most {self.s.max_series_len}",
                                      type_="series_too_long")
            big = np.flatnonzero(np.abs(np.asarray(series[name], np.float64)) > MAX_ABS_VALUE)
            if len(big):
                raise InputLimitError(f"{where}[{big[0]}]", f"{where}[{big[0]}] is {series[name][big[0]]}; values must "
                                      f"lie within ±{MAX_ABS_VALUE:g}", type_="value_out_of_range")
        if len(set(lengths.values())) > 1:
            raise InputLimitError(f"{field}.series", f"{field}.series must all have the same length, got {lengths}",
                                  type_="series_length_mismatch")
        if horizon > max_horizon:
            raise InputLimitError(f"{field}.horizon", f"{field}.horizon is {horizon}; this model forecasts at most "
                                  f"{max_horizon} steps", type_="horizon_too_long")
