"""The Python Workers SDK (``from workers import …``), on wsguide's runtime.

What ``workers-runtime-sdk`` 1.9.5 exports, and nothing more: the HTTP classes
(:mod:`~wsguide.sdk.http`), the base classes (:mod:`~wsguide.sdk.entrypoints`),
the RPC conversions (:mod:`~wsguide.sdk.rpc`) and the rest of its names. Where
wsguide does not model something the SDK offers (Workflows, ``FormData``), the
name exists and says so when used (``docs/deviations.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, Protocol, TypedDict

from ..core import isolate as _isolate
from ..core.values import Blob as _JsBlob
from ..ffi.bridge import JsProxy, js2py, unwrap
from .entrypoints import DurableObject, WorkerEntrypoint, WorkflowEntrypoint, handler
from .http import FetchResponse, Request, Response, fetch
from .rpc import EnvWrapper, python_from_rpc, python_to_rpc

__all__ = [
    "Blob",
    "BlobEnding",
    "BlobValue",
    "Body",
    "Context",
    "DurableObject",
    "FetchKwargs",
    "FetchResponse",
    "File",
    "FormData",
    "FormDataValue",
    "Headers",
    "JSBody",
    "Request",
    "RequestInitCfProperties",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "env",
    "fetch",
    "handler",
    "import_from_javascript",
    "patch_env",
    "python_from_rpc",
    "python_to_rpc",
    "waitUntil",
    "wait_until",
]

# Type aliases, as in the SDK's workers/types.py: strings, not classes (Headers({...}) fails).
Headers = "dict[str, str] | list[tuple[str, str]] | js.Headers"
JSBody = "js.Blob | JsBuffer | js.FormData | js.ReadableStream | js.URLSearchParams"
Body = "str | FormData | JSBody"
BlobValue = "str | bytes | js.ArrayBuffer | js.TypedArray | js.DataView | js.Blob | Blob | File"
FormDataValue = "str | js.Blob | Blob"


class Context(Protocol):
    def waitUntil(self, other: Any) -> None: ...


class RequestInitCfProperties(TypedDict, total=False):
    cacheEverything: bool | None
    cacheKey: str | None
    cacheTtl: int


class FetchKwargs(TypedDict, total=False):
    headers: Any
    body: Any
    method: Any
    redirect: str | None
    cf: RequestInitCfProperties | None


class BlobEnding(StrEnum):
    TRANSPARENT = "transparent"
    NATIVE = "native"


class Blob:
    """``workers.Blob(parts, content_type=None)``: binary data; ``js_object`` is the JavaScript Blob."""

    def __init__(self, blob_parts: Any, content_type: str | None = None, endings: Any = None) -> None:
        js = unwrap(blob_parts)
        if isinstance(js, _JsBlob):
            self._js_blob = js
            return
        parts = [blob_parts] if isinstance(blob_parts, (str, bytes)) else list(blob_parts)
        self._js_blob = _JsBlob([unwrap(p) for p in parts], {"type": content_type or ""})

    @property
    def js_object(self) -> JsProxy:
        return js2py(self._js_blob)

    @property
    def size(self) -> int:
        return self._js_blob.size

    @property
    def content_type(self) -> str:
        return self._js_blob.type

    async def bytes(self) -> bytes:
        return await self._js_blob.bytes()

    async def text(self) -> str:
        return await self._js_blob.text()


class _NotModelled:
    """A name the SDK exports that wsguide does not model: using it says so."""

    _what = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"workers.{type(self).__name__} exists on Python Workers, but wsguide does not model "
            f"{self._what}; see docs/deviations.md."
        )


class File(_NotModelled):
    _what = "File objects"


class FormData(_NotModelled):
    _what = "form data"


def _current_env() -> Any:
    return _isolate.current().env


def __getattr__(name: str) -> Any:
    if name == "env":
        return EnvWrapper(js2py(_current_env()))
    if name in ("waitUntil", "wait_until"):
        return waitUntil
    raise AttributeError(f"module 'workers' has no attribute {name!r}")


def waitUntil(awaitable: Any) -> None:
    """Keep ``awaitable`` running after the response is sent (``cloudflare:workers``' waitUntil)."""
    iso = _isolate.current()
    iso.scheduler.spawn(awaitable, lambda exc: _isolate.emit("error", f"Uncaught (in promise) {exc!r}"))


def import_from_javascript(module_name: str) -> Any:
    """``import_from_javascript("cloudflare:workers")``: its ``env`` and ``waitUntil``."""
    if module_name == "cloudflare:workers":

        class CloudflareWorkers:
            env = property(lambda self: js2py(_current_env()))
            waitUntil = staticmethod(waitUntil)

        return CloudflareWorkers()
    raise ImportError(f"Failed to import '{module_name}': wsguide only provides 'cloudflare:workers'.")


@contextmanager
def patch_env(d: Any = None, **kwds: Any) -> Iterator[None]:
    """Set bindings of ``env`` for the duration of a ``with`` block (tests)."""
    env = _current_env()
    updates = dict(d or {}) | kwds
    saved = {k: env.get(k) for k in updates}
    env.update(updates)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
