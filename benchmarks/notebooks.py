"""How long the notebooks take under nbval: the whole suite, and each notebook.

    .venv/bin/python benchmarks/notebooks.py            # whole suite, per-notebook split
    .venv/bin/python benchmarks/notebooks.py --each     # also one pytest run per notebook

Targets (DESIGN.md, checked here and never by a timed test): the whole suite
at most 60 s on 2 cores, no notebook over 10 s.

The per-notebook figure is pytest's own time for that notebook's cells,
including starting and stopping its kernel (junit "total" durations). The
suite's wall time also includes starting pytest itself. ``--each`` runs every
notebook in a fresh pytest process and reports that wall time too (it then
includes pytest's start-up, mostly importing nbval and its dependencies).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SUITE_TARGET = 60.0
NOTEBOOK_TARGET = 10.0


def nbval_command(paths: list[str], junit: str | None = None) -> list[str]:
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", str(NOTEBOOKS / "sanitize.cfg"),
        "--nbval-cell-timeout=60",
    ]
    if junit:
        cmd += ["-o", "junit_duration_report=total", f"--junitxml={junit}"]
    return cmd + paths


def notebook_paths() -> list[str]:
    found = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
    return [str(p.relative_to(ROOT)) for p in found]


def run(cmd: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, proc.stdout.strip().splitlines()[-1:] and proc.stdout.strip().splitlines()[-1] or ""


def per_file(junit: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("file") or case.get("classname", "")
        totals[name] += float(case.get("time", 0))
    return dict(totals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--each", action="store_true", help="also run each notebook in its own pytest process")
    parser.add_argument("paths", nargs="*", help="notebooks (default: all, solutions included)")
    args = parser.parse_args(argv)
    paths = args.paths or notebook_paths()
    print(f"cpus: {os.cpu_count()}   notebooks: {len(paths)}")

    with tempfile.TemporaryDirectory() as tmp:
        junit = os.path.join(tmp, "nbval.xml")
        wall, rc, last = run(nbval_command(paths, junit))
        split = per_file(junit) if os.path.exists(junit) else {}
    print(f"\nwhole suite under nbval: {wall:.1f} s wall (target ≤ {SUITE_TARGET:.0f} s)   pytest: {last}")
    print(f"\n{'notebook':<70}{'nbval s':>8}")
    worst = 0.0
    for name in sorted(split, key=lambda n: (n.count("/"), n)):
        secs = split[name]
        worst = max(worst, secs)
        flag = "  over target" if secs > NOTEBOOK_TARGET else ""
        print(f"{name:<70}{secs:>8.2f}{flag}")
    print(f"{'sum of notebooks':<70}{sum(split.values()):>8.2f}")

    if args.each:
        print(f"\n{'notebook, own pytest process':<70}{'wall s':>8}")
        for path in paths:
            secs, prc, _ = run(nbval_command([path]))
            print(f"{path:<70}{secs:>8.2f}{'' if prc == 0 else '  FAILED'}")

    ok = rc == 0
    print(
        f"\nresult: nbval {'passed' if ok else 'FAILED'}; slowest notebook {worst:.2f} s "
        f"(target ≤ {NOTEBOOK_TARGET:.0f} s); suite {wall:.1f} s (target ≤ {SUITE_TARGET:.0f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
