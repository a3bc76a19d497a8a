"""Shared test set-up: the `browser`, `workerd`, `pyodide` and `autobahn` markers.

Some tests need tools that pip does not install:

- `@pytest.mark.browser` needs Chromium (``/usr/bin/chromium``, or the path in
  ``WSGUIDE_CHROMIUM``) and the ``playwright`` module;
- `@pytest.mark.workerd` needs Cloudflare's ``workerd`` binary from
  ``tests/parity/node_modules`` (``npm ci`` in ``tests/parity``);
- `@pytest.mark.pyodide` needs workerd and Pyodide from
  ``tests/pyodide_workerd/node_modules`` (``npm ci`` in ``tests/pyodide_workerd``) and the
  Python Workers SDK wheel pinned in ``tests/pyodide_workerd/requirements-sdk.txt``, downloaded
  into ``tests/pyodide_workerd/.cache`` (``pip download``, see that file);
- `@pytest.mark.autobahn` needs the Autobahn testsuite's ``wstest`` (Python 2.7)
  in ``.cache/autobahn`` (``python3 benchmarks/autobahn/run.py --install``).
(`wrangler` has its own marker in tests/export/conftest.py.)

Without them those tests are skipped, with the reason in the summary. CI sets
``WSGUIDE_REQUIRE_BROWSER=1`` / ``WSGUIDE_REQUIRE_WORKERD=1`` /
``WSGUIDE_REQUIRE_PYODIDE=1`` / ``WSGUIDE_REQUIRE_AUTOBAHN=1``: then a missing tool makes
the test fail (an error at set-up) with the same reason, so a CI run can never pass by
skipping them.

Tests get the tools' paths from the fixtures ``chromium_executable``,
``workerd_executable`` and ``pyodide_toolchain``; using a fixture applies the
same skip-or-fail rule, with or without the marker.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
PARITY_BIN = TESTS_DIR / "parity" / "node_modules" / ".bin"
PYODIDE_WORKERD_DIR = TESTS_DIR / "pyodide_workerd"

AUTOBAHN_SCRIPT = TESTS_DIR.parent / "benchmarks" / "autobahn" / "run.py"

REQUIRE_ENV = {
    "browser": "WSGUIDE_REQUIRE_BROWSER",
    "workerd": "WSGUIDE_REQUIRE_WORKERD",
    "pyodide": "WSGUIDE_REQUIRE_PYODIDE",
    "autobahn": "WSGUIDE_REQUIRE_AUTOBAHN",
}

_OFF = {"", "0", "false", "no", "off"}


def required(kind: str, environ=os.environ) -> bool:
    """True when the environment says a missing `kind` tool must fail the test."""
    return environ.get(REQUIRE_ENV[kind], "").strip().lower() not in _OFF


def chromium_path(environ=os.environ) -> Path:
    """Where Chromium should be: $WSGUIDE_CHROMIUM if set, else /usr/bin/chromium."""
    override = environ.get("WSGUIDE_CHROMIUM", "").strip()
    return Path(override) if override else DEFAULT_CHROMIUM


def workerd_path(platform: str = sys.platform) -> Path:
    """The workerd launcher npm puts in tests/parity/node_modules/.bin."""
    return PARITY_BIN / ("workerd.cmd" if platform.startswith("win") else "workerd")


def browser_missing(environ=os.environ, exists=Path.is_file, has_module=None) -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if has_module is None:
        has_module = lambda name: importlib.util.find_spec(name) is not None  # noqa: E731
    problems = []
    chromium = chromium_path(environ)
    if not exists(chromium):
        where = "WSGUIDE_CHROMIUM" if environ.get("WSGUIDE_CHROMIUM", "").strip() else "default path"
        problems.append(
            f"Chromium not found at {chromium} ({where}; install it with "
            "`apt-get install chromium` or set WSGUIDE_CHROMIUM to its path)"
        )
    if not has_module("playwright"):
        problems.append("the playwright module is not installed (`pip install -e .[dev]`)")
    return "; ".join(problems) or None


def workerd_missing(exists=Path.is_file, platform: str = sys.platform) -> str | None:
    """Why workerd tests cannot run here, or None when they can."""
    path = workerd_path(platform)
    if exists(path):
        return None
    return f"workerd not found at {path} (run `npm ci` in tests/parity)"


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def sdk_wheel_name(requirements_text: str) -> str | None:
    """The wheel file that `pip download` saves for the `name==version --hash=...` pin."""
    m = re.search(r"^\s*([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)\s+--hash=sha256:[0-9a-f]{64}", requirements_text, re.M)
    return f"{m.group(1).replace('-', '_')}-{m.group(2)}-py3-none-any.whl" if m else None


def pyodide_missing(exists=Path.is_file, read_text=_read_text, platform: str = sys.platform) -> str | None:
    """Why pyodide tests cannot run here, or None when they can."""
    folder = PYODIDE_WORKERD_DIR
    problems = []
    workerd = folder / "node_modules" / ".bin" / ("workerd.cmd" if platform.startswith("win") else "workerd")
    wasm = folder / "node_modules" / "pyodide" / "pyodide.asm.wasm"
    absent = [str(p) for p in (workerd, wasm) if not exists(p)]
    if absent:
        problems.append(f"{' and '.join(absent)} not found (run `npm ci` in {folder})")
    requirements = folder / "requirements-sdk.txt"
    text = read_text(requirements)
    wheel = sdk_wheel_name(text) if text is not None else None
    if wheel is None:
        problems.append(f"no pinned SDK in {requirements}")
    elif not exists(folder / ".cache" / wheel):
        problems.append(
            f"the Python Workers SDK wheel {wheel} is not in {folder / '.cache'} (run `python -m pip download "
            f"--no-deps --require-hashes -r {requirements} -d {folder / '.cache'}`)"
        )
    return "; ".join(problems) or None
@functools.lru_cache(maxsize=None)
def load_autobahn(script: Path = AUTOBAHN_SCRIPT):
    """benchmarks/autobahn/run.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("wsguide_autobahn_run", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def autobahn_missing(script: Path = AUTOBAHN_SCRIPT) -> str | None:
    """Why Autobahn tests cannot run here (wstest not installed), or None when they can."""
    if not script.is_file():
        return f"no Autobahn runner at {script}"
    return load_autobahn(script).missing_reason()


def missing_reason(kind: str) -> str | None:
    if kind == "browser":
        return browser_missing()
    if kind == "workerd":
        return workerd_missing()
    if kind == "pyodide":
        return pyodide_missing()
    if kind == "autobahn":
        return autobahn_missing()
    raise ValueError(f"unknown requirement {kind!r}")


def skip_or_fail(kind: str) -> None:
    """Skip (or, when required by the environment, fail) if the `kind` tool is missing."""
    reason = missing_reason(kind)
    if reason is None:
        return
    if required(kind):
        pytest.fail(f"{kind} test required by {REQUIRE_ENV[kind]} but {reason}", pytrace=False)
    pytest.skip(f"{kind} test skipped: {reason}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for kind in REQUIRE_ENV:
        if item.get_closest_marker(kind) is not None:
            skip_or_fail(kind)


@pytest.fixture
def chromium_executable() -> str:
    """Path to Chromium, for ``playwright.chromium.launch(executable_path=...)``."""
    skip_or_fail("browser")
    return str(chromium_path())


@pytest.fixture
def workerd_executable() -> str:
    """Path to the workerd launcher installed by ``npm ci`` in tests/parity."""
    skip_or_fail("workerd")
    return str(workerd_path())


@pytest.fixture(scope="session")
def pyodide_toolchain() -> Path:
    """The folder holding workerd, Pyodide and the SDK wheel for the pyodide tests."""
    skip_or_fail("pyodide")
    return PYODIDE_WORKERD_DIR


# Property-based tests (hypothesis): in CI (CI=true) every run tries the same examples,
# derived from each test's name, and keeps no example database between runs.
try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
else:
    _hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
    if os.environ.get("CI", "").lower() not in _OFF:
        _hypothesis_settings.load_profile("ci")
