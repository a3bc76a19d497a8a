"""Unit tests of the core: each test runs in a fresh isolate, with no event loop.

A sync test gets an isolate whose scheduler is a :class:`ManualScheduler`:
nothing is delivered until the test calls ``drain()``. An ``async`` test gets
one on the running event loop, as a Worker does.
"""

from __future__ import annotations

import inspect

import pytest

import wsguide  # noqa: F401 - installs the event-loop scheduler and network, as a learner's import does
from wsguide.core.isolate import Isolate, ManualScheduler
from wsguide.core.log import WorkerLog
from wsguide.core.websocket import WebSocket


class RecordingNetwork:
    """An isolate's network that records ``WebSocket(url)`` sockets instead of connecting."""

    def __init__(self) -> None:
        self.started: list[WebSocket] = []
        self.cancelled: list[WebSocket] = []

    def connect_websocket(self, ws: WebSocket):
        self.started.append(ws)
        return lambda: self.cancelled.append(ws)


@pytest.fixture
def worker_log() -> WorkerLog:
    """The log of the test's isolate: what ``emit()`` and listeners' errors write."""
    return WorkerLog(echo=None)


@pytest.fixture
def network() -> RecordingNetwork:
    return RecordingNetwork()


@pytest.fixture(autouse=True)
def isolate(request, worker_log):
    """The isolate the test's sockets are made in (entered for the whole test).

    Its network is the real one, unless the test asks for ``connects``.
    """
    is_async = inspect.iscoroutinefunction(getattr(request, "function", None))
    scheduler = None if is_async else ManualScheduler()
    network = request.getfixturevalue("network") if "connects" in request.fixturenames else None
    iso = Isolate(log=worker_log, scheduler=scheduler, network=network, name="test")
    with iso.entered():
        yield iso


@pytest.fixture
def connects(network) -> list[WebSocket]:
    """``WebSocket(url)`` records itself here and opens nothing."""
    return network.started


@pytest.fixture(params=[0, 1], ids=["client", "server"])
def end(request) -> int:
    """Which end of a pair a symmetric rule is checked on."""
    return request.param
