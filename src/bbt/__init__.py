"""BBT 乾元: Chinese financial text + market time-series models, benchmarks and services."""

__version__ = "0.1.0"
