"""Parquet read a row group at a time: every row once and in order, a missing column as nulls, Spark's side files skipped."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from arxiv_labeler.errors import ParquetFileError
from arxiv_labeler.parquet_batches import parquet_files, row_group_batches

SCHEMA = pa.schema([("arxiv_id", pa.string()), ("version", pa.int32()), ("affiliations", pa.list_(pa.string()))])


def written(path: Path, ids: list[str], row_group_size: int, with_affiliations: bool = True) -> Path:
    columns: dict[str, pa.Array] = {
        "arxiv_id": pa.array(ids),
        "version": pa.array(range(len(ids)), pa.int64()),  # a wider type than the schema's: cast on read
    }
    if with_affiliations:
        columns["affiliations"] = pa.array([[f"lab {i}"] for i in ids], pa.list_(pa.string()))
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return path


def test_rows_come_once_in_file_and_row_group_order_in_batches_no_larger_than_asked(tmp_path: Path) -> None:
    first = written(tmp_path / "a.parquet", [f"a{i}" for i in range(10)], row_group_size=4)
    second = written(tmp_path / "b.parquet", [f"b{i}" for i in range(3)], row_group_size=4)
    assert pq.ParquetFile(first).metadata.num_row_groups == 3
    batches = list(row_group_batches([first, second], batch_size=3, schema=SCHEMA))
    assert all(batch.num_rows <= 3 and batch.schema == SCHEMA for batch in batches)
    ids = [i for batch in batches for i in batch.column("arxiv_id").to_pylist()]
    assert ids == [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(3)]


def test_a_column_the_file_lacks_comes_as_nulls_of_the_schemas_type(tmp_path: Path) -> None:
    old = written(tmp_path / "old.parquet", ["x1", "x2"], row_group_size=10, with_affiliations=False)
    (batch,) = row_group_batches([old], batch_size=10, schema=SCHEMA)
    assert batch.schema == SCHEMA
    assert batch.column("affiliations").to_pylist() == [None, None]


def test_columns_read_only_those(tmp_path: Path) -> None:
    path = written(tmp_path / "a.parquet", ["x1"], row_group_size=10)
    (batch,) = row_group_batches([path], batch_size=10, columns=["version"])
    assert batch.schema.names == ["version"] and batch.column("version").to_pylist() == [0]
    (typed,) = row_group_batches([path], batch_size=10, schema=SCHEMA, columns=["version"])
    assert typed.schema == pa.schema([SCHEMA.field("version")])


def test_a_spark_output_directory_lists_its_data_files_only(tmp_path: Path) -> None:
    for name in ("part-00001.snappy.parquet", "part-00000.snappy.parquet", "_SUCCESS", ".part-00000.snappy.parquet.crc"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "_temporary").mkdir()
    (tmp_path / "_temporary" / "part-9.parquet").write_bytes(b"")
    assert [p.name for p in parquet_files(tmp_path)] == ["part-00000.snappy.parquet", "part-00001.snappy.parquet"]


def test_a_file_that_is_not_parquet_names_itself(tmp_path: Path) -> None:
    broken = tmp_path / "part-0.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(ParquetFileError, match=r"part-0.parquet is not a readable Parquet file \(Parquet magic bytes"):
        list(row_group_batches([broken], batch_size=10))
    cut = written(tmp_path / "cut.parquet", ["x1", "x2"], row_group_size=1)
    cut.write_bytes(cut.read_bytes()[:-20])
    with pytest.raises(ParquetFileError, match="cut.parquet is not a readable Parquet file"):
        list(row_group_batches([cut], batch_size=10))
    with pytest.raises(ParquetFileError, match=r"a.parquet has no column \['label'\]"):
        list(row_group_batches([written(tmp_path / "a.parquet", ["x1"], 10)], batch_size=10, columns=["label"]))
