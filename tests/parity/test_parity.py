"""Parity: every golden workerd transcript (tests/parity/golden) replayed on wsguide.

The comparison needs no workerd: the driver (driver.py) runs each ``RUNS`` entry against
``wsguide.serve`` with the Python twin of the scenario Worker (py/worker.py) under the same
compatibility date and flags, and the transcript must equal the committed golden one, or differ
by exactly the deliberate deviations listed in compare.EXPECTED (docs/deviations.md).

The ``workerd``-marked test at the end regenerates a few transcripts live from the real
workerd and checks that they still equal the committed goldens, so CI proves that workerd
really runs and that the goldens are what it does today.

`.venv/bin/python -m tests.parity.report` writes docs/parity.md from the same comparison.
"""

from __future__ import annotations

import json

import pytest

from .compare import EXPECTED, GOLDEN_DIR, diff, golden, judge, normalize, run_on_wsguide
from .driver import DURABLE_OBJECTS, RUNS, Run, run_scenario

RUN_IDS = [r.name for r in RUNS]


def test_every_run_has_a_golden_file_and_expected_entries_name_real_runs() -> None:
    assert len(RUNS) >= 30
    for run in RUNS:
        assert (GOLDEN_DIR / f"{run.name}.json").is_file(), f"no golden transcript for {run.name}"
    assert set(EXPECTED) <= set(RUN_IDS), set(EXPECTED) - set(RUN_IDS)
    for name, expected in EXPECTED.items():
        assert expected.reason and "\n" not in expected.reason, name
        assert expected.diffs, f"{name}: an expected difference must list its differences"


def test_the_python_twin_has_every_scenario_route() -> None:
    from .driver import SCENARIOS
    from .py import worker

    assert set(worker.SCENARIOS) == set(SCENARIOS)


@pytest.mark.parametrize("run", RUNS, ids=RUN_IDS)
async def test_wsguide_matches_workerd(run: Run) -> None:
    transcript = await run_on_wsguide(run)
    assert transcript["status"] == run.status
    outcome = judge(run, diff(golden(run), transcript))
    assert outcome.status != "failing", (
        f"{run.name}: wsguide differs from workerd"
        + (f" (expected only: {outcome.reason})" if outcome.reason else "")
        + ":\n" + json.dumps(outcome.unexpected, indent=1, ensure_ascii=False, default=str)[:6000]
    )
    if run.name in EXPECTED:
        assert outcome.status == "expected difference"
    else:
        assert outcome.status == "equal"


def test_diff_reports_missing_and_extra_entries_by_position() -> None:
    a = {"events": [{"e": 1}, {"e": 2}, {"e": 3}], "headers": {"x": "1"}}
    b = {"events": [{"e": 1}, {"e": 3}, {"e": 4}], "headers": {"x": "1", "server": "s"}}
    assert diff(a, b) == {"events[-1]": ({"e": 2}, "<absent>"), "events[+2]": ("<absent>", {"e": 4})}
    assert normalize({"worker": {"log": [{"note": "n", "value": "127.0.0.1:8123", "afterDone": True}]},
                      "workerd_output": ["x"]}) == {"worker": {"log": [{"note": "n", "value": "127.0.0.1:PORT"}]}}


def test_late_entries_missing_at_the_end_are_not_asked_for_but_wrong_ones_are() -> None:
    close = {"event": "close", "socket": "server"}
    late = {"event": "error", "socket": "server", "afterDone": True}
    gold = {"worker": {"log": [close, late]}}
    assert diff(gold, {"worker": {"log": [close]}}) == {}
    assert diff(gold, {"worker": {"log": [close, late]}}) == {}
    other = {"event": "message", "socket": "server", "afterDone": True}
    assert diff(gold, {"worker": {"log": [close, other]}}) != {}
    assert diff({"worker": {"log": [close]}}, {"worker": {"log": [close, late]}}) != {}


# Live check: these runs are regenerated from workerd and must still equal the goldens.
LIVE_RUNS = [r for r in RUNS if r.name in ("echo-text", "close-invalid-codes", "durable-object-hibernation")]


@pytest.mark.workerd
@pytest.mark.parametrize("run", LIVE_RUNS, ids=[r.name for r in LIVE_RUNS])
async def test_golden_still_matches_live_workerd(run: Run) -> None:
    from .workerd import JS_DIR, run_workerd, workerd_version

    async with run_workerd(JS_DIR / "worker.js", compat_date=run.compat_date, flags=run.flags,
                           durable_objects=DURABLE_OBJECTS) as srv:
        live = await run_scenario(srv, run.scenario, run_id=run.name)
    gold = golden(run)
    assert await workerd_version() == gold["runtime"]
    assert diff(gold, live) == {}, f"{run.name}: workerd no longer produces the committed golden transcript"


def test_docs_parity_md_is_up_to_date() -> None:
    # test_wsguide_matches_workerd asserts each run's outcome; this checks the committed table
    # says the same (regenerate it with `.venv/bin/python -m tests.parity.report`).
    from .report import DOC, assumed_outcomes, render

    assert DOC.read_text() == render(assumed_outcomes()), (
        "docs/parity.md is out of date: run `.venv/bin/python -m tests.parity.report`"
    )
