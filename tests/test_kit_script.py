"""kit.py's pure helpers: no venv is created and nothing is installed here."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
KIT_PATH = ROOT / "kit.py"

NBVAL_FLAGS = [
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    "notebooks/sanitize.cfg",
    "--nbval-cell-timeout=60",
]


@pytest.fixture(scope="module")
def kit():
    spec = importlib.util.spec_from_file_location("wsguide_kit_script", KIT_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_tree(root: Path, *files: str) -> Path:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}" if rel.endswith(".ipynb") else "", encoding="utf-8")
    return root


# ------------------------------------------------------------ venv python path


def test_venv_python_on_windows_is_scripts_python_exe(kit):
    assert kit.venv_python(r"C:\kit\.venv", platform="win32") == r"C:\kit\.venv\Scripts\python.exe"


@pytest.mark.parametrize("platform", ["linux", "darwin", "freebsd14", "cygwin"])
def test_venv_python_elsewhere_is_bin_python(kit, platform):
    assert kit.venv_python("/home/me/kit/.venv", platform=platform) == "/home/me/kit/.venv/bin/python"


def test_venv_python_defaults_to_this_platform(kit):
    assert kit.venv_python(".venv") == kit.venv_python(".venv", platform=sys.platform)


# ------------------------------------------------------------ stamp and hash


def test_stamp_is_stable_for_the_same_pyproject(kit):
    assert kit.install_stamp(b"[project]\n", True) == kit.install_stamp(b"[project]\n", True)


def test_stamp_changes_when_pyproject_changes(kit):
    assert kit.install_stamp(b"a = 1\n", True) != kit.install_stamp(b"a = 2\n", True)


def test_stamp_changes_when_the_package_appears(kit):
    assert kit.install_stamp(b"a = 1\n", False) != kit.install_stamp(b"a = 1\n", True)


def test_fresh_venv_without_stamp_needs_install(kit, tmp_path):
    make_tree(tmp_path, "pyproject.toml")
    (tmp_path / ".venv").mkdir()
    assert kit.needs_install(str(tmp_path), str(tmp_path / ".venv"))


def test_no_install_after_stamp_until_pyproject_changes(kit, tmp_path):
    make_tree(tmp_path, "pyproject.toml")
    venv = tmp_path / ".venv"
    venv.mkdir()
    kit.write_stamp(str(venv), kit.current_stamp(str(tmp_path)))
    assert not kit.needs_install(str(tmp_path), str(venv))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'changed'\n", encoding="utf-8")
    assert kit.needs_install(str(tmp_path), str(venv))


def test_stamp_file_lives_inside_the_venv(kit, tmp_path):
    assert Path(kit.stamp_path(str(tmp_path / ".venv"))).parent == tmp_path / ".venv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("home = /usr/bin\nversion = 3.11.7\n", (3, 11)),
        ("version_info = 3.13.0.final.0\n", (3, 13)),
        ("home = /usr/bin\n", None),
    ],
)
def test_venv_version_reads_pyvenv_cfg(kit, text, expected):
    assert kit.venv_version(text) == expected


# ------------------------------------------------------------ pytest arguments


def test_pytest_args_without_notebooks_run_only_the_library_tests(kit, tmp_path):
    make_tree(tmp_path, "tests/test_a.py", "notebooks/sanitize.cfg")
    args = kit.pytest_args(str(tmp_path))
    assert "tests" in args
    assert not any(arg.startswith("--nbval") for arg in args)


def test_pytest_args_with_notebooks_add_nbval_and_both_folders(kit, tmp_path):
    make_tree(
        tmp_path,
        "tests/test_a.py",
        "notebooks/01-b.ipynb",
        "notebooks/00-a.ipynb",
        "notebooks/solutions/01-b-solutions.ipynb",
        "notebooks/.ipynb_checkpoints/00-a-checkpoint.ipynb",
        "notebooks/drafts/wip.ipynb",
    )
    args = kit.pytest_args(str(tmp_path))
    assert args[args.index("--nbval") : args.index("--nbval") + len(NBVAL_FLAGS)] == NBVAL_FLAGS
    targets = [arg for arg in args if not arg.startswith("-") and arg != "notebooks/sanitize.cfg"]
    assert targets == [
        "tests",
        "wsguide",
        "notebooks/00-a.ipynb",
        "notebooks/01-b.ipynb",
        "notebooks/solutions/01-b-solutions.ipynb",
    ]


def test_pytest_args_with_only_solution_notebooks_still_use_nbval(kit, tmp_path):
    make_tree(tmp_path, "tests/test_a.py", "notebooks/solutions/x.ipynb")
    args = kit.pytest_args(str(tmp_path))
    assert "--nbval" in args and "notebooks/solutions/x.ipynb" in args


def test_pytest_extra_options_come_after_the_defaults(kit, tmp_path):
    make_tree(tmp_path, "tests/test_a.py")
    args = kit.pytest_args(str(tmp_path), ["-x", "-k", "close"])
    assert args[-3:] == ["-x", "-k", "close"]
    assert "tests" in args[:-3]


def test_pytest_paths_given_replace_the_default_targets(kit, tmp_path):
    make_tree(tmp_path, "tests/test_a.py", "tests/test_b.py", "notebooks/00-a.ipynb")
    args = kit.pytest_args(str(tmp_path), ["tests/test_b.py::test_one", "-x"])
    assert args[-2:] == ["tests/test_b.py::test_one", "-x"]
    assert "tests" not in args and "notebooks/00-a.ipynb" not in args


def test_pytest_args_always_report_skip_reasons(kit, tmp_path):
    make_tree(tmp_path, "tests/test_a.py")
    assert kit.pytest_args(str(tmp_path))[0] == "-ra"


def test_real_checkout_always_has_tests_to_collect(kit):
    # exit code 5 ("no tests collected") must not be possible for `kit.py test`.
    args = kit.pytest_args(str(ROOT))
    assert "tests" in args
    assert any(ROOT.glob("tests/test_*.py"))


# ------------------------------------------------------------ lab, exit codes, versions


def lab_settings_arg(root) -> str:
    return "--LabApp.app_settings_dir=" + str(Path(root) / "notebooks" / ".jupyterlab")


def test_lab_listens_on_loopback_and_opens_notebooks(kit):
    args = kit.lab_args(str(ROOT), ["--no-browser"])
    assert args == ["notebooks", "--ServerApp.ip=127.0.0.1", lab_settings_arg(ROOT), "--no-browser"]


def test_lab_as_root_adds_allow_root_once(kit):
    assert kit.lab_args(str(ROOT), [], as_root=True) == [
        "notebooks", "--ServerApp.ip=127.0.0.1", lab_settings_arg(ROOT), "--allow-root",
    ]
    assert kit.lab_args(str(ROOT), ["--allow-root"], as_root=True).count("--allow-root") == 1


def test_lab_takes_its_settings_from_the_checkout(kit):
    settings = ROOT / "notebooks" / ".jupyterlab" / "overrides.json"
    assert lab_settings_arg(ROOT) in kit.lab_args(str(ROOT))
    viewers = json.loads(settings.read_text(encoding="utf-8"))["@jupyterlab/docmanager-extension:plugin"]
    assert viewers == {"defaultViewers": {"markdown": "Jupytext Notebook"}}


def test_lab_settings_folder_given_by_the_user_wins(kit):
    args = kit.lab_args(str(ROOT), ["--LabApp.app_settings_dir=/elsewhere"])
    assert [a for a in args if a.startswith("--LabApp.app_settings_dir")] == ["--LabApp.app_settings_dir=/elsewhere"]


def test_kit_test_gives_nbval_the_ipynb_files_and_never_their_text_sources(kit):
    args = kit.pytest_args(str(ROOT))
    targets = [a for a in args[args.index("tests") + 1:] if a != "wsguide"]  # wsguide: its doctests
    assert targets and all(a.endswith(".ipynb") for a in targets)
    assert not any(a.endswith(".md") for a in args)


@pytest.mark.parametrize(("returncode", "code"), [(0, 0), (1, 1), (5, 5), (-2, 130), (-15, 143)])
def test_exit_codes_propagate_and_signals_become_128_plus_n(kit, returncode, code):
    assert kit.exit_code(returncode) == code


def test_too_old_python_message_names_the_needed_version_and_where_to_get_it(kit):
    message = kit.python_too_old((3, 9, 18), "/usr/bin/python3")
    assert "3.11" in message and "3.9.18" in message and "python.org" in message


def test_new_enough_python_gets_no_message(kit):
    assert kit.python_too_old((3, 11, 0), "python") is None
    assert kit.python_too_old((4, 0, 0), "python") is None


def test_min_python_matches_requires_python(kit):
    requires = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    need = "%d.%d" % kit.MIN_PYTHON
    below = "%d.%d" % (kit.MIN_PYTHON[0], kit.MIN_PYTHON[1] - 1)
    assert need in requires and below not in requires


def test_editable_install_from_this_checkout_is_recognised(kit, tmp_path):
    text = json.dumps({"url": tmp_path.as_uri(), "dir_info": {"editable": True}})
    assert kit.editable_install_of(text, str(tmp_path))
    assert not kit.editable_install_of(text, str(tmp_path / "elsewhere"))


def test_non_editable_install_is_not_used(kit, tmp_path):
    text = json.dumps({"url": tmp_path.as_uri(), "dir_info": {}})
    assert not kit.editable_install_of(text, str(tmp_path))


# ------------------------------------------------------------ old Pythons can read it


def test_kit_script_is_ascii_and_free_of_new_syntax():
    """An old Python must get as far as the version check, not stop at a SyntaxError."""
    source = KIT_PATH.read_bytes()
    source.decode("ascii")  # Python 2 refuses non-ASCII without a coding line
    tree = ast.parse(source, feature_version=(3, 6))
    assert not any(isinstance(node, ast.JoinedStr) for node in ast.walk(tree)), "no f-strings"
    assert not any(isinstance(node, (ast.AnnAssign, ast.NamedExpr)) for node in ast.walk(tree))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert not node.args.kwonlyargs and node.returns is None, node.name
            assert all(a.annotation is None for a in node.args.args), node.name


def test_kit_script_uses_only_the_standard_library():
    tree = ast.parse(KIT_PATH.read_bytes())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    assert names <= set(sys.stdlib_module_names), names - set(sys.stdlib_module_names)


