"""The scenario catalogue itself: enough scenarios, every rule shown from both sides, Workers
that use only the real runtime's imports, and one golden per scenario (no stale goldens)."""

from __future__ import annotations

import ast
from collections import defaultdict

from .runner import GOLDEN_DIR, read_golden, wsguide_source
from .scenarios import SCENARIOS

# What a Python Worker may import here: the runtime's modules and the standard library.
RUNTIME_MODULES = {"workers", "js", "pyodide.ffi"}
STDLIB_MODULES = {"asyncio", "json", "sys", "urllib.parse"}


def test_there_are_at_least_thirty_scenarios():
    assert len(SCENARIOS) >= 30


def test_every_rule_is_shown_succeeding_and_failing():
    sides = defaultdict(set)
    for s in SCENARIOS.values():
        sides[s.rule].add(s.shows)
    one_sided = {rule: shown for rule, shown in sides.items() if shown != {"success", "failure"}}
    assert not one_sided


def test_workers_import_only_the_runtime_and_the_standard_library():
    for s in SCENARIOS.values():
        for node in ast.walk(ast.parse(s.worker)):
            if isinstance(node, ast.ImportFrom):
                names = {node.module}
            elif isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            else:
                continue
            assert names <= RUNTIME_MODULES | STDLIB_MODULES, f"{s.name} imports {names}"


def test_every_scenario_has_a_golden_and_every_golden_a_scenario():
    goldens = {p.stem for p in GOLDEN_DIR.glob("*.json") if not p.stem.startswith("_")}
    assert goldens == set(SCENARIOS)


def test_goldens_describe_their_scenario():
    for name, s in SCENARIOS.items():
        golden = read_golden(name)
        assert (golden["scenario"], golden["rule"], golden["shows"]) == (name, s.rule, s.shows)
        assert golden["compatibility_date"] == s.compat_date


def test_every_golden_saw_something():
    for name in SCENARIOS:
        golden = read_golden(name)
        assert golden["client"] or golden["load_error"], f"{name}: the client recorded nothing"


def test_wsguide_source_changes_only_the_runtime_imports():
    source = (
        "import json\nimport js\nfrom workers import Response\nfrom js import WebSocketPair\n"
        "from pyodide.ffi import create_proxy, to_js\n\nx = 'from workers import nothing'\n"
    )
    assert wsguide_source(source) == (
        "import json\nimport wsguide.js as js\nfrom wsguide.workers import Response\nfrom wsguide.js import WebSocketPair\n"
        "from wsguide.ffi import create_proxy, to_js\n\nx = 'from workers import nothing'\n"
    )


def test_every_scenario_worker_can_be_pointed_at_wsguide():
    for s in SCENARIOS.values():
        rewritten = wsguide_source(s.worker)
        modules = set()
        for node in ast.walk(ast.parse(rewritten)):
            if isinstance(node, ast.ImportFrom):
                modules.add(node.module)
            elif isinstance(node, ast.Import):
                modules.update(a.name for a in node.names)
        assert not modules & RUNTIME_MODULES, f"{s.name} still imports {modules & RUNTIME_MODULES}"
