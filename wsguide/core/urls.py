"""The checks ``new WebSocket(url, protocols)`` makes before it connects (spec §5.2).

>>> validate_protocols(["chat", "json"])
['chat', 'json']
>>> validate_ws_url("http://example.com")
Traceback (most recent call last):
  ...
wsguide.core.errors.DOMSyntaxError: WebSocket Constructor: The url scheme must be ws or wss.
"""

from __future__ import annotations

import urllib.parse

from . import texts
from .errors import DOMSyntaxError

__all__ = ["validate_protocols", "validate_ws_url"]

# workerd's validProtoToken: 0x21–0x7E minus these; '"' is *not* rejected.
_TOKEN_SEPARATORS = frozenset("()<>@,;:\\/[]?={}")


def _error(detail: str) -> DOMSyntaxError:
    return DOMSyntaxError(texts.CONSTRUCTOR.format(detail=detail))


def validate_ws_url(url: str) -> urllib.parse.SplitResult:
    """The parsed URL, or the runtime's ``SyntaxError`` for a URL it refuses."""
    try:
        parsed = urllib.parse.urlsplit(str(url))
        parsed.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _error("The url is invalid.") from None
    if not parsed.scheme or not parsed.hostname:
        raise _error("The url is invalid.")
    if parsed.scheme not in ("ws", "wss"):
        raise _error("The url scheme must be ws or wss.")
    if parsed.fragment or str(url).endswith("#"):
        raise _error("The url fragment must be empty.")
    return parsed


def _is_token(value: str) -> bool:
    return bool(value) and all(0x21 <= ord(c) <= 0x7E and c not in _TOKEN_SEPARATORS for c in value)


def validate_protocols(protocols: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """The subprotocols to offer, or the runtime's ``SyntaxError`` for a bad list."""
    if protocols is None:
        return []
    if isinstance(protocols, str):
        if not _is_token(protocols):
            raise _error("The protocol header token is invalid.")
        return [protocols]
    items = list(protocols)
    seen: set[str] = set()
    for p in items:  # per element, token check then duplicate check, as workerd does
        if not _is_token(p):
            raise _error("One of the protocol header tokens is invalid.")
        if p in seen:
            raise _error("The protocols header cannot have repeating values.")
        seen.add(p)
    return items
