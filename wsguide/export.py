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

Before writing anything, export checks the Worker with :mod:`wsguide.workerlint` and
refuses when it finds a problem (``force=True`` writes anyway). Everything is read from
the source, never by running it.

The rewrite changes only the import statements and ``wsguide.<mirror>`` attribute paths,
in place: comments, layout and line numbers stay as they were, so a traceback from
Cloudflare points at the same line as in the original file. The wsguide-only settings
(``DURABLE_OBJECTS``, ``COMPATIBILITY_DATE``, ``COMPATIBILITY_FLAGS``, ``ASSETS``) stay in
the file too: on Workers they are plain, unused constants, and keeping them keeps the
exported file line for line the one you ran; their values are in ``wrangler.jsonc``.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .core.compat import DEFAULT_COMPATIBILITY_DATE, Compat
from .workerlint import MIRRORS, Finding, lint_worker, local_modules, report

__all__ = [
    "ExportError",
    "ExportRefused",
    "Project",
    "WorkerSettings",
    "export",
    "main",
    "read_settings",
    "rewrite_imports",
]

# The versions the export tests run against (tests/export): bump them together.
WORKERS_PY_VERSION = "1.17.9"
WORKERS_RUNTIME_SDK_VERSION = "1.9.5"
WRANGLER_VERSION = "4.164.0"
NODE_MIN_VERSION = "22.12"

# Files and folders export writes; re-exporting into the same folder replaces exactly these.
OWNED = ("src", "assets", "wrangler.jsonc", "pyproject.toml", "package.json", "README.md", ".gitignore")
MARKER = "Written by `wsguide export`"

_NAME_OK = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")


class ExportError(Exception):
    """The Worker cannot be exported as it is; the message says why and what to do."""


class ExportRefused(ExportError):
    """The rule checker found problems (``findings``); nothing was written."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        n = len(findings)
        super().__init__(
            f"export refused: {n} problem{'s' if n != 1 else ''} would break this Worker on "
            "Python Workers (fix them, or pass --force to write the project anyway)"
        )


@dataclass
class WorkerSettings:
    """The wsguide-only module-level settings of a Worker file, read from its source."""

    durable_objects: dict[str, str] = field(default_factory=dict)  # binding -> class name
    compatibility_date: str | None = None
    compatibility_flags: list[str] = field(default_factory=list)
    assets: str | None = None


@dataclass
class Project:
    """What export wrote (or would write): the files by path under the project folder."""

    folder: Path
    name: str
    compatibility_date: str
    compatibility_flags: list[str]
    durable_objects: dict[str, str]
    files: dict[str, str]  # relative path -> text
    assets_from: Path | None
    findings: list[Finding]


# ---------------------------------------------------------------------------
# Reading the settings
# ---------------------------------------------------------------------------
def read_settings(source: str, path: str = "<worker>") -> WorkerSettings:
    """``DURABLE_OBJECTS``, ``COMPATIBILITY_*`` and ``ASSETS`` as written at module level.

    Each must be a literal (``{"ROOMS": ChatRoom}``, a string, a list of strings) so it can
    be read without running the file; the last assignment wins, as when Python runs it.
    """
    tree = ast.parse(source, filename=path)
    settings = WorkerSettings()
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    imported = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        else:
            continue
        where = f"{path}:{node.lineno}"
        if target == "DURABLE_OBJECTS":
            if not isinstance(value, ast.Dict) or not all(
                isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Name)
                for k, v in zip(value.keys, value.values)
            ):
                raise ExportError(
                    f'{where}: write DURABLE_OBJECTS as a literal dict, {{"BINDING": ClassName, ...}}, '
                    "so export can read it without running the file."
                )
            bindings = {k.value: v.id for k, v in zip(value.keys, value.values)}  # type: ignore[union-attr]
            for binding, class_name in bindings.items():
                if class_name not in defined and class_name not in imported:
                    raise ExportError(
                        f"{where}: DURABLE_OBJECTS binds {binding} to {class_name}, but the Worker file "
                        f"neither defines nor imports a class {class_name}. On Workers the class must "
                        "be a name in the Worker's module."
                    )
                if not re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", binding):
                    raise ExportError(f"{where}: {binding!r} is not a valid binding name (letters, digits, _).")
            settings.durable_objects = bindings
        elif target == "COMPATIBILITY_DATE":
            settings.compatibility_date = _literal_str(value, where, target)
        elif target == "COMPATIBILITY_FLAGS":
            if not isinstance(value, (ast.List, ast.Tuple)):
                raise ExportError(f'{where}: write COMPATIBILITY_FLAGS as a list of strings, ["flag", ...].')
            settings.compatibility_flags = [_literal_str(v, where, target) for v in value.elts]
        elif target == "ASSETS":
            settings.assets = _literal_str(value, where, target)
    return settings


def _literal_str(node: ast.expr, where: str, name: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ExportError(f"{where}: {name} must be a plain string here, so export can read it without running the file.")


# ---------------------------------------------------------------------------
# Rewriting the imports
# ---------------------------------------------------------------------------
def rewrite_imports(source: str, path: str = "<worker>") -> str:
    """``source`` with its wsguide mirror imports turned into the real Python Workers ones.

    ``from wsguide.workers import X`` → ``from workers import X``; ``wsguide.js`` → ``js``;
    ``wsguide.ffi`` → ``pyodide.ffi``; also ``import wsguide.workers as w``,
    ``from wsguide import js`` and ``wsguide.ffi.create_proxy`` written out in full. Only
    those spans change, and the result has the same number of lines.
    """
    tree = ast.parse(source, filename=path)
    edits: list[tuple[int, int, str]] = []
    offsets = _LineOffsets(source)
    full_imports = False  # `import wsguide.X` without `as`: code spells wsguide.X.name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "wsguide":
                continue
            if len(parts) == 2 and parts[1] in MIRRORS:
                start = offsets.of(node.lineno, node.col_offset)
                match = re.compile(r"from\s+wsguide\s*\.\s*\w+").match(source, start)
                if match is None:  # pragma: no cover - the AST says it is there
                    raise ExportError(f"{path}:{node.lineno}: cannot find the module name to rewrite")
                edits.append((match.start(), match.end(), f"from {MIRRORS[parts[1]]}"))
            elif len(parts) == 1 and all(a.name in MIRRORS for a in node.names):
                edits.append(_from_wsguide_import(node, offsets, source))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "wsguide" and len(parts) == 2 and parts[1] in MIRRORS:
                    start = offsets.of(alias.lineno, alias.col_offset)
                    match = re.compile(r"wsguide\s*\.\s*\w+").match(source, start)
                    assert match is not None
                    edits.append((match.start(), match.end(), MIRRORS[parts[1]]))
                    full_imports = full_imports or alias.asname is None
    if full_imports:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in MIRRORS
                and isinstance(node.value, ast.Name)
                and node.value.id == "wsguide"
            ):
                start = offsets.of(node.lineno, node.col_offset)
                end = offsets.of(node.end_lineno or node.lineno, node.end_col_offset or 0)
                edits.append((start, end, MIRRORS[node.attr]))
    result = source
    for start, end, text in sorted(edits, reverse=True):
        result = result[:start] + text + result[end:]
    if result.count("\n") != source.count("\n"):  # pragma: no cover - guarded by construction
        raise ExportError(f"{path}: the import rewrite changed the line count; please report this")
    ast.parse(result, filename=path)  # must still be valid Python
    return result


def _from_wsguide_import(node: ast.ImportFrom, offsets: _LineOffsets, source: str) -> tuple[int, int, str]:
    """``from wsguide import workers, js as j, ffi`` → ``import workers, js as j; from pyodide import ffi``."""
    plain, ffi = [], []
    for alias in node.names:
        spelled = MIRRORS[alias.name]
        if spelled == "pyodide.ffi":
            ffi.append("ffi" + (f" as {alias.asname}" if alias.asname else ""))
        else:
            plain.append(spelled + (f" as {alias.asname}" if alias.asname else ""))
    statements = []
    if plain:
        statements.append("import " + ", ".join(plain))
    if ffi:
        statements.append("from pyodide import " + ", ".join(ffi))
    start = offsets.of(node.lineno, node.col_offset)
    end = offsets.of(node.end_lineno or node.lineno, node.end_col_offset or 0)
    # Keep the line count: continue the statement over the lines the original spanned.
    extra_lines = source.count("\n", start, end)
    return start, end, "; ".join(statements) + " \\\n" * extra_lines


class _LineOffsets:
    """Character offsets from ast positions (whose columns count UTF-8 bytes)."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def of(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", errors="replace"))


# ---------------------------------------------------------------------------
# The project files
# ---------------------------------------------------------------------------
def project_name(worker: Path) -> str:
    """A Worker name for ``worker``: its file name, or its folder's for ``worker.py``.

    Lower-case letters, digits and dashes, at most 63 characters, as Cloudflare wants.
    """
    stem = worker.stem
    if stem in ("worker", "entry", "main", "__init__"):
        stem = worker.resolve().parent.name
    name = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:63].strip("-")
    return name or "worker"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def wrangler_config(
    *,
    name: str,
    source: str,
    compatibility_date: str,
    compatibility_flags: list[str],
    durable_objects: dict[str, str],
    assets_from: str | None,
) -> str:
    """The ``wrangler.jsonc`` text: JSON with comments, one comment per setting."""
    flags = ", ".join(_json(f) for f in compatibility_flags)
    # Each member: its comment lines, then its JSON text (commas are added between members).
    members: list[tuple[list[str], str]] = [
        (["Lets an editor check this file against wrangler's own schema (after `npm install`)."],
         '"$schema": "node_modules/wrangler/config-schema.json"'),
        (["The Worker's name in your Cloudflare account. Once deployed it answers at",
          f"https://{name}.<your-subdomain>.workers.dev"],
         f'"name": {_json(name)}'),
        (["The module the runtime loads: your Worker file, with the wsguide imports rewritten."],
         '"main": "src/entry.py"'),
        (["Which version of the Workers runtime's behaviour the code expects: the date the",
          "Worker was served with under wsguide. Cloudflare keeps that behaviour for this",
          "Worker until you change the date here."],
         f'"compatibility_date": {_json(compatibility_date)}'),
        (["python_workers makes `main` a Python module (Pyodide inside the Workers runtime).",
          "Any other flag turns one behaviour on or off, as it did under wsguide."],
         f'"compatibility_flags": [{flags}]'),
    ]
    if durable_objects:
        classes = list(dict.fromkeys(durable_objects.values()))
        binding, first = next(iter(durable_objects.items()))
        rows = ",\n".join(
            f'      {{ "name": {_json(b)}, "class_name": {_json(c)} }}' for b, c in durable_objects.items()
        )
        members.append((
            ["Durable Objects: each binding is a name in self.env and the class its objects are",
             f'made of. self.env.{binding}.getByName("lobby") reaches the {first} called "lobby".'],
            f'"durable_objects": {{\n    "bindings": [\n{rows}\n    ]\n  }}',
        ))
        members.append((
            ["Migrations tell Cloudflare which Durable Object classes exist. new_sqlite_classes",
             "gives them SQLite storage (self.ctx.storage.sql). A deployed migration is history:",
             'to add, rename or delete a class later, append an entry with a new tag ("v2").'],
            '"migrations": [\n    { "tag": "v1", "new_sqlite_classes": ['
            + ", ".join(_json(c) for c in classes) + "] }\n  ]",
        ))
    if assets_from is not None:
        members.append((
            [f"Static files, copied from {assets_from}. Cloudflare answers a GET for one of",
             'them before the Worker runs ("/" is index.html); every other request reaches',
             "the Worker."],
            '"assets": { "directory": "./assets" }',
        ))
    out = [
        f"// wrangler.jsonc: how Cloudflare runs this Worker. {MARKER} from",
        f"// {source}; running the export again replaces this file.",
        "// Every setting: https://developers.cloudflare.com/workers/wrangler/configuration/",
        "{",
    ]
    for index, (comments, text) in enumerate(members):
        if index:
            out.append("")
        out += [f"  // {line}" for line in comments]
        out.append("  " + text + ("," if index < len(members) - 1 else ""))
    out.append("}")
    return "\n".join(out) + "\n"


def pyproject_toml(name: str) -> str:
    return f"""# {MARKER}. pywrangler (from workers-py) reads this file:
# `uv run pywrangler dev` / `deploy` first vendor [project] dependencies, plus the Workers
# Python SDK, into python_modules/, which wrangler uploads with src/.
[project]
name = {_json(name)}
version = "0.1.0"
description = "A Python Worker exported by wsguide"
requires-python = ">=3.12"
# Packages your Worker imports at run time (pure Python, or built for Pyodide).
dependencies = []

[dependency-groups]
# Tools for your machine, not uploaded: the pywrangler command, and the SDK for your editor.
# These are the versions wsguide's tests used.
dev = [
    "workers-py=={WORKERS_PY_VERSION}",
    "workers-runtime-sdk=={WORKERS_RUNTIME_SDK_VERSION}",
]
"""


def package_json(name: str) -> str:
    data = {
        "name": name,
        "private": True,
        "description": f"wrangler for this Python Worker (written by wsguide export); needs Node.js {NODE_MIN_VERSION} or newer",
        "engines": {"node": f">={NODE_MIN_VERSION}"},
        "devDependencies": {"wrangler": WRANGLER_VERSION},
    }
    return json.dumps(data, indent=2) + "\n"


GITIGNORE = """\
# Made by npm install, uv and pywrangler: never commit them.
node_modules/
.venv/
.venv-workers/
python_modules/
.wrangler/
"""


def readme(name: str, source: str, durable_objects: dict[str, str], has_assets: bool) -> str:
    parts = [
        f"# {name}: a Python Worker",
        "",
        f"{MARKER} from `{source}`. The files:",
        "",
        "- `src/entry.py`: your Worker, with the imports it had under wsguide changed to the real",
        "  ones (`workers`, `js`, `pyodide.ffi`); every other line is as you wrote it, so line",
        "  numbers in Cloudflare's error messages match your file.",
    ]
    if has_assets:
        parts.append("- `assets/`: your static files, served by Cloudflare before the Worker runs.")
    parts += [
        "- `wrangler.jsonc`: the configuration, with a comment on every setting.",
        "- `pyproject.toml` and `package.json`: the tools, pinned to the versions wsguide was tested with.",
        "",
        "## Run it and deploy it",
        "",
        f"You need [uv](https://docs.astral.sh/uv/) and Node.js {NODE_MIN_VERSION} or newer. Once, in this folder:",
        "",
        "```",
        "npm install                # wrangler, the version pinned in package.json",
        "```",
        "",
        "Then:",
        "",
        "```",
        "uv run pywrangler dev      # serve it on http://localhost:8787 in Cloudflare's own runtime",
        "uv run pywrangler deploy   # upload it to your Cloudflare account (it asks you to log in)",
        "```",
        "",
        "Both commands first run `pywrangler sync`, which puts the Workers Python SDK (and the",
        "packages listed under `dependencies` in `pyproject.toml`) into `python_modules/`; wrangler",
        "uploads that folder with `src/`.",
        "",
        "## What changes in production",
        "",
        "wsguide behaves like the Workers runtime on your machine. On Cloudflare's network a few",
        "things are different:",
        "",
        "- **No compression.** Locally the WebSocket handshake negotiates `permessage-deflate` when the",
        "  client offers it (compatibility flag `web_socket_compression`). Cloudflare's edge does not",
        "  negotiate it with clients today (workers-sdk#8908): messages travel uncompressed. Nothing",
        "  in your code changes; only the bytes on the wire do.",
        "- **Limits.** A received message may be at most 32 MiB (larger: the socket closes with 1009).",
        "  Your plan limits CPU time per request and requests per day; Durable Objects accept at most",
        "  32,768 WebSockets each, and an attachment holds at most 16 KiB. See",
        "  https://developers.cloudflare.com/workers/platform/limits/ and",
        "  https://developers.cloudflare.com/durable-objects/platform/limits/.",
    ]
    if durable_objects:
        parts += [
            "- **Hibernation timing.** wsguide hibernates an idle Durable Object after 10 seconds, as",
            "  `wrangler dev` does, and its notebooks can force it (`hibernate_now`). Cloudflare also",
            "  evicts an idle object after about 10 seconds, but nothing forces it, and the runtime may",
            "  restart an object at other moments too (a new deploy, maintenance). Code must not depend",
            "  on when it happens: keep what a socket needs in its attachment or in storage, never only",
            "  in `self`.",
            "- **What you pay for.** A Durable Object is billed for requests and for *duration*: the",
            "  wall-clock time it spends in memory while it is running or cannot hibernate. An idle",
            "  object whose sockets were accepted with `self.ctx.acceptWebSocket()` is not billed for",
            "  duration, even before it is evicted, and its sockets stay open. A socket accepted with",
            "  `server.accept()` keeps the object from hibernating, so it is billed for as long as the",
            "  socket is open. Incoming WebSocket messages count as requests at a 20:1 ratio; `\"ping\"`",
            "  answered by `setWebSocketAutoResponse` does not wake the object. Prices:",
            "  https://developers.cloudflare.com/durable-objects/platform/pricing/",
            "- **Storage starts empty.** The messages kept under `.wsguide/` on your machine are not",
            "  uploaded; each Durable Object on Cloudflare starts with empty storage.",
        ]
    parts += [
        "- **A new deploy closes every open WebSocket**: clients must reconnect.",
        "",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------
def served_with(
    settings: WorkerSettings, date: str | None, flags: list[str] | tuple[str, ...]
) -> tuple[str, list[str]]:
    """The compatibility date and flags, as ``wsguide dev`` resolves them, plus ``python_workers``.

    The date: ``date`` (the command line), else the file's ``COMPATIBILITY_DATE``, else the
    kit's default. The flags: the file's ``COMPATIBILITY_FLAGS`` followed by ``flags``.
    """
    chosen = date or settings.compatibility_date or DEFAULT_COMPATIBILITY_DATE
    combined = [*settings.compatibility_flags, *flags]
    try:
        compat = Compat(chosen, combined)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    out = ["python_workers"]
    for flag in combined:
        if flag not in out:
            out.append(flag)
    return compat.date, out


def plan(
    worker: str | Path,
    *,
    compatibility_date: str | None = None,
    compatibility_flags: list[str] | tuple[str, ...] = (),
    name: str | None = None,
) -> Project:
    """Everything export would write for ``worker``, without writing it (and the checker's findings)."""
    file = Path(worker)
    if file.is_dir():
        file = file / "worker.py"
    if not file.is_file():
        raise ExportError(f"No Worker file at {worker}.")
    source = file.read_text(encoding="utf-8")
    try:
        findings = lint_worker(file)
        settings = read_settings(source, str(file))
    except SyntaxError as exc:
        raise ExportError(f"{exc.filename}:{exc.lineno}: {exc.msg} (fix the syntax first)") from None
    if name is None:
        name = project_name(file)
    elif not _NAME_OK.match(name):
        raise ExportError(
            f"--name {name!r}: a Worker name is 1-63 lower-case letters, digits and dashes, "
            "starting and ending with a letter or digit."
        )
    date, flags = served_with(settings, compatibility_date, compatibility_flags)
    folder = file.resolve().parent
    assets_from: Path | None = None
    if settings.assets is not None:
        assets_from = (folder / settings.assets).resolve()
        if not assets_from.is_dir():
            raise ExportError(f'{file}: ASSETS = "{settings.assets}" but there is no folder {assets_from}.')
    files = {"src/entry.py": rewrite_imports(source, str(file))}
    for module in local_modules(file):
        rel = module.relative_to(folder).as_posix()
        files[f"src/{rel}"] = rewrite_imports(module.read_text(encoding="utf-8"), str(module))
    shown_source = file.as_posix()
    shown_assets = None
    if assets_from is not None:
        shown_assets = (file.parent / settings.assets).as_posix() if settings.assets else str(assets_from)
    files["wrangler.jsonc"] = wrangler_config(
        name=name,
        source=shown_source,
        compatibility_date=date,
        compatibility_flags=flags,
        durable_objects=settings.durable_objects,
        assets_from=shown_assets,
    )
    files["pyproject.toml"] = pyproject_toml(name)
    files["package.json"] = package_json(name)
    files["README.md"] = readme(name, shown_source, settings.durable_objects, assets_from is not None)
    files[".gitignore"] = GITIGNORE
    return Project(
        folder=Path(),
        name=name,
        compatibility_date=date,
        compatibility_flags=flags,
        durable_objects=settings.durable_objects,
        files=files,
        assets_from=assets_from,
        findings=findings,
    )


def _check_outdir(outdir: Path, assets_from: Path | None, worker_folder: Path) -> None:
    if outdir.exists() and not outdir.is_dir():
        raise ExportError(f"{outdir} exists and is not a folder.")
    real = outdir.resolve()
    if assets_from is not None and real.is_relative_to(assets_from):
        raise ExportError(f"{outdir} is inside the static files folder {assets_from}: choose a folder outside it.")
    if outdir.is_dir() and any(outdir.iterdir()):
        config = outdir / "wrangler.jsonc"
        previous = config.is_file() and MARKER in config.read_text(encoding="utf-8", errors="replace")
        if not previous:
            raise ExportError(
                f"{outdir} is not empty and was not written by wsguide export: choose a new folder "
                "(export never overwrites files it did not write)."
            )
    if real == worker_folder:
        raise ExportError(f"{outdir} is the Worker's own folder: choose another folder.")


def export(
    worker: str | Path,
    outdir: str | Path,
    *,
    compatibility_date: str | None = None,
    compatibility_flags: list[str] | tuple[str, ...] = (),
    name: str | None = None,
    force: bool = False,
) -> Project:
    """Write the pywrangler project for ``worker`` into ``outdir``; returns what was written.

    Raises :class:`ExportRefused` (nothing written) when the rule checker finds problems,
    unless ``force``; :class:`ExportError` for anything else that stops the export. An
    ``outdir`` that holds an earlier export is updated: its ``src/``, ``assets/`` and the
    files above are replaced; everything else there (``node_modules/``, ``python_modules/``,
    ``.venv-workers/``...) is left alone. Any other non-empty folder is refused.
    """
    project = plan(worker, compatibility_date=compatibility_date, compatibility_flags=compatibility_flags, name=name)
    if project.findings and not force:
        raise ExportRefused(project.findings)
    out = Path(outdir)
    file = Path(worker) / "worker.py" if Path(worker).is_dir() else Path(worker)
    _check_outdir(out, project.assets_from, file.resolve().parent)
    out.mkdir(parents=True, exist_ok=True)
    for owned in ("src", "assets"):
        if (out / owned).is_dir():
            shutil.rmtree(out / owned)
    for rel, text in project.files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    if project.assets_from is not None:
        _copy_assets(project.assets_from, out / "assets")
    project.folder = out
    return project


def _copy_assets(source: Path, target: Path) -> None:
    """Copy the static files; like the server, skip anything that resolves outside ``source``."""
    for path in sorted(source.rglob("*")):
        real = path.resolve()
        if not real.is_file() or not real.is_relative_to(source):
            continue
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real, dest)
    target.mkdir(parents=True, exist_ok=True)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("worker", help="path to the Worker file (or a folder with worker.py)")
    parser.add_argument("outdir", help="folder to write the project into (new, empty, or an earlier export)")
    parser.add_argument(
        "--compatibility-date", metavar="YYYY-MM-DD",
        help=f"the date for wrangler.jsonc (default: the file's COMPATIBILITY_DATE, else {DEFAULT_COMPATIBILITY_DATE})",
    )
    parser.add_argument(
        "--compatibility-flag", action="append", default=[], metavar="FLAG",
        help="a compatibility flag, added to the file's COMPATIBILITY_FLAGS (repeatable); python_workers is always set",
    )
    parser.add_argument("--name", help="the Worker's name on Cloudflare (default: from the file or folder name)")
    parser.add_argument("--force", action="store_true", help="write the project even when `wsguide lint` finds problems")


def main(args: argparse.Namespace) -> int:
    """``wsguide export``: 0 when written, 1 when the checker refused it, 2 on any other error."""
    try:
        project = export(
            args.worker,
            args.outdir,
            compatibility_date=args.compatibility_date,
            compatibility_flags=args.compatibility_flag,
            name=args.name,
            force=args.force,
        )
    except ExportRefused as exc:
        report(exc.findings, out=sys.stderr)
        print(f"error: {exc}. Nothing was written.", file=sys.stderr)
        return 1
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if project.findings:
        report(project.findings, out=sys.stderr)
        print("warning: --force: written anyway; the problems above remain in src/.", file=sys.stderr)
    out = project.folder
    print(f"Wrote the Python Workers project {project.name!r} to {out}/")
    for rel in project.files:
        print(f"  {rel}")
    if project.assets_from is not None:
        print(f"  assets/  (copied from {project.assets_from})")
    print(f"  compatibility_date {project.compatibility_date}; flags: {', '.join(project.compatibility_flags)}")
    for binding, class_name in project.durable_objects.items():
        print(f"  env.{binding}: Durable Object {class_name}")
    print("Next, in that folder: npm install, then uv run pywrangler dev (or deploy). See its README.md.")
    return 0
