"""The SQLite files behind Durable Object storage: opening, closing, and how many stay open.

Every Durable Object has its own database file (``<folder>/do/<Class>/<id>.sqlite``),
and an open SQLite database in WAL mode holds three file descriptors (the
database, its ``-wal`` and its ``-shm``). A server that has touched thousands of
objects must not keep them all open, so the open connections of a process form
one pool (:data:`OPEN_DATABASES`) with a cap: opening one more beyond the cap
closes the least recently used connection that is not inside a transaction.
A closed connection reopens on its next use, so this is invisible to the Worker.

:func:`atomic` runs several statements as one (a ``SAVEPOINT``, so it nests
inside ``transactionSync``): all of them, or — on any error — none.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

__all__ = ["OPEN_DATABASES", "OpenDatabases", "atomic", "connect", "default_cap"]

# Internal statements end with this comment, so that no statement a Worker writes has the
# same text (sqlite3 caches prepared statements by their text; a Worker's statements must
# always be prepared under the authorizer of wsguide.durable.sql).
INTERNAL = " -- wsguide"


def default_cap() -> int:
    """How many databases one process keeps open: a sixteenth of its file limit (4..256)."""
    try:
        import resource
    except ImportError:  # Windows: no RLIMIT_NOFILE; the C runtime allows 8192 handles
        return 256
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 256
    return max(4, min(256, soft // 16))


def connect(path: Path | None) -> sqlite3.Connection:
    """Open (creating if needed) one object's database, ready for the key-value table."""
    if path is None:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # A committed transaction is in the WAL file when the call returns: it survives the
        # process being killed (only an OS crash or power cut could lose the last commits).
        # (Set before WAL mode, so that switching a new file to WAL syncs less.)
        conn.execute("PRAGMA synchronous=NORMAL" + INTERNAL)
        conn.execute("PRAGMA journal_mode=WAL" + INTERNAL)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID" + INTERNAL
    )
    return conn


_savepoints = iter(range(1, 1 << 62))


@contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the block's statements as one: on any exception, none of them stays."""
    name = f"wsguide_op_{next(_savepoints)}"
    conn.execute(f"SAVEPOINT {name}" + INTERNAL)
    try:
        yield
    except BaseException:
        conn.execute(f"ROLLBACK TO {name}" + INTERNAL)
        conn.execute(f"RELEASE {name}" + INTERNAL)
        raise
    conn.execute(f"RELEASE {name}" + INTERNAL)


class Holder(Protocol):
    """What the pool needs from the storage that owns a connection."""

    def release_connection(self) -> bool:
        """Close the connection if no transaction is open; True if it was closed."""
        ...


class OpenDatabases:
    """The open connections of this process, least recently used first, at most ``cap``."""

    def __init__(self, cap: int | None = None) -> None:
        self.cap = default_cap() if cap is None else cap
        self._open: OrderedDict[Holder, None] = OrderedDict()
        #: How many connections were closed to stay under the cap (wsguide diagnostics).
        self.closed_for_cap = 0

    def __len__(self) -> int:
        return len(self._open)

    def used(self, holder: Holder) -> None:
        """``holder`` just used its connection."""
        if holder in self._open:
            self._open.move_to_end(holder)

    def opened(self, holder: Holder) -> None:
        """``holder`` opened a connection: close the oldest ones beyond the cap."""
        self._open[holder] = None
        self._open.move_to_end(holder)
        if len(self._open) > self.cap:
            for other in list(self._open):
                if len(self._open) <= self.cap:
                    break
                if other is not holder and other.release_connection():
                    self.closed_for_cap += 1

    def closed(self, holder: Holder) -> None:
        """``holder`` closed its connection."""
        self._open.pop(holder, None)


#: The pool every Durable Object storage of this process uses.
OPEN_DATABASES = OpenDatabases()
