"""The exported projects, checked by wrangler itself: its config schema, and `deploy --dry-run`.

Marked `wrangler`: they need the toolchain of tests/export (`python tests/export/toolchain.py
install`); without it they skip, and with WSGUIDE_REQUIRE_WRANGLER=1 (CI) they fail.
Nothing here uses the network: the dry run builds the upload and stops before sending it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from wsguide.export import export

from . import jsonc

pytestmark = pytest.mark.wrangler

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {"echo": ROOT / "examples" / "echo.py", "chat": ROOT / "examples" / "chat" / "worker.py"}


@pytest.fixture(scope="module")
def validator(request):
    from .conftest import TOOLCHAIN, skip_or_fail

    skip_or_fail()
    schema = json.loads(TOOLCHAIN.config_schema().read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("example", EXAMPLES)
def test_exported_config_validates_against_wranglers_schema(validator, example, tmp_path):
    export(EXAMPLES[example], tmp_path / example)
    config = jsonc.loads((tmp_path / example / "wrangler.jsonc").read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(config)]
    assert errors == []


def test_the_schema_does_catch_a_misspelled_setting(validator, tmp_path):
    export(EXAMPLES["chat"], tmp_path / "chat")
    config = jsonc.loads((tmp_path / "chat" / "wrangler.jsonc").read_text(encoding="utf-8"))
    config["durable_object"] = config.pop("durable_objects")
    config["migrations"][0]["new_sqlite_class"] = config["migrations"][0].pop("new_sqlite_classes")
    messages = [e.message for e in validator.iter_errors(config)]
    assert any("'durable_object' was unexpected" in m for m in messages)


def dry_run(toolchain, project: Path, tmp_path: Path):
    toolchain.vendor_sdk(project)
    result = toolchain.wrangler(["deploy", "--dry-run", "--outdir", "dist"], cwd=project, home=tmp_path / "home")
    assert result.returncode == 0, f"wrangler failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_python_modules_is_what_pywrangler_sync_leaves(toolchain, tmp_path):
    export(EXAMPLES["echo"], tmp_path / "echo")
    vendored = files(toolchain.vendor_sdk(tmp_path / "echo"))
    assert {"workers/__init__.py", "workers/entrypoints.py", "_workers_sdk_patch_loader.pth",
            "pyvenv.cfg", ".synced"} <= vendored
    assert f"workers_runtime_sdk-{toolchain.sdk_version()}.dist-info/METADATA" in vendored
    assert (tmp_path / "echo" / "python_modules" / ".synced").read_text() == toolchain.WORKERS_PY_VERSION


def test_wrangler_dry_run_builds_the_echo_worker(toolchain, tmp_path):
    project = tmp_path / "echo"
    export(EXAMPLES["echo"], project)
    log = dry_run(toolchain, project, tmp_path)
    assert "--dry-run: exiting now." in log
    built = files(project / "dist")
    assert "entry.py" in built
    assert (project / "dist" / "entry.py").read_text(encoding="utf-8") == (project / "src" / "entry.py").read_text(encoding="utf-8")
    assert {"python_modules/workers/__init__.py", "python_modules/workers/response.py"} <= built
    assert not any(name.endswith(".pyc") for name in built)
    assert "Durable Object" not in log and "assets directory" not in log


def test_wrangler_dry_run_builds_the_chat_worker_with_its_bindings_and_page(toolchain, tmp_path):
    project = tmp_path / "chat"
    export(EXAMPLES["chat"], project)
    log = dry_run(toolchain, project, tmp_path)
    assert "--dry-run: exiting now." in log
    assert "entry.py" in files(project / "dist")
    assert "python_modules/workers/entrypoints.py" in files(project / "dist")
    # wrangler lists the bindings it would create, and reads the assets it would upload.
    assert re.search(r"env\.ROOMS \(ChatRoom\)\s+Durable Object", log), log
    assert re.search(r"env\.BENCH \(BenchRoom\)\s+Durable Object", log), log
    assert re.search(r"Read 1 file from the assets directory .*assets", log), log


def test_wrangler_dry_run_attaches_local_modules(toolchain, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "texts.py").write_text("GREETING = 'hello'\n", encoding="utf-8")
    (app / "worker.py").write_text(
        "from wsguide.workers import Response, WorkerEntrypoint\nimport texts\n\n\n"
        "class Default(WorkerEntrypoint):\n    async def fetch(self, request):\n"
        "        return Response(texts.GREETING)\n",
        encoding="utf-8",
    )
    project = tmp_path / "out"
    export(app / "worker.py", project)
    log = dry_run(toolchain, project, tmp_path)
    assert {"entry.py", "texts.py"} <= files(project / "dist")
    assert re.search(r"texts\.py\s*│\s*python", log), log
