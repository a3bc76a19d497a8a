"""Mirror of ``from workers import …`` in Python Workers.

Change ``from wsguide.workers import Response`` to ``from workers import Response``
when you deploy; nothing else changes.
"""

from __future__ import annotations

from typing import Any

from .entrypoints import DurableObject, WorkerEntrypoint
from .http import Headers, Request, Response
from .net.client import fetch

__all__ = ["DurableObject", "Headers", "Request", "Response", "WorkerEntrypoint", "fetch", "handler"]


def handler(fn: Any) -> Any:
    """The legacy ``@handler`` decorator (module-level ``on_fetch``); kept for old code."""
    return fn

