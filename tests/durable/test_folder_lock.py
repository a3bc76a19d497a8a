"""One process per persistence folder: a second server refuses, naming the first; a dead holder's lock is taken."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from wsguide.durable import DurableObjectNamespace
from wsguide.workers import DurableObject
from wsguide.durable.folder_lock import LOCK_NAME, FolderLock, FolderLocked

from ._helpers import errors_logged
from ._process import DevServer, python_script, start

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and /proc are POSIX")

WORKER = Path(__file__).with_name("storage_worker.py")

HOLD = """
import sys
from wsguide.durable.folder_lock import FolderLock
FolderLock(sys.argv[1]).acquire()
print("locked", flush=True)
sys.stdin.read()  # hold the lock until the test closes our stdin
"""


def get(url: str) -> str:
    resp = httpx.get(url, trust_env=False, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.text


def test_a_second_server_on_the_same_folder_refuses_and_names_the_first(tmp_path):
    first = start(WORKER, persist=tmp_path)
    try:
        second = DevServer(WORKER, persist=tmp_path)
        assert second.wait_exit() == 2
        command = " ".join(first.proc.args)
        assert second.output == (
            f"error: {tmp_path.resolve()} is in use by another process (PID {first.pid}: {command}). "
            "Durable Object storage can be used by only one process at a time. Stop that process "
            f"first (Ctrl-C in its terminal, or kill {first.pid}), or give this one its own folder "
            "(--persist-to DIR, or persist= in serve()), or keep its storage in memory "
            "(--in-memory, or persist=False).\n"
        )
        assert get(f"{first.url}/put?k=still&v=served") == "ok"
    finally:
        first.kill()


def test_after_sigkill_a_new_server_takes_the_folder_and_the_data(tmp_path):
    first = start(WORKER, persist=tmp_path)
    assert get(f"{first.url}/put?k=k&v=v") == "ok"
    first.kill()
    second = start(WORKER, persist=tmp_path)
    try:
        assert get(f"{second.url}/get?k=k") == "v|v"
        assert (tmp_path / LOCK_NAME).read_text().split("\n")[0] == str(second.pid)
    finally:
        second.kill()


def test_a_lock_file_left_by_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / LOCK_NAME).write_text("4194304\npython -m wsguide dev gone.py\n")  # no such PID
    srv = start(WORKER, persist=tmp_path)
    try:
        assert "storage: " in srv.output and "(locked: one wsguide process at a time)" in srv.output
        assert (tmp_path / LOCK_NAME).read_text().split("\n")[0] == str(srv.pid)
    finally:
        srv.kill()


def test_the_server_stopped_cleanly_leaves_the_folder_free(tmp_path):
    first = start(WORKER, persist=tmp_path)
    first.stop()
    assert first.proc.returncode == 0, first.output
    lock = FolderLock(tmp_path)
    lock.acquire()
    lock.release()


class Notes(DurableObject):
    async def add(self, text):
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS notes (text TEXT)")
        self.ctx.storage.sql.exec("INSERT INTO notes VALUES (?)", text)
        return [r["text"] for r in self.ctx.storage.sql.exec("SELECT text FROM notes")]


async def test_the_first_storage_opened_takes_the_lock_or_names_its_holder(tmp_path):
    holder = python_script(HOLD, str(tmp_path))
    try:
        assert holder.stdout.readline() == "locked\n"
        ns = DurableObjectNamespace(Notes, persist=tmp_path, hibernate_after=False)
        with errors_logged() as errors, pytest.raises(FolderLocked) as e:
            await ns.getByName("a").add("x")
        assert e.value.pid == holder.pid
        assert e.value.command is not None and "from wsguide.durable.folder_lock" in e.value.command
        assert errors == []  # wsguide's own refusal, not the object's code: nothing logged as uncaught
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert await ns.getByName("a").add("x") == ["x"]
    assert (tmp_path / LOCK_NAME).read_text().split("\n")[0].isdigit()
    await ns.aclose()


async def test_namespaces_of_one_process_share_the_folder(tmp_path):
    a = DurableObjectNamespace(Notes, persist=tmp_path, hibernate_after=False)
    b = DurableObjectNamespace(Notes, persist=tmp_path, hibernate_after=False)
    assert await a.getByName("x").add("1") == ["1"]
    assert await b.getByName("y").add("2") == ["2"]
    await a.aclose()
    other = python_script(HOLD, str(tmp_path))
    other.stdin.close()
    assert other.stdout.read().startswith("Traceback")  # b still holds the folder
    other.wait(timeout=10)
    await b.aclose()
    other = python_script(HOLD, str(tmp_path))
    assert other.stdout.readline() == "locked\n"
    other.stdin.close()
    other.wait(timeout=10)
