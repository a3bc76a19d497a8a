"""notebooks/sanitize.cfg: what nbval normalises before comparing outputs, and what it leaves alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

SANITIZE = Path(__file__).resolve().parent.parent / "notebooks" / "sanitize.cfg"


@pytest.fixture(scope="module")
def patterns() -> list[tuple[str, str]]:
    return get_sanitize_patterns(SANITIZE.read_text(encoding="ascii"))


def sanitize(patterns, text: str) -> str:
    # The same loop as nbval's IPyNbCell.sanitize.
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


def test_file_is_ascii_so_every_platform_reads_it_alike():
    SANITIZE.read_bytes().decode("ascii")


def test_nbval_finds_every_section(patterns):
    sections = re.findall(r"^\[[^\]]+\]$", SANITIZE.read_text(encoding="ascii"), flags=re.MULTILINE)
    assert len(patterns) == len(sections)
    for regex, replace in patterns:
        re.compile(regex)
        assert replace == replace.strip(), f"stray spaces in replace for {regex!r}"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("listening on ws://127.0.0.1:54321/chat", "listening on ws://127.0.0.1:<PORT>/chat"),
        ("open http://localhost:8787/", "open http://localhost:<PORT>/"),
        ("remote ('127.0.0.1', 40112)", "remote ('127.0.0.1', <PORT>)"),
        ("echo took 0.123s", "echo took <TIME>"),
        ("round trip 12.3 ms", "round trip <TIME>"),
        ("waited 1.5 seconds", "waited <TIME>"),
        ("frame parsed in 850 us", "frame parsed in <TIME>"),
        ("frame parsed in 850 \u00b5s", "frame parsed in <TIME>"),
        ("<WebSocket object at 0x7f3a2c1d5e50>", "<WebSocket object at 0x<ADDR>>"),
        ("/tmp/ipykernel_1234/5678.py:3: RuntimeWarning", "<CELL>:3: RuntimeWarning"),
        (r"C:\Users\me\AppData\Local\Temp\ipykernel_99\123.py:7:", "<CELL>:7:"),
        ("id 3f2504e0-4f89-41d3-9a0c-0305e82c3301 joined", "id <UUID> joined"),
        ("[ OK ] Python: Python 3.11.7 (/work/main/.venv/bin/python)", "[ OK ] Python: Python <VERSION> (<PYTHON>)"),
        (r"Python 3.12.1 (C:\Users\me\wsguide\.venv\Scripts\python.exe)", "Python <VERSION> (<PYTHON>)"),
        ("kernel runs /usr/bin/python3.11 -m ipykernel", "kernel runs <PYTHON> -m ipykernel"),
        ("Server: Python/3.11 websockets/17.4", "Server: Python/<VERSION> websockets/<VERSION>"),
        ("Python 3.11.7 is new enough", "Python <VERSION> is new enough"),
        ("Python 3.13.0rc2", "Python <VERSION>"),
        ("3.11.7 (main, Dec  4 2023, 18:10:11) [GCC 12.2.0]", "<PYTHON-BUILD>"),
        (
            "sys.version_info(major=3, minor=11, micro=7, releaselevel='final', serial=0)",
            "sys.version_info(<VERSION>)",
        ),
    ],
)
def test_run_dependent_values_are_normalised(patterns, raw, clean):
    assert sanitize(patterns, raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "close 1000 'bye' wasClean=True",
        "code 1005, reason ''",
        "opcode 0x1 (text), 0x88 (close)",
        "timeout=5 s",
        "needs Python >= 3.11",
        "compatibility_date 2026-11-01",
        "received 32 bytes",
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "[object Blob]",
    ],
)
def test_lesson_values_are_still_compared(patterns, text):
    assert sanitize(patterns, text) == text
