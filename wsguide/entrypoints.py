"""The base classes a Worker's code extends: ``WorkerEntrypoint`` and ``DurableObject``.

As in the Python Workers SDK (``from workers import WorkerEntrypoint,
DurableObject``), both are plain classes that keep ``ctx`` and ``env``; the
runtime builds them and calls their methods by name (``fetch``, the
hibernation hooks ``webSocketMessage``/``webSocketClose``/``webSocketError``,
and any other public method as RPC).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DurableObject", "WorkerEntrypoint"]


class WorkerEntrypoint:
    """Base class of a Worker: subclass it and define ``async def fetch(self, request)``.

    ``self.env`` holds the bindings (the Durable Object namespaces, and what
    ``serve(..., env=...)`` gave); ``self.ctx`` is the execution context
    (``ctx.waitUntil(...)``).
    """

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObject:
    """Base class of a Durable Object: ``self.ctx`` (its state) and ``self.env``.

    Define ``async def fetch(self, request)`` for HTTP/WebSocket requests, any
    public method for RPC, and the hibernation hooks ``webSocketMessage``,
    ``webSocketClose``, ``webSocketError`` as needed.
    """

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env
