"""Forecaster registry. Importing this package registers every model file below."""

from bbt.ts.models.base import ForecastSpec, available, build_forecaster, get, register

# Each import registers its model(s).
from bbt.ts.models import naive, dlinear, transformer  # noqa: E402,F401

try:  # TEMPORARY while bbt_ts.py is being written
    from bbt.ts.models import bbt_ts  # noqa: F401
except ImportError:
    pass

__all__ = ["ForecastSpec", "available", "build_forecaster", "get", "register"]
