"""Re-running a notebook cell that starts a server stops the server it started before.

``srv = await serve(Echo)`` in a cell leaves the server running when the cell
ends. Running that cell again would start a second one beside it; instead the
first is stopped. Servers are matched by the notebook cell that started them
(JupyterLab sends each cell's id with its code), never by the Worker's name,
so two cells serving the same Worker class each keep their own server.
Outside a notebook — or with a front end that sends no cell id — nothing is
stopped.
"""

from __future__ import annotations

import sys
import weakref

from ..net.server import Server

__all__ = ["current_cell_id", "install"]

_by_cell: dict[str, weakref.ref[Server]] = {}


def current_cell_id() -> str | None:
    """The id of the notebook cell running now, or ``None`` outside one."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        parent = kernel.get_parent("shell")
    except Exception:  # an older or different kernel: no cell ids
        return None
    metadata = (parent or {}).get("metadata") or {}
    cell_id = metadata.get("cellId")
    return cell_id if isinstance(cell_id, str) else None


async def _replace_previous(server: Server) -> None:
    cell = current_cell_id()
    if cell is None:
        return
    previous = _by_cell.get(cell)
    old = previous() if previous is not None else None
    _by_cell[cell] = weakref.ref(server)
    if old is not None and old is not server and old.is_serving:
        await old.close()
        print(f"(stopped the {old.name!r} server this cell started before)", file=sys.stderr)


def install() -> None:
    """Make ``await serve(...)`` in a cell stop what the same cell started before."""
    if _replace_previous not in Server.before_await_start:
        Server.before_await_start.append(_replace_previous)
