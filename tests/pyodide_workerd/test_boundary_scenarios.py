"""Every boundary scenario, replayed live on real Pyodide inside real workerd with the real SDK,
still matches the golden transcript recorded from it (golden/<scenario>.json).

One workerd serves all scenarios and the kit's Workers (conftest.py: Pyodide loads once). A mismatch means the real runtime (or
the pinned toolchain) changed, or a scenario did: look at the diff, then regenerate with
``python tests/pyodide_workerd/regenerate.py NAME`` only if the new behaviour is right.
"""

from __future__ import annotations

import difflib
import json

import pytest

from .runner import read_golden, run_on_host
from .scenarios import SCENARIOS

pytestmark = pytest.mark.pyodide


def _diff(expected: dict, actual: dict) -> str:
    a = json.dumps(expected, indent=2, ensure_ascii=False).splitlines()
    b = json.dumps(actual, indent=2, ensure_ascii=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "golden", "real workerd now", lineterm=""))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_scenario_matches_its_golden_transcript(pyodide_host, name):
    golden = read_golden(name)
    transcript = await run_on_host(pyodide_host, SCENARIOS[name])
    assert transcript == golden, f"{name} no longer matches its golden transcript:\n{_diff(golden, transcript)}"
