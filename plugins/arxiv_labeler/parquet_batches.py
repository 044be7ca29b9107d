"""Parquet files read as record batches one row group at a time, so a month's file costs the memory of one group.

pyarrow's dataset scanner and ``ParquetFile.iter_batches`` read ahead across row groups: loading a
256,000-paper day through them grew the process by 0.2 GB, one row group at a time by 0.07 GB
(``make bench-scale``, load).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from arxiv_labeler.errors import ParquetFileError

# Files a Parquet directory holds beside its data (Spark's _SUCCESS, checksums): what pyarrow's dataset skips too.
IGNORED_PREFIXES = ("_", ".")


def parquet_files(directory: Path) -> list[Path]:
    """The data files of a Parquet directory (a Spark output), in name order; subdirectories are searched too."""
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file() and not any(part.startswith(IGNORED_PREFIXES) for part in path.relative_to(directory).parts)
    )


def row_group_batches(
    paths: Sequence[Path | str], batch_size: int, schema: pa.Schema | None = None, columns: Sequence[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """The rows of the Parquet files ``paths`` in order, as record batches of at most ``batch_size`` rows.

    ``schema`` gives every batch its fields and types: a field a file lacks (written before the field
    existed) comes as nulls. ``columns`` reads only those (of ``schema`` when it is given).

    Raises:
        ParquetFileError: a file is not Parquet, is cut short, or lacks a column asked for by ``columns``.
    """
    fields = [schema.field(name) for name in columns or schema.names] if schema is not None else None
    for path in paths:
        try:
            with pq.ParquetFile(path) as file:  # closed when the file is done, not when the generator is collected
                present = set(file.schema_arrow.names)
                if fields is None and columns is not None and not set(columns) <= present:
                    missing = sorted(set(columns) - present)
                    raise ParquetFileError(f"{path} has no column {missing}: re-run the task that wrote it")
                wanted = [field.name for field in fields if field.name in present] if fields is not None else columns
                for index in range(file.metadata.num_row_groups):
                    group = file.read_row_group(index, columns=list(wanted) if wanted is not None else None)
                    if fields is not None:
                        group = _conformed(group, fields)
                    yield from group.to_batches(max_chunksize=batch_size)
        except (pa.ArrowException, OSError) as exc:
            cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ParquetFileError(f"{path} is not a readable Parquet file ({cause}): re-run the task that wrote it") from exc


def _conformed(table: pa.Table, fields: list[pa.Field]) -> pa.Table:
    """``table`` with exactly ``fields``, in order: cast where present, nulls where absent."""
    arrays = [
        table.column(field.name).cast(field.type) if field.name in table.column_names else pa.nulls(table.num_rows, field.type)
        for field in fields
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
