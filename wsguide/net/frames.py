"""WebSocket frames the leg builds itself (RFC 6455 §5.2), and how it recognises a Close.

Every other frame goes through ``websockets``' own serializer
(``Frame.serialize``). Two cases are written here, each for a reason:

* :func:`server_frame` — an uncompressed server frame (no mask, no extension
  state) is the same bytes for every member of a room, so it is built once
  per message and written to each connection (fan-out);
* :func:`close_frame` — the Worker's Close, which may carry a code
  ``websockets`` refuses to send (workerd's ``close()`` accepts 1000–4999
  minus four, e.g. 2000) or, with ``no_websocket_close_reason_byte_limit``,
  a payload over the 125 bytes a control frame may have (docs/findings.md
  F11: workerd writes it as is).

>>> server_frame("hi")
b'\\x81\\x02hi'
>>> close_frame(1000, "bye", mask=False)
b'\\x88\\x05\\x03\\xe8bye'
>>> is_close(close_frame(None, "", mask=True))
True
"""

from __future__ import annotations

import os
import struct

__all__ = ["close_frame", "close_payload", "is_close", "server_frame"]

_OP_TEXT, _OP_BINARY, _OP_CLOSE = 0x1, 0x2, 0x8

_last_data: str | bytes | None = None
_last_frame: bytes = b""


def _header(first: int, n: int, masked: bool) -> bytes:
    bit = 0x80 if masked else 0
    if n < 126:
        return struct.pack("!BB", first, bit | n)
    if n < 65536:
        return struct.pack("!BBH", first, bit | 126, n)
    return struct.pack("!BBQ", first, bit | 127, n)


def server_frame(data: str | bytes) -> bytes:
    """The unmasked, uncompressed frame for one message (the last one is kept: a room
    sends the same object to every member)."""
    global _last_data, _last_frame
    if data is _last_data:
        return _last_frame
    if isinstance(data, str):
        first, payload = 0x80 | _OP_TEXT, data.encode()
    else:
        first, payload = 0x80 | _OP_BINARY, bytes(data)
    frame = _header(first, len(payload), False) + payload
    _last_data, _last_frame = data, frame
    return frame


def close_payload(code: int | None, reason: str) -> bytes:
    """A Close frame's payload: empty without a code (the peer reports 1005)."""
    if code is None:
        return b""
    return struct.pack("!H", code) + reason.encode("utf-8")


def close_frame(code: int | None, reason: str, *, mask: bool) -> bytes:
    """A Close frame with exactly this code and reason, checked by nobody (see above)."""
    payload = close_payload(code, reason)
    head = _header(0x80 | _OP_CLOSE, len(payload), mask)
    if not mask:
        return head + payload
    key = os.urandom(4)
    n = len(payload)
    stream = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")
    return head + key + masked


def is_close(frame: bytes) -> bool:
    """Whether these serialized frame bytes are a Close frame (its opcode, §5.2)."""
    return bool(frame) and frame[0] & 0x0F == _OP_CLOSE
