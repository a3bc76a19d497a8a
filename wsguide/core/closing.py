"""What ``close(code, reason)`` accepts, checked before anything else (spec §2.3).

>>> validate_close(Compat(), 1000, "bye")
'bye'
>>> validate_close(Compat(), 1005, None)
Traceback (most recent call last):
  ...
wsguide.core.errors.InvalidAccessError: Invalid WebSocket close code: 1005.
"""

from __future__ import annotations

from . import texts
from .compat import Compat
from .errors import RESERVED_CLOSE_CODES, DOMSyntaxError, InvalidAccessError

__all__ = ["validate_close"]


def validate_close(compat: Compat, code: int | None, reason: str | None) -> str | None:
    """The reason as it will be sent, or the runtime's error for a code or reason it refuses.

    Validation comes before any state check (workerd since 2026-02), so even a
    closed socket reports a bad code.
    """
    if code is not None:
        if compat.pedantic_wpt:
            valid = code == 1000 or 3000 <= code <= 4999
        else:
            valid = 1000 <= code < 5000 and code not in RESERVED_CLOSE_CODES
        if not valid:
            raise InvalidAccessError(texts.CLOSE_CODE.format(code=code))
    if reason is not None:
        # A USVString: lone surrogates become U+FFFD.
        reason = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in str(reason))
        if compat.websocket_close_reason_byte_limit and len(reason.encode("utf-8")) > texts.MAX_CLOSE_REASON_BYTES:
            raise DOMSyntaxError(texts.CLOSE_REASON_TOO_LONG)
        if code is None:
            raise InvalidAccessError(texts.CLOSE_REASON_WITHOUT_CODE)
    return reason
