"""Reading a corpus directory (`bbt corpus ingest` / `build-shared`: shard-*.parquet + manifest.json)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bbt.errors import BBTError, DataError


def corpus_shards(corpus_dir: str | Path) -> list[Path]:
    corpus_dir = Path(corpus_dir)
    files = sorted(corpus_dir.glob("shard-*.parquet"))
    if not files:
        raise BBTError(f"no corpus shards (shard-*.parquet) in {corpus_dir}; build one with `bbt corpus ingest` "
                       "or `bbt corpus build-shared`")
    return files


def read_columns(path: Path, columns: list[str]) -> pa.Table:
    """The named columns of one shard; a damaged file or a missing value is a DataError naming the file."""
    try:
        table = pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, KeyError, OSError) as e:
        raise DataError(f"cannot read columns {columns} of the corpus shard: {e}", file=str(path)) from None
    for c in columns:
        if table.column(c).null_count:
            raise DataError(f"{table.column(c).null_count} missing value(s)", file=str(path), column=c)
    return table
