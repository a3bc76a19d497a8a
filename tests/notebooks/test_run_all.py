""""Run All" through a real kernel, as JupyterLab's button does it.

nbval and nbconvert run a notebook one cell at a time: each cell is sent only
after the previous one finished. JupyterLab's Run All does not wait: it sends
every cell's ``execute_request`` at once and the kernel works through the
queue. Bugs that only show up then (a cell that returns while its work still
runs, a patched event loop that drops queued cells) pass nbval and break in
class. So this test queues all cells at once, like the button, and fails on any
error output (except in cells tagged ``raises-exception``, which must raise),
on an aborted cell, or when the queue does not finish in time.

Each notebook runs twice in the same kernel: learners re-run notebooks, and a
second pass catches servers or tasks left over from the first one.
"""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path

import nbformat
import pytest

jupyter_client = pytest.importorskip("jupyter_client")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
FACTOR = float(os.environ.get("WSGUIDE_TIMEOUT_FACTOR", "") or 1)
#: A whole notebook's queue must finish within this (each cell's own waits are 5 s or less).
QUEUE_TIMEOUT = 90 * FACTOR
KERNEL_START_TIMEOUT = 60 * FACTOR


def all_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "skip-execution" not in tags(c) and c.source.strip()]


@pytest.fixture
def kernel(request):
    """A fresh python3 kernel (this environment's ipykernel), started in the notebook's folder."""
    path: Path = request.param
    km, kc = jupyter_client.manager.start_new_kernel(
        kernel_name="python3", cwd=str(path.parent), startup_timeout=KERNEL_START_TIMEOUT
    )
    try:
        yield path, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run_all(kc, cells) -> dict[str, dict]:
    """Queue every cell at once; collect each one's reply and outputs."""
    results: dict[str, dict] = {}
    order = []
    for cell in cells:
        raises = "raises-exception" in tags(cell)
        # JupyterLab sends stop_on_error=False for cells tagged raises-exception, True otherwise.
        msg_id = kc.execute(cell.source, store_history=True, stop_on_error=not raises)
        results[msg_id] = {"cell": cell, "raises": raises, "reply": None, "errors": [], "idle": False}
        order.append(msg_id)
    deadline = time.monotonic() + QUEUE_TIMEOUT
    pending_replies = set(order)
    pending_idle = set(order)
    while pending_replies or pending_idle:
        if time.monotonic() > deadline:
            stuck = [results[m]["cell"].source.splitlines()[0] for m in order if m in pending_replies]
            pytest.fail(
                f"Run All did not finish within {QUEUE_TIMEOUT:g} s; cells still waiting: {stuck[:3]}",
                pytrace=False,
            )
        try:
            msg = kc.get_shell_msg(timeout=0.05)
        except queue.Empty:
            pass
        else:
            parent = msg["parent_header"].get("msg_id")
            if parent in results and msg["msg_type"] == "execute_reply":
                results[parent]["reply"] = msg["content"]
                pending_replies.discard(parent)
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=0.01)
            except queue.Empty:
                break
            parent = msg["parent_header"].get("msg_id")
            if parent not in results:
                continue
            if msg["msg_type"] == "error":
                c = msg["content"]
                results[parent]["errors"].append(f"{c['ename']}: {c['evalue']}")
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                results[parent]["idle"] = True
                pending_idle.discard(parent)
    return {m: results[m] for m in order}


def problems_of(results: dict[str, dict], label: str) -> list[str]:
    problems = []
    for n, r in enumerate(results.values(), 1):
        first = r["cell"].source.strip().splitlines()[0][:70]
        status = (r["reply"] or {}).get("status")
        where = f"{label}, code cell {n} ({first!r})"
        if status == "aborted":
            problems.append(f"{where}: aborted (an earlier cell failed and stopped the queue)")
        elif r["raises"]:
            if status != "error":
                problems.append(f"{where}: tagged raises-exception but did not raise")
        elif status != "ok" or r["errors"]:
            problems.append(f"{where}: {'; '.join(r['errors']) or status}")
    return problems


@pytest.mark.parametrize(
    "kernel", all_notebooks(), ids=lambda p: str(p.relative_to(NOTEBOOKS)), indirect=True
)
def test_run_all_twice_in_one_kernel(kernel):
    path, kc = kernel
    cells = code_cells(nbformat.read(path, as_version=4))
    assert cells, f"{path.name} has no code cells"
    problems = []
    for attempt in ("first Run All", "second Run All (same kernel)"):
        problems += problems_of(run_all(kc, cells), attempt)
        if problems:
            break
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
