"""Fixtures for the chat example: the Worker module and a running server."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsguide import serve
from wsguide.workerfile import load_worker_module

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chat" / "worker.py"


@pytest.fixture(scope="session")
def chat_module():
    return load_worker_module(EXAMPLE)


@pytest.fixture
async def chat_server(chat_module):
    async with serve(chat_module, durable_objects=chat_module.DURABLE_OBJECTS, persist=False,
                     echo_log=False) as srv:
        yield srv
