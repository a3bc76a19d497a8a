"""``wsguide export WORKER.py OUTDIR``: the command line."""

from __future__ import annotations

import argparse
import sys

from ..core.compat import DEFAULT_COMPATIBILITY_DATE
from ..lint import report
from .errors import ExportError, ExportRefused
from .project import export

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("worker", help="path to the Worker file (or a folder with worker.py)")
    parser.add_argument("outdir", help="folder to write the project into (new, empty, or an earlier export)")
    parser.add_argument(
        "--compatibility-date", metavar="YYYY-MM-DD",
        help=f"the date for wrangler.jsonc (default: the file's COMPATIBILITY_DATE, else {DEFAULT_COMPATIBILITY_DATE})",
    )
    parser.add_argument(
        "--compatibility-flag", action="append", default=[], metavar="FLAG",
        help="a compatibility flag, added to the file's COMPATIBILITY_FLAGS (repeatable); python_workers is always set",
    )
    parser.add_argument("--name", help="the Worker's name on Cloudflare (default: from the file or folder name)")
    parser.add_argument("--force", action="store_true", help="write the project even when `wsguide lint` finds problems")


def main(args: argparse.Namespace) -> int:
    """``wsguide export``: 0 when written, 1 when the checker refused it, 2 on any other error."""
    try:
        project = export(
            args.worker,
            args.outdir,
            compatibility_date=args.compatibility_date,
            compatibility_flags=args.compatibility_flag,
            name=args.name,
            force=args.force,
        )
    except ExportRefused as exc:
        report(exc.findings, out=sys.stderr)
        print(f"error: {exc}. Nothing was written.", file=sys.stderr)
        return 1
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if project.findings:
        report(project.findings, out=sys.stderr)
        print("warning: --force: written anyway; the problems above remain in src/.", file=sys.stderr)
    out = project.folder
    print(f"Wrote the Python Workers project {project.name!r} to {out}/")
    for rel in project.files:
        print(f"  {rel}")
    if project.assets_from is not None:
        print(f"  assets/  (copied from {project.assets_from})")
    print(f"  compatibility_date {project.compatibility_date}; flags: {', '.join(project.compatibility_flags)}")
    for binding, class_name in project.durable_objects.items():
        print(f"  env.{binding}: Durable Object {class_name}")
    print("Next, in that folder: npm install, then uv run pywrangler dev (or deploy). See its README.md.")
    return 0
