"""Every lesson has the teaching skeleton (DESIGN.md, "Notebooks"; notebooks/README.md, "How a lesson is built").

Read from the text sources: objectives first; at least two predictions, each asked before the
cell that answers it, as a multiple choice whose answer explains every option; key points,
exercises and references at the end; references that cover the guide, MDN, RFC 6455 and
Cloudflare's documentation.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
GUIDE = "https://developers.cloudflare.com/workers/examples/websockets/"

#: Lessons that follow a step of the guide (the set-up check, the troubleshooting questions and
#: the appendix have the skeleton but no guide-specific references).
GUIDE_LESSONS = ("01", "02", "03", "04", "05", "06", "07", "08", "09")
PREDICT = re.compile(r"^\*\*Predict\.\*\*", re.M)
OPTION = re.compile(r"^\s*(\d)\.\s+\S", re.M)
DETAILS = re.compile(r"<details>.*?</details>", re.S)


def lessons() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]-*.md"))


def cells(path: Path) -> list:
    return jupytext.read(path).cells


def section(text: str, title: str) -> str:
    """The Markdown of ``## title`` up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


@pytest.mark.parametrize("path", lessons(), ids=lambda p: p.stem)
def test_a_lesson_opens_with_questions_objectives_prerequisites_and_time(path: Path) -> None:
    first = cells(path)[0]
    assert first.cell_type == "markdown"
    for heading in ("**Questions**", "**Objectives**", "**Prerequisites**", "**Time to learn:**"):
        assert heading in first.source, f"{path.name}: the first cell has no {heading}"
    if path.name[:2] in GUIDE_LESSONS:
        assert "**Guide section:**" in first.source and GUIDE in first.source, f"{path.name}: no guide section"


@pytest.mark.parametrize("path", lessons(), ids=lambda p: p.stem)
def test_a_lesson_asks_for_two_predictions_before_the_cells_that_answer_them(path: Path) -> None:
    nb = cells(path)
    prompts = [i for i, c in enumerate(nb) if c.cell_type == "markdown" and PREDICT.search(c.source)]
    assert len(prompts) >= 2, f"{path.name}: {len(prompts)} '**Predict.**' prompt(s); a lesson asks at least two"
    for i in prompts:
        text = nb[i].source[PREDICT.search(nb[i].source).start():]
        options = sorted(set(OPTION.findall(DETAILS.sub("", text))))
        assert len(options) >= 2, f"{path.name} cell {i}: a prediction offers numbered choices (1. 2. 3.)"
        answer = DETAILS.search(text)
        assert answer, f"{path.name} cell {i}: the answer goes in a <details> block after the choices"
        for option in options:
            assert re.search(rf"\b{option}\b", answer.group(0)), (
                f"{path.name} cell {i}: the answer does not explain choice {option} (each wrong answer names a misconception)"
            )
        assert any(c.cell_type == "code" for c in nb[i + 1:i + 3]), f"{path.name} cell {i}: no code cell right after the prediction"


@pytest.mark.parametrize("path", lessons(), ids=lambda p: p.stem)
def test_a_lesson_ends_with_key_points_exercises_and_references(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+?)\s*$", text, re.M)
    for title in ("Key points", "References"):
        assert title in headings, f"{path.name}: no '## {title}' section"
    assert headings.index("Key points") < headings.index("References")
    assert "exercise-1" in text, f"{path.name}: no exercise cell tagged exercise-1"


@pytest.mark.parametrize("path", [p for p in lessons() if p.name[:2] in GUIDE_LESSONS], ids=lambda p: p.stem)
def test_references_cover_the_guide_mdn_rfc_6455_and_cloudflare_docs(path: Path) -> None:
    refs = section(path.read_text(encoding="utf-8"), "References")
    links = re.findall(r"\]\((https?://[^)\s]+)\)", refs)
    kinds = {
        "the guide": lambda u: u.startswith(GUIDE),
        "MDN": lambda u: u.startswith("https://developer.mozilla.org/"),
        "RFC 6455": lambda u: "rfc6455" in u,
        "Cloudflare docs beyond the guide": lambda u: u.startswith("https://developers.cloudflare.com/")
        and not u.startswith(GUIDE),
    }
    missing = [kind for kind, ok in kinds.items() if not any(ok(u) for u in links)]
    assert not missing, f"{path.name}: References has no link to {', '.join(missing)}"


#: The anchors of the guide's headings ("Writing a WebSocket Server" → #writing-a-websocket-server),
#: from the copy of the guide the syllabus follows.
GUIDE_ANCHORS = {
    "writing-a-websocket-server",
    "connecting-to-the-websocket-server-from-a-client",
    "writing-a-websocket-client",
    "websocket-compression",
    "durable-objects-and-websocket-state",
}


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.rglob("*.md")), ids=lambda p: p.stem)
def test_links_to_the_guide_name_headings_it_has(path: Path) -> None:
    anchors = re.findall(re.escape(GUIDE) + r"#([A-Za-z0-9_-]+)", path.read_text(encoding="utf-8"))
    unknown = sorted(set(anchors) - GUIDE_ANCHORS)
    assert not unknown, f"{path.name}: links to #{', #'.join(unknown)}, which the guide has no heading for"
