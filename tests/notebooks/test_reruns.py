"""Re-running a notebook cell that awaited serve() stops the server that cell started before."""

from __future__ import annotations

import pytest

from wsguide import Response, WorkerEntrypoint, serve
from wsguide.teach import reruns


class Pages(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("hello")


@pytest.fixture
def cell(monkeypatch):
    """Pretend the code runs in a notebook cell; set ``cell.id`` to move to another cell."""

    class Cell:
        id: str | None = "cell-1"

    current = Cell()
    monkeypatch.setattr(reruns, "current_cell_id", lambda: current.id)
    return current


async def test_rerunning_a_cell_stops_the_server_it_started_before(cell):
    first = await serve(Pages, echo_log=False)
    second = await serve(Pages, echo_log=False)
    try:
        assert (first.is_serving, second.is_serving) == (False, True)
    finally:
        await first.close()
        await second.close()


async def test_two_cells_serving_the_same_worker_keep_both_servers(cell):
    first = await serve(Pages, echo_log=False)
    cell.id = "cell-2"
    second = await serve(Pages, echo_log=False)
    try:
        assert (first.is_serving, second.is_serving) == (True, True)
    finally:
        await first.close()
        await second.close()


async def test_outside_a_notebook_nothing_is_stopped(cell):
    cell.id = None
    first = await serve(Pages, echo_log=False)
    second = await serve(Pages, echo_log=False)
    try:
        assert (first.is_serving, second.is_serving) == (True, True)
    finally:
        await first.close()
        await second.close()


async def test_async_with_serve_is_never_replaced(cell):
    async with serve(Pages, echo_log=False) as first:
        second = await serve(Pages, echo_log=False)
        try:
            assert (first.is_serving, second.is_serving) == (True, True)
        finally:
            await second.close()


def test_no_cell_id_outside_ipython():
    assert reruns.current_cell_id() is None
