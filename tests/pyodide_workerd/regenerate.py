"""Record the golden transcripts again from real Pyodide in real workerd.

    python tests/pyodide_workerd/regenerate.py                 # every scenario
    python tests/pyodide_workerd/regenerate.py NAME [NAME...]  # only these
    python tests/pyodide_workerd/regenerate.py --print NAME    # show, write nothing

Needs the pinned toolchain (``npm ci`` in tests/pyodide_workerd and the SDK wheel, see
README.md). Writes golden/<scenario>.json and golden/_runtime.json (the versions recorded).
Review the diff before committing: a golden is a claim about the real runtime.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, so the package imports

from pyodide_workerd.harness import PyodideHost  # noqa: E402
from pyodide_workerd.runner import GOLDEN_DIR, run_on_host, specs_for, write_golden  # noqa: E402
from pyodide_workerd.scenarios import SCENARIOS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="scenario names (default: all)")
    parser.add_argument("--print", action="store_true", help="print the transcripts instead of writing them")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    chosen = [SCENARIOS[n] for n in (args.names or sorted(SCENARIOS))]
    started = time.monotonic()
    with PyodideHost(specs_for(chosen)) as host:

        async def run_all() -> list[dict]:
            return [await run_on_host(host, s) for s in chosen]

        transcripts = asyncio.run(run_all())
        runtime = {
            "workerd": json.loads((Path(__file__).parent / "package-lock.json").read_text())["packages"]["node_modules/workerd"]["version"],
            **{k: v for k, v in host.info().items() if k in ("pyodideVersion", "pythonVersion", "sdkVersion")},
        }
    for transcript in transcripts:
        if args.print:
            print(json.dumps(transcript, indent=2, ensure_ascii=False))
        else:
            print("wrote", write_golden(transcript))
    if not args.print:
        (GOLDEN_DIR / "_runtime.json").write_text(json.dumps(runtime, indent=2) + "\n", encoding="utf-8")
    print(f"{len(transcripts)} scenarios in {time.monotonic() - started:.1f} s on {runtime}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
