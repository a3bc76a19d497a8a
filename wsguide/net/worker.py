"""How the server calls a Worker: its entry point, ``env`` and ``ctx``.

A Worker may be given as a ``WorkerEntrypoint`` subclass (the modern Python
Workers form), an instance, a module defining ``Default`` (what ``wsguide dev``
loads), or a plain function ``fetch(request, env, ctx)``.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Awaitable, Callable
from typing import Any

from ..core.calls import maybe_await
from ..http import Request

__all__ = ["Env", "ExecutionContext", "WorkerCall", "resolve_worker", "worker_name"]

WorkerCall = Callable[[Request, Any, "ExecutionContext"], Awaitable[Any]]


class ExecutionContext:
    """``self.ctx`` of a Worker: ``waitUntil`` keeps work going after the response."""

    def __init__(self, track: Callable[[asyncio.Future[Any]], None] | None = None) -> None:
        self._track = track

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:
        """Run ``awaitable`` to completion even after ``fetch`` has returned."""
        task = asyncio.ensure_future(awaitable)
        if self._track is not None:
            self._track(task)

    def passThroughOnException(self) -> None:
        """Accepted for compatibility; there is no origin to fall back to locally."""


class Env(types.SimpleNamespace):
    """``self.env``: bindings reachable as attributes (``self.env.ROOMS``) or keys."""

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


def resolve_worker(worker: Any) -> WorkerCall:
    """Accept a WorkerEntrypoint subclass, an instance, a function or a module."""
    if isinstance(worker, types.ModuleType):
        module = worker
        worker = getattr(module, "Default", None) or getattr(module, "on_fetch", None)
        if worker is None:
            raise TypeError(
                f"{module.__name__} defines no Worker: add `class Default(WorkerEntrypoint)` "
                "with an `async def fetch(self, request)` method."
            )
    if inspect.isclass(worker):
        if not callable(getattr(worker, "fetch", None)):
            raise TypeError(f"{worker.__name__} has no fetch(self, request) method.")
        cls = worker

        async def call_class(request: Request, env: Any, ctx: ExecutionContext) -> Any:
            return await maybe_await(cls(ctx, env).fetch(request))

        return call_class
    fetch = getattr(worker, "fetch", None)
    if fetch is not None and callable(fetch) and not inspect.isfunction(worker):

        async def call_instance(request: Request, env: Any, ctx: ExecutionContext) -> Any:
            return await maybe_await(fetch(request))

        return call_instance
    if callable(worker):
        nparams = len(inspect.signature(worker).parameters)

        async def call_function(request: Request, env: Any, ctx: ExecutionContext) -> Any:
            args = (request, env, ctx)[: max(1, min(nparams, 3))]
            return await maybe_await(worker(*args))

        return call_function
    raise TypeError(
        f"serve() needs a Worker class (with async def fetch(self, request)) or a function, "
        f"got {worker!r}."
    )


def worker_name(worker: Any) -> str:
    """A readable name for the Worker (its class or function name)."""
    if isinstance(worker, types.ModuleType):
        worker = getattr(worker, "Default", None) or getattr(worker, "on_fetch", None) or worker
    return getattr(worker, "__qualname__", None) or getattr(worker, "__name__", None) or type(worker).__name__
