"""ctx.storage under failures: every operation is all or nothing, and none leaves a transaction open.

"Committed" is checked from a second, independent SQLite connection to the same file: a write
that sits in a transaction left open is invisible there (and would be lost on kill -9).
"""

from __future__ import annotations

import sqlite3

import pytest

from wsguide.core.codec import decode_value
from wsguide.core.errors import DataCloneError, JsError, JsTypeError
from wsguide.durable.databases import OpenDatabases
from wsguide.durable.sql import MSG_SQL_TRANSACTION
from wsguide.durable.storage import DurableObjectStorage


@pytest.fixture
def path(tmp_path):
    return tmp_path / "obj.sqlite"


@pytest.fixture
def st(path):
    s = DurableObjectStorage(path, pool=OpenDatabases(cap=8))
    yield s
    s.close()


def committed(path) -> dict:
    """The key-value rows another connection sees: only what was committed."""
    with sqlite3.connect(path) as other:
        return {k: decode_value(v) for k, v in other.execute("SELECT key, value FROM _cf_KV ORDER BY key")}


def committed_sql(path, query: str) -> list:
    with sqlite3.connect(path) as other:
        return other.execute(query).fetchall()


async def test_a_refused_key_in_a_delete_list_leaves_no_transaction_open(st, path):
    await st.put("x", 1)
    with pytest.raises(JsTypeError, match="Storage keys are strings; wsguide refuses a dict key"):
        await st.delete(["x", {"not": "a key"}])
    for i in range(200):
        await st.put(f"k{i}", i)
    seen = committed(path)
    assert seen["x"] == 1 and len(seen) == 201


async def test_numbers_in_a_delete_list_are_keys_as_on_workers(st):
    await st.put({"x": 1, "1": "one", "2": "two"})
    assert await st.delete(["x", 1]) == 2
    assert await st.list() == {"2": "two"}


async def test_a_tuple_is_refused_by_the_sdk_at_call_time(st, path):
    await st.put("a", 1)
    with pytest.raises(TypeError) as e:
        st.delete(["a", ("b",)])  # no await: the Python Workers SDK raises before the call
    assert str(e.value) == "<class 'tuple'> cannot be sent over RPC."
    assert committed(path) == {"a": 1}


async def test_put_of_a_dict_with_a_value_that_cannot_be_cloned_writes_nothing(st, path):
    await st.put("keep", 0)
    with pytest.raises(DataCloneError):
        await st.put({"a": 1, "b": object(), "c": 3})
    assert committed(path) == {"keep": 0}
    await st.put("after", 1)
    assert committed(path) == {"after": 1, "keep": 0}


async def test_put_without_a_value_is_workers_type_error(st):
    with pytest.raises(JsTypeError) as e:
        await st.put("k")
    assert str(e.value) == "put() called with undefined value."
    await st.put("k", None)  # None crosses as null: a value
    assert await st.list() == {"k": None}


async def test_put_of_entries_with_a_value_is_workers_type_error(st):
    with pytest.raises(JsTypeError) as e:
        await st.put({"a": 1}, 5)
    assert str(e.value) == (
        "put() may only be called with a single key-value pair and optional options as "
        "put(key, value, options) or with multiple key-value pairs and optional options as "
        "put(entries, options)"
    )
    assert await st.list() == {}


async def test_list_refuses_start_with_start_after(st):
    with pytest.raises(JsTypeError) as e:
        await st.list(start="a", startAfter="b")
    assert str(e.value) == "list() cannot be called with both start and startAfter values."


async def test_list_refuses_a_limit_below_one(st):
    with pytest.raises(JsTypeError) as e:
        await st.list({"limit": 0})
    assert str(e.value) == "List limit must be positive."


async def test_the_write_happens_at_the_call_and_the_error_at_the_await(st, path):
    pending = st.put("now", 1)
    assert committed(path) == {"now": 1}
    assert await pending is None
    bad = st.put("later")  # rejected promise: nothing raised until awaited
    with pytest.raises(JsTypeError):
        await bad


async def test_transaction_sync_commits_calls_made_without_await(st, path):
    st.sql.exec("CREATE TABLE t (x)")

    def body():
        pending = [st.put("a", 1), st.delete("missing")]
        st.sql.exec("INSERT INTO t VALUES (1)")
        return pending

    pending = st.transactionSync(body)
    assert [await p for p in pending] == [None, False]
    assert committed(path) == {"a": 1}
    assert committed_sql(path, "SELECT x FROM t") == [(1,)]


async def test_transaction_sync_rolls_back_every_kind_of_write(st, path):
    st.sql.exec("CREATE TABLE t (x)")
    await st.put("keep", 0)

    def body():
        pending = [st.put({"a": 1, "b": 2}), st.delete("keep"), st.put("c", 3)]
        st.sql.exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
        for p in pending:
            p.close()
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        st.transactionSync(body)
    assert committed(path) == {"keep": 0}
    assert committed_sql(path, "SELECT x FROM t") == []


async def test_nested_transaction_sync_rolls_back_only_the_inner_one(st, path):
    def inner():
        st.put("inner", 1).close()
        raise ValueError("inner fails")

    def outer():
        st.put("outer", 1).close()
        with pytest.raises(ValueError):
            st.transactionSync(inner)
        return "done"

    assert st.transactionSync(outer) == "done"
    assert committed(path) == {"outer": 1}


async def test_delete_all_inside_transaction_sync_is_refused(st, path):
    await st.put("k", 1)
    refused = st.transactionSync(lambda: st.deleteAll())
    with pytest.raises(JsError) as e:
        await refused
    assert str(e.value) == "Cannot call deleteAll() within a transaction"
    assert committed(path) == {"k": 1}


async def test_sql_begin_is_refused_with_workers_text_and_opens_nothing(st, path):
    for statement in ("BEGIN", "BEGIN TRANSACTION", "SAVEPOINT s", "COMMIT", "ROLLBACK"):
        with pytest.raises(JsError) as e:
            st.sql.exec(statement)
        assert str(e.value) == MSG_SQL_TRANSACTION
    await st.put("after", 1)
    assert committed(path) == {"after": 1}


async def test_sql_cannot_touch_the_runtime_tables(st):
    await st.put("k", 1)
    with pytest.raises(JsError) as e:
        st.sql.exec("DELETE FROM _cf_KV")
    assert str(e.value) == "not authorized: SQLITE_AUTH"
    assert await st.get("k") == 1


async def test_sql_errors_carry_sqlite_code_names(st):
    # workerd names where SQLite found the unknown name: " at offset N" (golden storage_sql_errors:
    # "no such column: nope at offset 7: SQLITE_ERROR" for "SELECT nope FROM notes").
    with pytest.raises(JsError) as e:
        st.sql.exec("SELECT * FROM nope")
    assert str(e.value) == "no such table: nope at offset 14: SQLITE_ERROR"
    st.sql.exec("CREATE TABLE t (k TEXT PRIMARY KEY)")
    st.sql.exec("INSERT INTO t VALUES ('a')")
    with pytest.raises(JsError) as e:
        st.sql.exec("INSERT INTO t VALUES ('a')")
    assert str(e.value) == (
        "UNIQUE constraint failed: t.k: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
    )


async def test_a_script_that_fails_part_way_leaves_none_of_its_statements(st, path):
    st.sql.exec("CREATE TABLE t (x)")
    with pytest.raises(JsError, match="no such table: nope"):
        st.sql.exec("INSERT INTO t VALUES (1); INSERT INTO nope VALUES (2)")
    assert committed_sql(path, "SELECT x FROM t") == []
    st.sql.exec("INSERT INTO t VALUES (3)")
    assert committed_sql(path, "SELECT x FROM t") == [(3,)]


async def test_delete_all_removes_tables_and_views_at_once(st, path):
    st.sql.exec("CREATE TABLE t (x); CREATE VIEW v AS SELECT x FROM t; INSERT INTO t VALUES (1)")
    await st.put("k", 1)
    await st.deleteAll()
    names = committed_sql(path, "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    assert names == [("_cf_KV",)]
    assert committed(path) == {}


async def test_get_of_many_keys_beyond_sqlite_variable_limit(st):
    await st.put({f"k{i:05}": i for i in range(1200)})
    got = await st.get([f"k{i:05}" for i in range(0, 1200, 1)] + ["missing"])
    assert len(got) == 1200 and got["k01199"] == 1199
