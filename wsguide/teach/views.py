"""Seeing through the Pyodide boundary in wsguide's own helpers.

A learner's code holds what Python Workers hands out: JsProxy objects (``WebSocketPair.new()``,
``WebSocket.new(url)``, an event's ``data``) and the SDK's Python wrappers (``workers.Response``,
the result of ``workers.fetch``). The helpers work on the runtime objects behind them, and give
back values in the form the learner passed in.
"""

from __future__ import annotations

from typing import Any

from ..ffi.bridge import JsProxy, js2py, unwrap

__all__ = ["as_learner_sees_it", "runtime_object"]


def runtime_object(value: Any) -> Any:
    """The runtime object behind ``value``: a JsProxy's JavaScript object, an SDK wrapper's
    ``js_object``, or ``value`` itself."""
    if not isinstance(value, JsProxy) and hasattr(type(value), "js_object"):
        value = value.js_object  # workers.Request / Response / FetchResponse
    return unwrap(value)


def as_learner_sees_it(value: Any, like: Any) -> Any:
    """``value`` (a runtime object) as Python Workers would show it, if ``like`` was a JsProxy."""
    return js2py(value) if isinstance(like, JsProxy) else value
