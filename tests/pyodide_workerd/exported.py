"""Workers exported with the real ``wsguide export``, served on the Pyodide host from the project.

    worker = export_for_host(EXPORTED["exported_chat"], tmp / "chat")
    worker.spec      # WorkerSpec: the project's src/entry.py, the local modules under src/, and
                     # the Durable Object bindings, compatibility date and flags of its wrangler.jsonc

Each entry of :data:`EXPORTED` is a Worker of the kit (or of this folder's ``apps/``) and the
scripted client the test runs against both sides: the exported project on real Pyodide inside
workerd, and the original file under ``wsguide.serve`` (as ``wsguide dev`` serves it).

What the host does differently from Cloudflare, and so what the clients avoid:

* **No static assets.** Cloudflare (and ``wrangler dev``) answer a request for a file of
  ``assets/`` before the Worker runs, with an asset service of their own; workerd alone has
  none, and the host is a plain workerd config. So the project's ``assets/`` are listed here
  (``ExportedWorker.assets``) but not served: the clients use the Worker's own routes only
  (``tests/export`` checks the copied files and wrangler's dry run reads them).
* **No** ``python_workers`` **flag.** wrangler.jsonc sets it so that ``main`` is loaded as
  Python; the host is a JavaScript Worker that loads Pyodide itself (with the flag, workerd
  would try to download its own Pyodide bundle). Every other flag is passed on.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsguide.export import ExportError, export

from .harness import WorkerSpec
from .runner import Recording
from .scenarios._registry import Client
from .transcript import Recorder

__all__ = ["EXPORTED", "Example", "ExportedWorker", "export_all", "export_for_host", "without_times"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _load_jsonc() -> Any:
    # tests/export/jsonc.py reads wrangler.jsonc as wrangler does; a plain file, loaded by path.
    spec = importlib.util.spec_from_file_location("wsguide_tests_jsonc", ROOT / "tests" / "export" / "jsonc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


jsonc = _load_jsonc()

HOST_ONLY_FLAGS = ("python_workers",)


@dataclass(frozen=True)
class Example:
    """A Worker file to export, and the client that drives it."""

    source: Path
    client: Client
    times: bool = False  # its messages carry wall-clock times ("ts"), normalised before comparing


@dataclass
class ExportedWorker:
    """One export: the project written, the spec the host serves it with, or why it failed."""

    name: str
    example: Example
    project: Path
    spec: WorkerSpec | None = None
    config: dict[str, Any] = field(default_factory=dict)
    assets: list[str] = field(default_factory=list)  # written to assets/, not served by the host
    error: str | None = None


def export_for_host(name: str, example: Example, outdir: Path, *, force: bool = False) -> ExportedWorker:
    """Export ``example.source`` into ``outdir`` with ``wsguide export`` (``--force``: despite the
    checker's findings) and read the project back as a WorkerSpec named ``name``. An export that
    fails is returned with its ``error`` (so one broken export fails its own test, not the host
    every pyodide test shares)."""
    worker = ExportedWorker(name, example, outdir)
    try:
        export(example.source, outdir, force=force)
    except ExportError as exc:
        worker.error = f"wsguide export {example.source} stopped: {exc}"
        return worker
    config = jsonc.loads((outdir / "wrangler.jsonc").read_text(encoding="utf-8"))
    main = outdir / config["main"]
    src = main.parent
    modules = {
        path.relative_to(src).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(src.rglob("*.py"))
        if path != main
    }
    bindings = {b["name"]: b["class_name"] for b in config.get("durable_objects", {}).get("bindings", [])}
    worker.config = config
    worker.assets = sorted(p.relative_to(outdir).as_posix() for p in (outdir / "assets").rglob("*") if p.is_file())
    worker.spec = WorkerSpec(
        name,
        main.read_text(encoding="utf-8"),
        compat_date=config["compatibility_date"],
        flags=tuple(f for f in config["compatibility_flags"] if f not in HOST_ONLY_FLAGS),
        durable_objects=bindings,
        modules=modules,
    )
    return worker


_TS = re.compile(r'"ts": \d+')


def without_times(recording: Recording) -> Recording:
    """The recording with every ``"ts": <milliseconds>`` in a message replaced by ``"ts": <ts>``."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return _TS.sub('"ts": "<ts>"', value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    return Recording(recording.load_error, clean(recording.client), recording.log)


# ------------------------------------------------------------------ the scripted clients


async def echo_client(t: Recorder) -> None:
    """The guide's echo: refuse a plain GET; echo text, binary and empty text; close with a code."""
    await t.fetch("/")
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.send(b"\x00\x01\xfe\xff")
    await ws.recv()
    await ws.send("")
    await ws.recv()
    await ws.close(4000, "bye")


ROOM = "/api/room/lobby/websocket"


async def chat_client(t: Recorder) -> None:
    """Two people in a room: join, hear each other, see join and leave, get the room's errors."""
    await t.fetch("/api/room/lobby/elsewhere")
    await t.fetch(ROOM)
    await t.fetch("/api/room/no%20spaces/websocket", headers={"Upgrade": "websocket"})
    ada = await t.websocket(ROOM, label="ada")
    await ada.send('{"name": "Ada"}')
    await ada.recv()  # welcome: only Ada, no history
    bob = await t.websocket(ROOM, label="bob")
    await bob.send("ping")
    await bob.recv()  # "pong", from the auto-response
    await bob.send('{"text": "too early"}')
    await bob.recv()  # error: join first
    await bob.send('{"name": "  Bob  "}')
    await bob.recv()  # welcome: Ada and Bob
    await ada.recv()  # Bob joined
    await ada.send('{"text": "hello Bob"}')
    await ada.recv()  # the message, to the sender too
    await bob.recv()
    await bob.send('{"text": "hi Ada"}')
    await bob.recv()
    await ada.recv()
    await bob.send("not json")
    await bob.recv()  # error: JSON objects only
    await bob.send(b"\x01\x02")
    await bob.recv()  # error: text only
    await bob.close(1000, "bye")
    await ada.recv()  # Bob left
    await ada.close(1001, "going away")
    # The Worker's other routes: its own echo, and the benchmark room (another Durable Object class).
    echo = await t.websocket("/echo", label="echo")
    await echo.send("echo me")
    await echo.recv()
    await echo.close(1000, "")
    bench = await t.websocket("/room/bench", label="bench")
    await bench.send("fan out")
    await bench.recv()
    await bench.close(1000, "")


async def split_client(t: Recorder) -> None:
    """The Worker whose Durable Object and words live in local modules."""
    await t.fetch("/")
    ws = await t.websocket("/")
    await ws.send("local modules")
    await ws.recv()
    await ws.close(1000, "done")


EXPORTED: dict[str, Example] = {
    "exported_echo": Example(ROOT / "examples" / "echo.py", echo_client),
    "exported_chat": Example(ROOT / "examples" / "chat" / "worker.py", chat_client, times=True),
    "exported_split": Example(HERE / "apps" / "split" / "worker.py", split_client),
}


def export_all(base: Path) -> dict[str, ExportedWorker]:
    """Every example of :data:`EXPORTED`, exported into its own folder under ``base``."""
    return {name: export_for_host(name, example, base / name) for name, example in EXPORTED.items()}
