"""How many bytes V8's structured clone writes for a value: the size workerd checks.

workerd limits a WebSocket attachment to 16384 bytes of V8's serialization (``ValueSerializer``,
format version 15, header included), and names the size in its error. This module counts those
bytes for the JavaScript values wsguide models, without building them. Every rule below was
checked against real workerd (golden ``attachment_sizes`` in ``tests/pyodide_workerd``).

>>> structured_clone_size("x" * 16379)      # header 2 + tag 1 + length 2 + the characters
16384
>>> structured_clone_size("€")              # a two-byte string: header 2, 'c' 1, length 1, UTF-16 2
6
>>> structured_clone_size([1, 2.5])         # header 2, 'A' 2, Smi 'I' 2, double 'N' 9, trailer 3
18
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from .jsapi import JS_NULL, JsMap, Uint8Array

__all__ = ["structured_clone_size"]

_HEADER = 2  # kVersionTag 0xFF, then the version (15) as a varint
_SMI_MIN, _SMI_MAX = -(2**30), 2**30 - 1  # 31-bit Smis: workerd's V8 compresses pointers
_SAFE_INTEGER = 2**53  # Pyodide: a Python int beyond ±2**53 becomes a BigInt


def _varint(n: int) -> int:
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def _zigzag(n: int) -> int:
    return n << 1 if n >= 0 else ((-n) << 1) - 1


def _number(value: float) -> int:
    if isinstance(value, int) or (value.is_integer() and not (value == 0 and math.copysign(1, value) < 0)):
        n = int(value)
        if _SMI_MIN <= n <= _SMI_MAX:
            return 1 + _varint(_zigzag(n))  # kInt32 'I', zigzag varint
    return 1 + 8  # kDouble 'N', 8 raw bytes (no alignment)


def _index(key: str) -> int | None:
    """The array index a property key stands for (V8 writes those keys as numbers)."""
    if key.isdigit() and key.isascii() and (key == "0" or not key.startswith("0")):
        n = int(key)
        if n < 2**32 - 1:
            return n
    return None


class _Counter:
    def __init__(self) -> None:
        self.size = _HEADER
        self.ids: dict[int, int] = {}
        self.next_id = 0
        self.keep: list[Any] = []  # keeps counted objects alive, so their id() stays theirs

    def string(self, s: str) -> None:
        if all(ord(c) <= 0xFF for c in s):
            self.size += 1 + _varint(len(s)) + len(s)  # kOneByteString '"'
            return
        n = len(s.encode("utf-16-le"))
        if (self.size + 1 + _varint(n)) & 1:
            self.size += 1  # kPadding: two-byte characters start at an even offset
        self.size += 1 + _varint(n) + n  # kTwoByteString 'c'

    def reference(self, obj: Any) -> bool:
        """Count a back-reference if ``obj`` was written before; else give it the next id."""
        seen = self.ids.get(id(obj))
        if seen is not None:
            self.size += 1 + _varint(seen)  # kObjectReference '^'
            return True
        self.ids[id(obj)] = self.next_id
        self.next_id += 1
        self.keep.append(obj)
        return False

    def key(self, key: Any) -> None:
        if isinstance(key, str):
            index = _index(key)
            if index is None:
                self.string(key)
            else:
                self.size += _number(index)
        else:
            self.value(key)

    def value(self, v: Any) -> None:
        if v is None or v is JS_NULL or isinstance(v, bool):
            self.size += 1  # '_' undefined, '0' null, 'T' / 'F'
        elif isinstance(v, int):
            if -_SAFE_INTEGER <= v <= _SAFE_INTEGER:
                self.size += _number(v)
            else:
                digits = 8 * -(-abs(v).bit_length() // 64)
                self.size += 1 + _varint(digits << 1) + digits  # kBigInt 'Z'
        elif isinstance(v, float):
            self.size += _number(v)
        elif isinstance(v, str):
            self.string(v)
        elif self.reference(v):
            pass
        elif isinstance(v, Uint8Array):
            # The buffer is written (and numbered) first, then the view over it.
            self.next_id += 1
            self.size += 1 + _varint(len(v)) + len(v)  # kArrayBuffer 'B'
            self.size += 1 + 1 + _varint(0) + _varint(len(v)) + _varint(0)  # 'V', 'B', offset, length, flags
        elif isinstance(v, (bytes, bytearray, memoryview)):
            n = len(bytes(v))
            self.size += 1 + _varint(n) + n  # an ArrayBuffer
        elif isinstance(v, (list, tuple)):
            self.size += 1 + _varint(len(v))  # kBeginDenseJSArray 'A'
            for item in v:
                self.value(item)
            self.size += 1 + _varint(0) + _varint(len(v))  # '$', no other properties, the length
        elif isinstance(v, JsMap):
            self.size += 1  # kBeginJSMap ';'
            for k, item in v.items():
                self.value(k)
                self.value(item)
            self.size += 1 + _varint(2 * len(v))  # ':'
        elif isinstance(v, (set, frozenset)):
            self.size += 1  # kBeginJSSet '\''
            for item in v:
                self.value(item)
            self.size += 1 + _varint(len(v))  # ','
        elif isinstance(v, dict):
            self.size += 1  # kBeginJSObject 'o'
            for k, item in v.items():
                self.key(k)
                self.value(item)
            self.size += 1 + _varint(len(v))  # '{'
        elif isinstance(v, _dt.datetime):
            self.size += 1 + 8  # kDate 'D'
        else:
            raise TypeError(f"no structured-clone size for {type(v).__name__}")


def structured_clone_size(value: Any) -> int:
    """The number of bytes V8's ``ValueSerializer`` writes for ``value`` (a JavaScript value
    as wsguide models it: str, numbers, ``None`` for undefined, ``JS_NULL``, lists, plain-object
    dicts, ``JsMap``, sets, ``Uint8Array``, bytes for an ArrayBuffer, datetimes)."""
    counter = _Counter()
    counter.value(value)
    return counter.size
