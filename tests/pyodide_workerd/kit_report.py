"""Print a markdown table: which of the kit's Workers run on real Python Workers, and why not.

    python tests/pyodide_workerd/kit_report.py            # the table
    python tests/pyodide_workerd/kit_report.py --details  # plus each Worker's client transcript

Runs every Worker extract.py finds on real Pyodide inside real workerd (kit_check.py's generic
client); needs the pinned toolchain (see README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, so the package imports

from pyodide_workerd.extract import kit_workers  # noqa: E402
from pyodide_workerd.harness import PyodideHost  # noqa: E402
from pyodide_workerd.kit_check import check_kit_worker, spec_for_kit_worker  # noqa: E402
from pyodide_workerd.known_failures import KNOWN_FAILURES  # noqa: E402


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--details", action="store_true")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[2]
    workers = kit_workers(root)
    with PyodideHost([spec_for_kit_worker(w) for w in workers]) as host:

        async def run_all():
            return [await check_kit_worker(host, w) for w in workers]

        outcomes = asyncio.run(run_all())
    print("| Worker | from | loads? | answers? | runs on real Python Workers? |")
    print("|---|---|---|---|---|")
    for o in outcomes:
        verdict = "yes" if o.ok else "no: " + "; ".join(o.problems)
        print(f"| {o.worker.name} | {_cell(o.worker.origin)} | {_cell(o.loads)} | {_cell(o.answers)} | {_cell(verdict)} |")
    failing = {o.worker.name for o in outcomes if not o.ok}
    stale = sorted(set(KNOWN_FAILURES) - failing)
    missing = sorted(failing - set(KNOWN_FAILURES))
    print(f"\n{len(outcomes)} Workers, {len(outcomes) - len(failing)} run, {len(failing)} fail.")
    if stale:
        print("known_failures.py lists Workers that now run (remove them): " + ", ".join(stale))
    if missing:
        print("failing but not in known_failures.py: " + ", ".join(missing))
    if args.details:
        for o in outcomes:
            print(f"\n### {o.worker.name}\n")
            print("```json\n" + json.dumps({"http": o.http, "websocket": o.websocket, "log": o.log, "vars": o.worker.vars, "notes": o.worker.notes}, indent=2) + "\n```")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
