"""Run a parity scenario on wsguide and compare it with workerd's golden transcript.

    t = await run_on_wsguide(run)          # the driver against wsguide.serve(py/worker.py)
    diffs = diff(golden(run), t)           # {path: (workerd value, wsguide value)}
    outcome = await compare(run)           # status "equal" | "expected difference" | "failing"

Both transcripts are normalized the same way (:func:`normalize`): the golden file's own
metadata (``run``, ``config``, ``runtime``) and ``workerd_output`` (workerd's stderr; wsguide
writes the same errors to its Worker log) are dropped, as are the ``Server``/``Date`` headers
(the driver already drops them), port numbers and ``Sec-WebSocket-Accept`` values (random). Report entries that the Worker recorded after
it marked the scenario done carry ``afterDone`` on both sides; the flag is dropped and the
entries are compared like any other, loosely at the end of a report: workerd's trailing late
entries that wsguide's shorter report does not have are not asked for (a late entry lands in a
report only if it came before the driver fetched it; findings F1).

Lists of entries (``events``, ``log``, ``target``) are aligned with difflib, so one missing
or extra entry is one difference: ``worker.log[-7]`` is golden entry 7 with nothing matching
it on wsguide, ``worker.log[+7]`` is wsguide entry 7 with nothing matching it in the golden file.

:data:`EXPECTED` lists the deliberate deviations (docs/deviations.md): per run, the reason and
the exact differences. A run is "equal" when there is no difference, "expected difference"
when the differences are exactly the listed ones, and "failing" otherwise.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .driver import RUNS, Run, run_scenario

PARITY_DIR = Path(__file__).resolve().parent
GOLDEN_DIR = PARITY_DIR / "golden"
ABSENT = "<absent>"

_DROP_TOP = ("run", "config", "runtime", "workerd_output")
_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d+")

__all__ = ["ABSENT", "EXPECTED", "GOLDEN_DIR", "Outcome", "compare", "diff", "golden", "normalize",
           "run_on_wsguide"]


def golden(run: Run) -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / f"{run.name}.json").read_text())


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _PORT.sub(r"\1:PORT", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: "<accept>" if k == "sec-websocket-accept" else _clean(v)
                for k, v in value.items() if k != "afterDone"}
    return value


def normalize(transcript: dict[str, Any]) -> dict[str, Any]:
    """What is compared: the transcript minus runtime metadata, ports and ``afterDone``."""
    t = {k: v for k, v in transcript.items() if k not in _DROP_TOP}
    for dest in [t, *(t.get("more") or {}).values()]:
        headers = dest.get("headers")
        if isinstance(headers, dict):
            dest["headers"] = {k: v for k, v in headers.items() if k not in ("server", "date")}
    return _clean(t)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _diff(a: Any, b: Any, path: str, out: dict[str, tuple[Any, Any]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{k}" if path else k
            if k not in b:
                out[sub] = (a[k], ABSENT)
            elif k not in a:
                out[sub] = (ABSENT, b[k])
            else:
                _diff(a[k], b[k], sub, out)
        return
    if isinstance(a, list) and isinstance(b, list):
        matcher = difflib.SequenceMatcher(a=[_key(x) for x in a], b=[_key(x) for x in b], autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            if op == "replace" and i2 - i1 == j2 - j1:
                for i, j in zip(range(i1, i2), range(j1, j2)):
                    _diff(a[i], b[j], f"{path}[{i}]", out)
                continue
            for i in range(i1, i2):
                out[f"{path}[-{i}]"] = (a[i], ABSENT)
            for j in range(j1, j2):
                out[f"{path}[+{j}]"] = (ABSENT, b[j])
        return
    if a != b or type(a) is not type(b):
        out[path] = (a, b)


def _late(log: list[dict[str, Any]]) -> int:
    """How many entries at the end of ``log`` carry ``afterDone``."""
    n = 0
    while n < len(log) and log[len(log) - 1 - n].get("afterDone"):
        n += 1
    return n


def _trim_late(workerd: dict[str, Any], wsguide: dict[str, Any]) -> dict[str, Any]:
    """Entries recorded after ``done`` are in a report only if they happened before the driver
    fetched it (js/worker.js). When wsguide's report is shorter than workerd's by some of
    workerd's late entries, those are not asked for; everything else is compared as usual."""
    workerd = json.loads(json.dumps(workerd))
    pairs = [(workerd.get("worker"), wsguide.get("worker"))]
    for label, sub in (workerd.get("more") or {}).items():
        pairs.append((sub.get("worker"), ((wsguide.get("more") or {}).get(label) or {}).get("worker")))
    for w, p in pairs:
        if not isinstance(w, dict) or not isinstance(p, dict):
            continue
        wlog, plog = w.get("log") or [], p.get("log") or []
        if len(wlog) - _late(wlog) <= len(plog) < len(wlog):
            del wlog[len(plog):]  # only late entries go; the diff still compares the rest
    return workerd


def diff(workerd: dict[str, Any], wsguide: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{path: (workerd value, wsguide value)}`` for every difference after :func:`normalize`."""
    out: dict[str, tuple[Any, Any]] = {}
    _diff(normalize(_trim_late(workerd, wsguide)), normalize(wsguide), "", out)
    return out


async def run_on_wsguide(run: Run, *, timeout: float = 60.0) -> dict[str, Any]:
    """Serve tests/parity/py/worker.py with the run's configuration; drive the scenario."""
    import wsguide

    from .py import worker

    worker.reset()
    async with wsguide.serve(
        worker.Default,
        compatibility_date=run.compat_date,
        compatibility_flags=run.flags,
        durable_objects={"ROOMS": worker.HibernationRoom},
        persist=False,
        echo_log=False,
        pyodide=False,  # the twin of a JavaScript Worker: no Pyodide boundary
    ) as srv:
        return await run_scenario(srv.url, run.scenario, run_id=run.name, timeout=timeout)


@dataclass
class Outcome:
    run: Run
    status: str  # "equal" | "expected difference" | "failing"
    reason: str = ""
    diffs: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    unexpected: dict[str, Any] = field(default_factory=dict)


def judge(run: Run, diffs: dict[str, tuple[Any, Any]]) -> Outcome:
    expected = EXPECTED.get(run.name)
    if not diffs and expected is None:
        return Outcome(run, "equal")
    want = expected.diffs if expected is not None else {}
    if expected is not None and _key(_listify(diffs)) == _key(_listify(want)):
        return Outcome(run, "expected difference", expected.reason, diffs)
    unexpected = {}
    for path in sorted(set(diffs) | set(want)):
        got = diffs.get(path, "<no difference>")
        exp = want.get(path, "<no difference>")
        if _key(_listify(got)) != _key(_listify(exp)):
            unexpected[path] = {"diff now": got, "expected diff": exp}
    return Outcome(run, "failing", expected.reason if expected else "", diffs, unexpected)


def _listify(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_listify(v) for v in value]
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_listify(v) for v in value]
    return value


async def compare(run: Run) -> Outcome:
    return judge(run, diff(golden(run), await run_on_wsguide(run)))


# ── deliberate deviations (docs/deviations.md), with their exact differences ─────────────────


@dataclass(frozen=True)
class Expected:
    reason: str  # one line, shown in docs/parity.md
    diffs: dict[str, tuple[Any, Any]]


def _seen_by_target(*indices: int, version: bool = True) -> dict[str, tuple[Any, Any]]:
    """The handshake headers the ``/_target`` route sees: none through workerd's in-process
    service binding / globalOutbound (findings F7), the real ones over wsguide's loopback."""
    out: dict[str, tuple[Any, Any]] = {}
    for i in indices:
        out[f"worker.target[{i}].headers.connection"] = (None, "Upgrade")
        out[f"worker.target[{i}].headers.sec-websocket-version"] = (None, "13")
        out[f"worker.target[{i}].headers.sec-websocket-key present"] = (False, True)
    return out


LOOPBACK = ("SELF / globalOutbound: workerd connects in-process without a handshake (no Connection, "
            "Sec-WebSocket-Key, -Version reach the target); wsguide's fetch()/WebSocket() make a real "
            "loopback handshake (deviation 15)")
IO_ERROR = ("Error: Cannot perform I/O on behalf of a different request. I/O objects (such as streams, "
            "request/response bodies, and others) created in the context of one request handler cannot be "
            "accessed from a different request's handler. This is a limitation of Cloudflare Workers which "
            "allows us to improve overall performance. (I/O type: Native)")
ATTACHMENT = "Error: A WebSocket 'attachment' cannot be larger than 16384 bytes.'attachment' was {} bytes."

EXPECTED: dict[str, Expected] = {
    "socket-returned-twice": Expected(
        "workerd forbids touching a WebSocket from another request (I/O error, then 500); wsguide has no "
        "per-request I/O context: the end is released, so accept() and returning it fail as after a "
        "return in the same request (deviation 18)", {
            "more.phase-2.status": (500, 101),
            "more.phase-2.statusText": ("Internal Server Error", "Switching Protocols"),
            "more.phase-2.headers.connection": ("close", "Upgrade"),
            "more.phase-2.headers.content-length": ("21", ABSENT),
            "more.phase-2.headers.upgrade": (ABSENT, "websocket"),
            "more.phase-2.body": ("Internal Server Error", None),
            "more.phase-2.worker.log[1].ok": (False, True),
            "more.phase-2.worker.log[1].error": (IO_ERROR, ABSENT),
            "more.phase-2.worker.log[1].errorClass": ("Error", ABSENT),
            "more.phase-2.worker.log[1].value": (ABSENT, 1),
            "more.phase-2.worker.log[2].error": (IO_ERROR, "TypeError: Can't accept() WebSocket that was already "
                                                           "used in a response."),
            "more.phase-2.worker.log[2].errorClass": ("Error", "TypeError"),
            "more.phase-2.subprotocol": (ABSENT, None),
            "more.phase-2.extensions": (ABSENT, None),
            "more.phase-2.events": (ABSENT, [{"action": "close", "code": 1000, "reason": "bye"},
                                             {"event": "tcp-closed"}]),
        }),
    "fetch-extensions-empty": Expected(LOOPBACK, _seen_by_target(0, 1, 2)),
    "fetch-extensions-empty--no-compression": Expected(LOOPBACK, _seen_by_target(0, 1, 2)),
    "fetch-upgrade": Expected(LOOPBACK, _seen_by_target(0)),
    "fetch-upgrade-refused": Expected(LOOPBACK, _seen_by_target(0, 1)),
    "new-websocket-from-worker": Expected(LOOPBACK, _seen_by_target(0, 1)),
    "new-websocket-from-worker--no-compression": Expected(LOOPBACK, _seen_by_target(0, 1)),
    "fetch-upgrade-proxy": Expected(
        "a 101 through workerd's service binding has only the target's own headers; wsguide's loopback "
        "101 has the handshake headers (deviation 15)", {
            "worker.log[1].value.connection": (ABSENT, "Upgrade"),
            "worker.log[1].value.sec-websocket-accept": (ABSENT, "<accept>"),
            "worker.log[1].value.upgrade": (ABSENT, "websocket"),
        }),
}

RUN_NAMES = [r.name for r in RUNS]
