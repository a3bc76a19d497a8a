"""Showing values briefly and the same on every run (long data as its size)."""

from __future__ import annotations

from typing import Any

from ..core.values import Blob

__all__ = ["indent", "short"]


def short(value: Any, limit: int = 60) -> str:
    """A value shown briefly and the same on every run.

    >>> short("x" * 100, 10), short(b"\\x00" * 100)
    ("'xxxxxxx...'", '<100 bytes>')
    """
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 3] + "..."
        return repr(text)
    if isinstance(value, (bytes, bytearray)):
        if len(value) > limit // 2:
            return f"<{len(value)} bytes>"
        return repr(bytes(value))
    if isinstance(value, Blob):
        return f"Blob(size={value.size})"
    return repr(value)


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
