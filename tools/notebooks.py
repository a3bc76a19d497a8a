"""Keep the notebooks in step with their text sources, and refresh their outputs.

Every notebook in notebooks/ and notebooks/solutions/ has a text source of the same name in
MyST Markdown (``03-accept-and-listeners.md`` beside ``03-accept-and-listeners.ipynb``;
notebooks/jupytext.toml pairs them). The ``.md`` holds the cells; the ``.ipynb`` holds the
same cells plus the outputs of a real run, which nbval compares. In JupyterLab (with
jupytext, which kit.py installs) editing either file saves both. After editing a ``.md``
anywhere else:

    .venv/bin/python tools/notebooks.py update [NB ...]   # cells from the .md into the .ipynb
    .venv/bin/python tools/notebooks.py execute [NB ...]  # update, then run in place: fresh outputs
    .venv/bin/python tools/notebooks.py check             # which notebooks differ from their sources

NB is a notebook number (``03``: the lesson and its solutions) or a path to a ``.md`` or
``.ipynb``; without any, every notebook. ``update`` keeps the outputs of cells that did not
change (jupytext's ``--update``); a fix in the prose needs nothing more. ``execute`` runs each
notebook top to bottom in a fresh kernel (as ``jupyter nbconvert --execute --inplace`` does,
without per-cell timestamps), so a notebook changes only where its outputs do; check the
result with nbval (``python kit.py test notebooks/...``). A file is rewritten only when its
content changes.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs
from jupytext.config import load_jupytext_config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FOLDERS = (NOTEBOOKS, NOTEBOOKS / "solutions")
TEXT_FORMAT = "md:myst"
#: Markdown files in the notebook folders that are documents, not notebook sources.
NOT_SOURCES = {"README.md"}
#: Cell metadata that JupyterLab or a run may add and the text leaves out on purpose
#: (jupytext's own list); every other key, tags first, must match.
UNTRACKED_CELL_METADATA = {"autoscroll", "collapsed", "scrolled", "trusted", "execution", "ExecuteTime"}
#: Per-cell limit while executing, as kit.py gives nbval.
CELL_TIMEOUT = 60


# ------------------------------------------------------------------ finding pairs


def notebook_files(folders=FOLDERS) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.glob("*.ipynb"))]


def source_files(folders=FOLDERS) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.glob("*.md")) if p.name not in NOT_SOURCES]


def source_of(notebook: Path) -> Path:
    return notebook.with_suffix(".md")


def notebook_of(source: Path) -> Path:
    return source.with_suffix(".ipynb")


def unpaired(folders=FOLDERS) -> list[str]:
    """A line for each notebook without a text source and each source without a notebook."""
    problems = []
    for nb in notebook_files(folders):
        if not source_of(nb).is_file():
            problems.append(f"{_rel(nb)} has no text source {source_of(nb).name}")
    for src in source_files(folders):
        if not notebook_of(src).is_file():
            problems.append(
                f"{_rel(src)} has no notebook {notebook_of(src).name} (run `tools/notebooks.py execute {_rel(src)}`)"
            )
    return problems


# ------------------------------------------------------------------ comparing


def read_source(source: Path) -> nbformat.NotebookNode:
    """The notebook a text source describes (cells and kernelspec, no outputs)."""
    return jupytext.read(source, fmt=TEXT_FORMAT, config=load_jupytext_config(str(source)))


def inputs_text(nb: nbformat.NotebookNode) -> list[str]:
    """What must match between a notebook and its source, one line per item, cells numbered.

    Cell types, sources and metadata (tags and the rest, minus UNTRACKED_CELL_METADATA), and
    the kernelspec. Outputs, execution counts and cell ids are left out.
    """
    lines = ["kernelspec: " + json.dumps(nb.metadata.get("kernelspec", {}), sort_keys=True)]
    for n, cell in enumerate(nb.cells, 1):
        metadata = {k: v for k, v in cell.get("metadata", {}).items() if k not in UNTRACKED_CELL_METADATA}
        head = f"## cell {n} · {cell.cell_type}"
        if metadata:
            head += " · " + json.dumps(metadata, sort_keys=True)
        lines.append(head)
        lines.extend(cell.source.split("\n"))
    return lines


def differences(notebook: Path, source: Path, context: int = 2) -> list[str]:
    """How the source's cells differ from the notebook's (what `update` would change), as a
    unified diff; empty when they match."""
    nb = nbformat.read(notebook, as_version=4)
    text = read_source(source)
    return list(
        difflib.unified_diff(
            inputs_text(nb), inputs_text(text), _rel(notebook), _rel(source), n=context, lineterm=""
        )
    )


# ------------------------------------------------------------------ updating and running


def updated(source: Path) -> nbformat.NotebookNode:
    """The notebook for `source`: its cells, with the outputs of unchanged cells kept.

    This is how jupytext's contents manager combines a pair when JupyterLab opens and saves
    it, so the tool and JupyterLab write the same notebook: the cells come from the text, the
    outputs from the .ipynb, and the notebook's metadata is the .ipynb's plus what the text
    sets (the kernelspec, and jupytext's note of the code cells' lexer). A source without a
    notebook yet gives one without outputs.
    """
    target = notebook_of(source)
    previous = nbformat.read(target, as_version=4) if target.is_file() else nbformat.v4.new_notebook()
    return combine_inputs_with_outputs(read_source(source), previous, fmt=TEXT_FORMAT)


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The .ipynb file's content, exactly as nbformat.write (and nbconvert) write it."""
    content = nbformat.writes(nb)
    return content if content.endswith("\n") else content + "\n"


def write_if_changed(nb: nbformat.NotebookNode, path: Path) -> bool:
    """Write `nb` to `path`; return whether the file changed."""
    content = notebook_text(nb)
    if path.is_file() and path.read_text(encoding="utf-8") == content:
        return False
    path.write_text(content, encoding="utf-8")
    return True


def keep_source_newest(source: Path) -> None:
    """Touch the text source after writing its notebook, as jupytext's own CLI does.

    JupyterLab's jupytext compares the two files' contents when the .ipynb is the newer one
    (and refuses to open them if they differ); a source that stays the newer file skips that.
    """
    os.utime(source)


def update(source: Path) -> bool:
    changed = write_if_changed(updated(source), notebook_of(source))
    if changed:
        keep_source_newest(source)
    return changed


def execute(notebook: Path, timeout: int = CELL_TIMEOUT) -> bool:
    """Run a notebook top to bottom in a fresh kernel, in its own folder, and save its outputs.

    Cells tagged ``raises-exception`` may raise; any other error stops the run (nbclient
    raises) and leaves the file as it was.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        record_timing=False,
        resources={"metadata": {"path": str(notebook.parent)}},
    ).execute()
    changed = write_if_changed(nb, notebook)
    if changed and source_of(notebook).is_file():
        keep_source_newest(source_of(notebook))
    return changed


# ------------------------------------------------------------------ command line


def select(names: list[str]) -> list[Path]:
    """Text sources named by number prefix ("03") or by path (.md or .ipynb); all by default."""
    sources = source_files()
    if not names:
        return sources
    chosen: list[Path] = []
    for name in names:
        path = Path(name)
        if path.suffix in (".md", ".ipynb"):
            src = source_of(path.resolve())
            if not src.is_file():
                raise SystemExit(f"no text source {src}")
            matches = [src]
        else:
            matches = [s for s in sources if s.name.startswith(name + "-")]
            if not matches:
                raise SystemExit(f"no notebook source starts with {name + '-'!r} in notebooks/ or notebooks/solutions/")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def command_update(sources: list[Path]) -> int:
    for src in sources:
        changed = update(src)
        print(f"{'updated  ' if changed else 'unchanged'} {_rel(notebook_of(src))}")
    return 0


def command_execute(sources: list[Path]) -> int:
    for src in sources:
        update(src)
        changed = execute(notebook_of(src))
        print(f"{'executed, outputs changed  ' if changed else 'executed, outputs unchanged'} {_rel(notebook_of(src))}")
    return 0


def command_check(sources: list[Path]) -> int:
    problems = unpaired()
    for line in problems:
        print(line)
    for src in sources:
        nb = notebook_of(src)
        if nb.is_file():
            diff = differences(nb, src)
            if diff:
                problems.append(_rel(nb))
                print("\n".join(diff))
    if problems:
        print(f"\n{len(problems)} problem(s); `tools/notebooks.py update` writes the sources' cells into the notebooks")
        return 1
    print(f"all {len(sources)} notebooks match their text sources")
    return 0


COMMANDS = {"update": command_update, "execute": command_execute, "check": command_check}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("notebooks", nargs="*", metavar="NB", help="number (03) or path; default: all")
    args = parser.parse_args(argv)
    return COMMANDS[args.command](select(args.notebooks))


if __name__ == "__main__":
    sys.exit(main())
