"""``wsguide export`` keeps a Worker's behaviour (issue 10): the project it writes, run on real
Pyodide inside real workerd with the real SDK, answers a scripted client exactly as the
original file does under ``wsguide.serve`` on 127.0.0.1.

The host serves the project as written: ``src/entry.py`` with its imports rewritten by export,
the local modules under ``src/``, and the Durable Object bindings and compatibility settings of
its ``wrangler.jsonc``. It cannot serve ``assets/`` (exported.py says why), so the clients use
the Worker's own routes. Normalised before comparing: ports and file paths (as for every
transcript), and the wall-clock times in chat messages.
"""

from __future__ import annotations

import json

import pytest

from .compare import comparable, differences
from .exported import EXPORTED, without_times
from .runner import Recording, record_on_host
from .wsguide_side import record_file_on_wsguide


def _messages(recording: Recording, socket: str | None = None) -> list[str]:
    return [e.get("data", e.get("hex")) for e in recording.client if "message" in e and e.get("socket") == socket]


def _chat(recording: Recording, socket: str) -> list[dict]:
    """The room's JSON messages to one socket (not the auto-response's "pong")."""
    return [json.loads(text) for text in _messages(recording, socket) if text != "pong"]


def _ends(recording: Recording) -> list[tuple]:
    return [(e.get("socket"), e["end"], e.get("code"), e.get("reason")) for e in recording.client if "end" in e]


def _statuses(recording: Recording) -> list[int]:
    return [e["status"] for e in recording.client if "status" in e]


# What each transcript must show, so that two equal transcripts cannot both be a failure.
def _echo_ok(r: Recording) -> None:
    assert _statuses(r) == [426, 101]
    assert _messages(r) == ["hello", "0001feff", ""]
    assert _ends(r) == [(None, "closed", 4000, "bye")]


def _chat_ok(r: Recording) -> None:
    assert _statuses(r) == [404, 426, 400, 101, 101, 101, 101]
    ada, bob = _chat(r, "ada"), _chat(r, "bob")
    assert [m["type"] for m in ada] == ["welcome", "join", "message", "message", "leave"]
    assert ada[0]["members"] == ["Ada"] and ada[0]["history"] == []
    assert _messages(r, "bob")[0] == "pong"
    assert [m["type"] for m in bob] == ["error", "welcome", "message", "message", "error", "error"]
    assert sorted(bob[1]["members"]) == ["Ada", "Bob"] and bob[1]["name"] == "Bob"
    assert _ends(r)[:2] == [("bob", "closed", 1000, "bye"), ("ada", "closed", 1001, "bye")]  # the room's answer
    assert _messages(r, "echo") == ["echo me"] and _messages(r, "bench") == ["fan out"]


def _split_ok(r: Recording) -> None:
    assert _statuses(r) == [426, 101]
    assert _messages(r) == ["LOCAL MODULES!"]
    assert _ends(r) == [(None, "closed", 1000, "done")]


SHOWS = {"exported_echo": _echo_ok, "exported_chat": _chat_ok, "exported_split": _split_ok}


def test_every_exported_example_says_what_it_must_show():
    assert set(SHOWS) == set(EXPORTED)


def test_the_host_is_given_the_project_as_export_wrote_it(exported_workers):
    chat, split = exported_workers["exported_chat"], exported_workers["exported_split"]
    assert chat.spec.source == (chat.project / "src" / "entry.py").read_text(encoding="utf-8")
    assert "from workers import DurableObject, Response, WorkerEntrypoint" in chat.spec.source
    assert chat.config["compatibility_flags"] == ["python_workers"] and chat.spec.flags == ()
    assert dict(chat.spec.durable_objects) == {"ROOMS": "ChatRoom", "BENCH": "BenchRoom"}
    assert chat.assets == ["assets/index.html"]  # written, but not served by the host
    assert sorted(split.spec.modules) == ["shout_rooms/__init__.py", "shout_rooms/room.py", "shout_texts.py"]
    assert split.spec.modules["shout_rooms/room.py"].startswith("from js import WebSocketPair\nfrom workers import")


@pytest.mark.pyodide
@pytest.mark.parametrize("name", EXPORTED)
async def test_exported_worker_on_python_workers_behaves_as_the_original_under_wsguide(
    pyodide_host, exported_workers, name
):
    worker = exported_workers[name]
    assert worker.error is None, worker.error
    real = await record_on_host(pyodide_host, name, worker.example.client)
    ours = await record_file_on_wsguide(worker.example.source, worker.example.client)
    if worker.example.times:
        real, ours = without_times(real), without_times(ours)
    assert real.load_error is None, real.load_error
    assert [e for e in real.log if e["level"] in ("uncaught", "error")] == []
    SHOWS[name](real)
    diffs = differences(comparable(real), comparable(ours))
    assert diffs == {}, f"{name}: the export on real Python Workers differs from the original on wsguide:\n" + json.dumps(
        {k: {"exported, real": a, "original, wsguide": b} for k, (a, b) in diffs.items()}, indent=1, ensure_ascii=False
    )
