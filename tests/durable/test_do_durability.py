"""A write that was acknowledged survives `kill -9` of the server (issue 5)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import httpx
import pytest

WORKER = Path(__file__).with_name("storage_worker.py")


async def start(persist: Path) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wsguide", "dev", str(WORKER), "--port", "0", "--persist-to", str(persist),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    seen = []
    try:
        async with asyncio.timeout(20):
            while True:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    raise AssertionError("wsguide dev exited before it was ready:\n" + "".join(seen))
                seen.append(line)
                m = re.search(r"Ready on (http://127\.0\.0\.1:\d+)", line)
                if m:
                    return proc, m.group(1)
    except TimeoutError:
        kill(proc)
        raise AssertionError("wsguide dev did not print its URL within 20 s:\n" + "".join(seen)) from None


def kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        os.kill(proc.pid, signal.SIGKILL)  # only the process this test started, by its PID


async def get(client: httpx.AsyncClient, url: str) -> str:
    resp = await client.get(url)
    assert resp.status_code == 200, resp.text
    return resp.text


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
async def test_acknowledged_writes_survive_sigkill(tmp_path):
    client = httpx.AsyncClient(trust_env=False, timeout=10)  # loopback: never through a proxy
    proc, url = await start(tmp_path)
    try:
        for i in range(50):
            assert await get(client, f"{url}/put?k=key{i}&v=value{i}") == "ok"
    finally:
        kill(proc)
        async with asyncio.timeout(10):
            await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    proc2, url2 = await start(tmp_path)
    try:
        for i in range(50):
            assert await get(client, f"{url2}/get?k=key{i}") == f"value{i}|value{i}"
        assert await get(client, f"{url2}/get?k=never") == "None|None"
    finally:
        await client.aclose()
        kill(proc2)
        async with asyncio.timeout(10):
            await proc2.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
async def test_writes_after_failed_calls_survive_sigkill(tmp_path):
    # Issue 12: a refused key used to leave a transaction open, so later writes were never committed.
    # The Worker sees both refusals as JsException: a TypeError and an Error (golden
    # send_after_close_except_type_error: runtime errors reach Python as JsException with .name).
    client = httpx.AsyncClient(trust_env=False, timeout=10)
    proc, url = await start(tmp_path)
    try:
        assert await get(client, f"{url}/fail") == "TypeError,Error"
        for i in range(200):
            assert await get(client, f"{url}/put?k=key{i}&v=value{i}") == "ok"
    finally:
        kill(proc)
        async with asyncio.timeout(10):
            await proc.wait()
    proc2, url2 = await start(tmp_path)
    try:
        for i in range(200):
            assert await get(client, f"{url2}/get?k=key{i}") == f"value{i}|value{i}"
    finally:
        await client.aclose()
        kill(proc2)
        async with asyncio.timeout(10):
            await proc2.wait()
