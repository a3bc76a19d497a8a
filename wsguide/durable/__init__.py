"""Durable Objects: one instance per id, storage, and the WebSocket Hibernation API.

This layer sits above the server and plugs into it as ``env`` bindings
(:func:`namespace_bindings`); the server does not know Durable Objects.

* :mod:`~wsguide.durable.namespace` — ``env.ROOMS``: ids, stubs;
* :mod:`~wsguide.durable.host` — one object: its event queue (input gate),
  instance, sockets, hibernation timer;
* :mod:`~wsguide.durable.state` — ``ctx``: the Hibernation API and its limits;
* :mod:`~wsguide.durable.storage` — ``ctx.storage``: key-value on SQLite, and
  :mod:`~wsguide.durable.sql` — ``ctx.storage.sql``;
* :mod:`~wsguide.durable.databases` — how many database files stay open;
* :mod:`~wsguide.durable.folder_lock` — one process per persistence folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..sdk.entrypoints import DurableObject
from .folder_lock import FolderLocked
from .host import HibernationBlocked
from .namespace import DurableObjectId, DurableObjectNamespace, DurableObjectStub
from .state import DurableObjectState, WebSocketRequestResponsePair
from .storage import DurableObjectStorage

__all__ = [
    "DurableObject",
    "DurableObjectId",
    "DurableObjectNamespace",
    "DurableObjectState",
    "DurableObjectStorage",
    "DurableObjectStub",
    "FolderLocked",
    "HibernationBlocked",
    "WebSocketRequestResponsePair",
    "namespace_bindings",
]


def namespace_bindings(
    classes: Mapping[str, type], *, persist: Any = None, hibernate_after: float | bool | None = None
) -> dict[str, Any]:
    """Binding factories for ``Server(bindings=...)``: one namespace per ``{"ROOMS": ChatRoom}`` entry."""

    def factory(binding: str, cls: type) -> Any:
        return lambda server: DurableObjectNamespace(
            cls, server=server, binding=binding, persist=persist, hibernate_after=hibernate_after
        )

    return {binding: factory(binding, cls) for binding, cls in classes.items()}
