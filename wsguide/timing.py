"""One knob for every wait in wsguide's helpers: ``WSGUIDE_TIMEOUT_FACTOR``.

A slow machine (a shared CI runner, an old laptop) sets ``WSGUIDE_TIMEOUT_FACTOR=10``
and every bounded wait in :mod:`wsguide.notebook` gets ten times longer. Waits
never sleep: they await an event, and the factor only moves the deadline.
"""

from __future__ import annotations

import os
from typing import Any

from .events import Blob

__all__ = ["TIMEOUT_FACTOR", "WaitTimeout", "fmt_seconds", "indent", "scaled", "short"]


def _timeout_factor() -> float:
    raw = os.environ.get("WSGUIDE_TIMEOUT_FACTOR", "").strip()
    try:
        value = float(raw) if raw else 1.0
    except ValueError:
        value = 1.0
    return value if value > 0 else 1.0


#: Every timeout in this module is multiplied by this (env ``WSGUIDE_TIMEOUT_FACTOR``).
TIMEOUT_FACTOR = _timeout_factor()


def scaled(seconds: float) -> float:
    """``seconds`` times :data:`TIMEOUT_FACTOR`: give slow machines more time."""
    return seconds * TIMEOUT_FACTOR


def fmt_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


class WaitTimeout(TimeoutError):
    """A bounded wait expired; the message says what was awaited and what to try."""


def short(value: Any, limit: int = 60) -> str:
    """A value shown briefly and the same on every run (long data as its size)."""
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

