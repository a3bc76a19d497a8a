"""The JavaScript error types that Workers throws, as Python exception classes.

The runtime's WebSocket code throws a handful of JavaScript errors. Each has a
Python twin here whose class name matches the JavaScript ``error.name``, so a
traceback in a notebook reads like the message you would see in ``wrangler dev``:

==========================  ==========================================
Workers (JavaScript)        wsguide (Python)
==========================  ==========================================
``TypeError``               Python's own :class:`TypeError`
``RangeError``              :class:`RangeError` (a ``ValueError``)
``Error``                   :class:`Error`
``DOMException`` named      :class:`InvalidAccessError`,
``InvalidAccessError`` /    :class:`SyntaxError` (both subclasses of
``SyntaxError``             :class:`DOMException`)
==========================  ==========================================

``wsguide.errors.SyntaxError`` is the DOMException, not Python's built-in
``SyntaxError``; it is deliberately not exported from ``wsguide`` itself so it
never shadows the built-in.

:func:`js_error_string` renders any of them as ``"<name>: <message>"``, the way
``String(error)`` does in JavaScript (and the way the parity tests compare them).
"""

from __future__ import annotations

import builtins

__all__ = [
    "DOMException",
    "Error",
    "InvalidAccessError",
    "RangeError",
    "SyntaxError",
    "js_error_string",
]


class Error(Exception):
    """A plain JavaScript ``Error`` (e.g. the Durable Object hibernation limits)."""

    name = "Error"

    @property
    def message(self) -> str:
        return str(self)


class RangeError(ValueError):
    """JavaScript ``RangeError``: a value is outside what the runtime allows.

    Raised, for example, by ``Response(None, status=101)`` without a WebSocket.
    """

    name = "RangeError"

    @property
    def message(self) -> str:
        return str(self)


class DOMException(Exception):
    """A JavaScript ``DOMException``; ``name`` says which kind."""

    name = "Error"

    @property
    def message(self) -> str:
        return str(self)


class InvalidAccessError(DOMException):
    """``DOMException`` named ``InvalidAccessError`` (an invalid close code)."""

    name = "InvalidAccessError"


class SyntaxError(DOMException):  # noqa: A001 - the name must match the JavaScript one
    """``DOMException`` named ``SyntaxError`` (a close reason over 123 bytes, a bad URL)."""

    name = "SyntaxError"


# Friendlier alias for code that also uses the built-in SyntaxError.
DOMSyntaxError = SyntaxError


def js_error_string(exc: BaseException) -> str:
    """``"TypeError: message"``: the error as JavaScript's ``String(error)`` shows it."""
    name = getattr(exc, "name", None)
    if not isinstance(name, str):
        name = type(exc).__name__
        if isinstance(exc, builtins.TypeError):
            name = "TypeError"
    return f"{name}: {exc}"
