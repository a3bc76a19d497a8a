"""Mirror of ``from workers import …`` in Python Workers.

Change ``from wsguide.workers import Response`` to ``from workers import Response``
when you deploy; nothing else changes.
"""

from __future__ import annotations

from typing import Any

from .client import fetch
from .http import Headers, Request, Response
from .runtime import WorkerEntrypoint

__all__ = ["DurableObject", "Headers", "Request", "Response", "WorkerEntrypoint", "fetch", "handler"]


def handler(fn: Any) -> Any:
    """The legacy ``@handler`` decorator (module-level ``on_fetch``); kept for old code."""
    return fn


def __getattr__(name: str) -> Any:
    if name in ("DurableObject", "WebSocketRequestResponsePair"):
        from . import durable

        return getattr(durable, name)
    raise AttributeError(name)
