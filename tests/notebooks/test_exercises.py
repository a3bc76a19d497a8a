"""Every exercise, answered with its published solution, runs in its own lesson.

The convention (notebooks/README.md, "Exercises"): a lesson's empty exercise cell carries the tag
``exercise-N``; in ``solutions/<lesson>-solutions.md`` the code cells that answer it carry the
same tag. This test builds each lesson with every ``exercise-N`` cell replaced by its solution
cells and runs it top to bottom in a fresh kernel: a solution that needs a name the lesson never
imported, or that only works after the solutions notebook's own set-up, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EXERCISE_TAG = re.compile(r"exercise-(\d+)")
CELL_TIMEOUT = 60


def lessons() -> list[Path]:
    """Every lesson notebook (each has a solutions notebook)."""
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if solutions_of(p).is_file())


def solutions_of(lesson: Path) -> Path:
    return NOTEBOOKS / "solutions" / f"{lesson.stem}-solutions.ipynb"


def exercise_tags(cell: nbformat.NotebookNode) -> list[str]:
    return [t for t in cell.get("metadata", {}).get("tags", []) if EXERCISE_TAG.fullmatch(t)]


def answered(lesson: Path) -> tuple[nbformat.NotebookNode, list[str]]:
    """The lesson with each ``exercise-N`` cell replaced by its solution cells, and the problems
    found on the way (an exercise without a solution, a solution without an exercise)."""
    nb = nbformat.read(lesson, as_version=4)
    solutions = nbformat.read(solutions_of(lesson), as_version=4)
    answers: dict[str, list[nbformat.NotebookNode]] = {}
    for cell in solutions.cells:
        for tag in exercise_tags(cell):
            if cell.cell_type != "code":
                continue
            answer = nbformat.v4.new_code_cell(cell.source)
            answer.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if not EXERCISE_TAG.fullmatch(t)]
            answers.setdefault(tag, []).append(answer)
    problems = []
    cells = []
    asked = set()
    for cell in nb.cells:
        tags = exercise_tags(cell) if cell.cell_type == "code" else []
        if not tags:
            cells.append(cell)
            continue
        for tag in tags:
            asked.add(tag)
            if tag not in answers:
                problems.append(f"{tag} has no solution cell tagged {tag} in {solutions_of(lesson).name}")
            cells.extend(answers.get(tag, []))
    for tag in sorted(set(answers) - asked):
        problems.append(f"{solutions_of(lesson).name} answers {tag}, but {lesson.name} has no cell tagged {tag}")
    if not asked:
        problems.append(f"{lesson.name} has no exercise cell (tag exercise-1, exercise-2, ...)")
    nb.cells = cells
    return nb, problems


@pytest.mark.parametrize("lesson", lessons(), ids=lambda p: p.stem)
def test_every_exercise_has_its_solution_and_every_solution_its_exercise(lesson: Path) -> None:
    _, problems = answered(lesson)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson", lessons(), ids=lambda p: p.stem)
def test_the_lesson_runs_with_each_exercise_replaced_by_its_solution(lesson: Path) -> None:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb, problems = answered(lesson)
    if problems:
        pytest.skip("exercise tags incomplete (see the test above)")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        record_timing=False,
        resources={"metadata": {"path": str(lesson.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{lesson.name} with its solutions filled in fails:\n{exc}", pytrace=False)

