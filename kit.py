#!/usr/bin/env python3
"""Set up and run the wsguide kit with nothing but Python.

    python kit.py lab      open the notebooks in JupyterLab
    python kit.py test     run every test (library tests and notebooks)
    python kit.py doctor   run `python -m wsguide doctor` (is this machine ready?)

Each command first makes sure the kit's environment exists: it creates `.venv`
next to this file (the standard `venv` module) and installs the project into it
with `pip install -e .[dev]`. The install runs again only when pyproject.toml
changes, so after the first run everything works offline. (Run from an active
conda env made from environment.yml, it uses that env instead of .venv.)

This file uses only the standard library. It is written so that even an old
Python (2.7 or 3.6+) can read it far enough to say which version is needed.
"""

from __future__ import print_function

import hashlib
import os
import subprocess
import sys

MIN_PYTHON = (3, 11)
VENV_DIR = ".venv"
STAMP_NAME = "wsguide-install.stamp"
INSTALL_TARGET = ".[dev]"
PACKAGE_MARKER = os.path.join("wsguide", "__init__.py")
NOTEBOOK_DIRS = ("notebooks", os.path.join("notebooks", "solutions"))
SANITIZE_FILE = "notebooks/sanitize.cfg"
# JupyterLab settings for the kit's JupyterLab (`kit.py lab` passes this folder as
# --LabApp.app_settings_dir): its overrides.json makes a double click on a notebook's
# .md text source open it as a notebook (jupytext's "Jupytext Notebook" viewer).
LAB_SETTINGS_DIR = os.path.join("notebooks", ".jupyterlab")
CELL_TIMEOUT = 60

ROOT = os.path.dirname(os.path.abspath(__file__))

USAGE = """\
usage: python kit.py COMMAND [ARGS...]        (on Windows: py kit.py ...)

commands:
  lab     Open the notebooks in JupyterLab (listening on 127.0.0.1 only).
          A notebook's .md text source opens as a notebook too, and saving
          either file writes both (jupytext; see notebooks/README.md).
          Extra ARGS go to JupyterLab, e.g. `python kit.py lab --no-browser`.
  test    Run every test: the library tests in tests/ and, when notebooks
          exist, each notebook under nbval (outputs compared after
          notebooks/sanitize.cfg). Extra ARGS go to pytest, e.g.
          `python kit.py test -x -k close` or `python kit.py test tests/test_x.py`
          (paths you give replace the default ones).
  doctor  Run `python -m wsguide doctor` (is this machine ready?) with extra ARGS.

Every command first creates .venv if it is missing and runs
`pip install -e .[dev]` in it when pyproject.toml changed since the last
install (the first install needs the network; later runs work offline).
Inside an active conda env made from environment.yml, that env is used
instead of .venv.
Exit codes are those of the command that ran (pytest, JupyterLab, ...).
Needs Python {need} or newer.
""".format(need="%d.%d" % MIN_PYTHON)


class KitError(Exception):
    """A problem the user can fix; the message says how."""

    def __init__(self, message, code=1):
        Exception.__init__(self, message)
        self.code = code


# ---------------------------------------------------------------- pure helpers


def python_too_old(version_info=None, executable=None):
    """Return a message when this Python is older than MIN_PYTHON, else None."""
    if version_info is None:
        version_info = sys.version_info
    if executable is None:
        executable = sys.executable or "python"
    if tuple(version_info[:2]) >= MIN_PYTHON:
        return None
    need = "%d.%d" % MIN_PYTHON
    have = ".".join(str(part) for part in version_info[:3])
    return (
        "wsguide needs Python {need} or newer, but this is Python {have} ({exe}).\n"
        "Get a newer Python from https://www.python.org/downloads/ (Windows and macOS),\n"
        "your package manager (e.g. `apt install python3` on recent Debian/Ubuntu,\n"
        "`brew install python` on macOS), or conda (`conda create -n wsguide python={need}`).\n"
        "Then run this command again with it, e.g. `python{need} kit.py ...`, or on\n"
        "Windows `py -{need} kit.py ...`."
    ).format(need=need, have=have, exe=executable)


def venv_python(venv_dir, platform=None):
    """Path of the Python interpreter inside a venv, for the given platform.

    Windows venvs keep it in Scripts\\python.exe, everything else in bin/python.
    """
    if platform is None:
        platform = sys.platform
    if platform.startswith("win"):
        import ntpath

        return ntpath.join(venv_dir, "Scripts", "python.exe")
    import posixpath

    return posixpath.join(venv_dir, "bin", "python")


def venv_version(pyvenv_cfg_text):
    """The (major, minor) Python version recorded in a venv's pyvenv.cfg, or None."""
    for line in pyvenv_cfg_text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() in ("version", "version_info"):
            parts = value.strip().split(".")
            try:
                return int(parts[0]), int(parts[1])
            except (IndexError, ValueError):
                return None
    return None


def install_stamp(pyproject_bytes, package_present):
    """What the stamp file records: a hash of pyproject.toml.

    Whether wsguide/__init__.py existed is part of it too: an editable install
    made before the package existed does not map `import wsguide` to it.
    """
    digest = hashlib.sha256()
    digest.update(pyproject_bytes)
    digest.update(b"\0package-present=" + (b"1" if package_present else b"0"))
    return "sha256:" + digest.hexdigest()


def stamp_path(venv_dir):
    return os.path.join(venv_dir, STAMP_NAME)


def current_stamp(root):
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        data = f.read()
    return install_stamp(data, os.path.isfile(os.path.join(root, PACKAGE_MARKER)))


def read_stamp(venv_dir):
    try:
        with open(stamp_path(venv_dir), "r") as f:
            return f.read().strip()
    except (IOError, OSError):
        return None


def write_stamp(venv_dir, stamp):
    with open(stamp_path(venv_dir), "w") as f:
        f.write(stamp + "\n")


def needs_install(root, venv_dir):
    """True when pyproject.toml (or the package's presence) changed since the last install."""
    return read_stamp(venv_dir) != current_stamp(root)


def find_notebooks(root):
    """Notebook files the tests run: notebooks/*.ipynb and notebooks/solutions/*.ipynb."""
    found = []
    for rel in NOTEBOOK_DIRS:
        folder = os.path.join(root, rel)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith(".ipynb") and os.path.isfile(os.path.join(folder, name)):
                found.append(rel.replace(os.sep, "/") + "/" + name)
    return found


def _looks_like_path(arg, root):
    if arg.startswith("-"):
        return False
    target = arg.split("::", 1)[0]
    return os.path.exists(os.path.join(root, target))


def pytest_args(root, extra=()):
    """Arguments after `python -m pytest` for `kit.py test`.

    Library tests run from tests/, and the examples in the library's
    docstrings from wsguide/. When any notebook exists, nbval also runs
    every notebook in notebooks/ and notebooks/solutions/ (its outputs
    compared after sanitize.cfg, in this environment's kernel). Paths among
    the extra arguments replace the default targets; other extra arguments
    (-x, -k EXPR, ...) are added after ours.
    """
    extra = list(extra)
    notebooks = find_notebooks(root)
    args = ["-ra"]
    if notebooks:
        args += [
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            SANITIZE_FILE,
            "--nbval-cell-timeout=%d" % CELL_TIMEOUT,
        ]
    if not any(_looks_like_path(arg, root) for arg in extra):
        args += ["tests", "wsguide"]  # wsguide: the examples in its docstrings
        for rel in NOTEBOOK_DIRS:
            rel = rel.replace(os.sep, "/")
            if any(nb.rsplit("/", 1)[0] == rel for nb in notebooks):
                # Only this folder's own notebooks (notebooks/ would also
                # recurse into solutions/ and run those twice).
                args += [nb for nb in notebooks if nb.rsplit("/", 1)[0] == rel]
    return args + extra


def lab_args(root, extra=(), as_root=False):
    """Arguments after `python -m jupyterlab` for `kit.py lab`.

    JupyterLab refuses to start as root (common in containers) unless told
    --allow-root; it still listens on 127.0.0.1 only. Its application settings
    come from LAB_SETTINGS_DIR in this checkout (read only; nothing is written to
    the environment or the home folder), unless ARGS name another folder.
    """
    args = ["notebooks", "--ServerApp.ip=127.0.0.1"]
    if not any(arg.startswith("--LabApp.app_settings_dir") for arg in extra):
        args.append("--LabApp.app_settings_dir=" + os.path.join(root, LAB_SETTINGS_DIR))
    if as_root and "--allow-root" not in extra:
        args.append("--allow-root")
    return args + list(extra)


def running_as_root():
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def editable_install_of(direct_url_text, root):
    """True when a dist's direct_url.json says: editable install from `root`."""
    import json

    try:
        info = json.loads(direct_url_text or "")
    except ValueError:
        return False
    if not isinstance(info, dict) or not (info.get("dir_info") or {}).get("editable"):
        return False
    url = info.get("url", "")
    if not url.startswith("file:"):
        return False
    try:
        from urllib.parse import urlparse
        from urllib.request import url2pathname
    except ImportError:  # Python 2 never gets this far (version check first)
        return False
    path = url2pathname(urlparse(url).path)
    return _same_path(path, root)


def _same_path(a, b):
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def exit_code(returncode):
    """Turn a subprocess return code into a process exit code (signals -> 128+N)."""
    if returncode < 0:
        return 128 - returncode
    return returncode


# ------------------------------------------------------------ doing things


def say(message):
    print("kit: " + message, file=sys.stderr)
    sys.stderr.flush()


def run(cmd, cwd):
    """Run a command in the foreground and return its exit code.

    Ctrl-C reaches the child too (same console); we keep waiting so the child
    can shut down cleanly (JupyterLab asks for confirmation, pytest prints its
    summary) and then pass on its exit code.
    """
    try:
        proc = subprocess.Popen(cmd, cwd=cwd)
    except OSError as exc:
        raise KitError("could not start {0}: {1}".format(cmd[0], exc))
    restore = _forward_termination(proc)
    try:
        while True:
            try:
                return exit_code(proc.wait())
            except KeyboardInterrupt:
                continue
    finally:
        restore()


def _forward_termination(proc):
    """Pass SIGTERM/SIGHUP sent to kit.py on to the child, so it never outlives us."""
    import signal

    previous = {}

    def forward(signum, frame):
        if proc.poll() is None:
            proc.send_signal(signum)

    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            try:
                previous[signum] = signal.signal(signum, forward)
            except (ValueError, OSError):  # not the main thread, or not allowed here
                pass

    def restore():
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def create_venv(root, venv_dir):
    say("creating the kit's environment in {0} (one time) ...".format(venv_dir))
    code = run([sys.executable, "-m", "venv", venv_dir], cwd=root)
    if code != 0:
        _remove_tree(venv_dir)
        raise KitError(
            "`{0} -m venv {1}` failed (exit {2}).\n"
            "On Debian/Ubuntu the venv module is a separate package: run\n"
            "`sudo apt install python3-venv` (or python{3}-venv) and try again.\n"
            "Or use the conda route in README.md.".format(
                sys.executable, VENV_DIR, code, "%d.%d" % sys.version_info[:2]
            ),
            code,
        )


def _remove_tree(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def conda_env_with_project(root):
    """True when this Python is an active conda env that has this checkout installed.

    That is the conda route of README.md (environment.yml): use that env as it is
    instead of building .venv beside it.
    """
    prefix = os.environ.get("CONDA_PREFIX")
    if not prefix or not _same_path(prefix, sys.prefix):
        return False
    try:
        from importlib import metadata

        # Every match: a wsguide.egg-info in the checkout itself (left by the
        # editable build, and on sys.path as the script's folder) comes first.
        dists = list(metadata.distributions(name="wsguide"))
    except Exception:
        return False
    return any(editable_install_of(dist.read_text("direct_url.json"), root) for dist in dists)


def ensure_environment(root):
    """Create .venv and install the project when needed; return the Python to use."""
    if conda_env_with_project(root):
        say("using the active conda environment {0} (it has wsguide installed from here; "
            "after pyproject.toml changes, run `pip install -e .[dev]` in it again)".format(sys.prefix))
        return sys.executable
    venv_dir = os.path.join(root, VENV_DIR)
    python = venv_python(venv_dir)
    if not os.path.isdir(venv_dir):
        create_venv(root, venv_dir)
    if not os.path.isfile(python):
        raise KitError(
            "{0} exists but has no Python at {1}.\n"
            "It is probably from another computer or an interrupted set-up: delete the\n"
            "{2} folder and run this command again.".format(VENV_DIR, python, VENV_DIR)
        )
    cfg = os.path.join(venv_dir, "pyvenv.cfg")
    if os.path.isfile(cfg):
        with open(cfg, "r") as f:
            have = venv_version(f.read())
        if have is not None and have < MIN_PYTHON:
            raise KitError(
                "{0} was made with Python {1}.{2}, but wsguide needs {3}.{4} or newer.\n"
                "Delete the {0} folder and run this command again with a newer "
                "Python.".format(VENV_DIR, have[0], have[1], MIN_PYTHON[0], MIN_PYTHON[1])
            )
    if needs_install(root, venv_dir):
        stamp = current_stamp(root)
        say("installing wsguide and its dependencies into {0} (pip install -e {1}) ...".format(
            VENV_DIR, INSTALL_TARGET))
        code = run([python, "-m", "pip", "install", "-e", INSTALL_TARGET], cwd=root)
        if code != 0:
            raise KitError(
                "pip could not install the kit (exit {0}). The first set-up downloads\n"
                "packages from PyPI: check the network connection (and any proxy) and run\n"
                "this command again. Nothing was marked as installed.".format(code),
                code,
            )
        write_stamp(venv_dir, stamp)
    return python


def command_lab(root, extra):
    if not os.path.isdir(os.path.join(root, "notebooks")):
        raise KitError("there is no notebooks/ folder next to kit.py; is this a full clone of wsguide?")
    python = ensure_environment(root)
    as_root = running_as_root()
    if as_root:
        say("running as root (a container?): passing --allow-root to JupyterLab")
    say("starting JupyterLab on 127.0.0.1 (stop it with Ctrl-C) ...")
    return run([python, "-m", "jupyterlab"] + lab_args(root, extra, as_root), cwd=root)


def command_test(root, extra):
    python = ensure_environment(root)
    args = pytest_args(root, extra)
    say("running: python -m pytest " + " ".join(args))
    return run([python, "-m", "pytest"] + args, cwd=root)


def command_doctor(root, extra):
    python = ensure_environment(root)
    return run([python, "-m", "wsguide", "doctor"] + list(extra), cwd=root)


COMMANDS = {"lab": command_lab, "test": command_test, "doctor": command_doctor}


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0 if argv else 2
    too_old = python_too_old()
    if too_old:
        say(too_old)
        return 1
    command = argv[0]
    if command not in COMMANDS:
        say("unknown command {0!r}; the commands are lab, test and doctor.".format(command))
        print(USAGE, end="", file=sys.stderr)
        return 2
    try:
        return COMMANDS[command](ROOT, argv[1:])
    except KitError as exc:
        say(str(exc))
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
