"""Every boundary scenario replayed on wsguide, with only the Worker's imports changed, matches
what real Python Workers did (golden/*.json, recorded from Pyodide inside workerd).

Needs no workerd: the goldens are committed. Two kinds of difference are allowed, each named:

* the import names themselves (``wsguide.ffi`` for ``pyodide.ffi`` …) — the one change a
  Worker needs, so the texts are compared with wsguide's names mapped back;
* wsguide's own hints in the Worker's log (``[wsguide hint] …``), which real Workers do not
  print and a learner should see (issue 9), are left out of the comparison;
* the deviations in :data:`EXPECTED`, each asserted exactly (docs/deviations.md).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .runner import read_golden
from .scenarios import SCENARIOS
from .wsguide_side import run_on_wsguide

# What the mirror's import names change in a text, mapped back to the real ones.
RENAMED = (
    ("wsguide.sdk.http.AbortError", "pyodide.http._exceptions.AbortError"),
    ("wsguide.ffi.", "pyodide.ffi."),
    ("from wsguide.workers import", "from workers import"),
    ("from 'wsguide.workers'", "from 'workers'"),
    ("from wsguide.js import", "from js import"),
    ("from wsguide.ffi import", "from pyodide.ffi import"),
)

#: Deliberate differences: scenario → (reason, {path: (real value, wsguide value)}).
EXPECTED: dict[str, tuple[str, dict[str, tuple[Any, Any]]]] = {
    "console_log_python_objects": (
        "console.log of a Python object: workerd prints Node's inspection of the PyProxy (its internal "
        "fields); wsguide prints the object's str() (docs/deviations.md)",
        {
            "log[1].text": ("<PyProxy inspection>", "a dict: {'a': 1}"),
            "log[2].text": ("<PyProxy inspection>", "a list: [1, 2]"),
            "log[3].text": ("<PyProxy inspection>", "bytes: b'hi'"),
        },
    ),
    "socket_identity": (
        "the text of Python's own TypeError for an unhashable key differs between Python 3.14 (Pyodide "
        "314) and the Python wsguide runs on; both refuse",
        {"client[2].data": ("<Python 3.14 wording>", "<the local wording>")},
    ),
}


def _renamed(value: Any) -> Any:
    if isinstance(value, str):
        for ours, theirs in RENAMED:
            value = value.replace(ours, theirs)
        return value
    if isinstance(value, list):
        return [_renamed(v) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v) for k, v in value.items()}
    return value


def comparable(transcript: dict[str, Any]) -> dict[str, Any]:
    """What is compared: the client, the log (without wsguide's hints) and the load error."""
    log = [line for line in transcript["log"] if not line["text"].startswith("[wsguide hint]")]
    return _renamed({"load_error": transcript["load_error"], "client": transcript["client"], "log": log})


def differences(real: Any, ours: Any, path: str = "") -> dict[str, tuple[Any, Any]]:
    if isinstance(real, dict) and isinstance(ours, dict):
        out: dict[str, tuple[Any, Any]] = {}
        for key in sorted(set(real) | set(ours)):
            out |= differences(real.get(key), ours.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(real, list) and isinstance(ours, list) and len(real) == len(ours):
        out = {}
        for i, (a, b) in enumerate(zip(real, ours)):
            out |= differences(a, b, f"{path}[{i}]")
        return out
    return {} if real == ours else {path: (real, ours)}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_wsguide_behaves_as_python_workers(name: str) -> None:
    real = comparable(read_golden(name))
    ours = comparable(await run_on_wsguide(SCENARIOS[name]))
    diffs = differences(real, ours)
    reason, expected = EXPECTED.get(name, ("", {}))
    assert set(diffs) == set(expected), (
        f"{name}: wsguide differs from real Python Workers"
        + (f" (expected only: {reason})" if reason else "")
        + ":\n" + json.dumps({k: {"real": a, "wsguide": b} for k, (a, b) in diffs.items()}, indent=1, ensure_ascii=False)
    )
    for path, (_, ours_value) in expected.items():
        if not ours_value.startswith("<"):
            assert diffs[path][1] == ours_value, f"{name} {path}: {diffs[path][1]!r}"


def test_every_expected_difference_names_a_real_scenario() -> None:
    assert set(EXPECTED) <= set(SCENARIOS)
