"""Showing what a Worker printed, waiting for a line of it, and the servers still running."""

from __future__ import annotations

from ..core.log import LogLine, WorkerLog
from ..net.server import Server, running, shutdown_all
from .waits import Changes, fmt_seconds

__all__ = ["show_log", "show_running", "stop_all", "wait_for_log"]


def _log_lines(log: WorkerLog, full: bool) -> list[str]:
    out = []
    for line in log:
        text = str(line)
        if not full and "\n" in text:
            parts = text.splitlines()
            # First line (what happened) and last line (the exception); the traceback
            # between them names files on this machine.
            text = parts[0] + "\n    ...\n    " + parts[-1].strip() if len(parts) > 2 else text
        out.append(text)
    return out


def show_log(srv: Server | WorkerLog, *, full: bool = False, clear: bool = False) -> None:
    """Print what the Worker printed (``console.log``) and the runtime's warnings.

    Tracebacks are shortened to their first and last lines unless ``full=True``.
    ``clear=True`` empties the log afterwards, so the next call shows only new lines.
    """
    log = srv.log if isinstance(srv, Server) else srv
    lines = _log_lines(log, full)
    name = getattr(srv, "name", "") or log.name or "Worker"
    if not lines:
        print(f"({name} printed nothing)")
    else:
        print(f"--- {name} log ---")
        print("\n".join(lines))
    if clear:
        log.clear()


async def wait_for_log(srv: Server | WorkerLog, text: str, timeout: float = 5) -> str:
    """Wait until a line containing ``text`` is in the Worker's log; returns that line.

    The Worker's listeners run on their own schedule; this is how a cell waits
    for "the Worker has seen it" without sleeping.
    """
    log = srv.log if isinstance(srv, Server) else srv

    def find() -> str | None:
        return next((str(line) for line in log if text in line.text), None)

    changes = Changes()

    def on_line(line: LogLine) -> None:
        changes.notify()

    log.watch(on_line)
    try:
        await changes.until(
            lambda: find() is not None,
            timeout,
            lambda limit: f"the Worker did not log anything containing {text!r} within "
            f"{fmt_seconds(limit)}. Does a listener call console.log(...)? Is the socket accepted?",
        )
    finally:
        log.unwatch(on_line)
    found = find()
    assert found is not None
    return found


def show_running() -> None:
    """List the servers started by ``serve()`` that still run (no ports: they change)."""
    servers = running()
    if not servers:
        print("no wsguide servers are running")
        return
    for srv in servers:
        print(f"running: {srv.name}")


async def stop_all() -> None:
    """The panic button: stop every server started with ``serve()`` and say how many."""
    n = await shutdown_all()
    print(f"stopped {n} server{'s' if n != 1 else ''}")
