"""Durable Object storage on SQLite: ``ctx.storage`` and ``ctx.storage.sql``.

Each Durable Object gets its own SQLite database (one file per object, like
SQLite-backed Durable Objects on Workers). Two APIs share it:

* the key-value API — ``await storage.get(key)``, ``put``, ``delete``,
  ``list``, ``deleteAll`` — whose rows live in the hidden table ``_cf_KV``;
* the SQL API — ``storage.sql.exec(query, *bindings)`` returns a cursor
  (iterate it, or ``toArray()``, ``one()``, ``raw()``, ``rowsRead``,
  ``rowsWritten``, ``columnNames``).

Durability: the database runs in autocommit mode with a write-ahead log, so
every ``put``/``exec`` is committed before it returns. A server killed with
``kill -9`` right after an acknowledged write still has it on restart (an
OS crash or power cut could lose the last writes: ``synchronous=NORMAL``).

Values are stored with the structured-clone stand-in of
:mod:`wsguide.core.codec` (the one WebSocket attachments use): never pickle,
so a database file cannot run code when it is read.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..core.codec import decode_value, encode_value
from ..core.errors import JsError
from ..core.jsapi import JS_NULL, JsInterface, JsMap

__all__ = ["DurableObjectStorage", "SqlStorage", "SqlStorageCursor"]

MSG_ONE_NONE = "Expected exactly one result from SQL query, but got no results."
MSG_ONE_MANY = "Expected exactly one result from SQL query, but got multiple results."


# ---------------------------------------------------------------------------
# SQL API
# ---------------------------------------------------------------------------
class SqlStorageCursor:
    """The result of ``sql.exec()``: rows as dicts, read once, in order.

    Iterate it (``for row in cursor``), or take everything left with
    ``toArray()``, exactly one row with ``one()``, or lists instead of dicts
    with ``raw()``. ``rowsWritten`` counts inserted/updated/deleted rows;
    ``rowsRead`` counts rows returned (wsguide only approximates Workers'
    figure, which counts every row SQLite scanned).
    """

    __js__ = JsInterface(
        "SqlStorageCursor",
        methods=("next", "toArray", "one", "raw"),
        properties=("columnNames", "rowsRead", "rowsWritten"),
        iterable=True,
    )

    def __init__(self, columns: list[str], rows: list[tuple[Any, ...]], rows_written: int) -> None:
        self.columnNames = columns
        self._rows = rows
        self._pos = 0
        self._read_total = len(rows)
        self.rowsWritten = rows_written


    @property
    def rowsRead(self) -> int:
        """Rows read so far: workerd steps the query once when ``exec()`` runs, then once per
        row taken (it counts rows SQLite scanned; wsguide counts rows returned)."""
        return min(self._read_total, self._pos + 1)

    def _row(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self.columnNames, raw))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while self._pos < len(self._rows):
            self._pos += 1
            yield self._row(self._rows[self._pos - 1])

    def next(self) -> dict[str, Any]:
        """JavaScript iterator protocol: ``{"done": bool, "value": row}``."""
        if self._pos < len(self._rows):
            self._pos += 1
            return {"done": False, "value": self._row(self._rows[self._pos - 1])}
        return {"done": True, "value": None}

    def toArray(self) -> list[dict[str, Any]]:
        return list(self)

    def one(self) -> dict[str, Any]:
        left = len(self._rows) - self._pos
        if left == 0:
            raise JsError(MSG_ONE_NONE)
        if left > 1:
            raise JsError(MSG_ONE_MANY)
        return next(iter(self))

    def raw(self) -> Iterator[list[Any]]:
        while self._pos < len(self._rows):
            self._pos += 1
            yield list(self._rows[self._pos - 1])


    def __repr__(self) -> str:
        return f"<SqlStorageCursor columns={self.columnNames} rows={len(self._rows)}>"


def _split_statements(query: str) -> list[str]:
    """Split a script into complete statements (``;`` inside strings is kept)."""
    out, buf = [], ""
    for part in query.split(";"):
        buf += part
        if sqlite3.complete_statement(buf + ";"):
            if buf.strip():
                out.append(buf)
            buf = ""
        else:
            buf += ";"
    if buf.strip() and buf.strip() != ";":
        out.append(buf.rstrip(";"))
    return out


_NAMED = re.compile(r"^no such (?:column|table|function): (\S+)")


def _sql_value(value: Any) -> Any:
    """A JavaScript value as a SQL parameter: null is NULL, an ArrayBuffer or view a BLOB."""
    if value is JS_NULL:
        return None
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


def _sql_error(exc: sqlite3.Error, query: str) -> JsError:
    """SQLite's error as workerd reports it: ``no such column: nope at offset 7: SQLITE_ERROR``."""
    message = str(exc)
    name = getattr(exc, "sqlite_errorname", "SQLITE_ERROR")
    named = _NAMED.match(message)
    offset = query.find(named.group(1)) if named else -1
    where = f" at offset {offset}" if offset >= 0 else ""
    return JsError(f"{message}{where}: {name}")


class SqlStorage:
    """``ctx.storage.sql``: run SQL on this object's own database."""

    __js__ = JsInterface("SqlStorage", methods=("exec",), properties=("databaseSize",))

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage

    def exec(self, query: str, *bindings: Any) -> SqlStorageCursor:
        """Run ``query`` (one or more statements; ``?`` placeholders take ``bindings``).

        With several statements separated by ``;`` the bindings and the rows
        returned belong to the last one.
        """
        db = self._storage._db()
        statements = _split_statements(query) or [query]
        before = db.total_changes
        params = [_sql_value(b) for b in bindings]
        try:
            for stmt in statements[:-1]:
                db.execute(stmt)
            cur = db.execute(statements[-1], params)
            rows = cur.fetchall()
        except sqlite3.Error as exc:
            raise _sql_error(exc, query) from None
        columns = [d[0] for d in cur.description] if cur.description else []
        return SqlStorageCursor(columns, rows, db.total_changes - before)

    @property
    def databaseSize(self) -> int:
        db = self._storage._db()
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        return pages * size



# ---------------------------------------------------------------------------
# Key-value API
# ---------------------------------------------------------------------------
class DurableObjectStorage:
    """``ctx.storage``: this object's private, durable storage.

    ``path`` is the SQLite file (created on first use), or ``None`` for an
    in-memory database (tests, notebooks that must start clean).
    """

    __js__ = JsInterface(
        "DurableObjectStorage",
        methods=("get", "put", "delete", "deleteAll", "list", "transactionSync", "sync"),
        properties=("sql",),
    )

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self.sql = SqlStorage(self)

    def _db(self) -> sqlite3.Connection:
        conn = self._conn
        if conn is not None:
            return conn
        if self._closed:
            raise JsError("This Durable Object's storage is closed (its server was stopped).")
        if self.path is None:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID"
        )
        self._conn = conn
        return conn

    def close(self) -> None:
        self._closed = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @staticmethod
    def _key(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"Storage keys must be strings, got {type(key).__name__}.")
        return key

    async def get(self, key: str | list[str]) -> Any:
        """The value at ``key`` (``None`` if absent); with a list of keys, a dict of those found."""
        db = self._db()
        if isinstance(key, (list, tuple)):
            keys = [self._key(k) for k in key]
            marks = ",".join("?" * len(keys))
            rows = db.execute(
                f"SELECT key, value FROM _cf_KV WHERE key IN ({marks}) ORDER BY key", keys
            ).fetchall() if keys else []
            return JsMap((k, decode_value(v)) for k, v in rows)
        row = db.execute("SELECT value FROM _cf_KV WHERE key = ?", (self._key(key),)).fetchone()
        return None if row is None else decode_value(row[0])

    async def put(self, key: str | dict[str, Any], value: Any = None) -> None:
        """Store ``value`` at ``key`` (or every pair of a dict, atomically). Committed on return."""
        db = self._db()
        if isinstance(key, dict):
            rows = [(self._key(k), encode_value(v)) for k, v in key.items()]
            db.execute("BEGIN")
            try:
                db.executemany("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", rows)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return
        db.execute(
            "INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)",
            (self._key(key), encode_value(value)),
        )

    async def delete(self, key: str | list[str]) -> bool | int:
        """Delete ``key`` (→ whether it existed) or a list of keys (→ how many existed)."""
        db = self._db()
        if isinstance(key, (list, tuple)):
            before = db.total_changes
            db.execute("BEGIN")
            db.executemany("DELETE FROM _cf_KV WHERE key = ?", [(self._key(k),) for k in key])
            db.execute("COMMIT")
            return db.total_changes - before
        cur = db.execute("DELETE FROM _cf_KV WHERE key = ?", (self._key(key),))
        return cur.rowcount > 0

    async def deleteAll(self) -> None:
        """Delete every key and every SQL table of this object."""
        db = self._db()
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )]
        db.execute("BEGIN")
        for t in tables:
            if t == "_cf_KV":
                db.execute("DELETE FROM _cf_KV")
            else:
                db.execute(f'DROP TABLE IF EXISTS "{t}"')
        db.execute("COMMIT")

    async def list(
        self,
        options: dict[str, Any] | None = None,
        *,
        start: str | None = None,
        startAfter: str | None = None,
        end: str | None = None,
        prefix: str | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Keys and values in key order (a dict): ``start``, ``startAfter``, ``end``, ``prefix``, ``reverse``, ``limit``."""
        if options:
            start = options.get("start", start)
            startAfter = options.get("startAfter", startAfter)
            end = options.get("end", end)
            prefix = options.get("prefix", prefix)
            reverse = options.get("reverse", reverse)
            limit = options.get("limit", limit)
        where, args = [], []
        if start is not None:
            where.append("key >= ?")
            args.append(start)
        if startAfter is not None:
            where.append("key > ?")
            args.append(startAfter)
        if end is not None:
            where.append("key < ?")
            args.append(end)
        if prefix:
            where.append("substr(key, 1, length(?)) = ?")
            args += [prefix, prefix]
        query = "SELECT key, value FROM _cf_KV"
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY key" + (" DESC" if reverse else "")
        if limit is not None:
            query += " LIMIT ?"
            args.append(int(limit))
        return JsMap((k, decode_value(v)) for k, v in self._db().execute(query, args))

    def transactionSync(self, fn: Any) -> Any:
        """Run ``fn()`` in one transaction: all its writes, or none if it raises."""
        db = self._db()
        db.execute("SAVEPOINT wsguide_txn")
        try:
            result = fn()
        except BaseException:
            db.execute("ROLLBACK TO wsguide_txn")
            db.execute("RELEASE wsguide_txn")
            raise
        db.execute("RELEASE wsguide_txn")
        return result

    async def sync(self) -> None:
        """Every write is already committed when it returns; kept for API parity."""


    def __repr__(self) -> str:
        where = str(self.path) if self.path else "in memory"
        return f"<DurableObjectStorage {where}>"
