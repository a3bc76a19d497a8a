"""Unit-test isolation: no pending deliveries or compat context leak between tests."""

from __future__ import annotations

import pytest

import wsguide  # noqa: F401 - installs the outbound connector, as a learner's import does
from wsguide import compat as _compat
from wsguide import websocket as _websocket
from wsguide.log import WorkerLog, current_log


@pytest.fixture(autouse=True)
def _isolated_state():
    _websocket._pending.clear()
    token = _compat.current.set(None)
    yield
    _websocket._pending.clear()
    _compat.current.reset(token)


@pytest.fixture
def worker_log():
    """A fresh Worker log that ``emit()`` writes to during the test."""
    log = WorkerLog(echo=None)
    token = current_log.set(log)
    yield log
    current_log.reset(token)


@pytest.fixture
def connects(monkeypatch):
    """Replace the outbound connector: ``WebSocket(url)`` records itself, opens nothing."""
    started: list[_websocket.WebSocket] = []
    monkeypatch.setattr(_websocket, "_connector", started.append)
    return started


@pytest.fixture(params=[0, 1], ids=["client", "server"])
def end(request) -> int:
    """Which end of a pair a symmetric rule is checked on."""
    return request.param
