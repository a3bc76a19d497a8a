"""Calling code that may or may not be ``async``."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["maybe_await"]


async def maybe_await(value: Any) -> Any:
    """``await value`` if it is awaitable (a Worker's ``async def fetch``), else ``value``."""
    if inspect.isawaitable(value):
        return await value
    return value
