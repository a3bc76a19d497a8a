"""Mirror of ``from workers import …`` on Python Workers (the ``workers-runtime-sdk`` package).

It exports what the SDK exports and nothing more (:mod:`wsguide.sdk`). Change
``from wsguide.workers import Response`` to ``from workers import Response``
when you deploy.
"""

from __future__ import annotations

from typing import Any

from . import sdk as _sdk
from .sdk import (
    Blob,
    BlobEnding,
    BlobValue,
    Body,
    Context,
    DurableObject,
    FetchKwargs,
    FetchResponse,
    File,
    FormData,
    FormDataValue,
    Headers,
    JSBody,
    Request,
    RequestInitCfProperties,
    Response,
    WorkerEntrypoint,
    WorkflowEntrypoint,
    fetch,
    handler,
    import_from_javascript,
    patch_env,
    python_from_rpc,
    python_to_rpc,
    waitUntil,
)

__all__ = _sdk.__all__

wait_until = waitUntil


def __getattr__(name: str) -> Any:
    if name == "env":  # the current Worker's bindings, looked up when used
        return _sdk.env
    raise AttributeError(f"module 'workers' has no attribute {name!r}")


del Any
