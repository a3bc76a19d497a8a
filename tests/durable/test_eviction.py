"""Idle objects close their database and are evicted, so open files stay bounded; reopening is unseen."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from wsguide.durable import DurableObjectNamespace
from wsguide.durable.databases import OpenDatabases
from wsguide.durable.storage import DurableObjectStorage
from wsguide.workers import DurableObject

from ._helpers import connect, within
from ._process import start
from .evict_worker import Box

WORKER = Path(__file__).with_name("evict_worker.py")


# -- the pool of open databases ------------------------------------------------------
async def test_at_most_cap_databases_stay_open_and_the_others_reopen_unseen(tmp_path):
    pool = OpenDatabases(cap=2)
    stores = [DurableObjectStorage(tmp_path / f"{i}.sqlite", pool=pool) for i in range(5)]
    for i, st in enumerate(stores):
        await st.put("i", i)
    assert [st.is_open for st in stores] == [False, False, False, True, True]
    assert [await st.get("i") for st in stores] == [0, 1, 2, 3, 4]
    assert len(pool) == 2 and pool.closed_for_cap >= 3
    for st in stores:
        st.close()


async def test_a_database_inside_a_transaction_is_never_closed_for_the_cap(tmp_path):
    pool = OpenDatabases(cap=1)
    busy = DurableObjectStorage(tmp_path / "busy.sqlite", pool=pool)
    other = DurableObjectStorage(tmp_path / "other.sqlite", pool=pool)

    def body():
        busy.put("before", 1).close()
        other.put("x", 1).close()  # opens a second database while `busy` is in a transaction
        busy.put("after", 2).close()
        return busy.is_open

    assert busy.transactionSync(body) is True
    assert await busy.list() == {"after": 2, "before": 1}
    busy.close()
    other.close()


# -- eviction of idle objects (in process) -------------------------------------------------
class Counter(DurableObject):
    async def bump(self):
        n = (await self.ctx.storage.get("n") or 0) + 1
        await self.ctx.storage.put("n", n)
        return n


async def test_an_idle_object_closes_its_database_and_is_forgotten(tmp_path):
    ns = DurableObjectNamespace(Counter, persist=tmp_path, hibernate_after=0.05)
    assert await ns.getByName("c").bump() == 1
    host = ns._existing("c")
    assert host.storage.is_open
    await within(ns.wait_hibernated("c"), "the idle object to be evicted")
    assert not host.storage.is_open
    assert ns._existing("c") is None
    assert await ns.getByName("c").bump() == 2  # same id, same storage, a new instance
    assert ns.constructor_runs("c") == 2
    await ns.aclose()


async def test_an_evicted_object_keeps_its_hibernated_sockets_tags_and_attachments(tmp_path):
    ns = DurableObjectNamespace(Box, persist=tmp_path, hibernate_after=0.05)
    stub = ns.getByName("b")
    resp = await within(stub.fetch("http://do.test/box/b/put?v=kept"), "put")
    assert await resp.text() == str(ns.idFromName("b"))
    client = await connect(stub, "/box/b")
    host = ns._existing("b")
    await within(ns.wait_hibernated("b"), "the idle object to be evicted")
    assert not host.storage.is_open
    assert ns._existing("b") is host  # it has a socket: not forgotten
    client.send("check")
    assert json.loads(await client.message()) == {
        "id": str(ns.idFromName("b")), "tags": ["b"], "attachment": "member of b",
        "stored": "kept", "sockets": 1,
    }
    assert ns.constructor_runs("b") == 2
    await ns.aclose()


# -- a real server under a low limit of open files --------------------------------------
def sqlite_fds(pid: int) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if ".sqlite" in target:
            count += 1
    return count


@pytest.fixture
def fast_folder(tmp_path):
    """A folder in memory when the OS has one: this test counts files, and creating 630
    databases on a slow virtual disk (an fsync each) would take minutes."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="wsguide-evict-", dir=shm))
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def limit_open_files() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_NOFILE and /proc/<pid>/fd: Linux")
def test_600_objects_and_30_hibernated_sockets_under_ulimit_256(fast_folder):
    from websockets.sync.client import connect as ws_connect

    srv = start(WORKER, "--hibernate-after", "0.5", persist=fast_folder, preexec=limit_open_files)
    http = httpx.Client(base_url=srv.url, trust_env=False, timeout=10)
    sockets = []
    try:
        ids = {}
        for i in range(30):
            ids[f"s{i}"] = http.get(f"/box/s{i}/put?v=socket{i}").raise_for_status().text
            sockets.append(ws_connect(f"{srv.url.replace('http', 'ws')}/box/s{i}", open_timeout=10, legacy=True))
        answered = 0
        for i in range(600):
            resp = http.get(f"/box/o{i}/put?v=value{i}")
            assert resp.status_code == 200, f"object {i} of 600 failed after {answered}: {resp.text}"
            ids[f"o{i}"] = resp.text
            answered += 1
        cap = 256 // 16  # wsguide.durable.databases.default_cap() under this limit
        assert sqlite_fds(srv.pid) <= 3 * cap
        for i in range(600):
            assert http.get(f"/box/o{i}/get").text == f"{ids[f'o{i}']}|value{i}|value{i}"
        for i, ws in enumerate(sockets):
            ws.send("check")
            assert json.loads(ws.recv(timeout=10)) == {
                "id": ids[f"s{i}"], "tags": [f"s{i}"], "attachment": f"member of s{i}",
                "stored": f"socket{i}", "sockets": 1,
            }
        assert sqlite_fds(srv.pid) <= 3 * cap
        assert "unable to open database file" not in srv.output
    finally:
        for ws in sockets:
            ws.close()
        http.close()
        srv.kill()
