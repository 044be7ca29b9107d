"""fields/* encoding: the JVM-written golden files read to exactly their README's maps; writing is byte-exact."""

from __future__ import annotations

from pathlib import Path

import pytest
from arxiv_labeler.model.java_serialization import (
    JavaSerializationError,
    decode_modified_utf8,
    encode_modified_utf8,
    read_tuple2_array,
    write_tuple2_array,
)
from arxiv_labeler.model.sequence_file import (
    SequenceFileError,
    crc_bytes,
    iter_part_files,
    parse_sequence_file,
    read_sequence_file,
    sequence_file_bytes,
)

HEADER_LENGTH = 4 + 1 + len("org.apache.hadoop.io.NullWritable") + 1 + len("org.apache.hadoop.io.BytesWritable") + 2 + 4


def read_map(directory: Path) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for part in iter_part_files(directory):
        for value in read_sequence_file(part):
            mapping.update(read_tuple2_array(value))
    return mapping


def test_small_vocabulary_is_exactly_the_readme_map(jvm_fixtures: Path) -> None:
    expected = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "of", "learning", "deep", "##ing", "network"]
    assert read_map(jvm_fixtures / "small" / "vocabulary") == {piece: i for i, piece in enumerate(expected)}


def test_small_labels_are_exactly_the_readme_map(jvm_fixtures: Path) -> None:
    assert read_map(jvm_fixtures / "small" / "labels") == {"cs.AI": 0, "cs.CL": 1, "math.ST": 2}


def test_large_vocabulary_with_sync_escapes(jvm_fixtures: Path) -> None:
    mapping = read_map(jvm_fixtures / "large" / "vocabulary")
    expected = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4} | {f"tok{i:05d}": i for i in range(5, 30522)}
    assert mapping == expected
    assert any(
        b"\xff\xff\xff\xff" in p.read_bytes()[HEADER_LENGTH:] for p in iter_part_files(jvm_fixtures / "large" / "vocabulary")
    )


@pytest.mark.parametrize("sub", ["small/labels", "small/vocabulary", "large/vocabulary"])
def test_writer_reproduces_jvm_bytes_given_the_same_sync_marker(jvm_fixtures: Path, sub: str) -> None:
    for part in iter_part_files(jvm_fixtures / sub):
        original = part.read_bytes()
        sync = original[HEADER_LENGTH : HEADER_LENGTH + 16]
        records = [read_tuple2_array(v) for v in parse_sequence_file(original, part.name)]
        assert sequence_file_bytes([write_tuple2_array(r) for r in records], sync) == original
        assert crc_bytes(original) == part.with_name(f".{part.name}.crc").read_bytes()


def test_modified_utf8_round_trip_nul_and_supplementary() -> None:
    text = "a\x00é中😀"
    encoded = encode_modified_utf8(text)
    assert b"\x00" not in encoded  # NUL is C0 80 in modified UTF-8
    assert b"\xf0" not in encoded  # no 4-byte sequences: surrogate pairs instead
    assert decode_modified_utf8(encoded) == text


def test_pairs_round_trip_with_unicode_keys() -> None:
    pairs = [("naïve", 0), ("##ing", 1), ("😀", 2), ("中", 3)]
    assert read_tuple2_array(write_tuple2_array(pairs)) == pairs


def test_truncated_payload_is_a_clear_error() -> None:
    data = write_tuple2_array([("abc", 1), ("def", 2)])
    with pytest.raises(JavaSerializationError, match="truncated"):
        read_tuple2_array(data[:-3])


def test_not_java_serialization() -> None:
    with pytest.raises(JavaSerializationError, match="not a Java serialization stream"):
        read_tuple2_array(b"PK\x03\x04 definitely a zip")


def test_truncated_sequence_file_is_a_clear_error(jvm_fixtures: Path) -> None:
    data = (jvm_fixtures / "small" / "labels" / "part-00000").read_bytes()
    with pytest.raises(SequenceFileError, match="truncated"):
        parse_sequence_file(data[:-10], "part-00000")
    with pytest.raises(SequenceFileError, match="not a version-6"):
        parse_sequence_file(b"PAR1....", "x")


@pytest.mark.spark
@pytest.mark.slow
def test_spark_jvm_reads_what_we_write(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Spark's own SequenceFile reader (JVM) gets back the same map from our bytes."""
    from arxiv_labeler.model.sequence_file import write_part_files

    mapping = {f"piece{i}": i for i in range(2345)} | {"[CLS]": 2345, "naïve": 2346}
    items = list(mapping.items())
    records = [write_tuple2_array(items[i : i + 10]) for i in range(0, len(items), 10)]
    write_part_files(tmp_path / "vocabulary", [records[:100], records[100:]])
    raw = (
        spark.sparkContext.sequenceFile(
            str(tmp_path / "vocabulary"), "org.apache.hadoop.io.NullWritable", "org.apache.hadoop.io.BytesWritable"
        )
        .values()
        .collect()
    )
    read_back: dict[str, int] = {}
    for payload in raw:
        read_back.update(read_tuple2_array(bytes(payload)))
    assert read_back == mapping
