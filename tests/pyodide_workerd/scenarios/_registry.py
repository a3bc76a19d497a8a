"""The Scenario record and the registry every topic module adds to."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..harness import DEFAULT_COMPAT_DATE
from ..transcript import Recorder

Client = Callable[[Recorder], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str  # a Python identifier; also the golden file's name
    rule: str  # the boundary rule, in a sentence
    shows: str  # "success" (the way that works) or "failure" (the mistake and what it does)
    worker: str  # the Worker's source: a Python Workers module, real imports only
    client: Client
    compat_date: str = DEFAULT_COMPAT_DATE
    flags: tuple[str, ...] = ()
    entrypoint: str = "Default"


SCENARIOS: dict[str, Scenario] = {}

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def scenario(name: str, *, rule: str, shows: str, worker: str, **options) -> Callable[[Client], Client]:
    """Register the decorated client under ``name`` with its Worker."""
    if not _NAME.fullmatch(name) or name in SCENARIOS:
        raise ValueError(f"bad or duplicate scenario name {name!r}")
    if shows not in ("success", "failure"):
        raise ValueError(f"{name}: shows must be 'success' or 'failure'")

    def register(client: Client) -> Client:
        SCENARIOS[name] = Scenario(name, rule, shows, worker.lstrip("\n"), client, **options)
        return client

    return register
