"""The BBT-FinCUGE evaluation harness: nine Chinese financial NLP tasks, metrics, backends, baselines."""
