"""Every boundary scenario replayed on wsguide, with only the Worker's imports changed, matches
what real Python Workers did (golden/*.json, recorded from Pyodide inside workerd).

Needs no workerd: the goldens are committed. The differences allowed: the two kinds that
compare.py never counts (the import names themselves, and wsguide's own hints in the Worker's
log), and the deviations in :data:`EXPECTED`, each asserted exactly (docs/deviations.md).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .compare import comparable, differences
from .runner import read_golden
from .scenarios import SCENARIOS
from .wsguide_side import run_on_wsguide

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
