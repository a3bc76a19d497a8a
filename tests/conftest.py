"""Shared test set-up: the `browser`, `workerd` and `autobahn` markers.

Some tests need tools that pip does not install:

- `@pytest.mark.browser` needs Chromium (``/usr/bin/chromium``, or the path in
  ``WSGUIDE_CHROMIUM``) and the ``playwright`` module;
- `@pytest.mark.workerd` needs Cloudflare's ``workerd`` binary from
  ``tests/parity/node_modules`` (``npm ci`` in ``tests/parity``);
- `@pytest.mark.autobahn` needs the Autobahn testsuite's ``wstest`` (Python 2.7)
  in ``.cache/autobahn`` (``python3 benchmarks/autobahn/run.py --install``).

Without them those tests are skipped, with the reason in the summary. CI sets
``WSGUIDE_REQUIRE_BROWSER=1`` / ``WSGUIDE_REQUIRE_WORKERD=1`` /
``WSGUIDE_REQUIRE_AUTOBAHN=1``: then a missing tool makes the test fail (an
error at set-up) with the same reason, so a CI run can never pass by skipping them.

Tests get the tools' paths from the fixtures ``chromium_executable`` and
``workerd_executable``; using a fixture applies the same skip-or-fail rule,
with or without the marker.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
PARITY_BIN = TESTS_DIR / "parity" / "node_modules" / ".bin"

AUTOBAHN_SCRIPT = TESTS_DIR.parent / "benchmarks" / "autobahn" / "run.py"

REQUIRE_ENV = {
    "browser": "WSGUIDE_REQUIRE_BROWSER",
    "workerd": "WSGUIDE_REQUIRE_WORKERD",
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
