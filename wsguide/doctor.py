"""Is this machine ready for the notebooks? ``wsguide doctor`` and notebook 00.

Each check returns a :class:`Result`: OK, FAIL (with how to fix it), or
INFO for optional things (a browser). Run them from a terminal with
``wsguide doctor`` (or ``python -m wsguide doctor``); :func:`main` is what the
command line calls. In a notebook::

    from wsguide import doctor
    report = await doctor.run_all()
    report.show()
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Report", "Result", "main", "run_all"]

MIN_PYTHON = (3, 11)
TIMEOUT = 5.0

OK, FAIL, INFO = "OK", "FAIL", "INFO"


@dataclass
class Result:
    name: str
    status: str  # OK, FAIL or INFO
    detail: str
    fix: str = ""
    required: bool = True

    def line(self) -> str:
        tag = {OK: "[ OK ]", FAIL: "[FAIL]", INFO: "[ -- ]"}[self.status]
        text = f"{tag} {self.name}: {self.detail}"
        if self.status != OK and self.fix:
            text += f"\n       how to fix: {self.fix}"
        return text


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    @property
    def required(self) -> list[Result]:
        return [r for r in self.results if r.required]

    @property
    def ok(self) -> bool:
        return all(r.status == OK for r in self.required)

    def text(self) -> str:
        return "\n".join(r.line() for r in self.results)

    def show(self) -> None:
        print(self.text())

    def summary(self) -> str:
        """One deterministic line: how many required checks passed."""
        req = self.required
        good = sum(r.status == OK for r in req)
        if good == len(req):
            return f"✔ all {len(req)} required checks passed: you are ready for notebook 01"
        bad = ", ".join(r.name for r in req if r.status != OK)
        return f"✘ {len(req) - good} of {len(req)} required checks failed ({bad}): see the how-to-fix lines above"

    def __str__(self) -> str:
        return self.text()


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------
def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_python() -> Result:
    v = sys.version_info
    have = f"{v.major}.{v.minor}.{v.micro}"
    if v[:2] >= MIN_PYTHON:
        return Result("Python", OK, f"Python {have} ({sys.executable})")
    return Result(
        "Python", FAIL, f"Python {have} is too old (needs {MIN_PYTHON[0]}.{MIN_PYTHON[1]}+)",
        "install Python 3.11 or newer from python.org and run `python kit.py lab` with it",
    )


def _major_ok(version: str, major: int) -> bool:
    try:
        return int(version.split(".")[0]) == major
    except ValueError:
        return False


def check_packages() -> list[Result]:
    out = []
    fix = "run `python kit.py lab` (it installs everything), or `pip install -e .[dev]`"
    ws = _version("websockets")
    if ws is None:
        out.append(Result("websockets", FAIL, "not installed", fix))
    elif not _major_ok(ws, 17):
        out.append(Result("websockets", FAIL, f"version {ws}, but wsguide needs 17.x",
                          "`pip install 'websockets>=17,<18'`"))
    else:
        out.append(Result("websockets", OK, f"version {ws}"))
    for dist, need, required in (
        ("httpx", "fetch() for plain HTTP", True),
        ("jupyterlab", "the notebooks", False),
        ("ipykernel", "the notebooks' Python kernel", False),
        ("nbval", "running the notebooks as tests", False),
    ):
        v = _version(dist)
        if v is None:
            out.append(Result(dist, FAIL if required else INFO, f"not installed (needed for {need})",
                              fix, required=required))
        else:
            out.append(Result(dist, OK, f"version {v}", required=required))
    return out


def check_asyncio_not_patched() -> Result:
    run = asyncio.run
    module = getattr(run, "__module__", "")
    if module == "asyncio.runners":
        return Result("event loop", OK, "asyncio is not patched (no event-loop patch applied)")
    return Result(
        "event loop", FAIL,
        f"asyncio.run was replaced by {module or 'something'} (nest_asyncio?)",
        "remove nest_asyncio.apply() and restart the kernel: the notebooks use top-level "
        "`await`, which needs no patch",
    )


def check_kernel() -> Result:
    """Top-level ``await`` in a notebook: the cell already runs in the kernel's loop."""
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = lambda: None  # noqa: E731
    ip = get_ipython()
    if ip is not None and getattr(ip, "kernel", None) is not None:
        if getattr(ip, "autoawait", False):
            return Result("kernel", OK, "IPython kernel with top-level await (autoawait) on")
        return Result("kernel", FAIL, "autoawait is off in this kernel",
                      "run `%autoawait asyncio` in a cell, or restart the kernel")
    v = _version("ipykernel")
    if v is None:
        return Result("kernel", INFO, "ipykernel is not installed (only needed for notebooks)",
                      "`pip install -e .[dev]`", required=False)
    major = int(v.split(".")[0]) if v.split(".")[0].isdigit() else 0
    if major >= 6:
        return Result("kernel", OK, f"ipykernel {v} supports top-level await in notebooks")
    return Result("kernel", FAIL, f"ipykernel {v} is too old for top-level await",
                  "`pip install -U ipykernel`")


async def check_loopback(timeout: float = TIMEOUT) -> Result:
    """Start an echo Worker on 127.0.0.1, port 0, and make one round trip."""
    from websockets.asyncio.client import connect

    from .ffi import create_proxy
    from .js import WebSocketPair
    from .serving import serve
    from .workers import Response, WorkerEntrypoint

    class Echo(WorkerEntrypoint):  # the notebooks' dialect, so the check covers the boundary too
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            server.accept()
            server.addEventListener("message", create_proxy(lambda event: server.send(event.data)))
            return Response(None, status=101, web_socket=client)

    try:
        async with asyncio.timeout(timeout):
            async with serve(Echo, echo_log=False, name="setup-check") as srv:
                async with connect(srv.ws_url, proxy=None) as conn:
                    await conn.send("ping")
                    answer = await conn.recv()
        if answer != "ping":
            return Result("loopback server", FAIL, f"the echo answered {answer!r}",
                          "report this: the library is broken")
        return Result("loopback server", OK, "a Worker started on 127.0.0.1 (port 0) and echoed a message")
    except TimeoutError:
        return Result("loopback server", FAIL, f"no echo within {timeout:g} s",
                      "check that nothing (a firewall, a proxy) blocks connections to 127.0.0.1")
    except OSError as exc:
        return Result("loopback server", FAIL, f"could not start or reach it ({exc})",
                      "check that programs may listen on 127.0.0.1")


def browser_path() -> str | None:
    """Chromium's path ($WSGUIDE_CHROMIUM, /usr/bin/chromium, or on PATH), or None."""
    override = os.environ.get("WSGUIDE_CHROMIUM", "").strip()
    candidates = [override] if override else ["/usr/bin/chromium"]
    candidates += [shutil.which(n) or "" for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def browser_ready() -> bool:
    """True when the browser demo can run: Chromium and the playwright module."""
    return browser_path() is not None and importlib.util.find_spec("playwright") is not None


def check_browser() -> Result:
    found = browser_path()
    have_pw = importlib.util.find_spec("playwright") is not None
    if found and have_pw:
        return Result("browser (optional)", OK, f"Chromium at {found} and playwright are there",
                      required=False)
    missing = []
    if not found:
        missing.append("Chromium")
    if not have_pw:
        missing.append("the playwright module")
    return Result(
        "browser (optional)", INFO, f"{' and '.join(missing)} not found: the browser demo in "
        "notebook 04 will be skipped", "`apt-get install chromium` (Debian/Ubuntu) or set "
        "WSGUIDE_CHROMIUM to a Chromium binary", required=False,
    )


async def run_all(*, browser: bool = True) -> Report:
    """Run every check and return a :class:`Report` (``report.show()`` prints it)."""
    report = Report()
    report.results.append(check_python())
    report.results.extend(check_packages())
    report.results.append(check_asyncio_not_patched())
    report.results.append(check_kernel())
    report.results.append(await check_loopback())
    if browser:
        report.results.append(check_browser())
    return report


def main(argv: list[str] | None = None) -> int:
    """``wsguide doctor``: print every check; exit status 1 if a required one failed."""
    import argparse

    parser = argparse.ArgumentParser(prog="wsguide doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="skip the optional browser check")
    args = parser.parse_args(argv)
    report = asyncio.run(run_all(browser=not args.no_browser))
    report.show()
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
