"""Pre-training corpus: read raw documents, clean, deduplicate, write Parquet shards (`bbt corpus ingest`)."""

from bbt.corpus.ingest import IngestConfig, ingest

__all__ = ["IngestConfig", "ingest"]
