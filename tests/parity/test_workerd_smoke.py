"""Run every parity scenario once on the real Workers runtime (workerd from npm).

Each run starts its own workerd (≈0.2 s) with tests/parity/js/worker.js under the run's
compatibility date and flags, drives the scenario with tests/parity/driver.py, and checks that
the transcript is well-formed. With ``WSGUIDE_WRITE_GOLDEN=1`` the transcripts are written to
``tests/parity/golden/<run>.json``: those committed files are what the Python twin on wsguide
is compared against.

Needs ``npm ci`` in tests/parity: the ``workerd`` marker (tests/conftest.py) skips these tests
when the binary is missing, or fails them when ``WSGUIDE_REQUIRE_WORKERD=1`` (CI).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

try:  # tests/parity may or may not be a package
    from .driver import DURABLE_OBJECTS, RUNS, SCENARIOS, Run, run_scenario
    from .workerd import JS_DIR, WorkerdError, generate_config, run_workerd, workerd_version
except ImportError:
    from driver import DURABLE_OBJECTS, RUNS, SCENARIOS, Run, run_scenario  # type: ignore[no-redef]
    from workerd import (  # type: ignore[no-redef]
        JS_DIR, WorkerdError, generate_config, run_workerd, workerd_version,
    )


WORKER_JS = JS_DIR / "worker.js"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
WRITE_GOLDEN = os.environ.get("WSGUIDE_WRITE_GOLDEN") == "1"

# Errors workerd raises after the handler returned (while sending the Response, or in a read
# loop) are only visible in its stderr. Wait (bounded) for them so the golden output is whole.
EXPECTED_STDERR = {
    "socket-returned-twice": "Cannot perform I/O on behalf of a different request",
    "socket-returned-after-accept": "Can't return WebSocket in a Response after calling accept().",
    "socket-returned-without-upgrade": "did not contain the header",
    "too-big-message": "Message is too large",
}


def _replace_strings(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace_strings(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _replace_strings(v, old, new) for k, v in value.items()}
    return value


def _workerd_output(lines: dict[str, list[str]], run_id: str) -> list[str]:
    """workerd's own output lines (stderr, and stdout minus the report echo lines)."""
    ours = re.compile(r"^\[" + re.escape(run_id) + r"[^\]]*\] ")
    return [line for line in lines["stdout"] if not ours.match(line)] + lines["stderr"]


def _check_transcript(run: Run, t: dict[str, Any]) -> None:
    assert t, f"{run.name}: empty transcript"
    assert t["scenario"] == run.scenario
    assert isinstance(t["status"], int), f"{run.name}: no HTTP status in {t}"
    assert t["status"] == run.status, f"{run.name}: status {t['status']} != {run.status}: {t}"
    assert isinstance(t["headers"], dict)
    assert isinstance(t["events"], list)
    worker = t["worker"]
    assert isinstance(worker, dict) and worker["done"] is True, f"{run.name}: worker report not done: {worker}"
    assert worker["scenario"] == run.scenario
    assert worker["log"], f"{run.name}: the Worker recorded nothing"
    for entry in worker["log"]:
        assert sum(k in entry for k in ("note", "call", "event")) == 1, f"{run.name}: malformed entry {entry}"
    for entry in t["events"]:
        assert ("event" in entry) != ("action" in entry) or "note" in entry, f"{run.name}: malformed {entry}"
    if t["status"] == 101 and t["events"]:
        assert t["events"][-1]["event"] in ("close", "tcp-closed"), f"{run.name}: client did not see the end: {t['events']}"
    json.dumps(t)  # JSON-serializable


def test_every_scenario_has_a_run_and_a_worker_route() -> None:
    source = WORKER_JS.read_text()
    for name in SCENARIOS:
        assert f'"{name}"(' in source, f"worker.js has no route for scenario {name!r}"
    assert {r.scenario for r in RUNS} == set(SCENARIOS)
    assert len({r.name for r in RUNS}) == len(RUNS)


def test_generated_config_has_the_bindings_the_scenarios_need() -> None:
    text = generate_config(module_name="worker.js", port=8123, compat_date="2026-11-01",
                           flags=["no_web_socket_compression"], durable_objects=DURABLE_OBJECTS)
    assert 'address = "127.0.0.1:8123"' in text
    assert 'compatibilityDate = "2026-11-01"' in text
    assert 'compatibilityFlags = ["no_web_socket_compression"]' in text
    assert 'esModule = embed "worker.js"' in text
    assert '(name = "SELF", service = "main")' in text
    assert '(name = "ROOMS", durableObjectNamespace = "HibernationRoom")' in text
    assert "durableObjectStorage = (inMemory = void)" in text
    assert 'globalOutbound = "main"' in text


@pytest.mark.workerd
async def test_a_worker_that_fails_to_load_is_reported_with_workerd_stderr(tmp_path: Path) -> None:
    broken = tmp_path / "broken.js"
    broken.write_text("export default { fetch( {\n")
    with pytest.raises(WorkerdError, match="SyntaxError"):
        async with run_workerd(broken, startup_timeout=10):
            pass


@pytest.mark.workerd
@pytest.mark.parametrize("run", RUNS, ids=lambda r: r.name)
async def test_scenario_on_workerd(run: Run) -> None:
    async with run_workerd(
        WORKER_JS, compat_date=run.compat_date, flags=run.flags, durable_objects=DURABLE_OBJECTS
    ) as srv:
        mark = srv.mark()
        transcript = await run_scenario(srv, run.scenario, run_id=run.name)
        if run.scenario in EXPECTED_STDERR:
            await srv.wait_for_output(EXPECTED_STDERR[run.scenario], since=mark)
        output = _workerd_output(srv.output_since(mark), run.name)
        port = srv.port
    _check_transcript(run, transcript)
    if WRITE_GOLDEN:
        golden = {
            "run": run.name,
            "config": {"compatibilityDate": run.compat_date, "compatibilityFlags": list(run.flags)},
            "runtime": await workerd_version(),
            **transcript,
            "workerd_output": output,
        }
        golden = _replace_strings(golden, f"127.0.0.1:{port}", "127.0.0.1:PORT")
        GOLDEN_DIR.mkdir(exist_ok=True)
        (GOLDEN_DIR / f"{run.name}.json").write_text(json.dumps(golden, indent=2, ensure_ascii=False) + "\n")
