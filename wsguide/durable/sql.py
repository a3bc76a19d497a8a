"""``ctx.storage.sql``: SQL on a Durable Object's own database, with the runtime's rules.

``sql.exec(query, *bindings)`` returns a cursor (iterate it, or ``toArray()``,
``one()``, ``raw()``, ``rowsRead``, ``rowsWritten``, ``columnNames``). As in
workerd:

* transactions are not SQL statements here: ``BEGIN``, ``COMMIT``,
  ``ROLLBACK`` and ``SAVEPOINT`` are refused with the runtime's text — use
  ``ctx.storage.transactionSync(fn)`` instead;
* tables whose names start with ``_cf_`` belong to the runtime (the key-value
  API lives in ``_cf_KV``): touching them is "not authorized";
* an SQL error is an ``Error`` whose message is SQLite's, followed by the
  error code's name (``no such table: t: SQLITE_ERROR``).

One call of ``exec`` is atomic in wsguide: when a script of several statements
fails part-way, none of its statements stays (``docs/deviations.md``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from ..core.errors import JsError
from ..core.jsapi import JS_NULL, JsInterface
from .databases import atomic

__all__ = ["MSG_SQL_TRANSACTION", "SqlStorage", "SqlStorageCursor", "sql_error"]

MSG_ONE_NONE = "Expected exactly one result from SQL query, but got no results."
MSG_ONE_MANY = "Expected exactly one result from SQL query, but got multiple results."
# workerd src/workerd/api/sql.c++, SqlStorageRegulator::allowTransactions.
MSG_SQL_TRANSACTION = (
    "To execute a transaction, please use the state.storage.transaction() or "
    "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT "
    "statements. The JavaScript API is safer because it will automatically roll back on "
    "exceptions, and because it interacts correctly with Durable Objects' automatic atomic "
    "write coalescing."
)

# SQLite's primary result codes, by number (workerd names the code after SQLite's message).
_PRIMARY = {
    1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY",
    6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT",
    10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND", 13: "SQLITE_FULL",
    14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL", 16: "SQLITE_EMPTY", 17: "SQLITE_SCHEMA",
    18: "SQLITE_TOOBIG", 19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH", 21: "SQLITE_MISUSE",
    22: "SQLITE_NOLFS", 23: "SQLITE_AUTH", 24: "SQLITE_FORMAT", 25: "SQLITE_RANGE",
    26: "SQLITE_NOTADB", 27: "SQLITE_NOTICE", 28: "SQLITE_WARNING",
}


_NAMED = re.compile(r"^no such (?:column|table|function): (\S+)")


def sql_error(exc: sqlite3.Error, query: str = "") -> JsError:
    """The ``Error`` workerd throws for a failed statement: ``<SQLite's message>: <code name>``,
    with `` at offset N`` where SQLite names the unknown column, table or function (golden
    ``storage_sql_errors``). Python's sqlite3 does not expose the offset of a syntax error, so
    wsguide leaves that one out (docs/deviations.md row 13)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return JsError(str(exc))
    primary = _PRIMARY.get(code & 0xFF, f"SQLITE_{code & 0xFF}")
    named = _NAMED.match(str(exc))
    offset = query.find(named.group(1)) if named else -1
    where = f" at offset {offset}" if offset >= 0 else ""
    text = f"{exc}{where}: {primary}"
    name = getattr(exc, "sqlite_errorname", None)
    if code != code & 0xFF and name:
        text += f" (extended: {name})"
    return JsError(text)


def _sql_value(value: Any) -> Any:
    """A JavaScript value as a SQL parameter: null is NULL, an ArrayBuffer or view a BLOB."""
    if value is JS_NULL:
        return None
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


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
    def rowsRead(self) -> int:  # noqa: N802 - the JavaScript name
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


def split_statements(query: str) -> list[str]:
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


def _reserved(name: Any) -> bool:
    return isinstance(name, str) and name[:4].lower() == "_cf_"


class _Regulator:
    """An SQLite authorizer with workerd's rules for a Worker's statements."""

    def __init__(self) -> None:
        self.transaction = False

    def __call__(self, action: int, arg1: Any, arg2: Any, _db: Any, _source: Any) -> int:
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            self.transaction = True
            return sqlite3.SQLITE_DENY
        if action in (sqlite3.SQLITE_PRAGMA, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_ANALYZE):
            return sqlite3.SQLITE_OK
        if action in (
            sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_INDEX,
            sqlite3.SQLITE_CREATE_TRIGGER, sqlite3.SQLITE_DROP_TRIGGER, sqlite3.SQLITE_ALTER_TABLE,
        ):
            denied = _reserved(arg1) or _reserved(arg2)
        else:
            denied = _reserved(arg1)
        return sqlite3.SQLITE_DENY if denied else sqlite3.SQLITE_OK


def _run(
    db: sqlite3.Connection, statements: list[str], params: list[Any], regulator: _Regulator
) -> tuple[sqlite3.Cursor, list[tuple[Any, ...]]]:
    """Run a Worker's statements under its authorizer (never wsguide's own SAVEPOINTs)."""
    db.set_authorizer(regulator)
    try:
        for stmt in statements[:-1]:
            db.execute(stmt)
        cur = db.execute(statements[-1], params)
        return cur, cur.fetchall()
    finally:
        db.set_authorizer(None)


class SqlStorage:
    """``ctx.storage.sql``: run SQL on this object's own database."""

    __js__ = JsInterface("SqlStorage", methods=("exec",), properties=("databaseSize",))

    def __init__(self, database: Callable[[], sqlite3.Connection]) -> None:
        self._database = database

    def exec(self, query: str, *bindings: Any) -> SqlStorageCursor:
        """Run ``query`` (one or more statements; ``?`` placeholders take ``bindings``).

        With several statements separated by ``;`` the bindings and the rows
        returned belong to the last one. Either every statement takes effect,
        or (when one fails) none does.
        """
        params = [_sql_value(b) for b in bindings]
        db = self._database()
        statements = split_statements(query) or [query]
        regulator = _Regulator()
        before = db.total_changes
        try:
            if len(statements) == 1:  # one statement is atomic by itself
                cur, rows = _run(db, statements, params, regulator)
            else:
                with atomic(db):
                    cur, rows = _run(db, statements, params, regulator)
        except sqlite3.Error as exc:
            if regulator.transaction:
                raise JsError(MSG_SQL_TRANSACTION) from None
            raise sql_error(exc, query) from None
        columns = [d[0] for d in cur.description] if cur.description else []
        return SqlStorageCursor(columns, rows, db.total_changes - before)

    @property
    def databaseSize(self) -> int:
        db = self._database()
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        return pages * size

    database_size = databaseSize
