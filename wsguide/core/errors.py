"""The errors the runtime throws, and the WebSocket close codes.

Workers code runs in JavaScript, so what the runtime throws are JavaScript
errors: a ``TypeError`` from ``send()`` after ``close()``, a ``RangeError``
from a ``Response`` with status 600, a ``DOMException`` named
``InvalidAccessError`` from ``close(999)``. Here each is a Python exception
class whose ``name`` and ``message`` are the JavaScript ones:

===========================  =====================================  ======================
JavaScript                   class here                             also a Python …
===========================  =====================================  ======================
``Error``                    :class:`JsError`                       ``Exception``
``TypeError``                :class:`JsTypeError`                   ``TypeError``
``RangeError``               :class:`JsRangeError`                  ``ValueError``
``DOMException`` (by name)   :class:`InvalidAccessError`,           ``Exception``
                             :class:`DOMSyntaxError`,
                             :class:`DataCloneError`
===========================  =====================================  ======================

:class:`ProtocolError` is what a broken WebSocket connection reports; it
carries its close code, so nothing has to search an error's text.

>>> str(JsTypeError("Can't call WebSocket send() after close()."))
"Can't call WebSocket send() after close()."
>>> js_error_string(InvalidAccessError("Invalid WebSocket close code: 999."))
'InvalidAccessError: Invalid WebSocket close code: 999.'
>>> CloseCode(1009).name
'MESSAGE_TOO_BIG'
"""

from __future__ import annotations

import builtins
import enum
import os
import traceback

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

__all__ = [
    "CloseCode",
    "DOMException",
    "DOMSyntaxError",
    "DataCloneError",
    "InvalidAccessError",
    "JsError",
    "JsRangeError",
    "JsTypeError",
    "ProtocolError",
    "PythonError",
    "js_error_string",
    "python_traceback",
]


class CloseCode(enum.IntEnum):
    """WebSocket close codes (RFC 6455 §7.4.1), as the runtime uses them."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    #: Never sent: what a peer reports for a Close frame without a code.
    NO_STATUS_RECEIVED = 1005
    #: Never sent: what a peer reports when the connection dropped without a Close frame.
    ABNORMAL_CLOSURE = 1006
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    #: Never sent: a TLS handshake failure.
    TLS_HANDSHAKE = 1015


#: Codes ``close()`` refuses (they may never appear in a Close frame).
RESERVED_CLOSE_CODES = frozenset({1004, CloseCode.NO_STATUS_RECEIVED, CloseCode.ABNORMAL_CLOSURE,
                                  CloseCode.TLS_HANDSHAKE})


class JsError(Exception):
    """A JavaScript ``Error`` thrown by the runtime (e.g. a hibernation limit)."""

    name = "Error"

    @property
    def message(self) -> str:
        return str(self)


class JsTypeError(JsError, builtins.TypeError):
    """JavaScript ``TypeError`` (``send()`` before ``accept()``, after ``close()``, …)."""

    name = "TypeError"


class JsRangeError(JsError, ValueError):
    """JavaScript ``RangeError``: a value outside what the runtime allows."""

    name = "RangeError"


class DOMException(JsError):
    """A JavaScript ``DOMException``; ``name`` says which kind."""

    name = "Error"


class InvalidAccessError(DOMException):
    """``DOMException`` named ``InvalidAccessError`` (an invalid close code)."""

    name = "InvalidAccessError"


class DOMSyntaxError(DOMException):
    """``DOMException`` named ``SyntaxError`` (a close reason over 123 bytes, a bad URL)."""

    name = "SyntaxError"


class DataCloneError(DOMException):
    """``DOMException`` named ``DataCloneError``: structured clone refused a value."""

    name = "DataCloneError"


class ProtocolError(JsError):
    """A WebSocket connection broke the protocol; ``code`` is the close code it ends with.

    The message is workerd's: ``WebSocket protocol error; protocolError.statusCode
    = 1009; protocolError.description = Message is too large: 34603008 > 33554432``.
    """

    def __init__(self, code: int, description: str) -> None:
        self.code = CloseCode(code) if code in CloseCode._value2member_map_ else code
        self.description = description
        super().__init__(
            f"WebSocket protocol error; protocolError.statusCode = {int(code)}; "
            f"protocolError.description = {description}"
        )


class PythonError(JsError):
    """A Python exception that crossed into JavaScript (Pyodide's ``PythonError``).

    Its message is the Python traceback, as workerd logs it (``Uncaught
    PythonError: Traceback (most recent call last): …``); ``original`` is the
    exception itself, which Python code gets back if the error crosses again.
    """

    name = "PythonError"

    def __init__(self, original: BaseException, *, keep: bool = True) -> None:
        #: The exception itself; ``None`` once it crossed to another object (RPC, a stub's
        #: fetch), where only its text travels.
        self.original: BaseException | None = original if keep else None
        super().__init__(python_traceback(original))


def python_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` from the first frame outside wsguide (the Worker's own code)."""
    tb = exc.__traceback__
    while tb is not None and _is_wsguide_frame(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    return "".join(lines).rstrip()


def _is_wsguide_frame(filename: str) -> bool:
    return filename.startswith(_PACKAGE_DIR)


def js_error_string(exc: BaseException) -> str:
    """``"TypeError: message"``: the error as JavaScript's ``String(error)`` shows it."""
    name = getattr(exc, "name", None)
    if not isinstance(name, str):
        name = "TypeError" if isinstance(exc, builtins.TypeError) else type(exc).__name__
    return f"{name}: {exc}"
