"""Every notebook matches its text source, and tools/notebooks.py keeps them in step.

The ``.md`` beside each ``.ipynb`` (MyST Markdown, paired by notebooks/jupytext.toml) is
what people edit; the ``.ipynb`` carries the same cells plus the outputs nbval compares.
"Match" means the same cells in the same order: type, source and metadata (tags first),
and the same kernelspec. Outputs, execution counts and cell ids may differ.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from .notebook_tool import load

tool = load()

ROOT = tool.ROOT
NOTEBOOKS = tool.NOTEBOOKS
FIX = "write the .md's cells into the .ipynb with `python tools/notebooks.py update` (or edit in JupyterLab)"


def rel(path: Path) -> str:
    return path.relative_to(NOTEBOOKS).as_posix()


# ---------------------------------------------------------------- the committed notebooks


def test_the_notebook_folders_hold_notebooks_and_their_sources():
    assert tool.notebook_files(), "no notebooks found in notebooks/ or notebooks/solutions/"
    assert tool.source_files(), "no text sources found in notebooks/ or notebooks/solutions/"
    assert not any(p.name == "README.md" for p in tool.source_files())


def test_every_notebook_has_a_text_source_and_every_source_a_notebook():
    assert tool.unpaired() == []


@pytest.mark.parametrize("notebook", tool.notebook_files(), ids=rel)
def test_notebook_has_the_cells_of_its_text_source(notebook):
    source = tool.source_of(notebook)
    if not source.is_file():
        pytest.fail(f"{rel(notebook)} has no text source {source.name}", pytrace=False)
    diff = tool.differences(notebook, source)
    assert not diff, f"{rel(notebook)} differs from {source.name} ({FIX}):\n" + "\n".join(diff)


def test_update_would_leave_every_committed_notebook_byte_for_byte_as_it_is():
    changed = []
    for source in tool.source_files():
        notebook = tool.notebook_of(source)
        if notebook.is_file() and tool.notebook_text(tool.updated(source)) != notebook.read_text("utf-8"):
            changed.append(rel(notebook))
    assert changed == []


def test_pytest_collects_only_the_ipynb_files_of_the_notebook_folders():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "--nbval", "notebooks"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = {line.split("::", 1)[0] for line in proc.stdout.splitlines() if "::" in line}
    expected = {p.relative_to(ROOT).as_posix() for p in tool.notebook_files()}
    assert files == expected


async def test_jupyterlab_opens_every_pair_whose_notebook_is_the_newer_file(tmp_path, monkeypatch):
    """After a pull that brings only re-run outputs, each .ipynb is newer than its .md.

    JupyterLab's jupytext then checks that the two still match before it opens either
    file; with the pairing configuration in notebooks/jupytext.toml they must.
    """
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))  # the notary's database
    root = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".*"))
    later = max(p.stat().st_mtime for p in tool.source_files([root, root / "solutions"])) + 3600
    notebooks = tool.notebook_files([root, root / "solutions"])
    for notebook in notebooks:
        os.utime(notebook, (later, later))

    manager = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=str(root))
    opened = {}
    for notebook in notebooks:
        for path in (notebook, tool.source_of(notebook)):
            model = await manager.get(path.relative_to(root).as_posix(), type="notebook")
            opened[path.name] = len(model["content"]["cells"])
    expected = {}
    for notebook in notebooks:
        cells = len(nbformat.read(notebook, as_version=4).cells)
        expected[notebook.name] = expected[tool.source_of(notebook).name] = cells
    assert opened == expected


# ---------------------------------------------------------------- the check, on a sample pair

SAMPLE = """\
---
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---

# A sample notebook

Some prose.

+++

## A second markdown cell

```{code-cell} ipython3
answer = 6 * 7
print(answer)
```

```{code-cell} ipython3
:tags: [raises-exception]

1 / 0
```
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    """A sample text source and its notebook (with an output), paired as in notebooks/."""
    shutil.copy2(NOTEBOOKS / "jupytext.toml", tmp_path / "jupytext.toml")
    source = tmp_path / "sample.md"
    source.write_text(SAMPLE, encoding="utf-8")
    tool.update(source)
    notebook = tool.notebook_of(source)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    nb.cells[2].execution_count = 1
    nbformat.write(nb, notebook)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def diff_of(folder: Path) -> str:
    return "\n".join(tool.differences(folder / "sample.ipynb", folder / "sample.md"))


def test_a_fresh_pair_matches(folder):
    assert diff_of(folder) == ""


def test_a_changed_line_of_code_in_the_source_is_reported(folder):
    edit(folder / "sample.md", "print(answer)", "print(answer + 1)")
    diff = diff_of(folder)
    assert "\n-print(answer)\n+print(answer + 1)" in diff


def test_a_removed_tag_is_reported(folder):
    edit(folder / "sample.md", ":tags: [raises-exception]\n\n", "")
    assert '\n-## cell 4 · code · {"tags": ["raises-exception"]}\n+## cell 4 · code\n' in diff_of(folder)


def test_a_cell_of_another_type_is_reported(folder):
    path = folder / "sample.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2] = nbformat.v4.new_markdown_cell(nb.cells[2].source)
    nbformat.write(nb, path)
    assert "\n-## cell 3 · markdown\n+## cell 3 · code\n" in diff_of(folder)


def test_a_markdown_cell_split_in_two_is_reported(folder):
    edit(folder / "sample.md", "# A sample notebook\n", "# A sample notebook\n\n+++\n")
    assert "+## cell 2 · markdown" in diff_of(folder)


def test_outputs_execution_counts_ids_and_run_metadata_do_not_count(folder):
    path = folder / "sample.ipynb"
    nb = nbformat.read(path, as_version=4)
    for n, cell in enumerate(nb.cells):
        cell.id = f"other-{n}"
        cell.metadata["ExecuteTime"] = {"end_time": "2026-01-01T00:00:00"}
        cell.metadata["collapsed"] = True
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = 99
    nbformat.write(nb, path)
    assert diff_of(folder) == ""


def test_other_cell_metadata_counts(folder):
    path = folder / "sample.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].metadata["editable"] = False
    nbformat.write(nb, path)
    assert '\n-## cell 3 · code · {"editable": false}\n+## cell 3 · code\n' in diff_of(folder)


def test_another_kernel_is_reported(folder):
    edit(folder / "sample.md", "name: python3", "name: python3-other")
    assert '"name": "python3-other"' in diff_of(folder)


def test_a_notebook_without_source_and_a_source_without_notebook_are_reported(folder):
    (folder / "sample.md").rename(folder / "orphan.md")
    (folder / "README.md").write_text("# not a notebook\n", encoding="utf-8")
    assert tool.unpaired([folder]) == [
        f"{folder / 'sample.ipynb'} has no text source sample.md",
        f"{folder / 'orphan.md'} has no notebook orphan.ipynb (run `tools/notebooks.py execute {folder / 'orphan.md'}`)",
    ]


# ---------------------------------------------------------------- update and execute


def test_update_takes_the_cells_from_the_source_and_keeps_the_outputs(folder):
    notebook, source = folder / "sample.ipynb", folder / "sample.md"
    before = nbformat.read(notebook, as_version=4)
    edit(source, "Some prose.", "Some better prose.")
    assert tool.update(source) is True
    after = nbformat.read(notebook, as_version=4)
    assert diff_of(folder) == ""
    assert after.cells[0].source == "# A sample notebook\n\nSome better prose."
    assert after.cells[2].outputs == before.cells[2].outputs
    assert after.metadata == before.metadata
    assert tool.update(source) is False


def test_update_leaves_the_source_the_newer_file(folder):
    notebook, source = folder / "sample.ipynb", folder / "sample.md"
    edit(source, "Some prose.", "Some better prose.")
    an_hour_ago = source.stat().st_mtime - 3600
    os.utime(source, (an_hour_ago, an_hour_ago))
    assert tool.update(source) is True
    assert source.stat().st_mtime_ns >= notebook.stat().st_mtime_ns


def test_update_makes_a_missing_notebook_with_the_kernel_and_no_outputs(folder):
    notebook = folder / "sample.ipynb"
    notebook.unlink()
    assert tool.update(folder / "sample.md") is True
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    assert diff_of(folder) == ""
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") for c in nb.cells)


def test_execute_fills_the_outputs_and_running_again_changes_nothing(folder):
    notebook = folder / "sample.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[2].outputs = []
    nbformat.write(nb, notebook)

    assert tool.execute(notebook) is True
    printed, raised = nbformat.read(notebook, as_version=4).cells[2:]
    assert [o.get("text") for o in printed.outputs] == ["42\n"]
    assert [o.get("ename") for o in raised.outputs] == ["ZeroDivisionError"]
    assert "execution" not in printed.metadata  # no per-cell timestamps
    assert tool.execute(notebook) is False
