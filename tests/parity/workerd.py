"""Run one JavaScript Worker on the real Workers runtime (workerd from npm) for parity tests.

    async with run_workerd(JS_DIR / "worker.js", compat_date="2026-11-01",
                           flags=["no_web_socket_compression"],
                           durable_objects={"ROOMS": "HibernationRoom"}) as srv:
        srv                 # "http://127.0.0.1:PORT" (srv is a str: the base URL)
        srv.ws_url          # "ws://127.0.0.1:PORT"
        srv.output()        # everything workerd printed so far (console.log → stdout)
        mark = srv.mark(); ...; srv.output_since(mark)   # what one scenario printed

The helper writes a ``config.capnp`` (modules syntax, one ES module worker) into a temporary
directory next to a copy of the JS file, picks a free port on 127.0.0.1, starts
``workerd serve config.capnp`` with stdout/stderr going to files in that directory, waits
(bounded) for workerd's "listen" message on ``--control-fd`` (sent only once the Worker loaded)
and then polls the port with TCP connect attempts until it accepts (bounded; on failure the
error message carries workerd's stderr), and on exit stops exactly that process by its PID
(SIGTERM, then SIGKILL if it does not exit in time).

The generated config always has:
* a service binding ``SELF`` (name configurable) to the Worker itself, so a Worker can
  ``fetch()`` another route of itself with ``Upgrade: websocket``;
* ``globalOutbound`` pointing at the Worker itself (``loopback_outbound=True``), so
  ``fetch("http://any-host/...")`` and ``new WebSocket("ws://any-host/...")`` reach this same
  Worker without touching the network;
* optional Durable Object namespaces (``{binding: class_name}``) with in-memory storage.

Nothing here imports wsguide.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path

PARITY_DIR = Path(__file__).resolve().parent
WORKERD_BIN = PARITY_DIR / "node_modules" / ".bin" / "workerd"
JS_DIR = PARITY_DIR / "js"
DEFAULT_COMPAT_DATE = "2026-11-01"

__all__ = [
    "DEFAULT_COMPAT_DATE",
    "JS_DIR",
    "WORKERD_BIN",
    "RunningWorkerd",
    "WorkerdError",
    "generate_config",
    "run_workerd",
    "workerd_available",
    "workerd_version",
]


class WorkerdError(RuntimeError):
    """workerd could not be started (or stopped) as asked."""


def workerd_available(binary: Path | str = WORKERD_BIN) -> bool:
    return Path(binary).is_file() and os.access(binary, os.X_OK)


async def workerd_version(binary: Path | str = WORKERD_BIN, timeout: float = 10.0) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(binary), "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    except TimeoutError:
        _stop_pid(proc)
        raise WorkerdError(f"`{binary} --version` did not finish within {timeout} s") from None
    return (out or err).decode().strip()


def _capnp_str(value: str) -> str:
    # Cap'n Proto text literals use C-style escapes; JSON's are a compatible subset for the
    # characters we ever write (paths, flags, names).
    return json.dumps(value)


def _ident(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def generate_config(
    *,
    module_name: str,
    port: int,
    compat_date: str = DEFAULT_COMPAT_DATE,
    flags: Iterable[str] = (),
    durable_objects: Mapping[str, str] | None = None,
    self_binding: str | None = "SELF",
    loopback_outbound: bool = True,
    service_name: str = "main",
) -> str:
    """Return the text of a workerd ``config.capnp`` for one ES module worker.

    ``module_name`` is the JS file name, embedded relative to the config file (the caller puts
    both in the same directory). ``durable_objects`` maps binding name → exported class name.
    """
    flags = list(flags)
    bindings: list[str] = []
    do_lines: list[str] = []
    if self_binding:
        bindings.append(f"(name = {_capnp_str(self_binding)}, service = {_capnp_str(service_name)})")
    for binding, class_name in (durable_objects or {}).items():
        unique_key = hashlib.sha256(f"wsguide-parity:{class_name}".encode()).hexdigest()[:32]
        do_lines.append(f"(className = {_capnp_str(class_name)}, uniqueKey = {_capnp_str(unique_key)})")
        bindings.append(f"(name = {_capnp_str(binding)}, durableObjectNamespace = {_capnp_str(class_name)})")

    worker = [
        f"  compatibilityDate = {_capnp_str(compat_date)},",
        f"  compatibilityFlags = [{', '.join(_capnp_str(f) for f in flags)}],",
        f"  modules = [ (name = {_capnp_str(module_name)}, esModule = embed {_capnp_str(module_name)}) ],",
    ]
    if do_lines:
        worker.append("  durableObjectNamespaces = [\n    " + ",\n    ".join(do_lines) + ",\n  ],")
        worker.append("  durableObjectStorage = (inMemory = void),")
    if bindings:
        worker.append("  bindings = [\n    " + ",\n    ".join(bindings) + ",\n  ],")
    if loopback_outbound:
        worker.append(f"  globalOutbound = {_capnp_str(service_name)},")

    worker_const = _ident(service_name) + "Worker"
    return "\n".join(
        [
            "# Generated by tests/parity/workerd.py — do not edit.",
            'using Workerd = import "/workerd/workerd.capnp";',
            "",
            "const config :Workerd.Config = (",
            f"  services = [ (name = {_capnp_str(service_name)}, worker = .{worker_const}) ],",
            f"  sockets = [ (name = \"http\", address = {_capnp_str(f'127.0.0.1:{port}')}, http = (),"
            f" service = {_capnp_str(service_name)}) ],",
            ");",
            "",
            f"const {worker_const} :Workerd.Worker = (",
            *worker,
            ");",
            "",
        ]
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningWorkerd(str):
    """The base URL of a running workerd (``"http://127.0.0.1:PORT"``), plus handles on it."""

    port: int
    pid: int
    workdir: Path
    config_path: Path
    stdout_path: Path
    stderr_path: Path

    def __new__(cls, port: int, **attrs: object) -> RunningWorkerd:
        self = super().__new__(cls, f"http://127.0.0.1:{port}")
        self.port = port
        for key, value in attrs.items():
            setattr(self, key, value)
        return self

    @property
    def url(self) -> str:
        return str(self)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def output(self) -> str:
        """stdout then stderr as printed so far (workerd prints console.log to stdout and
        console.error/uncaught exceptions to stderr)."""
        return self.stdout() + self.stderr()

    def mark(self) -> tuple[int, int]:
        """Byte offsets of stdout and stderr now; pass to :meth:`output_since`."""
        return (self.stdout_path.stat().st_size, self.stderr_path.stat().st_size)

    def output_since(self, mark: tuple[int, int]) -> dict[str, list[str]]:
        """Lines printed since ``mark``: ``{"stdout": [...], "stderr": [...]}``."""
        out: dict[str, list[str]] = {}
        for key, path, offset in (("stdout", self.stdout_path, mark[0]), ("stderr", self.stderr_path, mark[1])):
            with path.open("rb") as f:
                f.seek(offset)
                out[key] = f.read().decode(errors="replace").splitlines()
        return out

    async def wait_for_output(self, needle: str, *, since: tuple[int, int] = (0, 0), timeout: float = 5.0) -> None:
        """Wait (bounded) until ``needle`` appears in what workerd printed after ``since``."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    lines = self.output_since(since)
                    if any(needle in line for line in lines["stdout"] + lines["stderr"]):
                        return
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise WorkerdError(
                f"workerd did not print {needle!r} within {timeout} s; it printed:\n{self.output_since(since)}"
            ) from None


def _stop_pid(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)


async def _stop(proc: asyncio.subprocess.Process, timeout: float = 5.0) -> None:
    """Stop exactly this process, by PID: SIGTERM, then SIGKILL after ``timeout``."""
    if proc.returncode is not None:
        return
    _stop_pid(proc)
    try:
        async with asyncio.timeout(timeout):
            await proc.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        async with asyncio.timeout(timeout):
            await proc.wait()


async def _wait_for_listen_event(
    proc: asyncio.subprocess.Process, control: asyncio.StreamReader, stderr_path: Path, config_path: Path,
    timeout: float,
) -> None:
    """Wait for workerd's ``{"event":"listen","socket":"http",...}`` on --control-fd. workerd
    sends it only once the service loaded; a Worker that fails to load makes workerd exit
    instead (after briefly binding the port, which is why a TCP connect alone is not enough)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    exited = asyncio.ensure_future(proc.wait())
    try:
        while True:
            line_task = asyncio.ensure_future(control.readline())
            done, _ = await asyncio.wait(
                {line_task, exited}, timeout=max(0.0, deadline - loop.time()), return_when=asyncio.FIRST_COMPLETED
            )
            if line_task not in done:
                line_task.cancel()
                if exited in done:
                    raise WorkerdError(
                        f"workerd exited with code {proc.returncode} before it was ready (config {config_path}; keep_dir=True keeps it)."
                        f"\nworkerd stderr:\n{stderr_path.read_text(errors='replace')}"
                    )
                raise WorkerdError(
                    f"workerd (pid {proc.pid}) did not report a listening socket within {timeout} s "
                    f"(config {config_path}; keep_dir=True keeps it).\nworkerd stderr:\n{stderr_path.read_text(errors='replace')}"
                )
            line = line_task.result()
            if not line:  # control pipe closed: workerd is exiting
                await asyncio.wait({exited}, timeout=max(0.1, deadline - loop.time()))
                raise WorkerdError(
                    f"workerd closed its control pipe before it was ready (exit code {proc.returncode}; config "
                    f"{config_path}).\nworkerd stderr:\n{stderr_path.read_text(errors='replace')}"
                )
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if message.get("event") == "listen" and message.get("socket") == "http":
                    return
    finally:
        if not exited.done():
            exited.cancel()


async def _wait_until_listening(
    proc: asyncio.subprocess.Process, port: int, stderr_path: Path, config_path: Path, timeout: float
) -> None:
    """Poll 127.0.0.1:port with TCP connect attempts until one succeeds (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    attempts = 0
    last_error: OSError | None = None
    while True:
        if proc.returncode is not None:
            raise WorkerdError(
                f"workerd exited with code {proc.returncode} before listening on 127.0.0.1:{port} "
                f"(config {config_path}; keep_dir=True keeps it).\nworkerd stderr:\n{stderr_path.read_text(errors='replace')}"
            )
        attempts += 1
        try:
            async with asyncio.timeout(max(0.05, min(1.0, deadline - loop.time()))):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        except (OSError, TimeoutError) as exc:
            last_error = exc if isinstance(exc, OSError) else None
        if loop.time() >= deadline:
            raise WorkerdError(
                f"workerd (pid {proc.pid}) did not accept TCP connections on 127.0.0.1:{port} within "
                f"{timeout} s ({attempts} connect attempts, last error: {last_error!r}; config {config_path})."
                f"\nworkerd stderr:\n{stderr_path.read_text(errors='replace')}"
            )
        # Poll interval between connect attempts (the condition is re-checked every time).
        await asyncio.sleep(0.02)


#: A bound on workerd's start (seconds), not a wait: a 2-core machine under a full test run once
#: took over 15 s to report its socket, so 30, scaled like every other bound in the tests.
STARTUP_TIMEOUT = 30.0 * float(os.environ.get("WSGUIDE_TIMEOUT_FACTOR", "1"))


@contextlib.asynccontextmanager
async def run_workerd(
    js_path: Path | str,
    *,
    compat_date: str = DEFAULT_COMPAT_DATE,
    flags: Iterable[str] = (),
    durable_objects: Mapping[str, str] | None = None,
    self_binding: str | None = "SELF",
    loopback_outbound: bool = True,
    experimental: bool = False,
    verbose: bool = False,
    startup_timeout: float = STARTUP_TIMEOUT,
    binary: Path | str = WORKERD_BIN,
    keep_dir: bool = False,
) -> AsyncIterator[RunningWorkerd]:
    """Start ``workerd serve`` for one ES module worker; yield its base URL (a
    :class:`RunningWorkerd`); stop that process on exit."""
    js_path = Path(js_path).resolve()
    if not workerd_available(binary):
        raise WorkerdError(f"workerd binary not found at {binary}; run `npm ci` in {PARITY_DIR}")
    if not js_path.is_file():
        raise WorkerdError(f"worker script not found: {js_path}")
    workdir = Path(tempfile.mkdtemp(prefix="wsguide-workerd-"))
    proc: asyncio.subprocess.Process | None = None
    control_transport: asyncio.ReadTransport | None = None
    try:
        shutil.copyfile(js_path, workdir / js_path.name)
        config_path = workdir / "config.capnp"
        stdout_path = workdir / "stdout.txt"
        stderr_path = workdir / "stderr.txt"
        flags = list(flags)
        args = [str(binary), "serve", str(config_path)]
        if experimental:
            args.append("--experimental")
        if verbose:
            args.append("--verbose")
        # A port picked by binding to port 0 can be taken by someone else before workerd binds
        # it; retry a few times with a fresh port when workerd exits early.
        for attempt in range(3):
            port = _free_port()
            config_path.write_text(
                generate_config(
                    module_name=js_path.name,
                    port=port,
                    compat_date=compat_date,
                    flags=flags,
                    durable_objects=durable_objects,
                    self_binding=self_binding,
                    loopback_outbound=loopback_outbound,
                )
            )
            control_r, control_w = os.pipe()
            try:
                with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
                    proc = await asyncio.create_subprocess_exec(
                        *args, f"--control-fd={control_w}", cwd=workdir, stdin=asyncio.subprocess.DEVNULL,
                        stdout=out, stderr=err, pass_fds=(control_w,),
                    )
            finally:
                os.close(control_w)
            control = asyncio.StreamReader()
            control_transport, _ = await asyncio.get_running_loop().connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(control), os.fdopen(control_r, "rb", buffering=0)
            )
            try:
                await _wait_for_listen_event(proc, control, stderr_path, config_path, startup_timeout)
                await _wait_until_listening(proc, port, stderr_path, config_path, startup_timeout)
                break
            except WorkerdError:
                await _stop(proc)
                control_transport.close()
                control_transport = None
                if attempt == 2 or "Address already in use" not in stderr_path.read_text(errors="replace"):
                    raise
        assert proc is not None
        yield RunningWorkerd(
            port,
            pid=proc.pid,
            workdir=workdir,
            config_path=config_path,
            stdout_path=stdout_path,
            stderr_path=stderr_path,
            compat_date=compat_date,
            flags=flags,
        )
    finally:
        if proc is not None:
            await _stop(proc)
        if control_transport is not None:
            control_transport.close()
        if not keep_dir:
            shutil.rmtree(workdir, ignore_errors=True)
