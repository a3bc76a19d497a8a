"""Run Python Workers in real Pyodide inside real workerd, with the real Python Workers SDK.

    specs = [WorkerSpec("echo", source=ECHO_PY), WorkerSpec("chat", source=CHAT_PY)]
    with PyodideHost(specs) as host:
        host.base_url("echo")          # "http://127.0.0.1:PORT": this Worker's own socket
        host.load("echo")              # imports the module in Pyodide: {"workerEntrypoints": ...}
        mark = host.log_offset()
        ...                            # drive the Worker (httpx, websockets)
        host.flush()                   # everything printed so far is now in the log file
        host.log_entries(mark)         # what workerd printed since `mark` (parsed JSON lines)

One workerd process serves every Worker given. Workers that share a compatibility date and
flags share one JavaScript Worker (one isolate, so Pyodide loads once for them, ~2-3 s on the
first request); each Python Worker is its own Python module there and has its own socket on
127.0.0.1 (port chosen by workerd, read from ``--control-fd``), served by a named entrypoint
that forwards to the Python class the way workerd's Python loader does (see host/host.mjs).

The Worker source is a Python module written for Python Workers: ``from workers import ...``,
``from js import ...``, ``from pyodide.ffi import ...``. The local modules it imports (a
``WorkerSpec``'s ``modules``, by path: ``{"texts.py": ..., "rooms/__init__.py": ...}``) sit
beside it in ``/session/metadata``, where workerd mounts a Worker's files; Workers of one
compatibility group share that folder (and ``sys.modules``), so their local modules must not
share a name. Its Durable Object bindings come from a
module-level ``DURABLE_OBJECTS = {"ROOMS": ChatRoom}`` (as wsguide's Worker files write them);
every Durable Object namespace is SQLite-backed (``enableSql``) with its files in the host's
temporary folder. A ``WorkerSpec``'s ``vars`` become text bindings (``self.env.NAME`` is the
string), as ``"vars"`` in ``wrangler.jsonc`` do on Cloudflare.

Nothing a Worker sends out leaves workerd: the ``globalOutbound`` of every Worker is the host's
echo service (host/echo.mjs), whatever host a URL names. ``fetch(url)`` gets one line of text,
and ``WebSocket.new(url)`` or a fetch with ``Upgrade: websocket`` gets a socket that echoes text
and binary. :func:`echo_url` makes such a URL; it names no real host (``.invalid``).

The toolchain is pinned: tests/pyodide_workerd/package.json + package-lock.json (npm ``workerd``
and ``pyodide``; ``npm ci`` in that folder) and requirements-sdk.txt (the SDK wheel, by version
and sha256, downloaded into ``.cache/`` by ``pip download``). Nothing here imports wsguide.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
HOST_DIR = HERE / "host"
NODE_MODULES = HERE / "node_modules"
WORKERD_BIN = NODE_MODULES / ".bin" / "workerd"
PYODIDE_DIR = NODE_MODULES / "pyodide"
SDK_REQUIREMENTS = HERE / "requirements-sdk.txt"
SDK_CACHE = HERE / ".cache"
DEFAULT_COMPAT_DATE = "2026-11-01"

# Pyodide's files the host embeds (the same set workerd's Pyodide bundle carries).
PYODIDE_FILES = {
    "pyodide.mjs": "esModule",
    "pyodide.asm.mjs": "esModule",
    "pyodide.asm.wasm": "wasm",
    "python_stdlib.zip": "data",
    "pyodide-lock.json": "json",
}
HOST_FILES = {"host.mjs": "esModule", "hide-process.mjs": "esModule", "bridge.py": "text"}
# The echo service every Worker's outbound traffic goes to: its own JavaScript Worker in the same
# workerd (no extra process), at a date where the runtime answers a Close for it.
ECHO_SERVICE = "outbound-echo"
ECHO_MODULE = "echo.mjs"
ECHO_HOST = "echo.invalid"  # RFC 6761: never resolves, so the URL cannot mean a real server

__all__ = [
    "DEFAULT_COMPAT_DATE",
    "HostError",
    "PyodideHost",
    "WorkerSpec",
    "durable_objects_in",
    "echo_url",
    "missing_toolchain",
    "public_methods",
    "sdk_pin",
]


class HostError(RuntimeError):
    """The host could not be built, started, asked or stopped as requested."""


# ------------------------------------------------------------------ the pinned toolchain


def sdk_pin(requirements: Path = SDK_REQUIREMENTS) -> tuple[str, str, str]:
    """(distribution, version, sha256) of the SDK pinned in requirements-sdk.txt."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)\s+--hash=sha256:([0-9a-f]{64})\s*$", line)
        if m:
            return m.group(1), m.group(2), m.group(3)
    raise HostError(f"no `name==version --hash=sha256:...` line in {requirements}")


def sdk_wheel_path(requirements: Path = SDK_REQUIREMENTS, cache: Path = SDK_CACHE) -> Path:
    name, version, _ = sdk_pin(requirements)
    return cache / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def missing_toolchain() -> str | None:
    """Why the host cannot run here (what to install), or None when it can."""
    problems = []
    if not WORKERD_BIN.is_file():
        problems.append(f"workerd not found at {WORKERD_BIN}")
    if not (PYODIDE_DIR / "pyodide.asm.wasm").is_file():
        problems.append(f"Pyodide not found in {PYODIDE_DIR}")
    if problems:
        problems[-1] += f" (run `npm ci` in {HERE})"
    wheel = sdk_wheel_path()
    if not wheel.is_file():
        problems.append(
            f"the SDK wheel {wheel.name} is not in {SDK_CACHE} (run `python -m pip download --no-deps "
            f"--require-hashes -r {SDK_REQUIREMENTS} -d {SDK_CACHE}`)"
        )
    return "; ".join(problems) or None


def _checked_sdk_wheel() -> Path:
    wheel = sdk_wheel_path()
    if not wheel.is_file():
        raise HostError(missing_toolchain() or f"missing {wheel}")
    _, _, expected = sdk_pin()
    actual = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if actual != expected:
        raise HostError(f"{wheel} has sha256 {actual}, but {SDK_REQUIREMENTS} pins {expected}; delete it and download again")
    return wheel


def echo_url(scheme: str = "http", path: str = "/") -> str:
    """A URL of the host's echo service: ``ws`` for ``WebSocket.new`` (which refuses http URLs),
    ``http`` for ``fetch`` (which refuses ws URLs, also with ``Upgrade: websocket``)."""
    if scheme not in ("http", "ws"):
        raise HostError(f"echo_url: scheme {scheme!r}: use 'http' or 'ws'")
    if not path.startswith("/"):
        raise HostError(f"echo_url: path {path!r} must start with /")
    return f"{scheme}://{ECHO_HOST}{path}"


# ------------------------------------------------------------------ reading a Worker's source


def durable_objects_in(source: str) -> dict[str, str]:
    """The module-level ``DURABLE_OBJECTS = {"BINDING": ClassName, ...}`` of a Worker source,
    as {binding: class name}, read without running it ({} when there is none)."""
    tree = ast.parse(source)
    table: dict[str, str] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if not any(isinstance(t, ast.Name) and t.id == "DURABLE_OBJECTS" for t in targets):
            continue
        if not isinstance(node.value, ast.Dict):
            raise HostError("DURABLE_OBJECTS must be a dict literal {\"BINDING\": ClassName}")
        table = {}
        for key, value in zip(node.value.keys, node.value.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(value, ast.Name)):
                raise HostError("DURABLE_OBJECTS entries must be \"BINDING\": ClassName")
            table[key.value] = value.id
    return table


def public_methods(source: str, class_name: str, *more_sources: str) -> list[str]:
    """Public methods of a class defined in ``source`` or ``more_sources`` (the Worker's local
    modules; with those of its bases defined there), as workerd's introspection.py
    ``collect_methods`` lists them for its JavaScript shell."""
    classes = {}
    for text in (*more_sources, source):
        classes |= {n.name: n for n in ast.parse(text).body if isinstance(n, ast.ClassDef)}
    names: set[str] = set()
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in classes:
            return
        seen.add(name)
        node = classes[name]
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_"):
                if not any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod", "property") for d in item.decorator_list):
                    names.add(item.name)
        for base in node.bases:
            if isinstance(base, ast.Name):
                visit(base.id)

    visit(class_name)
    return sorted(names)


# ------------------------------------------------------------------ the workerd config

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
_BINDING = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MODULE_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*\.py")


@dataclass(frozen=True)
class WorkerSpec:
    """One Python Worker to serve: its source, its entrypoint class, its compatibility settings."""

    name: str
    source: str
    entrypoint: str = "Default"
    compat_date: str = DEFAULT_COMPAT_DATE
    flags: tuple[str, ...] = ()
    durable_objects: Mapping[str, str] | None = None  # None: read DURABLE_OBJECTS from source
    modules: Mapping[str, str] | None = None  # local modules: path under /session/metadata -> source
    vars: Mapping[str, str] | None = None  # text bindings: NAME -> the string self.env.NAME holds

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise HostError(f"Worker name {self.name!r}: use letters, digits and _ (a Python module name)")
        object.__setattr__(self, "flags", tuple(self.flags))
        object.__setattr__(self, "modules", dict(self.modules or {}))
        object.__setattr__(self, "vars", dict(self.vars or {}))
        for name, value in self.vars.items():
            if not (isinstance(name, str) and _BINDING.fullmatch(name)) or not isinstance(value, str):
                raise HostError(f"Worker {self.name}: var {name!r}: a Python name bound to a string")
        if self.vars:
            clash = sorted(self.vars.keys() & self.bindings().keys())
            if clash:
                raise HostError(f"Worker {self.name}: {', '.join(clash)} is both a var and a Durable Object binding")
        for path in self.modules:
            if not _MODULE_PATH.fullmatch(path):
                raise HostError(f"Worker {self.name}: local module path {path!r}: a relative path of Python names ending in .py")

    @property
    def module(self) -> str:
        """The Python module name of this Worker inside Pyodide."""
        return "worker_" + self.name

    @property
    def files(self) -> list[str]:
        """Every file this Worker puts in /session/metadata: its module and its local modules."""
        return [self.module + ".py", *self.modules]

    def bindings(self) -> dict[str, str]:
        if self.durable_objects is not None:
            return dict(self.durable_objects)
        try:
            return durable_objects_in(self.source)
        except SyntaxError:
            return {}  # it will fail to import; the host reports that


def _capnp(value: str) -> str:
    return json.dumps(value)  # Cap'n Proto text literals accept JSON's escapes


@dataclass
class _Group:
    """Workers sharing one JavaScript Worker (same compatibility date and flags)."""

    index: int
    compat_date: str
    flags: tuple[str, ...]
    specs: list[WorkerSpec] = field(default_factory=list)

    @property
    def service(self) -> str:
        return f"py{self.index}"

    @property
    def main_module(self) -> str:
        return f"main{self.index}.mjs"

    @property
    def control_socket(self) -> str:
        return f"control{self.index}"


def _group(specs: Iterable[WorkerSpec]) -> list[_Group]:
    groups: dict[tuple[str, tuple[str, ...]], _Group] = {}
    names: set[str] = set()
    for spec in specs:
        if spec.name in names:
            raise HostError(f"two Workers named {spec.name!r}")
        names.add(spec.name)
        key = (spec.compat_date, spec.flags)
        if key not in groups:
            groups[key] = _Group(len(groups), spec.compat_date, spec.flags)
        groups[key].specs.append(spec)
    for group in groups.values():
        # One folder and one sys.modules per group: a top-level module name belongs to one Worker.
        owners: dict[str, str] = {}
        for spec in group.specs:
            for top in dict.fromkeys(path.split("/")[0].removesuffix(".py") for path in spec.files):
                if top in owners:
                    raise HostError(
                        f"Workers {owners[top]!r} and {spec.name!r} both have a module {top!r}; Workers of "
                        "one compatibility group share /session/metadata: rename one"
                    )
                owners[top] = spec.name
    return list(groups.values())


def main_module_text(group: _Group) -> str:
    """The ES module workerd loads for one group: the sources and one export per entrypoint."""
    lines = [
        "// Generated by tests/pyodide_workerd/harness.py for one test session: do not edit.",
        'import { registerSources, registerFiles, pythonEntrypoint, pythonDurableObject, HostControl } from "./host.mjs";',
    ]
    for i, spec in enumerate(group.specs):
        lines.append(f"import source{i} from {json.dumps('./' + spec.module + '.py')};")
    table = ", ".join(f"{json.dumps(spec.module)}: source{i}" for i, spec in enumerate(group.specs))
    lines.append(f"registerSources({{ {table} }});")
    local = [path for spec in group.specs for path in spec.modules]
    if local:
        for k, path in enumerate(local):
            lines.append(f"import file{k} from {json.dumps('./' + path)};")
        table = ", ".join(f"{json.dumps(path)}: file{k}" for k, path in enumerate(local))
        lines.append(f"registerFiles({{ {table} }});")
    for spec in group.specs:
        parses = all(_parses(text) for text in (spec.source, *spec.modules.values()))
        methods = json.dumps(public_methods(spec.source, spec.entrypoint, *spec.modules.values()) if parses else [])
        lines.append(
            f"export const {spec.module}__{spec.entrypoint} = "
            f"pythonEntrypoint({json.dumps(spec.module)}, {json.dumps(spec.entrypoint)}, {methods});"
        )
        for class_name in dict.fromkeys(spec.bindings().values()):
            methods = json.dumps(public_methods(spec.source, class_name, *spec.modules.values()) if parses else [])
            lines.append(
                f"export const {spec.module}__{class_name} = "
                f"pythonDurableObject({json.dumps(spec.module)}, {json.dumps(class_name)}, {methods});"
            )
    lines.append("export { HostControl };")
    return "\n".join(lines) + "\n"


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def config_text(groups: list[_Group], storage_dir: Path) -> str:
    """The text of workerd's config.capnp for these groups (ports 0: workerd picks them)."""
    services: list[str] = [f"(name = {_capnp(ECHO_SERVICE)}, worker = .echo)"]
    sockets: list[str] = []
    workers: list[str] = [
        "const echo :Workerd.Worker = (\n"
        f"  compatibilityDate = {_capnp(DEFAULT_COMPAT_DATE)},\n"
        f"  modules = [(name = {_capnp(ECHO_MODULE)}, esModule = embed {_capnp(ECHO_MODULE)})],\n"
        ");\n"
    ]
    for group in groups:
        services.append(f"(name = {_capnp(group.service)}, worker = .{group.service})")
        disk = f"{group.service}-storage"
        services.append(
            f"(name = {_capnp(disk)}, disk = (path = {_capnp(str(storage_dir / group.service))}, writable = true))"
        )
        sockets.append(
            f"(name = {_capnp(group.control_socket)}, address = \"127.0.0.1:0\", http = (),"
            f" service = (name = {_capnp(group.service)}, entrypoint = \"HostControl\"))"
        )
        modules = [f"(name = {_capnp(group.main_module)}, esModule = embed {_capnp(group.main_module)})"]
        for name, kind in {**HOST_FILES, **PYODIDE_FILES, "sdk.whl": "data"}.items():
            modules.append(f"(name = {_capnp(name)}, {kind} = embed {_capnp(name)})")
        bindings: list[str] = []
        namespaces: list[str] = []
        for spec in group.specs:
            sockets.append(
                f"(name = {_capnp(spec.name)}, address = \"127.0.0.1:0\", http = (),"
                f" service = (name = {_capnp(group.service)}, entrypoint = {_capnp(spec.module + '__' + spec.entrypoint)}))"
            )
            for path in spec.files:
                modules.append(f"(name = {_capnp(path)}, text = embed {_capnp(path)})")
            for binding, class_name in spec.bindings().items():
                exported = f"{spec.module}__{class_name}"
                bindings.append(f"(name = {_capnp(spec.module + '__' + binding)}, durableObjectNamespace = {_capnp(exported)})")
            for name, value in spec.vars.items():
                bindings.append(f"(name = {_capnp(spec.module + '__' + name)}, text = {_capnp(value)})")
            for class_name in dict.fromkeys(spec.bindings().values()):
                exported = f"{spec.module}__{class_name}"
                key = hashlib.sha256(f"wsguide-pyodide:{group.service}:{exported}".encode()).hexdigest()[:32]
                namespaces.append(f"(className = {_capnp(exported)}, uniqueKey = {_capnp(key)}, enableSql = true)")
        body = [
            f"  compatibilityDate = {_capnp(group.compat_date)},",
            f"  compatibilityFlags = [{', '.join(_capnp(f) for f in group.flags)}],",
            "  modules = [\n    " + ",\n    ".join(modules) + ",\n  ],",
            f"  globalOutbound = (name = {_capnp(ECHO_SERVICE)}),",
        ]
        if bindings:
            body.append("  bindings = [\n    " + ",\n    ".join(bindings) + ",\n  ],")
        if namespaces:
            body.append("  durableObjectNamespaces = [\n    " + ",\n    ".join(namespaces) + ",\n  ],")
            body.append(f"  durableObjectStorage = (localDisk = {_capnp(disk)}),")
        workers.append(f"const {group.service} :Workerd.Worker = (\n" + "\n".join(body) + "\n);\n")
    return "\n".join(
        [
            "# Generated by tests/pyodide_workerd/harness.py: do not edit.",
            'using Workerd = import "/workerd/workerd.capnp";',
            "",
            "const config :Workerd.Config = (",
            "  services = [\n    " + ",\n    ".join(services) + ",\n  ],",
            "  sockets = [\n    " + ",\n    ".join(sockets) + ",\n  ],",
            # One JSON object per line, with its level: console.log vs console.error vs the
            # runtime's own reports, in the order they happened.
            "  logging = (structuredLogging = true),",
            ");",
            "",
            *workers,
        ]
    )


# ------------------------------------------------------------------ the running process


class PyodideHost:
    """A running workerd serving the given Python Workers (use as a context manager)."""

    def __init__(
        self,
        specs: Iterable[WorkerSpec],
        *,
        startup_timeout: float = 20.0,
        request_timeout: float = 60.0,
        keep_dir: bool = False,
    ) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self.groups = _group(self.specs.values())
        self.startup_timeout = startup_timeout
        self.request_timeout = request_timeout
        self.keep_dir = keep_dir
        self.workdir: Path | None = None
        self.log_path: Path | None = None
        self.ports: dict[str, int] = {}
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_at = 0.0
        self._http: httpx.Client | None = None
        self._output = bytearray()
        self._output_changed = threading.Condition()
        self._output_closed = False
        self._reader: threading.Thread | None = None

    # -- life cycle

    def __enter__(self) -> PyodideHost:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write_files(self) -> Path:
        workdir = Path(tempfile.mkdtemp(prefix="wsguide-pyodide-"))
        for name in (*HOST_FILES, ECHO_MODULE):
            shutil.copyfile(HOST_DIR / name, workdir / name)
        for name in PYODIDE_FILES:
            (workdir / name).symlink_to(PYODIDE_DIR / name)
        (workdir / "sdk.whl").symlink_to(_checked_sdk_wheel())
        storage = workdir / "storage"
        for group in self.groups:
            (storage / group.service).mkdir(parents=True)
            (workdir / group.main_module).write_text(main_module_text(group), encoding="utf-8")
            for spec in group.specs:
                (workdir / (spec.module + ".py")).write_text(spec.source, encoding="utf-8")
                for path, text in spec.modules.items():
                    (workdir / path).parent.mkdir(parents=True, exist_ok=True)
                    (workdir / path).write_text(text, encoding="utf-8")
        (workdir / "config.capnp").write_text(config_text(self.groups, storage), encoding="utf-8")
        return workdir

    def start(self) -> None:
        reason = missing_toolchain()
        if reason:
            raise HostError(reason)
        self.workdir = self._write_files()
        self.log_path = self.workdir / "workerd.log"
        control_r, control_w = os.pipe()
        try:
            # stdout and stderr share one pipe, so lines keep the order they were written in; a
            # reader thread copies them to workerd.log (for people) and to memory (for waits).
            self.started_at = time.monotonic()
            self.process = subprocess.Popen(
                [str(WORKERD_BIN), "serve", "config.capnp", "--verbose", f"--control-fd={control_w}"],
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(control_w,),
            )
            self._reader = threading.Thread(target=self._read_output, name="workerd-output", daemon=True)
            self._reader.start()
        finally:
            os.close(control_w)
        try:
            self._wait_for_sockets(control_r)
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(control_r)
        self.ready_at = time.monotonic()
        self._http = httpx.Client(timeout=self.request_timeout, trust_env=False)

    def _wait_for_sockets(self, control_fd: int) -> None:
        """Read workerd's ``{"event":"listen","socket":NAME,"port":N}`` lines (sent once the
        Worker loaded) until every socket has its port, within ``startup_timeout``."""
        wanted = set(self.specs) | {g.control_socket for g in self.groups}
        deadline = time.monotonic() + self.startup_timeout
        buffer = b""
        while wanted - self.ports.keys():
            left = deadline - time.monotonic()
            if left <= 0:
                raise HostError(
                    f"workerd (pid {self.process.pid}) did not report sockets {sorted(wanted - self.ports.keys())} "
                    f"within {self.startup_timeout} s.\n{self._log_tail()}"
                )
            readable, _, _ = select.select([control_fd], [], [], min(left, 0.5))
            if not readable:
                if self.process.poll() is not None:
                    raise HostError(f"workerd exited with code {self.process.returncode} before it was ready.\n{self._log_tail()}")
                continue
            chunk = os.read(control_fd, 65536)
            if not chunk:
                self.process.wait(timeout=5)
                raise HostError(f"workerd closed its control pipe (exit code {self.process.returncode}).\n{self._log_tail()}")
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                with contextlib.suppress(ValueError):
                    event = json.loads(line)
                    if event.get("event") == "listen":
                        self.ports[event["socket"]] = int(event["port"])

    def stop(self, timeout: float = 2.0) -> None:
        """Stop exactly this workerd, by PID: SIGTERM, then SIGKILL after ``timeout`` (workerd
        keeps running on SIGTERM while WebSockets are open)."""
        if self._http is not None:
            self._http.close()
            self._http = None
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout)  # the pipe ends with the process; the log file is complete
            self._reader = None
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self.workdir is not None and not self.keep_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- addresses and requests to the host itself

    def base_url(self, name: str) -> str:
        """``http://127.0.0.1:PORT`` of one Worker."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def _group_of(self, name: str) -> _Group:
        return next(g for g in self.groups if any(s.name == name for s in g.specs))

    def _control(self, group: _Group, path: str, **params: str) -> httpx.Response:
        if self._http is None or self.process is None or self.process.poll() is not None:
            raise HostError(f"workerd is not running.\n{self._log_tail()}")
        url = f"http://127.0.0.1:{self.ports[group.control_socket]}{path}"
        return self._http.get(url, params=params)

    def load(self, name: str) -> dict[str, Any]:
        """Import one Worker's module in Pyodide (loading Pyodide first if this group has not
        yet): what it defines, or ``{"error": text}`` when the import failed."""
        spec = self.specs[name]
        response = self._control(self._group_of(name), "/load", module=spec.module)
        return response.json()

    def info(self, name: str | None = None) -> dict[str, Any]:
        """Versions and Pyodide load timings of the group serving ``name`` (or the first)."""
        group = self._group_of(name) if name else self.groups[0]
        return self._control(group, "/info").json()

    # -- the log

    def _read_output(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with self.log_path.open("ab") as log:
            for line in iter(self.process.stdout.readline, b""):
                log.write(line)
                log.flush()
                with self._output_changed:
                    self._output += line
                    self._output_changed.notify_all()
        with self._output_changed:
            self._output_closed = True
            self._output_changed.notify_all()

    def log_offset(self) -> int:
        """Where workerd's output ends now; pass to :meth:`log_entries`."""
        with self._output_changed:
            return len(self._output)

    def wait_for_output(self, needle: bytes, start: int, timeout: float) -> int | None:
        """Block until ``needle`` appears in workerd's output after ``start`` (woken by each new
        line); return its offset, or None after ``timeout`` s or once workerd's output ended."""
        found: list[int] = []

        def seen() -> bool:
            at = self._output.find(needle, start)
            if at >= 0:
                found.append(at)
            return bool(found) or self._output_closed

        with self._output_changed:
            self._output_changed.wait_for(seen, timeout)
        return found[0] if found else None

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until ``predicate()`` is true, re-checking it each time workerd prints a line;
        False after ``timeout`` s or once workerd's output ended without it."""
        with self._output_changed:
            return bool(self._output_changed.wait_for(lambda: predicate() or self._output_closed, timeout)) and predicate()

    def flush(self, timeout: float = 10.0) -> int:
        """Make sure everything workerd printed before this call has been read: ask the host to
        print a marker and wait (bounded) for it. Returns the offset of the marker's line."""
        token = uuid.uuid4().hex
        needle = f"@@wsguide-flush {token}@@".encode()
        start = self.log_offset()
        self._control(self.groups[0], "/flush", token=token)
        at = self.wait_for_output(needle, start, timeout)
        if at is None:
            raise HostError(f"workerd's output did not show the flush marker within {timeout} s.\n{self._log_tail()}")
        with self._output_changed:
            return self._output.rfind(b"\n", 0, at) + 1

    def log_entries(self, start: int, end: int | None = None) -> list[dict[str, Any]]:
        """workerd's structured log lines between two offsets, parsed (a line that is not JSON
        comes back as ``{"level": "raw", "message": line}``)."""
        with self._output_changed:
            data = bytes(self._output[start:end])
        entries = []
        for line in data.decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"level": "raw", "message": line}
            if "@@wsguide-flush " in str(entry.get("message", "")):
                continue
            entries.append(entry)
        return entries

    def _log_tail(self, lines: int = 40) -> str:
        with self._output_changed:
            if not self._output:
                return "(no workerd output)"
            text = self._output.decode("utf-8", errors="replace").splitlines()[-lines:]
        return "workerd output (last lines):\n" + "\n".join(text) + f"\n(config: {self.workdir}/config.capnp)"
