"""The ``wsguide`` command: ``dev`` (like ``wrangler dev``), ``lint``, ``export`` and ``doctor``.

What a Worker file may contain is described in :mod:`wsguide.workerfile`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from types import ModuleType
from typing import Any

from .core.compat import DEFAULT_COMPATIBILITY_DATE
from .core.log import WorkerLog
from .durable.folder_lock import FolderLock, FolderLocked
from .net.server import PortInUseError
from .serving import serve
from .workerfile import load_worker_module

__all__ = ["main"]


def _parse_bindings(values: list[str], module: ModuleType) -> dict[str, Any]:
    bindings: dict[str, Any] = dict(getattr(module, "DURABLE_OBJECTS", {}) or {})
    for item in values:
        binding, _, class_name = item.partition("=")
        if not binding or not class_name:
            raise SystemExit(f"--do expects BINDING=ClassName, got {item!r}.")
        cls = getattr(module, class_name, None)
        if cls is None:
            raise SystemExit(f"--do {item}: {module.__file__} has no class {class_name!r}.")
        bindings[binding] = cls
    return bindings


def _banner(srv: Any, file: str, args: argparse.Namespace, bindings: dict[str, Any]) -> str:
    compat = srv.compat
    flags = ", ".join(compat.flags) or "(none)"
    lines = [
        f"wsguide dev: {file} (Worker: {srv.name})",
        f"  compatibility_date {compat.date}; flags: {flags}",
        "  compression: " + ("permessage-deflate when the client offers it" if compat.web_socket_compression else "off"),
    ]
    for binding, cls in bindings.items():
        lines.append(f"  env.{binding}: Durable Object {cls.__name__}")
    if args.folder_lock is not None:
        lines.append(f"  storage: {args.folder_lock.folder} (locked: one wsguide process at a time)")
    if getattr(srv, "assets", None) is not None:
        lines.append(f"  static files: {srv.assets} (served before the Worker for GET requests)")
    origins = srv.origins
    if origins.any:
        lines.append("  WebSockets: pages from any origin may connect (--allowed-origin '*')")
    else:
        extra = "".join(f", {o}" for o in sorted(origins.extra))
        lines.append(f"  WebSockets: pages served by this server{extra} may connect; others get 403")
    if args.host in ("0.0.0.0", "::"):
        lines.append(f"  Ready on http://<this machine's address>:{srv.port}  (and {srv.url})")
    else:
        lines.append(f"  Ready on {srv.url}   (WebSocket: {srv.ws_url})")
    lines.append("  Press Ctrl-C to stop.")
    return "\n".join(lines)


async def _dev(args: argparse.Namespace) -> int:
    module = load_worker_module(args.worker)
    bindings = _parse_bindings(args.do or [], module)
    date = args.compatibility_date or getattr(module, "COMPATIBILITY_DATE", None) or DEFAULT_COMPATIBILITY_DATE
    flags = list(getattr(module, "COMPATIBILITY_FLAGS", ()) or ()) + list(args.compatibility_flag or [])
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"WARNING: serving on {args.host}: anyone who can reach this machine can open the "
            "Worker and join its WebSockets. Do this only on a classroom network you trust. "
            "Browser pages from other sites are refused unless you add them with --allowed-origin.",
            file=sys.stderr,
        )
    options: dict[str, Any] = {}
    if args.allowed_origin:
        options["allowed_origins"] = args.allowed_origin
    if args.hibernate_after is not None:
        options["hibernate_after"] = args.hibernate_after
    persist: Any = args.persist_to
    if args.in_memory:
        persist = False
    args.folder_lock = None
    if persist is not False and (bindings or persist):
        # Take the storage folder now, not at the first request: a second server on the
        # same folder must refuse to start rather than fail later (or lose writes).
        args.folder_lock = FolderLock(persist or ".wsguide")
        try:
            args.folder_lock.acquire()
        except FolderLocked as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        srv = await serve(
            module,
            host=args.host,
            port=args.port,
            compatibility_date=date,
            compatibility_flags=flags,
            durable_objects=bindings or None,
            persist=persist,
            log=WorkerLog(echo=sys.stderr),
            **options,
        )
    except PortInUseError:
        print(
            f"error: port {args.port} on {args.host} is already in use (another wsguide dev, "
            "wrangler dev, or some other program?). Stop it, or pick another port: --port 0 "
            "lets the system choose a free one.",
            file=sys.stderr,
        )
        if args.folder_lock is not None:
            args.folder_lock.release()
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:  # before "Ready on": a stop right after it must still close cleanly
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    except (NotImplementedError, RuntimeError, ImportError):  # Windows: KeyboardInterrupt instead
        pass
    print(_banner(srv, args.worker, args, bindings), flush=True)
    try:
        await stop.wait()
    finally:
        print("\nStopping…", flush=True)
        await srv.close()
        if args.folder_lock is not None:
            args.folder_lock.release()
        print("Stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wsguide",
        description="Run a Python Worker locally, like `wrangler dev`; check it against the Python "
        "Workers rules; export it as a project for Cloudflare; or check that this machine is ready.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="serve a Worker file (like `wrangler dev`)")
    dev.add_argument("worker", help="path to the Worker file (or a folder with worker.py)")
    dev.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 for a classroom)")
    dev.add_argument("--port", type=int, default=8787, help="port (default 8787, like wrangler; 0 picks a free one)")
    dev.add_argument("--compatibility-date", help=f"YYYY-MM-DD (default {DEFAULT_COMPATIBILITY_DATE})")
    dev.add_argument("--compatibility-flag", action="append", metavar="FLAG", help="a compatibility flag (repeatable)")
    dev.add_argument("--do", action="append", metavar="BINDING=Class", help="bind a Durable Object class (repeatable)")
    dev.add_argument("--persist-to", metavar="DIR", help="where Durable Object storage lives (default ./.wsguide)")
    dev.add_argument("--in-memory", action="store_true", help="keep Durable Object storage in memory only")
    dev.add_argument(
        "--allowed-origin", action="append", metavar="ORIGIN",
        help="also accept WebSockets from pages of this origin, e.g. http://host:8000 (repeatable; '*' for any "
        "page). By default only pages served by this server (and clients that send no Origin) may connect",
    )
    dev.add_argument("--hibernate-after", type=float, metavar="SECONDS", help="idle time before a Durable Object hibernates (default 10)")
    from .export import cli as export_cli
    from .lint import cli as lint_cli

    lint = sub.add_parser(
        "lint",
        help="check a Worker file against the rules of real Python Workers",
        description="Read a Worker file (and the local modules it imports), without running it, and "
        "report every line that would break on Python Workers (Pyodide inside the Workers runtime): "
        "listeners without create_proxy, JavaScript classes called without .new, a dict given to "
        "serializeAttachment, `is` between runtime objects, `except TypeError` around runtime calls, "
        "wsguide-only names, and files read from the kit. Each problem comes with file:line and the fix. "
        "Exit code 0: no problems; 1: problems found; 2: the file could not be read.",
    )
    lint_cli.add_arguments(lint)
    exp = sub.add_parser(
        "export",
        help="write a Python Workers project (pywrangler) from a Worker file",
        description="Check the Worker like `wsguide lint` (and refuse, writing nothing, if it finds "
        "problems, unless --force), then write OUTDIR: src/entry.py (the Worker with its imports "
        "rewritten to workers / js / pyodide.ffi) and the local modules it imports, assets/ (the "
        "ASSETS folder), wrangler.jsonc (name, main, compatibility date and flags, Durable Object "
        "bindings and migrations, assets), pyproject.toml, package.json and a README. In OUTDIR: "
        "`npm install`, then `uv run pywrangler dev` or `uv run pywrangler deploy`.",
    )
    export_cli.add_arguments(exp)
    sub.add_parser("doctor", help="check that this machine is ready for the notebooks")
    args, rest = parser.parse_known_args(argv)
    if args.command == "doctor":
        from . import doctor

        return doctor.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "lint":
        return lint_cli.main(args)
    if args.command == "export":
        return export_cli.main(args)
    try:
        return asyncio.run(_dev(args))
    except KeyboardInterrupt:
        print("Stopped.")
        return 0
    except (FileNotFoundError, SyntaxError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
