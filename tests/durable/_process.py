"""Real server processes for the fault tests: start `python -m wsguide dev`, wait until ready, kill by PID."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

READY = re.compile(r"Ready on (http://127\.0\.0\.1:\d+)")
ROOT = Path(__file__).resolve().parents[2]


class DevServer:
    """One `wsguide dev` process; its output is collected line by line by a reader thread."""

    def __init__(
        self,
        worker: str | Path,
        *args: str,
        persist: Path | None = None,
        preexec: Callable[[], None] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        cmd = [sys.executable, "-m", "wsguide", "dev", str(worker), "--port", "0", *args]
        if persist is not None:
            cmd += ["--persist-to", str(persist)]
        full_env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=full_env, preexec_fn=preexec,
        )
        self.pid = self.proc.pid
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url: str | None = None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self, timeout: float = 20.0) -> str:
        """The server's URL once it printed it; AssertionError with its output if it exits or hangs."""
        while self.url is None:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                self.kill()
                raise AssertionError(f"wsguide dev printed no URL within {timeout} s:\n{self.output}") from None
            if line is None:
                self.proc.wait(timeout=10)
                raise AssertionError(f"wsguide dev exited ({self.proc.returncode}) before it was ready:\n{self.output}")
            m = READY.search(line)
            if m:
                self.url = m.group(1)
        return self.url

    def wait_exit(self, timeout: float = 20.0) -> int:
        """Wait for the process to end (and its output to be read); its exit code."""
        code = self.proc.wait(timeout=timeout)
        while self._queue.get(timeout=timeout) is not None:
            pass
        return code

    def kill(self) -> None:
        """SIGKILL this process (only the one this test started, by its PID)."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Ctrl-C-like stop (SIGTERM), then wait."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def start(worker: str | Path, *args: str, persist: Path | None = None, **kw) -> DevServer:
    srv = DevServer(worker, *args, persist=persist, **kw)
    srv.wait_ready()
    return srv


def python_script(code: str, *args: str) -> subprocess.Popen[str]:
    """A small Python process (with this worktree's wsguide importable)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
