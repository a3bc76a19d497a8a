"""One workerd for every pyodide test of this folder: the boundary scenarios, the kit's Workers
and the exported projects share one JavaScript Worker, so Pyodide loads once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from .exported import Example, ExportedWorker, export_all, export_for_host
from .extract import kit_workers
from .harness import PyodideHost
from .kit_check import spec_for_kit_worker
from .lint_cases import LINT_CASES
from .outbound import OUTBOUND_SPEC
from .runner import specs_for
from .scenarios import SCENARIOS

# host/ holds the Python that runs inside Pyodide (it imports pyodide), apps/ Workers that are
# exported by the tests (they import their local modules): not tests, not importable here.
collect_ignore = ["host", "apps"]

ROOT = Path(__file__).resolve().parents[2]
KIT_WORKERS = kit_workers(ROOT)


@pytest.fixture(scope="session")
def exported_workers(tmp_path_factory) -> dict[str, ExportedWorker]:
    """The examples exported with ``wsguide export``, each into its own project folder."""
    return export_all(tmp_path_factory.mktemp("exported"))


@pytest.fixture(scope="session")
def lint_workers(tmp_path_factory) -> dict[str, ExportedWorker]:
    """Each Worker of lint_cases.py written to a file and exported with ``--force``."""
    base = tmp_path_factory.mktemp("lint")
    workers = {}
    for case in LINT_CASES:
        source = base / case.name / "worker.py"
        source.parent.mkdir()
        source.write_text(case.worker, encoding="utf-8")
        workers[case.name] = export_for_host(case.name, Example(source, case.client), base / case.name / "out", force=True)
    return workers


@pytest.fixture(scope="session")
def pyodide_host(pyodide_toolchain, exported_workers, lint_workers):
    specs = specs_for(SCENARIOS.values()) + [spec_for_kit_worker(w) for w in KIT_WORKERS] + [OUTBOUND_SPEC]
    specs += [w.spec for w in [*exported_workers.values(), *lint_workers.values()] if w.spec is not None]
    with PyodideHost(specs) as host:
        yield host
