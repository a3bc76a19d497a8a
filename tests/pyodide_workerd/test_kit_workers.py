"""Every Worker the kit teaches (examples, notebooks, solutions), extracted automatically with
only its imports changed, runs on real Pyodide inside real workerd with the real SDK.

The generic client and the verdict are in kit_check.py; the Workers that fail today, with the
reason, are listed once in known_failures.py (strict xfail: remove an entry once it is fixed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .extract import kit_workers
from .harness import PyodideHost
from .kit_check import check_kit_worker, spec_for_kit_worker
from .known_failures import KNOWN_FAILURES

ROOT = Path(__file__).resolve().parents[2]
WORKERS = kit_workers(ROOT)


def _param(worker):
    marks = []
    if worker.name in KNOWN_FAILURES:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[worker.name]))
    return pytest.param(worker, id=worker.name, marks=marks)


@pytest.fixture(scope="module")
def host(pyodide_toolchain):
    with PyodideHost([spec_for_kit_worker(w) for w in WORKERS]) as running:
        yield running


def test_known_failures_name_workers_that_exist():
    assert set(KNOWN_FAILURES) <= {w.name for w in WORKERS}


@pytest.mark.pyodide
@pytest.mark.parametrize("worker", [_param(w) for w in WORKERS])
async def test_kit_worker_runs_on_real_pyodide(host, worker):
    outcome = await check_kit_worker(host, worker)
    assert outcome.ok, f"{worker.name} ({worker.origin}) on real Python Workers:\n- " + "\n- ".join(outcome.problems)
