"""Shared pieces for writing the notebooks from Python (tools/build_notebooks.py).

The notebooks are authored here so their structure stays uniform (header,
one idea per cell, self-checks, key points, exercises, panic button), then
executed with ``jupyter nbconvert --execute --inplace`` so the committed
outputs are real. Edit a notebook in JupyterLab freely; re-running the
builder overwrites it, so port lasting changes back here.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
GUIDE = "https://developers.cloudflare.com/workers/examples/websockets/"


def md(text: str):
    return new_markdown_cell(dedent(text).strip("\n"))


def code(text: str, *tags: str):
    cell = new_code_cell(dedent(text).strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def raises(text: str):
    """A cell whose error is the lesson: shown, and checked by nbval and nbclient."""
    return code(text, "raises-exception")


def header(title, questions, objectives, prereqs, teach, exercises, section, anchor=""):
    q = "\n".join(f"- {x}" for x in questions)
    o = "\n".join(f"- {x}" for x in objectives)
    rows = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in prereqs) or "| (none) | | |"
    link = f"[{section}]({GUIDE}{anchor})" if section else "none yet: this notebook prepares your machine"
    return md(
        f"""
# {title}

**Questions**

{q}

**Objectives**

{o}

**Prerequisites**

| Concepts | Importance | Notes |
|---|---|---|
{rows}

**Time to learn:** teaching {teach} min, exercises {exercises} min

**Guide section:** {link}
"""
    )


def footer(keypoints, exercises, next_text, solutions_name):
    k = "\n".join(f"- {x}" for x in keypoints)
    cells = [md(f"## Key points\n\n{k}")]
    cells.append(
        md(
            "## Exercises\n\n"
            + "\n\n".join(f"**Exercise {i}.** {text}" for i, text in enumerate(exercises, 1))
            + f"\n\nSolutions (run them too): [`solutions/{solutions_name}`](solutions/{solutions_name})."
        )
    )
    for i in range(1, len(exercises) + 1):
        cells.append(code(f"# Exercise {i}: your code here\n"))
    cells.append(
        md(
            "## Tidy up\n\nThe panic button: stops every server `serve()` started in this kernel "
            "(there should be none left). Use it whenever something seems stuck."
        )
    )
    cells.append(code("await stop_all()"))
    cells.append(md(f"## What's next\n\n{next_text}"))
    return cells


def write(name: str, cells, folder: Path = NOTEBOOKS) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{path.stem[:2]}-{i:02d}"
    nbformat.write(nb, path)
    return path
