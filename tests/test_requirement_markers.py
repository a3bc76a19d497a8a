"""The `browser`, `workerd`, `pyodide` and `autobahn` markers from tests/conftest.py: skip here, fail in CI."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parent / "conftest.py"
ROOT = CONFTEST.parents[1]


@pytest.fixture(scope="module")
def markers():
    # A private copy of the module: its hooks are not registered a second time.
    spec = importlib.util.spec_from_file_location("wsguide_tests_markers", CONFTEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def has(*names):
    return lambda name: name in names


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("", False), ("0", False), (None, False)])
def test_require_variable_turns_the_rule_on(markers, value, on):
    environ = {} if value is None else {"WSGUIDE_REQUIRE_BROWSER": value}
    assert markers.required("browser", environ) is on


def test_browser_ready_when_chromium_and_playwright_exist(markers):
    assert markers.browser_missing({}, exists=lambda p: True, has_module=has("playwright")) is None


def test_browser_missing_chromium_names_the_path(markers):
    reason = markers.browser_missing({}, exists=lambda p: False, has_module=has("playwright"))
    assert "/usr/bin/chromium" in reason.replace("\\", "/")


def test_browser_uses_wsguide_chromium_when_set(markers):
    environ = {"WSGUIDE_CHROMIUM": "/opt/chrome/chrome"}
    seen = []
    markers.browser_missing(environ, exists=lambda p: seen.append(p) or True, has_module=has("playwright"))
    assert seen == [Path("/opt/chrome/chrome")]


def test_browser_missing_playwright_is_reported(markers):
    reason = markers.browser_missing({}, exists=lambda p: True, has_module=has())
    assert "playwright" in reason


def test_workerd_path_is_the_npm_bin_of_tests_parity(markers):
    path = markers.workerd_path("linux")
    assert path.parts[-5:] == ("tests", "parity", "node_modules", ".bin", "workerd")
    assert markers.workerd_path("win32").name == "workerd.cmd"


def test_workerd_missing_says_to_run_npm_ci(markers):
    assert "npm ci" in markers.workerd_missing(exists=lambda p: False)
    assert markers.workerd_missing(exists=lambda p: True) is None


PIN = "workers-runtime-sdk==1.9.5 --hash=sha256:" + "ab" * 32 + "\n"


def test_pyodide_ready_when_tools_and_pinned_wheel_exist(markers):
    assert markers.pyodide_missing(exists=lambda p: True, read_text=lambda p: PIN) is None


def test_pyodide_wheel_name_follows_the_pin(markers):
    assert markers.sdk_wheel_name("# comment\n" + PIN) == "workers_runtime_sdk-1.9.5-py3-none-any.whl"
    assert markers.sdk_wheel_name("workers-runtime-sdk==1.9.5\n") is None  # no hash: not a pin


def test_pyodide_missing_npm_packages_says_to_run_npm_ci(markers):
    reason = markers.pyodide_missing(exists=lambda p: p.suffix == ".whl", read_text=lambda p: PIN)
    assert "npm ci" in reason and "pyodide_workerd" in reason
    assert "pyodide.asm.wasm" in reason


def test_pyodide_missing_wheel_says_to_pip_download_it(markers):
    reason = markers.pyodide_missing(exists=lambda p: p.suffix != ".whl", read_text=lambda p: PIN)
    assert "workers_runtime_sdk-1.9.5-py3-none-any.whl" in reason
    assert "pip download --no-deps --require-hashes" in reason


def test_pyodide_without_requirements_file_is_missing(markers):
    reason = markers.pyodide_missing(exists=lambda p: True, read_text=lambda p: None)
    assert "no pinned SDK" in reason


def test_the_repository_pins_the_sdk_by_hash(markers):
    text = (ROOT / "tests" / "pyodide_workerd" / "requirements-sdk.txt").read_text(encoding="utf-8")
    assert markers.sdk_wheel_name(text) == "workers_runtime_sdk-1.9.5-py3-none-any.whl"


def test_every_requirement_marker_is_declared_in_pyproject(markers):
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for kind in markers.REQUIRE_ENV:
        assert f'"{kind}: ' in pyproject, f"pyproject.toml does not declare the {kind} marker"


def test_ci_requires_every_kind_of_tool(markers):
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for variable in markers.REQUIRE_ENV.values():
        assert f"{variable}=1" in ci, f".ci/run does not set {variable}=1"


def test_ci_installs_the_pyodide_toolchain():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "cd tests/pyodide_workerd && npm ci" in ci
    assert "--require-hashes -r tests/pyodide_workerd/requirements-sdk.txt" in ci
@pytest.fixture(scope="module")
def autobahn_runner(markers):
    return markers.load_autobahn()


def test_autobahn_missing_says_how_to_install_wstest(autobahn_runner, tmp_path):
    reason = autobahn_runner.missing_reason(tmp_path)
    assert f"wstest is not installed in {tmp_path}" in reason
    assert "benchmarks/autobahn/run.py --install" in reason


def test_autobahn_ready_when_the_install_matches_the_pins(autobahn_runner, tmp_path):
    python = autobahn_runner.python2(tmp_path)
    python.parent.mkdir(parents=True)
    python.write_text("")
    stamp = tmp_path / "installed.json"
    stamp.write_text(json.dumps({"fingerprint": autobahn_runner.fingerprint()}))
    assert autobahn_runner.missing_reason(tmp_path) is None
    stamp.write_text(json.dumps({"fingerprint": "from other pins"}))
    assert "other pins" in autobahn_runner.missing_reason(tmp_path)


def test_autobahn_missing_when_the_runner_script_is_absent(markers, tmp_path):
    assert "no Autobahn runner" in markers.autobahn_missing(tmp_path / "run.py")


# ------------------------------------------------------------ the rule, end to end

SAMPLE = """
import pytest

@pytest.mark.workerd
def test_needs_workerd():
    pass

@pytest.mark.browser
def test_needs_browser():
    pass

@pytest.mark.pyodide
def test_needs_pyodide():
    pass

@pytest.mark.autobahn
def test_needs_wstest():
    pass

def test_uses_fixture(chromium_executable):
    pass

def test_plain():
    pass
"""


def run_sample(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(CONFTEST.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    browser\n    workerd\n    pyodide\n    autobahn\n", encoding="utf-8"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WSGUIDE_")}
    # A Chromium path that cannot exist, so the outcome is the same on every machine.
    environ.update(WSGUIDE_CHROMIUM=str(tmp_path / "no-chromium"), **env)
    # The sample needs no plugins; autoloading nbval alone costs seconds (nbformat's imports).
    environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rsE", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_tools_skip_with_reasons_by_default(tmp_path):
    result = run_sample(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 5 skipped" in result.stdout
    assert "workerd not found at" in result.stdout and "no-chromium" in result.stdout
    assert "pyodide test skipped:" in result.stdout
    assert "autobahn test skipped" in result.stdout


def test_require_variables_turn_those_skips_into_failures(tmp_path):
    result = run_sample(
        tmp_path,
        WSGUIDE_REQUIRE_BROWSER="1",
        WSGUIDE_REQUIRE_WORKERD="1",
        WSGUIDE_REQUIRE_PYODIDE="1",
        WSGUIDE_REQUIRE_AUTOBAHN="1",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 5 errors" in result.stdout
    assert "required by WSGUIDE_REQUIRE_PYODIDE but" in result.stdout
    assert "required by WSGUIDE_REQUIRE_AUTOBAHN but" in result.stdout
    assert "required by WSGUIDE_REQUIRE_WORKERD but workerd not found" in result.stdout
