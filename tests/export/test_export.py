"""`wsguide export`: the project it writes, and when it refuses to write one."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from wsguide.core.compat import DEFAULT_COMPATIBILITY_DATE
from wsguide.export import (
    WORKERS_PY_VERSION,
    WORKERS_RUNTIME_SDK_VERSION,
    WRANGLER_VERSION,
    ExportError,
    ExportRefused,
    export,
    project_name,
)

from . import jsonc
from .test_lint import write_unsafe_worker

ROOT = Path(__file__).resolve().parents[2]
ECHO = ROOT / "examples" / "echo.py"
CHAT = ROOT / "examples" / "chat" / "worker.py"


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wsguide", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


# ------------------------------------------------------------------ the echo project


def test_echo_export_writes_the_project_files(tmp_path):
    export(ECHO, tmp_path / "echo")
    assert tree(tmp_path / "echo") == [
        ".gitignore", "README.md", "package.json", "pyproject.toml", "src/entry.py", "wrangler.jsonc",
    ]


def test_echo_entry_is_the_worker_with_only_its_imports_rewritten(tmp_path):
    export(ECHO, tmp_path / "echo")
    original = ECHO.read_text(encoding="utf-8").splitlines()
    entry = (tmp_path / "echo" / "src" / "entry.py").read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(original, entry) if a != b]
    assert len(entry) == len(original)
    assert changed == [
        ("from wsguide.workers import Response, WorkerEntrypoint", "from workers import Response, WorkerEntrypoint"),
        ("from wsguide.js import WebSocketPair", "from js import WebSocketPair"),
        ("from wsguide.ffi import create_proxy", "from pyodide.ffi import create_proxy"),
    ]


def test_echo_config_has_name_main_date_and_python_workers_only(tmp_path):
    export(ECHO, tmp_path / "echo")
    config = jsonc.loads((tmp_path / "echo" / "wrangler.jsonc").read_text(encoding="utf-8"))
    assert config == {
        "$schema": "node_modules/wrangler/config-schema.json",
        "name": "echo",
        "main": "src/entry.py",
        "compatibility_date": DEFAULT_COMPATIBILITY_DATE,
        "compatibility_flags": ["python_workers"],
    }


def test_every_config_setting_has_a_comment_above_it(tmp_path):
    export(CHAT, tmp_path / "chat")
    lines = (tmp_path / "chat" / "wrangler.jsonc").read_text(encoding="utf-8").splitlines()
    members = [i for i, line in enumerate(lines) if line.startswith('  "')]
    assert len(members) == 8
    assert all(lines[i - 1].startswith("  // ") for i in members)


def test_pyproject_and_package_json_pin_the_tested_versions(tmp_path):
    export(ECHO, tmp_path / "echo")
    pyproject = tomllib.loads((tmp_path / "echo" / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == "echo"
    assert pyproject["project"]["dependencies"] == []
    assert pyproject["dependency-groups"]["dev"] == [
        f"workers-py=={WORKERS_PY_VERSION}",
        f"workers-runtime-sdk=={WORKERS_RUNTIME_SDK_VERSION}",
    ]
    package = json.loads((tmp_path / "echo" / "package.json").read_text(encoding="utf-8"))
    assert package["devDependencies"] == {"wrangler": WRANGLER_VERSION}
    assert package["private"] is True


def test_readme_gives_the_two_commands_and_the_production_differences(tmp_path):
    export(CHAT, tmp_path / "chat")
    readme = (tmp_path / "chat" / "README.md").read_text(encoding="utf-8")
    for text in ("uv run pywrangler dev", "uv run pywrangler deploy", "workers-sdk#8908",
                 "32 MiB", "Hibernation timing", "duration", "20:1"):
        assert text in readme


def test_the_exported_versions_are_the_ones_the_toolchain_tests():
    lock = json.loads((Path(__file__).parent / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/wrangler"]["version"] == WRANGLER_VERSION
    requirements = (ROOT / "tests" / "pyodide_workerd" / "requirements-sdk.txt").read_text(encoding="utf-8")
    assert f"workers-runtime-sdk=={WORKERS_RUNTIME_SDK_VERSION} " in requirements
    toolchain = (Path(__file__).parent / "toolchain.py").read_text(encoding="utf-8")
    assert f'WORKERS_PY_VERSION = "{WORKERS_PY_VERSION}"' in toolchain


def test_the_workers_sdk_is_pinned_in_exactly_one_file():
    pins = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__", "build")]
        for name in files:
            if name.endswith((".txt", ".toml", ".cfg", ".yml", ".yaml", ".in")):
                text = (Path(folder) / name).read_text(encoding="utf-8", errors="replace")
                if re.search(r"workers-runtime-sdk\s*==\s*\d", text):
                    pins.append((Path(folder) / name).relative_to(ROOT).as_posix())
    assert pins == ["tests/pyodide_workerd/requirements-sdk.txt"]


# ------------------------------------------------------------------ the chat project


def test_chat_config_binds_both_durable_objects_with_one_sqlite_migration_and_assets(tmp_path):
    export(CHAT, tmp_path / "chat")
    config = jsonc.loads((tmp_path / "chat" / "wrangler.jsonc").read_text(encoding="utf-8"))
    assert config["name"] == "chat"
    assert config["durable_objects"] == {
        "bindings": [{"name": "ROOMS", "class_name": "ChatRoom"}, {"name": "BENCH", "class_name": "BenchRoom"}]
    }
    assert config["migrations"] == [{"tag": "v1", "new_sqlite_classes": ["ChatRoom", "BenchRoom"]}]
    assert config["assets"] == {"directory": "./assets"}


def test_chat_page_becomes_a_static_asset(tmp_path):
    export(CHAT, tmp_path / "chat")
    page = CHAT.parent / "public" / "index.html"
    assert (tmp_path / "chat" / "assets" / "index.html").read_bytes() == page.read_bytes()


def test_chat_entry_keeps_the_wsguide_settings_as_plain_constants(tmp_path):
    export(CHAT, tmp_path / "chat")
    entry = (tmp_path / "chat" / "src" / "entry.py").read_text(encoding="utf-8")
    tree = ast.parse(entry)
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert {"workers", "js", "pyodide.ffi"} <= modules
    assert not any(m.startswith("wsguide") for m in modules if m)
    assert 'DURABLE_OBJECTS = {"ROOMS": ChatRoom, "BENCH": BenchRoom}' in entry
    assert 'ASSETS = "public"' in entry


# ------------------------------------------------------------------ options


def test_date_and_flags_come_from_the_options_then_the_file_then_the_default(tmp_path):
    worker = tmp_path / "app" / "worker.py"
    worker.parent.mkdir()
    worker.write_text(
        ECHO.read_text(encoding="utf-8")
        + '\nCOMPATIBILITY_DATE = "2026-03-01"\nCOMPATIBILITY_FLAGS = ["no_web_socket_compression"]\n',
        encoding="utf-8",
    )
    from_file = export(worker, tmp_path / "a")
    assert (from_file.compatibility_date, from_file.compatibility_flags) == (
        "2026-03-01", ["python_workers", "no_web_socket_compression"],
    )
    from_options = export(worker, tmp_path / "b", compatibility_date="2026-05-05",
                          compatibility_flags=["nodejs_compat"])
    assert (from_options.compatibility_date, from_options.compatibility_flags) == (
        "2026-05-05", ["python_workers", "no_web_socket_compression", "nodejs_compat"],
    )
    config = jsonc.loads((tmp_path / "b" / "wrangler.jsonc").read_text(encoding="utf-8"))
    assert config["compatibility_date"] == "2026-05-05"
    assert config["compatibility_flags"] == ["python_workers", "no_web_socket_compression", "nodejs_compat"]


def test_an_unknown_flag_or_a_bad_date_is_refused_before_writing(tmp_path):
    with pytest.raises(ExportError, match="Unknown compatibility flag 'web_socket_compresion'"):
        export(ECHO, tmp_path / "x", compatibility_flags=["web_socket_compresion"])
    with pytest.raises(ExportError, match="compatibility_date must look like YYYY-MM-DD"):
        export(ECHO, tmp_path / "x", compatibility_date="yesterday")
    assert not (tmp_path / "x").exists()


def test_name_comes_from_the_file_or_its_folder_and_can_be_given(tmp_path):
    assert project_name(ECHO) == "echo"
    assert project_name(CHAT) == "chat"
    assert project_name(Path("/x/My_Cool Worker.py")) == "my-cool-worker"
    assert export(ECHO, tmp_path / "n", name="echo-2").name == "echo-2"
    with pytest.raises(ExportError, match="lower-case letters, digits and dashes"):
        export(ECHO, tmp_path / "m", name="Echo_2")


# ------------------------------------------------------------------ local modules


def test_local_modules_the_worker_imports_are_copied_and_rewritten(tmp_path):
    app = tmp_path / "app"
    (app / "rooms").mkdir(parents=True)
    (app / "rooms" / "__init__.py").write_text("from .room import Room\n", encoding="utf-8")
    (app / "rooms" / "room.py").write_text(
        "from wsguide.workers import DurableObject\n\n\nclass Room(DurableObject):\n    pass\n", encoding="utf-8"
    )
    (app / "texts.py").write_text("GREETING = 'hello'\n", encoding="utf-8")
    (app / "unused.py").write_text("raise SystemExit\n", encoding="utf-8")
    (app / "worker.py").write_text(
        textwrap.dedent("""\
            from wsguide.workers import Response, WorkerEntrypoint
            from rooms import Room
            import texts


            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    return Response(texts.GREETING)


            DURABLE_OBJECTS = {"ROOMS": Room}
        """),
        encoding="utf-8",
    )
    export(app / "worker.py", tmp_path / "out")
    assert tree(tmp_path / "out" / "src") == ["entry.py", "rooms/__init__.py", "rooms/room.py", "texts.py"]
    room = (tmp_path / "out" / "src" / "rooms" / "room.py").read_text(encoding="utf-8")
    assert room.startswith("from workers import DurableObject\n")
    config = jsonc.loads((tmp_path / "out" / "wrangler.jsonc").read_text(encoding="utf-8"))
    assert config["durable_objects"]["bindings"] == [{"name": "ROOMS", "class_name": "Room"}]


# ------------------------------------------------------------------ refusing


def test_an_unsafe_worker_is_refused_with_its_findings_and_nothing_is_written(tmp_path):
    worker = write_unsafe_worker(tmp_path / "app")
    with pytest.raises(ExportRefused) as info:
        export(worker, tmp_path / "out")
    assert [(Path(f.path).name, f.line, f.rule.id) for f in info.value.findings] == [
        ("worker.py", 9, "listener-proxy"),
        ("helpers.py", 5, "js-new"),
    ]
    assert not (tmp_path / "out").exists()


def test_cli_refusal_prints_file_and_line_and_exits_1(tmp_path):
    worker = write_unsafe_worker(tmp_path / "app")
    result = run_cli("export", str(worker), str(tmp_path / "out"))
    assert result.returncode == 1
    assert f"{worker}:9:9: " in result.stderr
    assert f"{tmp_path / 'app' / 'helpers.py'}:5:12: " in result.stderr
    assert "error: export refused: 2 problems" in result.stderr
    assert result.stderr.rstrip().endswith("Nothing was written.")
    assert not (tmp_path / "out").exists()


def test_force_writes_the_project_anyway_and_says_so(tmp_path):
    worker = write_unsafe_worker(tmp_path / "app")
    result = run_cli("export", str(worker), str(tmp_path / "out"), "--force")
    assert result.returncode == 0, result.stderr
    assert "warning: --force: written anyway" in result.stderr
    assert tree(tmp_path / "out" / "src") == ["entry.py", "helpers.py"]


def test_cli_export_prints_what_it_wrote(tmp_path):
    result = run_cli("export", "examples/chat/worker.py", str(tmp_path / "chat"))
    assert result.returncode == 0, result.stderr
    assert f"Wrote the Python Workers project 'chat' to {tmp_path / 'chat'}/" in result.stdout
    assert "  env.ROOMS: Durable Object ChatRoom" in result.stdout
    assert "  compatibility_date 2026-11-01; flags: python_workers" in result.stdout


def test_a_folder_with_other_files_is_never_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ExportError, match="not empty and was not written by wsguide export"):
        export(ECHO, out)
    assert tree(out) == ["notes.txt"]


def test_exporting_again_updates_an_earlier_export_and_keeps_the_rest(tmp_path):
    out = tmp_path / "chat"
    export(CHAT, out)
    (out / "assets" / "old.css").write_text("stale", encoding="utf-8")
    (out / "src" / "old.py").write_text("stale", encoding="utf-8")
    (out / "python_modules").mkdir()
    (out / "python_modules" / "kept.py").write_text("", encoding="utf-8")
    export(CHAT, out)
    assert not (out / "assets" / "old.css").exists() and not (out / "src" / "old.py").exists()
    assert (out / "python_modules" / "kept.py").exists()


def test_the_output_folder_cannot_be_inside_the_static_files(tmp_path):
    app = tmp_path / "app"
    (app / "public").mkdir(parents=True)
    (app / "worker.py").write_text(ECHO.read_text(encoding="utf-8") + '\nASSETS = "public"\n', encoding="utf-8")
    with pytest.raises(ExportError, match="inside the static files folder"):
        export(app / "worker.py", app / "public" / "build")


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="needs symbolic links")
def test_static_files_that_link_outside_their_folder_are_not_copied(tmp_path):
    app = tmp_path / "app"
    (app / "public").mkdir(parents=True)
    (app / "public" / "index.html").write_text("<p>hi</p>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (app / "public" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (app / "worker.py").write_text(ECHO.read_text(encoding="utf-8") + '\nASSETS = "public"\n', encoding="utf-8")
    export(app / "worker.py", tmp_path / "out")
    assert tree(tmp_path / "out" / "assets") == ["index.html"]


UNSAFE = Path(__file__).parent / "unsafe"


@pytest.mark.parametrize(
    ("worker", "expected"),
    [
        ("echo.py", [("listener-proxy", 29)]),
        (
            "chat_worker.py",
            [
                ("kit-file", 49), ("listener-proxy", 80), ("js-new", 91), ("attachment-dict", 101),
                ("attachment-dict", 125), ("attachment-dict", 128), ("is-runtime", 174),
                ("except-typeerror", 178), ("except-typeerror", 197),
            ],
        ),
    ],
)
def test_the_examples_as_they_were_are_refused_line_by_line(tmp_path, worker, expected):
    with pytest.raises(ExportRefused) as info:
        export(UNSAFE / worker, tmp_path / "out")
    assert [(f.rule.id, f.line) for f in info.value.findings] == expected
    assert not (tmp_path / "out").exists()
