"""Every Worker the kit teaches (examples, notebooks, solutions), extracted automatically with
only its imports changed, runs on real Pyodide inside real workerd with the real SDK.

The generic client and the verdict are in kit_check.py; the Workers that fail today, with the
reason, are listed once in known_failures.py (strict xfail: remove an entry once it is fixed).
"""

from __future__ import annotations

import pytest

from .conftest import KIT_WORKERS
from .kit_check import check_kit_worker
from .known_failures import KNOWN_FAILURES


def _param(worker):
    marks = []
    if worker.name in KNOWN_FAILURES:
        # raises=AssertionError: only the verdict may fail; a missing toolchain (CI) still errors.
        marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_FAILURES[worker.name]))
    return pytest.param(worker, id=worker.name, marks=marks)


def test_known_failures_name_workers_that_exist():
    assert set(KNOWN_FAILURES) <= {w.name for w in KIT_WORKERS}


@pytest.mark.pyodide
@pytest.mark.parametrize("worker", [_param(w) for w in KIT_WORKERS])
async def test_kit_worker_runs_on_real_pyodide(pyodide_host, worker):
    outcome = await check_kit_worker(pyodide_host, worker)
    assert outcome.ok, f"{worker.name} ({worker.origin}) on real Python Workers:\n- " + "\n- ".join(outcome.problems)
