"""`python -m wsguide dev examples/echo.py` serves like `wrangler dev`."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from .helpers import TIMEOUT, bounded

ROOT = Path(__file__).resolve().parents[2]


async def _start(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wsguide", "dev", *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    banner = ""
    try:
        async with asyncio.timeout(TIMEOUT * 3):
            while "Ready on" not in banner:
                line = await proc.stdout.readline()
                if not line:
                    err = await proc.stderr.read()
                    raise AssertionError(f"wsguide dev exited early: {banner}{err.decode()}")
                banner += line.decode()
            banner += (await proc.stdout.readline()).decode()
    except TimeoutError:
        proc.kill()
        raise AssertionError(f"no 'Ready on' banner from wsguide dev; got {banner!r}") from None
    return proc, banner


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, which Windows delivers differently")
async def test_dev_serves_the_echo_example_and_ctrl_c_stops_it_cleanly():
    proc, banner = await _start("examples/echo.py", "--port", "0")
    try:
        url = re.search(r"WebSocket: (ws://127\.0\.0\.1:\d+)", banner).group(1)
        assert "Worker: Default" in banner
        assert "Press Ctrl-C to stop." in banner
        async with connect(url, proxy=None) as ws:
            await ws.send("hi from a client")
            assert await bounded(ws.recv(), "the echo") == "hi from a client"
        proc.send_signal(signal.SIGINT)
        out, _err = await bounded(proc.communicate(), "wsguide dev to stop after Ctrl-C")
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Stopped." in out.decode()


async def test_dev_with_missing_file_says_so():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wsguide", "dev", "no/such/worker.py",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await bounded(proc.communicate(), "wsguide dev to fail")
    assert proc.returncode == 2
    assert "No Worker file at no/such/worker.py" in err.decode()


async def test_dev_on_all_interfaces_prints_a_warning():
    proc, banner = await _start("examples/echo.py", "--port", "0", "--host", "127.0.0.2")
    try:
        proc.send_signal(signal.SIGINT) if sys.platform != "win32" else proc.kill()
        _out, err = await bounded(proc.communicate(), "wsguide dev to stop")
    finally:
        if proc.returncode is None:
            proc.kill()
    assert "WARNING: serving on 127.0.0.2" in err.decode()
