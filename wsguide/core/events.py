"""Events and the ``EventTarget`` that dispatches them, as on Cloudflare Workers.

A WebSocket on Workers talks to your code through four event types:

==========  ================  ==========================================
type        class             fired when
==========  ================  ==========================================
``open``    :class:`Event`    an outbound ``WebSocket(url)`` connected
``message`` :class:`MessageEvent`  a text or binary message arrived
``close``   :class:`CloseEvent`    a Close frame arrived, or the peer vanished
``error``   :class:`ErrorEvent`    something broke (at most once per socket)
==========  ================  ==========================================

Dispatch order follows workerd's ``EventTarget``: the ``on<type>`` property
(``ws.onmessage = fn``) runs first, then ``addEventListener`` listeners in the
order they were added. Listeners may be plain functions or ``async def``
functions. As in JavaScript, an ``async`` listener runs during dispatch up to
its first ``await``; the rest is handed to the isolate's scheduler, so one slow
listener never blocks the delivery of the next event.

This module needs nothing but the standard library.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import isolate as _isolate
from .errors import JsError, PythonError
from .isolate import Isolate, emit, resume
from .jsapi import JS_NULL, JsInterface, interface_of

__all__ = [
    "CloseEvent",
    "ErrorEvent",
    "Event",
    "EventTarget",
    "MessageEvent",
    "report_listener_error",
]


class Event:
    """A plain event: only a ``type`` (``"open"`` uses it)."""

    __js__ = JsInterface("Event", properties=("type",))

    def __init__(self, type: str) -> None:
        self.type = type

    def __repr__(self) -> str:
        return f"{type(self).__name__}(type={self.type!r})"


class MessageEvent(Event):
    """Fired for each message received.

    ``data`` is ``str`` for a text message. For a binary message it depends on
    the socket's ``binaryType`` at the moment of delivery: a :class:`Blob`
    under ``"blob"`` (the default from compatibility date 2026-03-17), ``bytes``
    under ``"arraybuffer"``.
    """

    __js__ = JsInterface("MessageEvent", properties=("type", "data", "origin", "lastEventId", "source", "ports"))

    def __init__(self, type: str = "message", *, data: Any = None) -> None:
        super().__init__(type)
        self.data = data
        # The remaining fields exist on workerd's MessageEvent too.
        self.origin = JS_NULL
        self.lastEventId = ""
        self.source = JS_NULL
        self.ports: list[Any] = []

    def __repr__(self) -> str:
        data = self.data
        if isinstance(data, (bytes, bytearray)) and len(data) > 40:
            shown = f"<{len(data)} bytes>"
        elif isinstance(data, str) and len(data) > 60:
            shown = repr(data[:57] + "...")
        else:
            shown = repr(data)
        return f"MessageEvent(data={shown})"


class CloseEvent(Event):
    """Fired once when the connection closes.

    ``code`` is the code from the peer's Close frame (1005 if the frame had
    none), or 1006 when the peer vanished without a Close frame; ``wasClean``
    is ``False`` only in that last case.
    """

    __js__ = JsInterface("CloseEvent", properties=("type", "code", "reason", "wasClean"))

    def __init__(
        self, type: str = "close", *, code: int = 0, reason: str = "", wasClean: bool = False
    ) -> None:
        # Defaults match workerd's CloseEvent constructor (code 0, reason '', wasClean false).
        super().__init__(type)
        self.code = code
        self.reason = reason
        self.wasClean = wasClean

    @property
    def was_clean(self) -> bool:
        """wsguide only: snake_case alias of ``wasClean``."""
        return self.wasClean

    def __repr__(self) -> str:
        return f"CloseEvent(code={self.code}, reason={self.reason!r}, wasClean={self.wasClean})"


class ErrorEvent(Event):
    """Fired at most once per socket when it fails (e.g. a message over 32 MiB).

    ``message`` is the text the runtime reports; ``error`` is the exception.
    """

    __js__ = JsInterface("ErrorEvent", properties=("type", "message", "error"))

    def __init__(
        self, type: str = "error", *, message: str = "", error: BaseException | None = None
    ) -> None:
        super().__init__(type)
        self.message = message
        self.error = error

    def __repr__(self) -> str:
        return f"ErrorEvent(message={self.message!r})"


Listener = Callable[[Any], Any]

#: workerd's warning when an event listener returns something (a Python ``async def`` listener
#: returns a Promise).
MSG_RETURNED_VALUE = (
    'An event handler returned a value of type "object" that will be ignored. '
    "Event handlers should not have a return value."
)


def report_listener_error(target: object, exc: BaseException) -> None:
    """Log an exception a listener let escape, as workerd logs an uncaught error.

    A JavaScript error reads ``Uncaught Error: …``; a Python exception (a bug in
    the listener) ``Uncaught PythonError: Traceback …``, from the listener's own
    frame. The line goes to the log of the Worker whose code raised.
    """
    error = exc if isinstance(exc, JsError) else PythonError(exc)
    emit("error", f"Uncaught {error.name}: {error}")


class EventTarget:
    """``addEventListener`` / ``removeEventListener`` / ``on<type>`` properties.

    Async listeners are finished by the scheduler of ``isolate`` (by default the
    isolate current when the target is made).
    """

    _event_types: tuple[str, ...] = ()

    def __init__(self, isolate: Isolate | None = None) -> None:
        self._isolate = isolate if isolate is not None else _isolate.current()
        self._listeners: dict[str, list[Listener]] = {}
        self._handlers: dict[str, Listener | None] = {}

    def addEventListener(self, type: str, listener: Listener, options: Any = None) -> None:
        """Call ``listener(event)`` for every event of ``type``.

        Adding the same function twice for one type has no effect, as in the
        DOM. ``listener`` may be an ``async def`` function.
        """
        if not callable(listener):
            raise TypeError(
                f"addEventListener({type!r}, …) needs a function to call, got {listener!r}."
            )
        listeners = self._listeners.setdefault(type, [])
        if listener not in listeners:
            listeners.append(listener)

    def removeEventListener(self, type: str, listener: Listener, options: Any = None) -> None:
        """Stop calling ``listener`` for events of ``type`` (no error if absent)."""
        listeners = self._listeners.get(type)
        if listeners and listener in listeners:
            listeners.remove(listener)

    # snake_case aliases (wsguide only)
    add_event_listener = addEventListener
    remove_event_listener = removeEventListener

    def dispatchEvent(self, event: Event) -> bool:
        """Deliver ``event`` now: the ``on<type>`` property first, then listeners."""
        handler = self._handlers.get(event.type)
        # A snapshot: a listener that removes or adds listeners does not change this dispatch.
        listeners = list(self._listeners.get(event.type, ()))
        if callable(handler):
            self._call_listener(handler, event)
        for listener in listeners:
            self._call_listener(listener, event)
        return True

    def _call_listener(self, listener: Listener, event: Event) -> None:
        try:
            result = listener(event)
        except Exception as exc:  # a learner's bug must not break the server
            self._listener_failed(exc)
            return
        if result is None:
            return
        if inspect.iscoroutine(result):
            self._start_eagerly(result)  # wsguide's own async listeners: as JavaScript runs them
            return
        if interface_of(type(result)) is not None:
            # A JavaScript value came back (a Python listener's coroutine is a Promise): workerd
            # ignores it and says so; the coroutine runs on.
            self._isolate.warn_once(MSG_RETURNED_VALUE)
        if inspect.isawaitable(result):
            self._isolate.scheduler.spawn(result, self._listener_failed)

    def _start_eagerly(self, coro: Any) -> None:
        # As in JavaScript (and workerd), an async listener runs synchronously up
        # to its first await, during dispatch; only the rest is scheduled.
        # (Python 3.12's eager tasks do this; we step the coroutine by hand.)
        try:
            yielded = coro.send(None)
        except StopIteration:
            return
        except Exception as exc:
            self._listener_failed(exc)
            return
        self._isolate.scheduler.spawn(resume(coro, yielded), self._listener_failed)

    def _listener_failed(self, exc: BaseException) -> None:
        """A listener raised: log it. Subclasses may do more (a socket closes with 1011)."""
        report_listener_error(self, exc)


def _handler_property(type: str) -> property:
    def fget(self: EventTarget) -> Listener | None:
        return self._handlers.get(type)

    def fset(self: EventTarget, value: Listener | None) -> None:
        # Non-callables are stored but silently never called, as in workerd.
        self._handlers[type] = value

    return property(fget, fset, doc=f"Called for every ``{type}`` event, before listeners.")


def add_handler_properties(cls: type, types: tuple[str, ...]) -> type:
    """Give ``cls`` an ``on<type>`` property for each event type."""
    for t in types:
        setattr(cls, "on" + t, _handler_property(t))
    cls._event_types = types
    return cls
