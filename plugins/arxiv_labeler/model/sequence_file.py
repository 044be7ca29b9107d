"""Hadoop SequenceFiles of ``(NullWritable, BytesWritable)`` and their ``.crc`` side files.

Spark's ``saveAsObjectFile`` writes these (version 6, uncompressed) and Spark NLP
stores every map feature (vocabulary, labels) in them. The reader rebuilds the
records; the writer produces files Hadoop's own reader accepts, byte for byte
what the JVM writes when given the same sync marker.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from arxiv_labeler.errors import SequenceFileError

MAGIC = b"SEQ\x06"
KEY_CLASS = "org.apache.hadoop.io.NullWritable"
VALUE_CLASS = "org.apache.hadoop.io.BytesWritable"
SYNC_SIZE = 16
SYNC_ESCAPE = -1
# Hadoop's SequenceFile.SYNC_INTERVAL: 5 KiB * (4 + 16) bytes.
SYNC_INTERVAL = 5 * 1024 * (4 + SYNC_SIZE)
CRC_MAGIC = b"crc\x00"
BYTES_PER_CHECKSUM = 512


def _read_vint(data: bytes, pos: int) -> tuple[int, int]:
    """Hadoop ``WritableUtils.readVInt``: returns (value, new position)."""
    first = struct.unpack_from(">b", data, pos)[0]
    pos += 1
    if first >= -112:
        return first, pos
    negative = first < -120
    size = (-119 - first) if negative else (-111 - first)
    value = 0
    for _ in range(size - 1):
        value = (value << 8) | data[pos]
        pos += 1
    return (~value if negative else value), pos


def _write_vint(value: int) -> bytes:
    """Hadoop ``WritableUtils.writeVLong`` for non-negative class-name lengths."""
    if -112 <= value <= 127:
        return struct.pack(">b", value)
    length = -112
    if value < 0:
        value = ~value
        length = -120
    tmp = value
    while tmp:
        tmp >>= 8
        length -= 1
    out = bytearray(struct.pack(">b", length))
    size = (-(length + 120)) if length < -120 else (-(length + 112))
    for idx in range(size, 0, -1):
        out.append((value >> ((idx - 1) * 8)) & 0xFF)
    return bytes(out)


def _read_text(data: bytes, pos: int) -> tuple[str, int]:
    length, pos = _read_vint(data, pos)
    if not 0 <= length <= len(data) - pos:
        raise SequenceFileError(f"class name of {length} bytes declared at offset {pos} with {len(data) - pos} left")
    return data[pos : pos + length].decode("utf-8"), pos + length


def read_sequence_file(path: str | os.PathLike[str]) -> list[bytes]:
    """Return the BytesWritable values of a ``NullWritable -> BytesWritable`` SequenceFile on disk."""
    return parse_sequence_file(Path(path).read_bytes(), str(path))


def parse_sequence_file(data: bytes, name: str) -> list[bytes]:
    """Return the BytesWritable values of SequenceFile bytes; ``name`` is used in errors.

    Raises:
        SequenceFileError: wrong magic or version, other key/value classes,
            compression, metadata, or a truncated record.
    """
    if len(data) < 4 or data[:4] != MAGIC:
        raise SequenceFileError(f"{name}: not a version-6 Hadoop SequenceFile (starts {data[:4]!r})")
    try:
        key_class, pos = _read_text(data, 4)
        value_class, pos = _read_text(data, pos)
        compressed, block_compressed = data[pos], data[pos + 1]
        pos += 2
        (metadata_count,) = struct.unpack_from(">i", data, pos)
        pos += 4
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise SequenceFileError(f"{name}: truncated header ({exc})") from exc
    if (key_class, value_class) != (KEY_CLASS, VALUE_CLASS):
        raise SequenceFileError(f"{name}: expected {KEY_CLASS} -> {VALUE_CLASS}, got {key_class} -> {value_class}")
    if compressed or block_compressed:
        raise SequenceFileError(f"{name}: compressed SequenceFiles are not supported")
    if metadata_count:
        raise SequenceFileError(f"{name}: unexpected metadata entries ({metadata_count})")
    sync = data[pos : pos + SYNC_SIZE]
    pos += SYNC_SIZE
    if len(sync) != SYNC_SIZE:
        raise SequenceFileError(f"{name}: truncated header (no sync marker)")
    values: list[bytes] = []
    while pos < len(data):
        if pos + 4 > len(data):
            raise SequenceFileError(f"{name}: truncated record length at offset {pos}")
        (record_length,) = struct.unpack_from(">i", data, pos)
        pos += 4
        if record_length == SYNC_ESCAPE:
            if data[pos : pos + SYNC_SIZE] != sync:
                raise SequenceFileError(f"{name}: corrupt sync marker at offset {pos}")
            pos += SYNC_SIZE
            continue
        if pos + record_length + 4 > len(data) or record_length < 4:
            raise SequenceFileError(f"{name}: truncated record at offset {pos - 4} (length {record_length})")
        (key_length,) = struct.unpack_from(">i", data, pos)
        if not 0 <= key_length <= record_length - 4:  # a negative one would loop back over the file for ever
            raise SequenceFileError(f"{name}: key of {key_length} bytes in a record of {record_length} at offset {pos}")
        pos += 4 + key_length
        (value_length,) = struct.unpack_from(">i", data, pos)
        if value_length != record_length - key_length - 4:
            raise SequenceFileError(f"{name}: inconsistent BytesWritable length at offset {pos}")
        values.append(data[pos + 4 : pos + 4 + value_length])
        pos += 4 + value_length
    return values


def sequence_file_bytes(values: Iterable[bytes], sync: bytes | None = None) -> bytes:
    """Encode values as an uncompressed ``NullWritable -> BytesWritable`` SequenceFile."""
    sync = sync if sync is not None else os.urandom(SYNC_SIZE)
    if len(sync) != SYNC_SIZE:
        raise SequenceFileError(f"sync marker must be {SYNC_SIZE} bytes, got {len(sync)}")
    out = bytearray(MAGIC)
    for class_name in (KEY_CLASS, VALUE_CLASS):
        encoded = class_name.encode("utf-8")
        out += _write_vint(len(encoded)) + encoded
    out += b"\x00\x00" + struct.pack(">i", 0) + sync
    last_sync = len(out)
    for value in values:
        if len(out) >= last_sync + SYNC_INTERVAL:
            out += struct.pack(">i", SYNC_ESCAPE) + sync
            last_sync = len(out)
        out += struct.pack(">iii", len(value) + 4, 0, len(value)) + value
    return bytes(out)


def crc_bytes(data: bytes) -> bytes:
    """Hadoop ``ChecksumFileSystem`` side file: header, then a CRC32 per 512-byte chunk."""
    out = bytearray(CRC_MAGIC + struct.pack(">i", BYTES_PER_CHECKSUM))
    for start in range(0, len(data), BYTES_PER_CHECKSUM):
        out += struct.pack(">I", zlib.crc32(data[start : start + BYTES_PER_CHECKSUM]))
    return bytes(out)


def verify_crc(data: bytes, crc: bytes | None, name: str) -> None:
    """Check ``data`` against its ``.crc`` side file when there is one (Hadoop's rule)."""
    if crc is not None and crc != crc_bytes(data):
        raise SequenceFileError(f"{name}: checksum mismatch with its .crc file (file corrupt or truncated)")


def write_part_files(directory: Path, parts: list[list[bytes]], with_crc: bool = True) -> None:
    """Write ``part-NNNNN`` SequenceFiles plus ``_SUCCESS`` the way ``saveAsObjectFile`` does."""
    directory.mkdir(parents=True, exist_ok=True)
    for index, values in enumerate(parts):
        _write_with_crc(directory / f"part-{index:05d}", sequence_file_bytes(values), with_crc)
    _write_with_crc(directory / "_SUCCESS", b"", with_crc)


def _write_with_crc(path: Path, data: bytes, with_crc: bool) -> None:
    path.write_bytes(data)
    if with_crc:
        path.with_name(f".{path.name}.crc").write_bytes(crc_bytes(data))


def iter_part_files(directory: Path) -> Iterator[Path]:
    """The ``part-*`` files of a Hadoop output directory, in name order."""
    return iter(sorted(p for p in directory.iterdir() if p.name.startswith("part-")))
