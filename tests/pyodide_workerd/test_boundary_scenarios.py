"""Every boundary scenario, replayed live on real Pyodide inside real workerd with the real SDK,
still matches the golden transcript recorded from it (golden/<scenario>.json).

One workerd serves all scenarios (Pyodide loads once). A mismatch means the real runtime (or
the pinned toolchain) changed, or a scenario did: look at the diff, then regenerate with
``python tests/pyodide_workerd/regenerate.py NAME`` only if the new behaviour is right.
"""

from __future__ import annotations

import difflib
import json

import pytest

from .harness import PyodideHost
from .runner import read_golden, run_on_host, specs_for
from .scenarios import SCENARIOS

pytestmark = pytest.mark.pyodide


@pytest.fixture(scope="module")
def host(pyodide_toolchain):
    with PyodideHost(specs_for(SCENARIOS.values())) as running:
        yield running


def _diff(expected: dict, actual: dict) -> str:
    a = json.dumps(expected, indent=2, ensure_ascii=False).splitlines()
    b = json.dumps(actual, indent=2, ensure_ascii=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "golden", "real workerd now", lineterm=""))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_scenario_matches_its_golden_transcript(host, name):
    golden = read_golden(name)
    transcript = await run_on_host(host, SCENARIOS[name])
    assert transcript == golden, f"{name} no longer matches its golden transcript:\n{_diff(golden, transcript)}"
