"""Java object serialization of ``scala.Tuple2[]`` of ``(String, Integer)`` pairs.

This is the payload Spark NLP's ``MapFeature`` stores in each SequenceFile
record (``saveAsObjectFile`` groups a map's entries by ten). Only the subset
of the Java Object Serialization Stream Protocol that those payloads use is
supported; anything else raises :class:`JavaSerializationError` instead of
guessing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from arxiv_labeler.errors import JavaSerializationError

STREAM_MAGIC = 0xACED
STREAM_VERSION = 5
BASE_HANDLE = 0x7E0000

TC_NULL = 0x70
TC_REFERENCE = 0x71
TC_CLASSDESC = 0x72
TC_OBJECT = 0x73
TC_STRING = 0x74
TC_ARRAY = 0x75
TC_ENDBLOCKDATA = 0x78
TC_LONGSTRING = 0x7C

SC_SERIALIZABLE = 0x02

# serialVersionUIDs written by Scala 2.12 / Java 17; readers accept any (Scala 2.13 differs).
TUPLE2_ARRAY_UID = 0x2ECC00DFD14FD7C0
TUPLE2_UID = 0x2E94667D5B92F9F5
INTEGER_UID = 0x12E2A0A4F7818738
NUMBER_UID = 0x86AC951D0B94E08B - (1 << 64)  # as a signed Java long

MAX_NESTING = 64  # an Array[(String, Int)] nests 3 deep
_PRIMITIVE_SIZES = {"B": 1, "C": 2, "D": 8, "F": 4, "I": 4, "J": 8, "S": 2, "Z": 1}


@dataclass
class _FieldDesc:
    type_code: str
    name: str
    class_name: str | None


@dataclass
class _ClassDesc:
    name: str
    uid: int
    flags: int
    fields: list[_FieldDesc]
    superclass: _ClassDesc | None = None


@dataclass
class _JavaObject:
    class_name: str
    values: dict[str, Any] = field(default_factory=dict)


def decode_modified_utf8(data: bytes) -> str:
    """Decode Java's modified UTF-8 (NUL as C0 80, supplementary chars as surrogate pairs)."""
    units: list[int] = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            units.append(b)
            i += 1
        elif b & 0xE0 == 0xC0 and i + 1 < n:
            units.append(((b & 0x1F) << 6) | (data[i + 1] & 0x3F))
            i += 2
        elif b & 0xF0 == 0xE0 and i + 2 < n:
            units.append(((b & 0x0F) << 12) | ((data[i + 1] & 0x3F) << 6) | (data[i + 2] & 0x3F))
            i += 3
        else:
            raise JavaSerializationError(f"invalid modified UTF-8 byte 0x{b:02x} at offset {i}")
    raw = b"".join(struct.pack(">H", u) for u in units)
    return raw.decode("utf-16-be", errors="surrogatepass")


def encode_modified_utf8(text: str) -> bytes:
    """Encode ``text`` the way ``DataOutputStream.writeUTF`` does."""
    out = bytearray()
    utf16 = text.encode("utf-16-be", errors="surrogatepass")
    for i in range(0, len(utf16), 2):
        c = (utf16[i] << 8) | utf16[i + 1]
        if 0x0001 <= c <= 0x007F:
            out.append(c)
        elif c <= 0x07FF:
            out += bytes((0xC0 | (c >> 6), 0x80 | (c & 0x3F)))
        else:
            out += bytes((0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)))
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.handles: list[Any] = []
        self.depth = 0

    def read(self, n: int) -> bytes:
        if n < 0:
            raise JavaSerializationError(f"negative length {n} at offset {self.pos}")
        if self.pos + n > len(self.data):
            raise JavaSerializationError(
                f"truncated stream: wanted {n} bytes at offset {self.pos}, have {len(self.data) - self.pos}"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.read(1)[0]

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def utf(self) -> str:
        return decode_modified_utf8(self.read(self.unpack(">H")))

    def new_handle(self, obj: Any) -> int:
        self.handles.append(obj)
        return len(self.handles) - 1

    def remaining(self) -> int:
        """Bytes left in the stream: no declared length may exceed them."""
        return len(self.data) - self.pos

    def content(self) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:  # a crafted stream nests arrays until the interpreter's stack runs out
                raise JavaSerializationError(f"objects nested more than {MAX_NESTING} deep at offset {self.pos}")
            return self._content()
        finally:
            self.depth -= 1

    def _content(self) -> Any:
        tc = self.u8()
        if tc == TC_NULL:
            return None
        if tc == TC_REFERENCE:
            return self.reference()
        if tc == TC_STRING:
            text = self.utf()
            self.new_handle(text)
            return text
        if tc == TC_LONGSTRING:
            text = decode_modified_utf8(self.read(self.unpack(">q")))
            self.new_handle(text)
            return text
        if tc == TC_ARRAY:
            return self.array()
        if tc == TC_OBJECT:
            return self.object()
        if tc == TC_CLASSDESC:
            return self.class_desc_body()
        raise JavaSerializationError(f"unsupported type code 0x{tc:02x} at offset {self.pos - 1}")

    def reference(self) -> Any:
        handle = self.unpack(">i") - BASE_HANDLE
        if not 0 <= handle < len(self.handles):
            raise JavaSerializationError(f"dangling back reference 0x{handle + BASE_HANDLE:x}")
        return self.handles[handle]

    def class_desc(self) -> _ClassDesc | None:
        desc = self.content()
        if desc is not None and not isinstance(desc, _ClassDesc):
            raise JavaSerializationError(f"expected a class descriptor, got {type(desc).__name__}")
        return desc

    def class_desc_body(self) -> _ClassDesc:
        name = self.utf()
        uid = self.unpack(">q")
        desc = _ClassDesc(name=name, uid=uid, flags=0, fields=[])
        self.new_handle(desc)
        desc.flags = self.u8()
        if not desc.flags & SC_SERIALIZABLE or desc.flags & ~(SC_SERIALIZABLE | 0x01):
            raise JavaSerializationError(f"class {name}: unsupported flags 0x{desc.flags:02x}")
        for _ in range(self.unpack(">H")):
            type_code = chr(self.u8())
            field_name = self.utf()
            class_name = None
            if type_code in "L[":
                class_name = self.content()
                if not isinstance(class_name, str):
                    raise JavaSerializationError(f"class {name}: bad type string for field {field_name}")
            elif type_code not in _PRIMITIVE_SIZES:
                raise JavaSerializationError(f"class {name}: bad field type {type_code!r}")
            desc.fields.append(_FieldDesc(type_code, field_name, class_name))
        if self.u8() != TC_ENDBLOCKDATA:
            raise JavaSerializationError(f"class {name}: class annotations are not supported")
        desc.superclass = self.class_desc()
        return desc

    def array(self) -> list[Any]:
        desc = self.class_desc()
        if desc is None:
            raise JavaSerializationError("array without a class descriptor")
        items: list[Any] = []
        self.new_handle(items)
        length = self.unpack(">i")
        if not 0 <= length <= self.remaining():  # every element takes at least one byte: refused before allocating
            raise JavaSerializationError(f"array of {length} elements declared with {self.remaining()} bytes left")
        if desc.name.startswith("[L") or desc.name.startswith("[["):
            items.extend(self.content() for _ in range(length))
        else:
            raise JavaSerializationError(f"primitive array {desc.name} is not supported")
        return items

    def object(self) -> Any:
        desc = self.class_desc()
        if desc is None:
            raise JavaSerializationError("object without a class descriptor")
        obj = _JavaObject(desc.name)
        handle = self.new_handle(obj)
        chain: list[_ClassDesc] = []
        cursor: _ClassDesc | None = desc
        while cursor is not None:
            chain.append(cursor)
            cursor = cursor.superclass
        for cls in reversed(chain):  # class data goes from the top superclass down
            for fdesc in cls.fields:
                if fdesc.type_code in _PRIMITIVE_SIZES:
                    obj.values[fdesc.name] = self.primitive(fdesc.type_code)
            for fdesc in cls.fields:
                if fdesc.type_code in "L[":
                    obj.values[fdesc.name] = self.content()
        value = _box(obj)
        self.handles[handle] = value
        return value

    def primitive(self, type_code: str) -> Any:
        fmt = {"B": ">b", "C": ">H", "D": ">d", "F": ">f", "I": ">i", "J": ">q", "S": ">h", "Z": ">?"}
        return self.unpack(fmt[type_code])


def _box(obj: _JavaObject) -> Any:
    if obj.class_name == "scala.Tuple2":
        return (obj.values.get("_1"), obj.values.get("_2"))
    if obj.class_name in ("java.lang.Integer", "java.lang.Long", "java.lang.Short"):
        return int(obj.values["value"])
    raise JavaSerializationError(f"unsupported class {obj.class_name}")


def read_tuple2_array(data: bytes) -> list[tuple[str, int]]:
    """Parse one serialized ``Array[(String, Int)]`` into a list of pairs.

    Raises:
        JavaSerializationError: the bytes are not such an array (wrong magic,
            other classes, truncation).
    """
    reader = _Reader(data)
    magic, version = struct.unpack(">HH", reader.read(4))
    if magic != STREAM_MAGIC or version != STREAM_VERSION:
        raise JavaSerializationError(f"not a Java serialization stream (magic {magic:#06x}, version {version})")
    items = reader.content()
    if not isinstance(items, list):
        raise JavaSerializationError("stream does not hold an array")
    pairs: list[tuple[str, int]] = []
    for item in items:
        if not (isinstance(item, tuple) and isinstance(item[0], str) and isinstance(item[1], int)):
            raise JavaSerializationError(f"array element is not a (String, Integer) pair: {item!r}")
        pairs.append((item[0], item[1]))
    if reader.pos != len(data):
        raise JavaSerializationError(f"{len(data) - reader.pos} trailing bytes after the array")
    return pairs


def _utf(text: str) -> bytes:
    raw = encode_modified_utf8(text)
    return struct.pack(">H", len(raw)) + raw


def _string(text: str) -> bytes:
    raw = encode_modified_utf8(text)
    if len(raw) > 0xFFFF:
        return bytes([TC_LONGSTRING]) + struct.pack(">q", len(raw)) + raw
    return bytes([TC_STRING]) + struct.pack(">H", len(raw)) + raw


def write_tuple2_array(pairs: list[tuple[str, int]]) -> bytes:
    """Serialize pairs exactly as ``ObjectOutputStream.writeObject(Array[(String, Int)])`` does.

    Handles are assigned in the same order as Java so the bytes are identical
    to what Spark NLP's JVM writes (Scala 2.12 serialVersionUIDs).
    """
    out = bytearray(struct.pack(">HH", STREAM_MAGIC, STREAM_VERSION))
    next_handle = 0

    def handle() -> int:
        nonlocal next_handle
        next_handle += 1
        return BASE_HANDLE + next_handle - 1

    def ref(h: int) -> bytes:
        return bytes([TC_REFERENCE]) + struct.pack(">i", h)

    out += bytes([TC_ARRAY, TC_CLASSDESC]) + _utf("[Lscala.Tuple2;")
    out += struct.pack(">q", TUPLE2_ARRAY_UID)
    handle()  # array class desc
    out += bytes([SC_SERIALIZABLE]) + struct.pack(">H", 0) + bytes([TC_ENDBLOCKDATA, TC_NULL])
    handle()  # the array itself
    out += struct.pack(">i", len(pairs))
    tuple_desc = object_type = integer_desc = None
    for key, value in pairs:
        out.append(TC_OBJECT)
        if tuple_desc is None:
            out += bytes([TC_CLASSDESC]) + _utf("scala.Tuple2") + struct.pack(">q", TUPLE2_UID)
            tuple_desc = handle()
            out += bytes([SC_SERIALIZABLE]) + struct.pack(">H", 2)
            out += b"L" + _utf("_1") + _string("Ljava/lang/Object;")
            object_type = handle()
            out += b"L" + _utf("_2") + ref(object_type)
            out += bytes([TC_ENDBLOCKDATA, TC_NULL])
        else:
            out += ref(tuple_desc)
        handle()  # the tuple
        out += _string(key)
        handle()
        out.append(TC_OBJECT)
        if integer_desc is None:
            out += bytes([TC_CLASSDESC]) + _utf("java.lang.Integer") + struct.pack(">q", INTEGER_UID)
            integer_desc = handle()
            out += bytes([SC_SERIALIZABLE]) + struct.pack(">H", 1) + b"I" + _utf("value")
            out += bytes([TC_ENDBLOCKDATA, TC_CLASSDESC]) + _utf("java.lang.Number")
            out += struct.pack(">q", NUMBER_UID)
            handle()
            out += bytes([SC_SERIALIZABLE]) + struct.pack(">H", 0) + bytes([TC_ENDBLOCKDATA, TC_NULL])
        else:
            out += ref(integer_desc)
        handle()  # the Integer
        out += struct.pack(">i", value)
    return bytes(out)
