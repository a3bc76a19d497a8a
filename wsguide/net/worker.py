"""How the server calls a Worker, as workerd's Python entry point does: through the SDK and the boundary.

The runtime's own objects are JavaScript ones (a :class:`wsguide.http.Request`,
the ``ctx``, ``env``); a Python Worker sees them as Python Workers do:
``Default(ctx, env)`` with ``ctx``/``env`` proxied (the SDK wraps ``env``),
``fetch(request)`` with the SDK's :class:`~wsguide.sdk.http.Request`, and what
it returns — a ``workers.Response`` or a ``js.Response`` — becomes the runtime's
Response again. A Worker may also be a module defining ``Default`` (what
``wsguide dev`` loads), or a legacy ``on_fetch(request, env, ctx)`` function.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Awaitable, Callable
from typing import Any

from ..core import isolate as _isolate
from ..core.calls import maybe_await
from ..core.errors import JsTypeError
from ..core.jsapi import JsInterface
from ..ffi.bridge import js2py, unwrap
from ..http import Request, Response
from ..sdk.http import FetchResponse
from ..sdk.http import Request as SdkRequest

__all__ = ["Env", "ExecutionContext", "WorkerCall", "resolve_worker", "response_of", "worker_name"]

WorkerCall = Callable[[Request, Any, "ExecutionContext"], Awaitable[Response]]

MSG_NOT_A_RESPONSE = "Incorrect type for Promise: the Promise did not resolve to 'Response'."


class ExecutionContext:
    """``self.ctx`` of a Worker: ``waitUntil`` keeps work going after the response."""

    __js__ = JsInterface("ExecutionContext", methods=("waitUntil", "passThroughOnException"))

    def __init__(self, track: Callable[[asyncio.Future[Any]], None] | None = None) -> None:
        self._track = track

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:
        """Run ``awaitable`` to completion even after ``fetch`` has returned."""
        awaitable = getattr(awaitable, "obj", awaitable)  # a coroutine passed from Python (a PyProxy)
        task = asyncio.ensure_future(awaitable)
        if self._track is not None:
            self._track(task)

    def passThroughOnException(self) -> None:
        """Accepted for compatibility; there is no origin to fall back to locally."""


class Env(dict):  # type: ignore[type-arg]
    """``env``: a JavaScript object of the Worker's bindings (``env.ROOMS``, or ``env["ROOMS"]``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def response_of(value: Any) -> Response:
    """The runtime's Response behind what a Worker returned, or workerd's TypeError."""
    if isinstance(value, FetchResponse):
        return value.js_response
    js = unwrap(value)
    if isinstance(js, Response):
        return js
    raise JsTypeError(MSG_NOT_A_RESPONSE)


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

        async def call_class(request: Request, env: Any, ctx: ExecutionContext) -> Response:
            if not _isolate.current().pyodide:  # a JavaScript Worker's twin: no boundary
                return response_of(await maybe_await(cls(ctx, env).fetch(request)))
            instance = cls(js2py(ctx), js2py(env))
            result = instance.fetch(SdkRequest(js2py(request)))
            if inspect.isawaitable(result):  # maybe_await, inline: this runs for every request
                result = await result
            return response_of(result)

        return call_class
    fetch = getattr(worker, "fetch", None)
    if fetch is not None and callable(fetch) and not inspect.isfunction(worker):

        async def call_instance(request: Request, env: Any, ctx: ExecutionContext) -> Response:
            return response_of(await maybe_await(fetch(SdkRequest(js2py(request)))))

        return call_instance
    if callable(worker):
        nparams = len(inspect.signature(worker).parameters)

        async def call_function(request: Request, env: Any, ctx: ExecutionContext) -> Response:
            args = (SdkRequest(js2py(request)), js2py(env), js2py(ctx))[: max(1, min(nparams, 3))]
            return response_of(await maybe_await(worker(*args)))

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
