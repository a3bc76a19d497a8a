"""The files of an exported project besides the code: ``wrangler.jsonc``, ``pyproject.toml``,
``package.json`` and ``.gitignore`` (the README is :mod:`.readme`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .versions import (
    NODE_MIN_VERSION,
    WORKERS_PY_VERSION,
    WORKERS_RUNTIME_SDK_VERSION,
    WRANGLER_VERSION,
)

__all__ = ["GITIGNORE", "MARKER", "package_json", "project_name", "pyproject_toml", "wrangler_config"]

MARKER = "Written by `wsguide export`"


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
