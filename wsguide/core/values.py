"""Values as the runtime hands them to a Worker: ``Blob``, and JavaScript's ``String(value)``.

>>> js_string(None), js_string(True), js_string(1.0), js_string(float("nan"))
('undefined', 'true', '1', 'NaN')
>>> str(Blob([b"ab", "c"])), Blob([b"ab", "c"]).size
('[object Blob]', 3)
"""

from __future__ import annotations

from typing import Any

from .jsapi import JsInterface, js_string  # js_string: re-exported (String(value))

__all__ = ["Blob", "js_string"]


class Blob:
    """Binary data as Workers delivers it under ``binaryType = "blob"``.

    Read it with ``await blob.bytes()``, ``await blob.arrayBuffer()`` or
    ``await blob.text()``; ``blob.size`` is its length in bytes.
    """

    __slots__ = ("_data", "type")
    __js__ = JsInterface("Blob", methods=("arrayBuffer", "bytes", "text", "slice"), properties=("size", "type"))

    def __init__(self, parts: Any = (), options: dict[str, str] | None = None) -> None:
        if isinstance(parts, (bytes, bytearray, memoryview, str)):
            parts = [parts]
        chunks = []
        for part in parts:
            if isinstance(part, str):
                chunks.append(part.encode("utf-8"))
            elif isinstance(part, Blob):
                chunks.append(part._data)
            else:
                chunks.append(bytes(part))
        self._data = b"".join(chunks)
        self.type = (options or {}).get("type", "")

    @property
    def size(self) -> int:
        return len(self._data)

    async def bytes(self) -> bytes:
        return self._data

    async def arrayBuffer(self) -> bytes:
        return self._data

    async def text(self) -> str:
        return self._data.decode("utf-8", errors="replace")

    def __str__(self) -> str:
        # What JavaScript's String(blob) gives; Workers' send() coerces a Blob to this text.
        return "[object Blob]"

    def __repr__(self) -> str:
        return f"Blob(size={self.size})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blob) and other._data == self._data

    __hash__ = None  # type: ignore[assignment]
