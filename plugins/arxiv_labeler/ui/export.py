"""The paper list's current filter as CSV or Parquet, streamed batch by batch (never the whole result in memory)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from arxiv_labeler.ui.papers import LIST_COLUMNS

EXPORT_BATCH_ROWS = 5000
# The list's columns with their types; first_authors stays a list in Parquet and is joined with "; " in CSV.
PARQUET_SCHEMA = pa.schema(
    [
        ("arxiv_id", pa.string()),
        ("title", pa.string()),
        ("first_authors", pa.list_(pa.string())),
        ("authors_total", pa.int32()),
        ("primary_category", pa.string()),
        ("day", pa.string()),
        ("label", pa.string()),
        ("raw_label", pa.string()),
        ("score", pa.float64()),
        ("runner_up_label", pa.string()),
        ("runner_up_score", pa.float64()),
        ("model_id", pa.string()),
        ("text_source", pa.string()),
    ]
)
assert tuple(PARQUET_SCHEMA.names) == LIST_COLUMNS
CSV_LIST_SEPARATOR = "; "


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return CSV_LIST_SEPARATOR.join(value)
    return value


def csv_chunks(batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    """UTF-8 CSV: the header, then one chunk per batch of list rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LIST_COLUMNS)
    for batch in batches:
        writer.writerows([_csv_value(row[c]) for c in LIST_COLUMNS] for row in batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()  # the header alone, for a filter nothing matches


class _Drain:
    """A write-only file for pyarrow whose written bytes are taken out after each row group."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def parquet_chunks(batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    """A Parquet file written one row group per batch; each row group's bytes are sent as soon as it is written."""
    drain = _Drain()
    writer = pq.ParquetWriter(drain, PARQUET_SCHEMA, compression="zstd")
    try:
        for batch in batches:
            writer.write_table(pa.Table.from_pylist(batch, schema=PARQUET_SCHEMA))
            if chunk := drain.take():
                yield chunk
    finally:
        writer.close()
    yield drain.take()  # the footer
