"""The `wrangler` marker of tests/export/conftest.py: skip without the toolchain, fail in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TOOLCHAIN, required

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize(("value", "on"), [("1", True), ("yes", True), ("", False), ("0", False), (None, False)])
def test_require_variable_turns_the_rule_on(value, on):
    environ = {} if value is None else {"WSGUIDE_REQUIRE_WRANGLER": value}
    assert required(environ) is on


def test_missing_names_every_absent_tool_and_how_to_install_it():
    reason = TOOLCHAIN.missing(exists=lambda p: False, platform="linux")
    for part in ("Node 22 not found at", "wrangler not found at", "config-schema.json not found at",
                 "workers_runtime_sdk-1.9.5-py3-none-any.whl", "python tests/export/toolchain.py install"):
        assert part in reason
    assert TOOLCHAIN.missing(exists=lambda p: True) is None


def test_node_is_the_one_npm_installs_here():
    assert TOOLCHAIN.node_path("linux").parts[-5:] == ("tests", "export", "node_modules", ".bin", "node")


SAMPLE = """
import pytest

@pytest.mark.wrangler
def test_needs_wrangler():
    pass

def test_uses_fixture(toolchain):
    pass

def test_plain():
    pass
"""


def run_sample(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    # A copy of the marker's files, and of the SDK pin beside them, in an empty folder: no
    # node_modules, no wheels.
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("conftest.py", "toolchain.py"):
        shutil.copy(HERE / name, folder / name)
    (tmp_path / "pyodide_workerd").mkdir()
    shutil.copy(HERE.parent / "pyodide_workerd" / "requirements-sdk.txt", tmp_path / "pyodide_workerd")
    (folder / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\nmarkers =\n    wrangler\n", encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WSGUIDE_")}
    environ.update(env, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rsE", "-p", "no:cacheprovider", "-q", str(folder)],
        cwd=folder, env=environ, capture_output=True, text=True, timeout=120,
    )


def test_missing_toolchain_skips_with_the_reason_by_default(tmp_path):
    result = run_sample(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 2 skipped" in result.stdout
    assert "wrangler test skipped: Node 22 not found at" in result.stdout


def test_require_variable_turns_those_skips_into_failures(tmp_path):
    result = run_sample(tmp_path, WSGUIDE_REQUIRE_WRANGLER="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 2 errors" in result.stdout
    assert "wrangler test required by WSGUIDE_REQUIRE_WRANGLER but Node 22 not found" in result.stdout
