"""Forecaster registry. Importing this package registers every model file below."""

from bbt.ts.models.base import ForecastSpec, available, build_forecaster, get, register

# Each import registers its model(s).
from bbt.ts.models import naive, dlinear, transformer, bbt_ts  # noqa: E402,F401

__all__ = ["ForecastSpec", "available", "build_forecaster", "get", "register"]
