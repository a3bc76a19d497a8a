"""``wsguide export worker.py OUTDIR``: turn a Worker file into a Python Workers project.

The project is what ``pywrangler`` (Cloudflare's Python front end to ``wrangler``) expects::

    OUTDIR/
      src/entry.py       the Worker, imports rewritten: wsguide.workers → workers,
                         wsguide.js → js, wsguide.ffi → pyodide.ffi
      src/<module>.py    the local modules the Worker imports (found next to it), rewritten too
      assets/            the Worker's static files (ASSETS = "public"), if it has any
      wrangler.jsonc     name, main, compatibility date and flags, Durable Objects, assets
      pyproject.toml     workers-py (the pywrangler command) and workers-runtime-sdk, pinned
      package.json       wrangler, pinned
      README.md          how to run and deploy it, and what changes in production
      .gitignore

Before writing anything, export checks the Worker with :mod:`wsguide.lint` and
refuses when it finds a problem (``force=True`` writes anyway). Everything is read from
the source, never by running it.

The rewrite changes only the import statements and ``wsguide.<mirror>`` attribute paths,
in place: comments, layout and line numbers stay as they were, so a traceback from
Cloudflare points at the same line as in the original file. The wsguide-only settings
(``DURABLE_OBJECTS``, ``COMPATIBILITY_DATE``, ``COMPATIBILITY_FLAGS``, ``ASSETS``) stay in
the file too: on Workers they are plain, unused constants, and keeping them keeps the
exported file line for line the one you ran; their values are in ``wrangler.jsonc``.

The modules: :mod:`.settings` (the Worker file's settings, read from its source),
:mod:`.rewrite` (the import rewrite), :mod:`.templates` and :mod:`.readme` (the project's
other files), :mod:`.versions` (the pinned tools), :mod:`.project` (plan and write, with
the local modules and the static files), :mod:`.cli` (the command).
"""

from __future__ import annotations

from .cli import add_arguments, main
from .errors import ExportError, ExportRefused
from .project import Project, export, plan
from .rewrite import rewrite_imports
from .settings import WorkerSettings, read_settings, served_with
from .templates import project_name
from .versions import (
    NODE_MIN_VERSION,
    WORKERS_PY_VERSION,
    WORKERS_RUNTIME_SDK_VERSION,
    WRANGLER_VERSION,
)

__all__ = [
    "NODE_MIN_VERSION",
    "WORKERS_PY_VERSION",
    "WORKERS_RUNTIME_SDK_VERSION",
    "WRANGLER_VERSION",
    "ExportError",
    "ExportRefused",
    "Project",
    "WorkerSettings",
    "add_arguments",
    "export",
    "main",
    "plan",
    "project_name",
    "read_settings",
    "rewrite_imports",
    "served_with",
]
