"""One workerd for every pyodide test of this folder: the boundary scenarios and the kit's
Workers share one JavaScript Worker, so Pyodide loads once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from .extract import kit_workers
from .harness import PyodideHost
from .kit_check import spec_for_kit_worker
from .runner import specs_for
from .scenarios import SCENARIOS

# host/ holds the Python that runs inside Pyodide (it imports pyodide): not tests, not importable here.
collect_ignore = ["host"]

ROOT = Path(__file__).resolve().parents[2]
KIT_WORKERS = kit_workers(ROOT)


@pytest.fixture(scope="session")
def pyodide_host(pyodide_toolchain):
    specs = specs_for(SCENARIOS.values()) + [spec_for_kit_worker(w) for w in KIT_WORKERS]
    with PyodideHost(specs) as host:
        yield host
