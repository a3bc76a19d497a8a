"""``wsguide lint`` agrees with real Python Workers: for each rule, a tiny Worker that breaks it
is flagged with file:line and the fix, and, exported anyway (``--force``), fails on real Pyodide
inside real workerd the way the rule's message says (lint_cases.py). Code that works there is
not flagged."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

import pytest

from wsguide.lint import RULES, lint_file
from wsguide.lint import main as lint_main

from .lint_cases import LINT_CASES, NOT_SHOWN, LintCase
from .runner import record_on_host

CASES = [pytest.param(case, id=case.name) for case in LINT_CASES]


def test_every_rule_is_shown_breaking_on_python_workers_or_says_why_not():
    shown = {case.rule for case in LINT_CASES if case.rule is not None}
    assert shown | set(NOT_SHOWN) == set(RULES)
    assert not shown & set(NOT_SHOWN)


@pytest.mark.parametrize("case", CASES)
def test_lint_flags_the_marked_line_with_the_rule_and_its_fix(case: LintCase, tmp_path, capsys):
    path = tmp_path / "worker.py"
    path.write_text(case.worker, encoding="utf-8")
    code = lint_main(argparse.Namespace(worker=str(path)))
    out = capsys.readouterr().out
    findings = lint_file(path)
    if case.rule is None:
        assert (code, findings) == (0, []), out
        return
    assert code == 1, out
    assert [(f.rule.id, f.line) for f in findings] == [(case.rule, case.line)], out
    assert case.said in findings[0].message
    assert f"{path}:{case.line}:" in out and f"[{case.rule}]" in out
    assert f"    fix: {findings[0].fix}" in out


@pytest.mark.pyodide
@pytest.mark.parametrize("case", CASES)
async def test_the_flagged_worker_fails_on_python_workers_as_the_rule_says(pyodide_host, lint_workers, case):
    worker = lint_workers[case.name]
    assert worker.error is None, worker.error
    recording = await record_on_host(pyodide_host, case.name, case.client)
    seen = "\n".join(_texts(asdict(recording)))
    shown = json.dumps(asdict(recording), ensure_ascii=False, indent=1)
    assert case.shows in seen, f"{case.name}: real Python Workers did not show {case.shows!r}:\n{shown}"
    if case.traceback_line:
        assert f'File "worker.py", line {case.line}, in ' in seen, f"{case.name}: no traceback at line {case.line}:\n{shown}"
    if case.rule is None:
        assert recording.load_error is None and recording.log == [], shown


def _texts(value) -> list[str]:
    """Every string in a recording (the load error, what the client saw, the log)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for v in value.values() for text in _texts(v)]
    if isinstance(value, list):
        return [text for v in value for text in _texts(v)]
    return []
