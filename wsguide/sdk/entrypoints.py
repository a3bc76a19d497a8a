"""``WorkerEntrypoint`` and ``DurableObject``: the classes a Python Worker extends.

As in the SDK (``workers/entrypoints.py``), a subclass's ``__init__`` gets its
arguments wrapped before it runs: ``env`` becomes a wrapper whose bindings take
Python values (``self.env.ROOMS.getByName(name)``), and a Durable Object's
``ctx`` becomes a :class:`DurableObjectContext`, whose ``storage`` converts
like RPC. The runtime then calls the methods by name: ``fetch``, the
hibernation hooks, and any other public method as RPC.
"""

from __future__ import annotations

import functools
from typing import Any

from ..ffi.bridge import JsProxy
from .rpc import BindingWrapper, EnvWrapper, js_class_name

__all__ = ["DurableObject", "DurableObjectContext", "WorkerEntrypoint", "WorkflowEntrypoint", "handler"]


class DurableObjectContext:
    """``self.ctx`` of a Durable Object: the runtime's ``DurableObjectState``, with ``storage``
    wrapped so it takes Python values."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._ctx, name)
        if js_class_name(value) == "DurableObjectStorage":
            value = BindingWrapper(value)
        self.__dict__[name] = value
        return value


def _wrap_init(cls: type) -> None:
    """Wrap ``cls.__init__`` (if it defines one) so it gets wrapped ``ctx`` and ``env``."""
    original = cls.__dict__.get("__init__")
    if original is None or getattr(original, "_wsguide_wrapped", False):
        return

    durable = issubclass(cls, DurableObject)

    @functools.wraps(original)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        args_list = list(args)
        if args_list and durable and not isinstance(args_list[0], DurableObjectContext):
            args_list[0] = DurableObjectContext(args_list[0])
        if len(args_list) > 1 and not isinstance(args_list[1], EnvWrapper) and _is_js(args_list[1]):
            args_list[1] = EnvWrapper(args_list[1])
        original(self, *args_list, **kwargs)

    init._wsguide_wrapped = True  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[misc]


def _is_js(value: Any) -> bool:
    return isinstance(value, JsProxy)  # what has a constructor.name (js_class_name is not None)


class WorkerEntrypoint:
    """Base class of a Worker: define ``async def fetch(self, request)``; ``self.env``, ``self.ctx``."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _wrap_init(cls)


class DurableObject:
    """Base class of a Durable Object: ``self.ctx`` (its state and storage) and ``self.env``.

    Define ``async def fetch(self, request)`` for requests (and WebSocket
    upgrades), the hibernation hooks ``webSocketMessage``, ``webSocketClose``,
    ``webSocketError``, and any public method to call by RPC.
    """

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _wrap_init(cls)


class WorkflowEntrypoint:
    """Base class of a Workflow. Exported as the SDK exports it; wsguide does not run Workflows."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


for _cls in (WorkerEntrypoint, DurableObject):
    _wrap_init(_cls)


def handler(func: Any) -> Any:
    """The legacy ``@handler`` decorator of module-level ``on_fetch`` (off since 2025-08-14)."""
    return func
