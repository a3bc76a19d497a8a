"""ctx.storage: key-value API and sql.exec on SQLite, one database per object."""

from __future__ import annotations

import datetime
import math

import pytest

from wsguide.core.codec import decode_value, encode_value
from wsguide.core.errors import DataCloneError
from wsguide.core.errors import JsError as Error
from wsguide.durable.storage import DurableObjectStorage
from wsguide.workers import DurableObject

from ._helpers import make_ns


@pytest.fixture
def st():
    s = DurableObjectStorage(None)
    yield s
    s.close()


async def test_get_put_delete(st):
    assert await st.get("missing") is None
    await st.put("a", {"x": [1, 2]})
    assert await st.get("a") == {"x": [1, 2]}
    await st.put({"b": 2, "c": 3})
    assert await st.get(["a", "c", "zzz"]) == {"a": {"x": [1, 2]}, "c": 3}
    assert await st.delete("b") is True
    assert await st.delete("b") is False
    assert await st.delete(["a", "c", "nope"]) == 2
    assert await st.list() == {}


async def test_values_are_copies(st):
    v = {"list": [1]}
    await st.put("k", v)
    v["list"].append(2)
    got = await st.get("k")
    assert got == {"list": [1]}
    got["list"].append(3)
    assert await st.get("k") == {"list": [1]}


async def test_list_options(st):
    await st.put({k: i for i, k in enumerate(["a", "b", "ba", "bb", "c", "d"])})
    assert list(await st.list()) == ["a", "b", "ba", "bb", "c", "d"]
    assert list(await st.list(prefix="b")) == ["b", "ba", "bb"]
    assert list(await st.list(start="b", end="c")) == ["b", "ba", "bb"]
    assert list(await st.list(startAfter="b", limit=2)) == ["ba", "bb"]
    assert list(await st.list({"reverse": True, "limit": 2})) == ["d", "c"]


async def test_delete_all(st):
    await st.put("k", 1)
    st.sql.exec("CREATE TABLE t (x)")
    await st.deleteAll()
    assert await st.list() == {}
    assert st.sql.exec("SELECT name FROM sqlite_master WHERE name = 't'").toArray() == []


async def test_keys_are_converted_to_text_as_workers_does(st):
    # workerd reads keys as strings with JavaScript's String(); the SDK sends None as null.
    await st.put(1, "one")
    await st.put(True, "yes")
    await st.put(None, "nothing")
    await st.put(2.0, "two")
    assert await st.list() == {"1": "one", "2": "two", "null": "nothing", "true": "yes"}


def test_codec_round_trips():
    value = {
        "bytes": b"\x00\x01", "tuple": (1, "a"), "set": {1, 2}, "inf": math.inf,
        "map": {1: "one", (2, 3): "pair"}, "$dollar": {"$b": "not bytes"},
        "date": datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc),
        "nested": [[{"a": None, "b": True}]],
    }
    assert decode_value(encode_value(value)) == value
    with pytest.raises(DataCloneError, match="could not be cloned"):
        encode_value(object())
    loop: list = []
    loop.append(loop)
    with pytest.raises(DataCloneError):
        encode_value(loop)


def test_sql_exec_cursor(st):
    sql = st.sql
    cur = sql.exec("CREATE TABLE msgs (id INTEGER PRIMARY KEY, who TEXT, body BLOB)")
    assert cur.toArray() == [] and cur.rowsWritten == 0
    cur = sql.exec("INSERT INTO msgs (who, body) VALUES (?, ?), (?, ?)", "ada", b"\x01", "bob", None)
    assert cur.rowsWritten == 2
    cur = sql.exec("SELECT who, body FROM msgs ORDER BY id")
    assert cur.columnNames == ["who", "body"]
    assert cur.toArray() == [{"who": "ada", "body": b"\x01"}, {"who": "bob", "body": None}]
    assert cur.rowsRead == 2
    assert cur.toArray() == []  # a cursor is read once
    rows = [r for r in sql.exec("SELECT who FROM msgs ORDER BY id")]
    assert rows == [{"who": "ada"}, {"who": "bob"}]
    assert list(sql.exec("SELECT id, who FROM msgs ORDER BY id").raw()) == [[1, "ada"], [2, "bob"]]
    assert sql.exec("SELECT count(*) AS n FROM msgs").one() == {"n": 2}
    c = sql.exec("SELECT who FROM msgs WHERE id = 1")
    assert c.next() == {"done": False, "value": {"who": "ada"}}
    assert c.next() == {"done": True, "value": None}


def test_sql_one_errors(st):
    st.sql.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
    with pytest.raises(Error) as e:
        st.sql.exec("SELECT x FROM t WHERE x > 5").one()
    assert str(e.value) == "Expected exactly one result from SQL query, but got no results."
    with pytest.raises(Error) as e:
        st.sql.exec("SELECT x FROM t").one()
    assert str(e.value) == "Expected exactly one result from SQL query, but got multiple results."


def test_sql_multiple_statements_return_the_last(st):
    cur = st.sql.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a;b'); SELECT x FROM t WHERE x = ?", "a;b")
    assert cur.toArray() == [{"x": "a;b"}]


def test_transaction_sync_rolls_back(st):
    st.sql.exec("CREATE TABLE t (x)")

    def fail():
        st.sql.exec("INSERT INTO t VALUES (1)")
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        st.transactionSync(fail)
    assert st.sql.exec("SELECT count(*) AS n FROM t").one()["n"] == 0
    assert st.transactionSync(lambda: st.sql.exec("INSERT INTO t VALUES (2)").rowsWritten) == 1


async def test_persisted_file_survives_reopen(tmp_path):
    path = tmp_path / "obj.sqlite"
    s = DurableObjectStorage(path)
    assert not path.exists()  # created on first use only
    await s.put("k", "v")
    s.sql.exec("CREATE TABLE t (x); INSERT INTO t VALUES (42)")
    s.close()
    s2 = DurableObjectStorage(path)
    assert await s2.get("k") == "v"
    assert s2.sql.exec("SELECT x FROM t").one() == {"x": 42}
    s2.close()
    with pytest.raises(Error, match="storage is closed"):
        await s2.get("k")


class Notes(DurableObject):
    async def add(self, text):
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS notes (text TEXT)")
        self.ctx.storage.sql.exec("INSERT INTO notes VALUES (?)", text)
        return [r["text"] for r in self.ctx.storage.sql.exec("SELECT text FROM notes")]


async def test_one_database_per_object_on_disk(tmp_path):
    ns = make_ns(Notes, persist=tmp_path)
    assert await ns.getByName("a").add("x") == ["x"]
    assert await ns.getByName("b").add("y") == ["y"]
    files = sorted(p.name for p in (tmp_path / "do" / "Notes").iterdir() if p.suffix == ".sqlite")
    assert files == sorted([f"{ns.idFromName('a')}.sqlite", f"{ns.idFromName('b')}.sqlite"])
    await ns.aclose()
    ns2 = make_ns(Notes, persist=tmp_path)
    assert await ns2.getByName("a").add("z") == ["x", "z"]
    await ns2.aclose()


async def test_storage_survives_hibernation():
    ns = make_ns(Notes)
    await ns.getByName("h").add("before")
    assert await ns.hibernate_now("h")
    assert await ns.getByName("h").add("after") == ["before", "after"]
