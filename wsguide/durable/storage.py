"""Durable Object storage on SQLite: ``ctx.storage`` (key-value) and ``ctx.storage.sql``.

Each Durable Object gets its own SQLite database (one file per object, like
SQLite-backed Durable Objects on Workers). Two APIs share it:

* the key-value API — ``await storage.get(key)``, ``put``, ``delete``,
  ``list``, ``deleteAll`` — whose rows live in the hidden table ``_cf_KV``;
* the SQL API — ``storage.sql.exec(query, *bindings)`` (:mod:`wsguide.durable.sql`).

What wsguide guarantees
-----------------------

* **Each operation is all or nothing.** ``put`` of a dict, ``delete`` of a
  list, ``deleteAll``, one ``sql.exec`` call (even a script of several
  statements) and ``transactionSync(fn)`` either take effect completely or —
  when they fail for any reason (a bad argument, a value that cannot be
  cloned, an SQL error, an exception in ``fn``) — leave nothing behind. The
  arguments are checked, and values serialized, before anything is written.
* **A write is durable when the call returns.** There is no transaction left
  open between calls: every operation is committed before it returns (in
  WAL mode, ``synchronous=NORMAL``), so a server killed with ``kill -9`` right
  after an acknowledged write still has it on restart. (An OS crash or power
  cut could lose the last commits.)
* **The work happens when you call, as on Workers.** ``storage.put(k, v)``
  writes at once and returns an awaitable; awaiting it gives the result, or
  raises the error (a rejected promise on Workers). So inside
  ``transactionSync(fn)`` the calls of ``fn`` belong to the transaction even
  though ``fn`` cannot ``await`` them.
* **Keys are strings, converted as Workers converts them**: numbers and
  booleans become their JavaScript text (``1`` → ``"1"``, ``True`` →
  ``"true"``), ``None`` becomes ``"null"`` (the Python Workers SDK sends it as
  JavaScript ``null``). A tuple is refused as the SDK refuses it; other types
  are refused here (Workers would store them under a text such as
  ``"[object Object]"``, see ``docs/deviations.md``).
* **Open files stay bounded**: a database closes when its object is evicted
  (after 10 s idle, as in workerd) and when the process has too many open
  (:mod:`wsguide.durable.databases`); it reopens on the next call, unseen.
* **One process per folder**: the first database opened under a persistence
  folder locks it (:mod:`wsguide.durable.folder_lock`).

Values are stored with the structured-clone stand-in of
:mod:`wsguide.core.codec` (the one WebSocket attachments use): never pickle,
so a database file cannot run code when it is read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from ..core.codec import decode_value, encode_value
from ..core.errors import JsError, JsTypeError
from ..core.jsapi import JsInterface, JsMap
from ..core.values import js_string
from .databases import INTERNAL, OPEN_DATABASES, OpenDatabases, atomic, connect
from .sql import SqlStorage, SqlStorageCursor

__all__ = ["DurableObjectStorage", "SqlStorage", "SqlStorageCursor", "key_string"]

# Exact texts of workerd (src/workerd/api/actor-state.c++, src/workerd/io/actor-sqlite.c++).
MSG_PUT_UNDEFINED = "put() called with undefined value."
MSG_PUT_SHAPE = (
    "put() may only be called with a single key-value pair and optional options as "
    "put(key, value, options) or with multiple key-value pairs and optional options as "
    "put(entries, options)"
)
MSG_LIST_LIMIT = "List limit must be positive."
MSG_LIST_START = "list() cannot be called with both start and startAfter values."
MSG_DELETE_ALL_IN_TXN = "Cannot call deleteAll() within a transaction"
MSG_CLOSED = "This Durable Object's storage is closed (its server was stopped)."

_UNDEFINED: Any = object()  # put(key) without a value: JavaScript's undefined


def _sdk_check(value: Any) -> None:
    """What the Python Workers SDK refuses before the call reaches the runtime (a plain TypeError)."""
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if isinstance(value, list):
        for item in value:
            _sdk_check(item)
    elif isinstance(value, dict):
        for item in value.values():
            _sdk_check(item)


def key_string(key: Any) -> str:
    """The key Workers stores for ``key``: JavaScript's ``String()`` of what the SDK sends."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, (bool, int, float)):
        return js_string(key)
    raise JsTypeError(
        f"Storage keys are strings; wsguide refuses a {type(key).__name__} key (Workers would "
        "store it under JavaScript's String() of the value). Pass a str."
    )


async def _resolved(value: Any) -> Any:
    return value


async def _rejected(error: BaseException) -> Any:
    raise error


def _settle(work: Callable[[], Any]) -> Coroutine[Any, Any, Any]:
    """Do ``work`` now; return what awaiting the runtime's promise gives (its value or its error)."""
    try:
        value = work()
    except Exception as exc:  # noqa: BLE001 - every failure is the promise's rejection
        return _rejected(exc)
    return _resolved(value)


class DurableObjectStorage:
    """``ctx.storage``: this object's private, durable storage.

    ``path`` is the SQLite file (created on first use), or ``None`` for an
    in-memory database (tests, notebooks that must start clean). ``before_open``
    runs before the file is first opened (the namespace locks its folder there).
    """

    __js__ = JsInterface(
        "DurableObjectStorage",
        methods=("get", "put", "delete", "deleteAll", "list", "transactionSync", "sync"),
        properties=("sql",),
    )

    def __init__(
        self,
        path: str | Path | None,
        *,
        before_open: Callable[[], None] | None = None,
        pool: OpenDatabases | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self._before_open = before_open
        self._pool = OPEN_DATABASES if pool is None else pool
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._depth = 0  # nesting of transactionSync
        self.sql = SqlStorage(self._db)

    # -- the connection ------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        conn = self._conn
        if conn is not None:
            self._pool.used(self)
            return conn
        if self._closed:
            raise JsError(MSG_CLOSED)
        if self.path is not None and self._before_open is not None:
            self._before_open()
        conn = self._conn = connect(self.path)
        if self.path is not None:  # an in-memory database cannot be closed and reopened
            self._pool.opened(self)
        return conn

    @property
    def is_open(self) -> bool:
        """True while the database file is open (wsguide only)."""
        return self._conn is not None

    def release_connection(self) -> bool:
        """Close the file until the next call, unless a transaction is open (True if closed)."""
        conn = self._conn
        if conn is None:
            return True
        if self.path is None or conn.in_transaction:
            return False
        self._conn = None
        self._pool.closed(self)
        conn.close()
        return True

    def close(self) -> None:
        """Close for good (the server stopped): later calls raise."""
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.closed(self)
            conn.close()

    # -- key-value API -------------------------------------------------------------
    def get(self, key: str | list[str]) -> Coroutine[Any, Any, Any]:
        """The value at ``key`` (``None`` if absent); with a list of keys, a dict of those found."""
        _sdk_check(key)

        def work() -> Any:
            if isinstance(key, list):
                keys = [key_string(k) for k in key]
                db = self._db()
                found = {}
                for i in range(0, len(keys), 500):  # SQLite's limit on bound variables
                    part = keys[i : i + 500]
                    marks = ",".join("?" * len(part))
                    found.update(db.execute(
                        f"SELECT key, value FROM _cf_KV WHERE key IN ({marks})" + INTERNAL, part
                    ).fetchall())
                return JsMap((k, decode_value(found[k])) for k in sorted(found))
            k = key_string(key)
            row = self._db().execute("SELECT value FROM _cf_KV WHERE key = ?" + INTERNAL, (k,)).fetchone()
            return None if row is None else decode_value(row[0])

        return _settle(work)

    def put(self, key: str | dict[str, Any], value: Any = _UNDEFINED, options: Any = None) -> Coroutine[Any, Any, None]:
        """Store ``value`` at ``key`` (or every pair of a dict, atomically). Committed on return."""
        _sdk_check(key)
        _sdk_check(value)

        def work() -> None:
            if isinstance(key, dict):
                if value is not _UNDEFINED and value is not None and not isinstance(value, dict):
                    raise JsTypeError(MSG_PUT_SHAPE)
                rows = [(key_string(k), encode_value(v)) for k, v in key.items()]
                db = self._db()
                with atomic(db):
                    db.executemany("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)" + INTERNAL, rows)
                return
            k = key_string(key)
            if value is _UNDEFINED:
                raise JsTypeError(MSG_PUT_UNDEFINED)
            data = encode_value(value)
            self._db().execute("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)" + INTERNAL, (k, data))

        return _settle(work)

    def delete(self, key: str | list[str]) -> Coroutine[Any, Any, bool | int]:
        """Delete ``key`` (→ whether it existed) or a list of keys (→ how many existed)."""
        _sdk_check(key)

        def work() -> bool | int:
            if isinstance(key, list):
                keys = [(key_string(k),) for k in key]
                db = self._db()
                before = db.total_changes
                with atomic(db):
                    db.executemany("DELETE FROM _cf_KV WHERE key = ?" + INTERNAL, keys)
                return db.total_changes - before
            k = key_string(key)
            return self._db().execute("DELETE FROM _cf_KV WHERE key = ?" + INTERNAL, (k,)).rowcount > 0

        return _settle(work)

    def deleteAll(self, options: Any = None) -> Coroutine[Any, Any, None]:
        """Delete every key and every SQL table, view and index of this object."""

        def work() -> None:
            if self._depth:
                raise JsError(MSG_DELETE_ALL_IN_TXN)
            db = self._db()
            objects = db.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view')"
                " AND name NOT LIKE 'sqlite_%'" + INTERNAL
            ).fetchall()
            with atomic(db):
                for kind, name in objects:
                    if name == "_cf_KV":
                        db.execute("DELETE FROM _cf_KV" + INTERNAL)
                    else:
                        quoted = name.replace('"', '""')
                        db.execute(f'DROP {kind.upper()} IF EXISTS "{quoted}"' + INTERNAL)

        return _settle(work)

    def list(
        self,
        options: dict[str, Any] | None = None,
        *,
        start: str | None = None,
        startAfter: str | None = None,
        end: str | None = None,
        prefix: str | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Coroutine[Any, Any, dict[str, Any]]:
        """Keys and values in key order (a dict): ``start``, ``startAfter``, ``end``, ``prefix``, ``reverse``, ``limit``."""
        _sdk_check(options)
        if options:
            start = options.get("start", start)
            startAfter = options.get("startAfter", startAfter)
            end = options.get("end", end)
            prefix = options.get("prefix", prefix)
            reverse = options.get("reverse", reverse)
            limit = options.get("limit", limit)

        def work() -> dict[str, Any]:
            if start is not None and startAfter is not None:
                raise JsTypeError(MSG_LIST_START)
            if limit is not None and not limit > 0:
                raise JsTypeError(MSG_LIST_LIMIT)
            where, args = [], []
            if start is not None:
                where.append("key >= ?")
                args.append(key_string(start))
            if startAfter is not None:
                where.append("key > ?")
                args.append(key_string(startAfter))
            if end is not None:
                where.append("key < ?")
                args.append(key_string(end))
            if prefix:
                text = key_string(prefix)
                where.append("substr(key, 1, length(?)) = ?")
                args += [text, text]
            query = "SELECT key, value FROM _cf_KV"
            if where:
                query += " WHERE " + " AND ".join(where)
            query += " ORDER BY key" + (" DESC" if reverse else "")
            if limit is not None:
                query += " LIMIT ?"
                args.append(int(limit))
            return JsMap((k, decode_value(v)) for k, v in self._db().execute(query + INTERNAL, args))

        return _settle(work)

    def transactionSync(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn()`` in one transaction: all its writes, or none if it raises."""
        db = self._db()
        name = f"_cf_sync_savepoint_{self._depth}"  # workerd's name for it
        db.execute(f"SAVEPOINT {name}" + INTERNAL)
        self._depth += 1
        try:
            result = fn()
        except BaseException:
            self._depth -= 1
            db.execute(f"ROLLBACK TO {name}" + INTERNAL)
            db.execute(f"RELEASE {name}" + INTERNAL)
            raise
        self._depth -= 1
        db.execute(f"RELEASE {name}" + INTERNAL)
        return result

    def sync(self) -> Coroutine[Any, Any, None]:
        """Every write is already committed when it returns; kept for API parity."""
        return _resolved(None)


    def __repr__(self) -> str:
        where = str(self.path) if self.path else "in memory"
        return f"<DurableObjectStorage {where}>"
