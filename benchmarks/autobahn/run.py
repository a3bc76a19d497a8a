#!/usr/bin/env python3
"""Autobahn|Testsuite (``wstest``) against wsguide and raw ``websockets``, in one run.

    python3 benchmarks/autobahn/run.py --install          # once: wstest into .cache/autobahn
    .venv/bin/python benchmarks/autobahn/run.py           # default groups, both servers (~1 min)
    .venv/bin/python benchmarks/autobahn/run.py --groups default,compression-quick   # what CI runs
    .venv/bin/python benchmarks/autobahn/run.py --groups compression   # 12.*, 13.* (10-20 min a server)
    .venv/bin/python benchmarks/autobahn/run.py --cases 7.1.* --servers wsguide,workerd

What it does:

1. ``--install`` puts ``wstest`` into ``.cache/autobahn/`` (ignored by git). The
   Autobahn testsuite needs Python 2.7, which Debian bookworm no longer ships, so
   the script takes CPython 2.7.18 from Debian bullseye: ``apt-get download``
   with a private apt state (a ``bullseye main`` source on the Debian mirror
   this machine's apt already uses, or ``$WSGUIDE_DEBIAN_MIRROR``; signatures
   checked with the system's Debian keyring; nothing in ``/etc/apt`` or the dpkg
   database changes), each ``.deb`` checked against the SHA-256 pinned in
   ``DEBS`` below and unpacked with ``dpkg-deb -x``. Debian's pip 20.3.4 for
   Python 2 (``python-pip-whl``) installs the pinned pip, setuptools and wheel
   (``requirements-py27-build.txt``), and that pip installs ``autobahntestsuite``
   and its dependencies from PyPI (``requirements-py27.txt``); every file is
   hash-checked (``--require-hashes``), nothing unpinned is fetched
   (``--no-build-isolation``). Five of them are sdists; wsaccel and
   zope.interface compile C, so ``cc`` is needed. About 20 s; when
   ``.cache/autobahn/installed.json`` matches the pins it returns at once.
   Needs Linux x86-64 with ``apt-get``, ``dpkg-deb`` and ``cc``.

2. For each group set on ``--groups`` and each server on ``--servers``, it starts
   a fresh server on a free port of 127.0.0.1, waits for the server to say it is
   ready (no sleeping), runs ``wstest --mode fuzzingclient`` against it, and stops
   it by PID:

   * ``wsguide``: ``python -m wsguide dev benchmarks/autobahn/echo_worker.py``,
     the guide's echo Worker (examples/echo.py) with one change: it accepts
     ``Upgrade: WebSocket``, which is what wstest sends (examples/echo.py, like
     the guide, compares the header exactly and answers 426). It runs at
     compatibility date ``WSGUIDE_COMPATIBILITY_DATE``, where permessage-deflate
     is negotiated and the runtime answers the peer's Close; the Worker sets
     ``binaryType = "arraybuffer"``, so binary is echoed as binary;
   * ``raw``: ``benchmarks/anchor/py_server.py`` (plain ``websockets``, the same
     installed version, echoing with ``async for msg in ws: await ws.send(msg)``)
     with permessage-deflate and the same 32 MiB message limit;
   * ``workerd`` (only when named): Cloudflare's runtime from ``npm ci`` in
     tests/parity, serving the same Worker in JavaScript (``echo_worker.js``);
   * ``--url NAME=ws://...`` adds a server you started yourself.

   Group sets (``GROUPS``): ``default`` is every case except 12.* and 13.*
   (9.*, large messages, included: ~15 s a server); ``quick`` is ``default``
   without 9.*; ``compression`` is 12.* and 13.* (permessage-deflate, 1000
   messages of up to 128 KiB a case); ``compression-quick`` is those with
   messages up to 8 KiB. ``--cases 7.1.*,5.1`` runs only those cases (wstest's
   patterns: ``*`` is a wildcard and a pattern matches ids that start like it).

3. It writes ``summary.json`` and ``summary.md`` into ``--out`` (default
   ``.cache/autobahn/reports/latest``, replaced), beside wstest's own reports (one
   folder per group set and server, with ``index.html``), and prints the
   markdown. For each run: the count of each wstest verdict, the FAILED cases
   with wstest's description of the case and of what went wrong, the seconds per
   top-level group, and any case that did not run because the server died.

Reading the result: ``OK`` and ``NON-STRICT`` are passes (NON-STRICT: allowed by
RFC 6455 but not what the suite prefers, e.g. failing a bad message before
echoing the one before it); ``INFORMATIONAL`` cases have no verdict;
``UNIMPLEMENTED`` means the server did not negotiate the extension the case
needs; ``FAILED`` is a protocol violation, or a case that did not complete.

Exit status: 0 when wsguide fails no case beyond ``ALLOWED_FAILED`` for its group
set (7.1.5 in ``default`` and ``quick``, which raw ``websockets`` fails too: it
answers a Close that arrives in the middle of a fragmented message with 1002,
where the suite wants the peer's code echoed; none in the compression sets) and
ran every case; 1 otherwise; 2 when wstest is not installed, a server does not
start or wstest fails. The other servers are yardsticks: reported, never counted.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".cache" / "autobahn"
REQUIREMENTS = HERE / "requirements-py27.txt"
BUILD_REQUIREMENTS = HERE / "requirements-py27-build.txt"
#: The guide's echo Worker with a case-insensitive Upgrade check (see its docstring),
#: and the same Worker in JavaScript for workerd (optional: --servers ...,workerd).
ECHO_WORKER = HERE / "echo_worker.py"
ECHO_WORKER_JS = HERE / "echo_worker.js"
WORKERD = ROOT / "tests" / "parity" / "node_modules" / ".bin" / "workerd"
WORKERD_CONFIG = """\
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .echo) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const echo :Workerd.Worker = (
  modules = [ (name = "{js}", esModule = embed "{js}") ],
  compatibilityDate = "{date}",
);
"""

#: The Debian suite Python 2.7 comes from, and the packages taken from it
#: (amd64): (name, version, SHA-256 of the .deb). apt checks them against the
#: signed index too; the hashes here make a changed archive fail loudly.
DEBIAN_SUITE = "bullseye"
DEBS = (
    ("python2.7-minimal", "2.7.18-8+deb11u1", "44f0cdc1a343303d31c55fcb3a6402cfe326adf749ec30e375e6e0c0c5f7c1f7"),
    ("libpython2.7-minimal", "2.7.18-8+deb11u1", "85833c92314011b89bbead6f9a5a7a360b5ee4f9b95e001225afead4ebf9f7d3"),
    ("libpython2.7-stdlib", "2.7.18-8+deb11u1", "3e627d6d8992b853e000b8a4c09dda613fb767cdb711a2eac20ebc9f867b593c"),
    # Headers, for the two dependencies built from source (wsaccel, zope.interface).
    ("libpython2.7-dev", "2.7.18-8+deb11u1", "887034beb360069df8b519ad93893454ef3402415775a0466940fb73d6a8b8ca"),
    # Libraries bookworm replaced (libssl3, libffi8); found through LD_LIBRARY_PATH.
    ("libssl1.1", "1.1.1w-0+deb11u1", "aadf8b4b197335645b230c2839b4517aa444fd2e8f434e5438c48a18857988f7"),
    ("libffi7", "3.3-6", "30ca89bfddae5fa6e0a2a044f22b6e50cd17c4bc6bc850c579819aeab7101f0f"),
    # pip 20.3.4 (the last pip for Python 2), setuptools 44.1.1 and wheel 0.34.2 as
    # wheels in usr/share/python-wheels, where Debian's pip looks for its own parts.
    ("python-pip-whl", "20.3.4-4+deb11u1", "4f489177a9ece2ea78c04a25115991a7a11f5adb75404888c5a84ac2a7f33ac4"),
)
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
ARCH_DIR = "x86_64-linux-gnu"

#: wsguide's echo Worker runs at this date: compression on (2023-08-15), the
#: runtime answers the peer's Close (2026-04-07). Pinned so a new default date
#: cannot move the figures without a commit.
WSGUIDE_COMPATIBILITY_DATE = "2026-11-01"
MAX_MESSAGE = 2**25  # workerd's 32 MiB, for both servers

#: Case sets, as wstest's (cases, exclude-cases) patterns. A pattern matches case
#: ids that start like it ("12.1.1" would also match 12.1.10), so the short
#: compression set lists its ids.
GROUPS = {
    # 1-7 framing, pings, reserved bits, opcodes, fragments, UTF-8, closing;
    # 9 limits and performance (messages up to 16 MiB); 10 auto-fragmentation.
    "default": (["*"], ["12.*", "13.*"]),
    "quick": (["*"], ["9.*", "12.*", "13.*"]),
    # 12 permessage-deflate with the default offer, over five kinds of payload;
    # 13 the same with each negotiable parameter. 1000 messages per case, up to 128 KiB.
    "compression": (["12.*", "13.*"], []),
    # Every kind of payload and every offer, with messages up to 4 KiB (x.y.1-5)
    # and 8 KiB messages in 256-byte fragments (x.y.11).
    "compression-quick": (
        [f"{g}.{k}.{n}" for g, kinds in ((12, 5), (13, 7)) for k in range(1, kinds + 1) for n in (1, 2, 3, 4, 5, 11)],
        [],
    ),
}
#: FAILED cases wsguide may have per group set (7.1.5: raw `websockets` fails it too).
ALLOWED_FAILED = {"default": {"7.1.5"}, "quick": {"7.1.5"}, "compression": set(), "compression-quick": set()}
VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
SERVERS = ("raw", "wsguide")
#: Run only when asked for: Cloudflare's runtime, from `npm ci` in tests/parity.
OPTIONAL_SERVERS = ("workerd",)

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class AutobahnError(RuntimeError):
    """An install or run step that cannot go on; the message says why."""


# ---------------------------------------------------------------- install


def fingerprint() -> str:
    """Hash of everything the install depends on: a change means reinstall."""
    h = hashlib.sha256()
    h.update(repr((DEBIAN_SUITE, DEBS)).encode())
    h.update(BUILD_REQUIREMENTS.read_bytes())
    h.update(REQUIREMENTS.read_bytes())
    return h.hexdigest()


def python2(cache: Path = CACHE) -> Path:
    return cache / "python2.7" / "usr" / "bin" / "python2.7"


def python2_env(cache: Path = CACHE, base: dict | None = None) -> dict:
    """Environment for the unpacked Python 2.7: its libraries, no user site."""
    env = dict(os.environ if base is None else base)
    libdir = str(cache / "python2.7" / "usr" / "lib" / ARCH_DIR)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [libdir, env.get("LD_LIBRARY_PATH")]))
    env["PYTHONNOUSERSITE"] = "1"
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    # pyOpenSSL/cryptography warn at import that Python 2 is unsupported.
    env["PYTHONWARNINGS"] = "ignore"
    return env


def wstest_command(cache: Path = CACHE) -> list[str]:
    """argv prefix that runs wstest (add its options)."""
    code = "import sys; sys.argv[0] = 'wstest'; from autobahntestsuite.wstest import run; run()"
    return [str(python2(cache)), "-s", "-c", code]


def cannot_install_reason() -> str | None:
    """Why this machine cannot install wstest the way --install does, or None."""
    problems = []
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        problems.append(f"needs Linux on x86-64 (this is {sys.platform} on {platform.machine()})")
    else:
        for tool in ("apt-get", "dpkg-deb", "cc"):
            if shutil.which(tool) is None:
                problems.append(f"`{tool}` is not on PATH")
        if not DEBIAN_KEYRING.is_file():
            problems.append(f"no Debian keyring at {DEBIAN_KEYRING} (package debian-archive-keyring)")
    return "; ".join(problems) or None


def installed_problem(cache: Path = CACHE) -> str | None:
    """Why wstest is not ready to run from `cache`, or None when it is."""
    stamp = cache / "installed.json"
    if not stamp.is_file() or not python2(cache).is_file():
        return f"wstest is not installed in {cache}"
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        recorded = None
    if recorded != fingerprint():
        return f"wstest in {cache} was installed from other pins than {REQUIREMENTS.name} and DEBS"
    return None


def missing_reason(cache: Path = CACHE) -> str | None:
    """For the test suite: why Autobahn tests cannot run here, or None."""
    problem = installed_problem(cache)
    if problem is None:
        return None
    how = f"install it with `python3 {Path(__file__).relative_to(ROOT)} --install`"
    blocker = cannot_install_reason()
    if blocker:
        how += f", which cannot work on this machine: {blocker}"
    else:
        how += " (Debian's apt and PyPI, about 30 s)"
    return f"{problem}; {how}"


def _say(message: str) -> None:
    print(f"autobahn: {message}", file=sys.stderr, flush=True)


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if result.returncode != 0:
        raise AutobahnError(f"`{' '.join(argv[:4])} ...` failed (exit {result.returncode}):\n{result.stdout[-4000:]}")
    return result


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _os_release() -> dict[str, str]:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {key: value.strip('"') for key, _, value in pairs}


def debian_mirror() -> str:
    """The Debian archive this machine's apt already uses ($WSGUIDE_DEBIAN_MIRROR overrides)."""
    override = os.environ.get("WSGUIDE_DEBIAN_MIRROR", "").strip()
    if override:
        return override
    # With apt's lists present, the archive says who it is (Origin and Label "Debian").
    out = _run(["apt-get", "indextargets", "--format", "$(REPO_URI)\t$(ORIGIN)\t$(LABEL)"]).stdout
    for line in out.splitlines():
        uri, _, rest = line.partition("\t")
        if rest == "Debian\tDebian" and uri.startswith(("http://", "https://")):
            return uri
    # Before any `apt-get update`: the source of this Debian release's own suite.
    release = _os_release()
    if release.get("ID") == "debian" and release.get("VERSION_CODENAME"):
        out = _run(["apt-get", "indextargets", "--no-release-info", "--format", "$(REPO_URI)\t$(RELEASE)"]).stdout
        for line in out.splitlines():
            uri, _, suite = line.partition("\t")
            if suite == release["VERSION_CODENAME"] and uri.startswith(("http://", "https://")):
                return uri
    raise AutobahnError(
        "found no Debian archive in this machine's apt sources (`apt-get indextargets`); "
        "set WSGUIDE_DEBIAN_MIRROR to one (the URL that ends in /debian)"
    )


def _apt_options(state: Path) -> list[str]:
    options = {
        "Dir::Etc::SourceList": state / "sources.list",
        "Dir::Etc::SourceParts": "/dev/null",
        "Dir::Etc::Preferences": "/dev/null",
        "Dir::Etc::PreferencesParts": "/dev/null",
        "Dir::State::Lists": state / "lists",
        "Dir::State::status": "/dev/null",
        "Dir::Cache": state / "cache",
        "APT::Architecture": "amd64",
        "APT::Architectures": "amd64",
    }
    if os.geteuid() == 0:
        # apt would hand the download to its `_apt` user, who cannot write here.
        options["APT::Sandbox::User"] = "root"
    return [arg for key, value in options.items() for arg in ("-o", f"{key}={value}")]


def fetch_debs(cache: Path) -> list[Path]:
    """The pinned .debs in cache/debs, downloaded with apt when missing or wrong."""
    debs_dir = cache / "debs"
    debs_dir.mkdir(parents=True, exist_ok=True)

    def local(name: str, version: str) -> Path:
        return debs_dir / f"{name}_{version.replace(':', '%3a')}_{'all' if name == 'python-pip-whl' else 'amd64'}.deb"

    wanted = [(local(n, v), n, v, sha) for n, v, sha in DEBS]
    todo = [(n, v) for path, n, v, sha in wanted if not (path.is_file() and _sha256(path) == sha)]
    if todo:
        state = cache / "apt"
        for sub in ("lists/partial", "cache/archives/partial"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        mirror = debian_mirror()
        (state / "sources.list").write_text(
            f"deb [signed-by={DEBIAN_KEYRING}] {mirror} {DEBIAN_SUITE} main\n", encoding="utf-8"
        )
        options = _apt_options(state)
        _say(f"apt: {DEBIAN_SUITE} main from {mirror} (private apt state in {state})")
        _run(["apt-get", *options, "-q", "update"])
        _run(["apt-get", *options, "-q", "download", *(f"{n}={v}" for n, v in todo)], cwd=debs_dir)
        shutil.rmtree(state)  # the index (17 MB) is only needed for the download
    for path, name, version, sha in wanted:
        if not path.is_file():
            raise AutobahnError(f"apt did not leave {path.name} in {debs_dir}")
        got = _sha256(path)
        if got != sha:
            raise AutobahnError(f"{path.name}: SHA-256 {got}, pinned {sha}")
    return [path for path, *_ in wanted]


def install(cache: Path = CACHE, force: bool = False) -> dict:
    """Install wstest into `cache` unless the pinned install is already there."""
    if not force and installed_problem(cache) is None:
        return json.loads((cache / "installed.json").read_text(encoding="utf-8"))
    blocker = cannot_install_reason()
    if blocker:
        raise AutobahnError(f"cannot install wstest here: {blocker}")
    started = time.monotonic()
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "installed.json").unlink(missing_ok=True)
    debs = fetch_debs(cache)

    # Unpack into a fresh folder, moved into place only when complete.
    root = cache / "python2.7"
    staging = Path(tempfile.mkdtemp(prefix="python2.7.", dir=cache))
    try:
        for deb in debs:
            _run(["dpkg-deb", "-x", str(deb), str(staging)])
        shutil.rmtree(root, ignore_errors=True)
        staging.rename(root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    py = python2(cache)
    env = python2_env(cache)
    # Debian's pip runs from its wheel file (it finds its parts beside it) and
    # installs the pinned pip, setuptools and wheel into build-tools; that pip
    # installs wstest and builds its sdists with them (--no-build-isolation: no
    # unpinned build dependency is fetched).
    pip_wheel = next((root / "usr" / "share" / "python-wheels").glob("pip-*.whl"))
    build_dir = cache / "build-tools"
    shutil.rmtree(build_dir, ignore_errors=True)
    env["PYTHONPATH"] = str(pip_wheel)
    _say(f"pip (Python 2.7): {BUILD_REQUIREMENTS.name} into {build_dir}")
    _run(
        [str(py), "-s", "-m", "pip", "install", "--isolated", "--no-cache-dir", "--disable-pip-version-check",
         "--require-hashes", "--target", str(build_dir), "-r", str(BUILD_REQUIREMENTS)],
        env=env,
    )
    env["PYTHONPATH"] = str(build_dir)
    include = root / "usr" / "include"
    env["CPPFLAGS"] = f"-I{include / 'python2.7'} -I{include}"
    site = root / "usr" / "lib" / "python2.7" / "dist-packages"
    _say(f"pip (Python 2.7): {REQUIREMENTS.name} into {site}")
    _run(
        [
            str(py), "-s", "-m", "pip", "install", "--isolated", "--no-cache-dir",
            "--disable-pip-version-check", "--no-warn-script-location",
            "--require-hashes", "--no-build-isolation",
            "--target", str(site), "-r", str(REQUIREMENTS),
        ],
        env=env,
    )
    probe = _run(
        [str(py), "-s", "-c", "import sys, autobahn, autobahntestsuite, wsaccel; "
         "print(sys.version.split()[0]); print(autobahntestsuite.__version__); print(autobahn.__version__)"],
        env=python2_env(cache),
    ).stdout.split()
    record = {
        "fingerprint": fingerprint(),
        "python": probe[0],
        "debian": {name: version for name, version, _ in DEBS},
        "autobahntestsuite": probe[1],
        "autobahn": probe[2],
        "installed_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "install_seconds": round(time.monotonic() - started, 1),
    }
    (cache / "installed.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    bin_dir = cache / "bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / "wstest"
    launcher.write_text(
        "#!/bin/sh\n# Written by benchmarks/autobahn/run.py --install.\n"
        f"LD_LIBRARY_PATH='{root / 'usr' / 'lib' / ARCH_DIR}'${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}} "
        f"PYTHONWARNINGS=ignore exec '{py}' -s -c \"{wstest_command(cache)[-1]}\" \"$@\"\n",
        encoding="utf-8",
    )
    launcher.chmod(0o755)
    _say(f"wstest {record['autobahntestsuite']} on Python {record['python']} installed in {record['install_seconds']} s")
    return record


# ---------------------------------------------------------------- servers


class Server:
    """One server under test: a child process on a free port of 127.0.0.1.

    It is ready when it says so: wsguide prints its banner, the raw server a
    READY line, workerd a "listen" event on its --control-fd pipe.
    """

    def __init__(self, name: str, python: str, logdir: Path):
        self.name = name
        logdir.mkdir(parents=True, exist_ok=True)
        self.log_path = logdir / f"{name}-server.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        pass_fds: tuple[int, ...] = ()
        control_r = control_w = None
        if name == "wsguide":
            argv = [
                python, "-m", "wsguide", "dev", str(ECHO_WORKER),
                "--port", "0", "--in-memory", "--compatibility-date", WSGUIDE_COMPATIBILITY_DATE,
            ]
            ready = re.compile(r"\(WebSocket: (ws://127\.0\.0\.1:\d+)/?\)")
        elif name == "raw":
            argv = [
                python, str(ROOT / "benchmarks" / "anchor" / "py_server.py"),
                "--port", "0", "--compression", "deflate", "--max-size", str(MAX_MESSAGE),
            ]
            ready = re.compile(r"^READY .*\bport=(\d+)")
        elif name == "workerd":
            if not WORKERD.is_file():
                raise AutobahnError(f"no workerd at {WORKERD} (run `npm ci` in tests/parity)")
            config = logdir / "config.capnp"
            shutil.copy(ECHO_WORKER_JS, logdir / ECHO_WORKER_JS.name)
            config.write_text(WORKERD_CONFIG.format(js=ECHO_WORKER_JS.name, date=WSGUIDE_COMPATIBILITY_DATE), encoding="utf-8")
            control_r, control_w = os.pipe()
            pass_fds = (control_w,)
            argv = [str(WORKERD), "serve", str(config), f"--control-fd={control_w}"]
            ready = re.compile(r'"event":"listen","socket":"http","port":(\d+)')
        else:
            raise ValueError(f"unknown server {name!r} (choose from {', '.join(SERVERS + OPTIONAL_SERVERS)})")
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            argv, cwd=ROOT if name != "workerd" else logdir, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self._log, text=True, pass_fds=pass_fds,
        )
        self._lines: queue.Queue = queue.Queue()
        self._pumps = [threading.Thread(target=self._pump, args=(self.proc.stdout, control_r is None), daemon=True)]
        if control_r is not None:
            os.close(control_w)
            control = os.fdopen(control_r, encoding="utf-8")
            self._pumps.append(threading.Thread(target=self._pump, args=(control, True), daemon=True))
        for pump in self._pumps:
            pump.start()
        self.url = self._wait_ready(ready)

    def _pump(self, stream, signals: bool) -> None:
        # Copies the child's output to its log (so the pipe never fills) and hands
        # each line of the stream that says "ready" to _wait_ready; None marks its end.
        for line in stream:
            self._log.write(line)
            self._log.flush()
            if signals:
                self._lines.put(line)
        if signals:
            self._lines.put(None)

    def _wait_ready(self, ready: re.Pattern) -> str:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.001))
            except queue.Empty:
                self.stop()
                raise AutobahnError(f"{self.name} server said nothing about being ready within {STARTUP_TIMEOUT:.0f} s; see {self.log_path}")
            if line is None:
                self.stop()
                raise AutobahnError(f"{self.name} server exited (code {self.proc.returncode}) before it was ready; see {self.log_path}")
            match = ready.search(line)
            if match:
                value = match.group(1)
                return value if value.startswith("ws://") else f"ws://127.0.0.1:{value}"

    def stop(self) -> None:
        """Stop the child by its PID: SIGTERM, then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for pump in self._pumps:
            pump.join(STOP_TIMEOUT)  # the child's pipes close when it exits
        if not self._log.closed:
            self._log.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------- wstest


def run_wstest(agent: str, url: str, cases: list[str], exclude: list[str], outdir: Path,
               cache: Path = CACHE, timeout: float = 1800.0) -> float:
    """Run the fuzzing client against `url`; returns the wall-clock seconds."""
    outdir.mkdir(parents=True, exist_ok=True)
    spec = {
        "outdir": str(outdir),
        "servers": [{"agent": agent, "url": url}],
        "cases": cases,
        "exclude-cases": exclude,
        "exclude-agent-cases": {},
    }
    spec_path = outdir / "fuzzingclient.json"
    spec_path.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    started = time.monotonic()
    with open(outdir / "wstest.log", "w", encoding="utf-8") as log:
        try:
            code = subprocess.run(
                [*wstest_command(cache), "--mode", "fuzzingclient", "--spec", str(spec_path)],
                cwd=outdir, env=python2_env(cache), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
            ).returncode
        except subprocess.TimeoutExpired:
            raise AutobahnError(f"wstest against {agent} did not finish within {timeout:.0f} s; see {outdir / 'wstest.log'}")
    if code != 0 or not (outdir / "index.json").is_file():
        raise AutobahnError(f"wstest against {agent} failed (exit {code}); see {outdir / 'wstest.log'}")
    return time.monotonic() - started


def expected_cases(cases: list[str], exclude: list[str], cache: Path = CACHE) -> list[str]:
    """The case ids wstest runs for these patterns (asked of wstest's own case set)."""
    code = (
        "import json, sys\n"
        "from autobahntestsuite.case import Cases, CaseCategories, CaseSubCategories, CaseBasename\n"
        "from autobahntestsuite.caseset import CaseSet\n"
        "spec = json.loads(sys.argv[1])\n"
        "print(json.dumps(CaseSet('fuzzing', CaseBasename, Cases, CaseCategories, CaseSubCategories).parseSpecCases(spec)))\n"
    )
    spec = json.dumps({"cases": cases, "exclude-cases": exclude})
    out = _run([str(python2(cache)), "-s", "-c", code, spec], env=python2_env(cache)).stdout
    return json.loads(out.strip().splitlines()[-1])


def _case_key(case_id: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in case_id.split("."))


def summarize(outdir: Path, agent: str, wall_seconds: float = float("inf")) -> dict:
    """Verdict counts, FAILED cases and time per group from wstest's reports."""
    index = json.loads((outdir / "index.json").read_text(encoding="utf-8")).get(agent, {})
    counts = {verdict: 0 for verdict in VERDICTS}
    group_ms: dict[str, int] = {}
    failed = []
    for case_id in sorted(index, key=_case_key):
        entry = index[case_id]
        verdict = entry["behavior"]
        counts[verdict] = counts.get(verdict, 0) + 1
        group = case_id.split(".")[0]
        duration = int(entry.get("duration", 0))
        if duration <= wall_seconds * 1000:  # a case that never connected has a nonsense duration
            group_ms[group] = group_ms.get(group, 0) + duration
        if verdict == "FAILED":
            report = json.loads((outdir / entry["reportfile"]).read_text(encoding="utf-8"))
            failed.append({
                "case": case_id,
                # wstest's descriptions carry HTML (the test vectors): keep the sentence.
                "description": " ".join(report.get("description", "").split("<")[0].split()),
                "expectation": report.get("expectation", ""),
                "result": report.get("result", ""),
                "close": report.get("resultClose", ""),
                "remote_close_code": report.get("remoteCloseCode"),
                "remote_close_reason": report.get("remoteCloseReason"),
            })
    return {
        "cases": sorted(index, key=_case_key),
        "counts": counts,
        "failed": failed,
        "group_seconds": {g: round(ms / 1000, 1) for g, ms in sorted(group_ms.items(), key=lambda kv: int(kv[0]))},
    }


def versions(python: str, cache: Path = CACHE, workerd: bool = False) -> dict:
    probe = subprocess.run(
        [python, "-c", "import websockets, wsguide, sys; print(websockets.__version__, "
         "getattr(wsguide, '__version__', '?'), sys.version.split()[0])"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
    )
    parts = probe.stdout.split() if probe.returncode == 0 else ["?", "?", "?"]
    installed = json.loads((cache / "installed.json").read_text(encoding="utf-8"))
    found = {}
    if workerd and WORKERD.is_file():
        probe = subprocess.run([str(WORKERD), "--version"], capture_output=True, text=True)
        found["workerd"] = (probe.stdout or probe.stderr).strip()
    return {
        **found,
        "websockets": parts[0],
        "wsguide": parts[1],
        "python": parts[2],
        "autobahntestsuite": installed["autobahntestsuite"],
        "autobahn": installed["autobahn"],
        "python2": f"{installed['python']} (Debian {installed['debian']['python2.7-minimal']})",
    }


def check(runs: list[dict]) -> list[str]:
    """Threshold violations: wsguide FAILED cases beyond ALLOWED_FAILED, or cases not run."""
    problems = []
    for run in runs:
        if run["server"] != "wsguide":
            continue
        if run["missing"] or run["server_exit_code"] is not None:
            problems.append(
                f"wsguide ran {len(run['cases'])} of {len(run['cases']) + len(run['missing'])} cases "
                f"in the {run['groups']} groups (server exit code {run['server_exit_code']})"
            )
        if run["groups"] not in ALLOWED_FAILED:
            continue
        extra = [f["case"] for f in run["failed"] if f["case"] not in ALLOWED_FAILED[run["groups"]]]
        if extra:
            allowed = ", ".join(sorted(ALLOWED_FAILED[run["groups"]])) or "none"
            problems.append(f"wsguide FAILED {', '.join(extra)} in the {run['groups']} groups (allowed: {allowed})")
    return problems


def markdown(summary: dict) -> str:
    v = summary["versions"]
    lines = [
        f"# Autobahn ({summary['date']})",
        "",
        f"wstest {v['autobahntestsuite']} (autobahn {v['autobahn']}, Python {v['python2']}); "
        f"servers on Python {v['python']}, websockets {v['websockets']}, wsguide {v['wsguide']} "
        f"(echo Worker, compatibility date {summary['compatibility_date']})"
        + (f"; {v['workerd']} (the same Worker in JavaScript)." if "workerd" in v else "."),
        "",
        "| groups | server | cases | " + " | ".join(VERDICTS) + " | wall s |",
        "|---|---|---:|" + "---:|" * len(VERDICTS) + "---:|",
    ]
    for run in summary["runs"]:
        counts = " | ".join(str(run["counts"].get(k, 0)) for k in VERDICTS)
        cases = str(len(run["cases"]))
        if run["missing"]:
            cases += f" of {len(run['cases']) + len(run['missing'])}"
        lines.append(f"| {run['groups']} | {run['server']} | {cases} | {counts} | {run['seconds']:.0f} |")
    lines.append("")
    for run in summary["runs"]:
        if run["missing"] or run["server_exit_code"] is not None:
            lines.append(
                f"- **{run['server']}, {run['groups']}: the server exited (code {run['server_exit_code']}) "
                f"during the run**; not run: {', '.join(run['missing']) or 'none'}"
            )
    for run in summary["runs"]:
        groups = ", ".join(f"{g}.*: {s:.0f}" for g, s in run["group_seconds"].items())
        lines.append(f"- {run['server']}, {run['groups']}: seconds per group (wstest's case durations): {groups}")
    lines.append("")
    for run in summary["runs"]:
        if not run["failed"]:
            continue
        lines.append(f"FAILED, {run['server']}, {run['groups']} groups:")
        lines.append("")
        for f in run["failed"]:
            outcome = f["result"] if f["close"] in ("", f["result"]) else f"{f['result']} {f['close']}"
            if f["remote_close_code"] is not None:
                reason = f" {f['remote_close_reason']!r}" if f["remote_close_reason"] else ""
                outcome += f" (the server's Close: {f['remote_close_code']}{reason})"
            lines.append(f"- **{f['case']}** {f['description']} — {outcome}")
        lines.append("")
    checked = [r for r in summary["runs"] if r["server"] == "wsguide" and r["groups"] in ALLOWED_FAILED]
    if summary["violations"]:
        lines += ["**Over the thresholds:**", ""] + [f"- {p}" for p in summary["violations"]] + [""]
    elif checked:
        lines += ["wsguide is within the thresholds (FAILED ⊆ {7.1.5} in default and quick, none in compression).", ""]
    else:
        lines += ["(No threshold applies: they are set for wsguide in the named group sets.)", ""]
    return "\n".join(lines)


class External:
    """A server started elsewhere (``--url NAME=ws://...``): run against, never stopped."""

    def __init__(self, name: str, url: str):
        self.name, self.url, self.proc = name, url, None

    def __enter__(self) -> "External":
        return self

    def __exit__(self, *exc) -> None:
        pass


def run_all(groups: list[str], servers: list[str], out: Path, python: str,
            cases: list[str] | None = None, cache: Path = CACHE,
            external: dict[str, str] | None = None) -> dict:
    """Run every group set against every server; write and return the summary."""
    problem = installed_problem(cache)
    if problem:
        raise AutobahnError(f"{problem}; run `python3 {Path(__file__).relative_to(ROOT)} --install` first")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    runs = []
    plan = [("cases", (cases, []))] if cases else [(g, GROUPS[g]) for g in groups]
    for group_name, (include, exclude) in plan:
        expected = expected_cases(include, exclude, cache)
        for server in [*servers, *(external or {})]:
            outdir = out / group_name / server
            if external and server in external:
                srv = External(server, external[server])
            else:
                _say(f"{group_name}: starting {server}")
                srv = Server(server, python, outdir)
            with srv:
                _say(f"{group_name}: wstest against {server} at {srv.url}")
                seconds = run_wstest(server, srv.url, include, exclude, outdir, cache)
                # A server that died mid-run leaves wstest's later cases unrun.
                exit_code = srv.proc.poll() if srv.proc else None
            result = summarize(outdir, server, seconds)
            missing = [c for c in expected if c not in set(result["cases"])]
            runs.append({
                "groups": group_name, "server": server, "seconds": round(seconds, 1), **result,
                "missing": missing, "server_exit_code": exit_code,
            })
            counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items() if v)
            failed = ", ".join(f["case"] for f in result["failed"]) or "none"
            _say(f"{group_name}: {server}: {len(result['cases'])} cases in {seconds:.0f} s: {counts}; FAILED: {failed}")
            if exit_code is not None or missing:
                _say(f"{group_name}: {server}: server exit code {exit_code} during the run; "
                     f"{len(missing)} case(s) not run: {', '.join(missing[:10])}")
    summary = {
        "date": _dt.date.today().isoformat(),
        "versions": versions(python, cache, workerd="workerd" in servers),
        "compatibility_date": WSGUIDE_COMPATIBILITY_DATE,
        "thresholds": {g: sorted(a) for g, a in ALLOWED_FAILED.items()},
        "runs": runs,
    }
    summary["violations"] = check(runs)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "summary.md").write_text(markdown(summary), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Autobahn|Testsuite against wsguide's echo Worker and raw websockets.",
        epilog="See the docstring of this file (and README.md, 'Autobahn') for how to read the result.",
    )
    parser.add_argument("--install", action="store_true", help="install wstest into .cache/autobahn (idempotent) and exit")
    parser.add_argument("--reinstall", action="store_true", help="install wstest again even when the pins match")
    parser.add_argument("--groups", default="default", help=f"comma-separated group sets: {', '.join(GROUPS)} (default: default)")
    parser.add_argument("--cases", help="comma-separated wstest case patterns (e.g. 7.*,5.1), instead of --groups")
    parser.add_argument("--servers", default=",".join(SERVERS),
                        help="comma-separated: raw, wsguide, workerd (default: raw,wsguide)")
    parser.add_argument("--url", action="append", default=[], metavar="NAME=URL",
                        help="also run against a server you started (e.g. workerd=ws://127.0.0.1:8787/); repeatable")
    parser.add_argument("--out", type=Path, default=CACHE / "reports" / "latest", help="report folder (replaced)")
    parser.add_argument("--python", default=sys.executable, help="Python that runs the servers (needs wsguide's dependencies)")
    args = parser.parse_args(argv)
    try:
        if args.install or args.reinstall:
            install(force=args.reinstall)
            return 0
        groups = [g.strip() for g in args.groups.split(",") if g.strip()]
        unknown = [g for g in groups if g not in GROUPS]
        if unknown:
            parser.error(f"unknown group set(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
        servers = [s.strip() for s in args.servers.split(",") if s.strip()]
        if any(s not in SERVERS + OPTIONAL_SERVERS for s in servers):
            parser.error(f"--servers takes {', '.join(SERVERS + OPTIONAL_SERVERS)} (or nothing: --servers '' with --url)")
        cases = [c.strip() for c in args.cases.split(",")] if args.cases else None
        external = {}
        for item in args.url:
            name, _, url = item.partition("=")
            if not name or not url.startswith(("ws://", "wss://")) or name in SERVERS + OPTIONAL_SERVERS:
                parser.error(f"--url expects NAME=ws://HOST:PORT/ with a new NAME, got {item!r}")
            external[name] = url
        summary = run_all(groups, servers, args.out.resolve(), args.python, cases, external=external)
    except AutobahnError as exc:
        _say(f"error: {exc}")
        return 2
    print(markdown(summary))
    print(f"(reports: {args.out}; summary.json and summary.md there)")
    return 1 if summary["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
