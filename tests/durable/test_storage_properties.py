"""Property: under random operations, failures and kill -9, storage matches a dict model.

Hypothesis drives random sequences of get / put / delete / list / sql.exec /
transactionSync / deleteAll against a real `wsguide dev` process
(tests/durable/model_worker.py), with injected failures — refused arguments, a value
that cannot be cloned, a transaction callback that raises, SQL errors, SQL `BEGIN` —
and SIGKILLs of the server, between requests and while a request is in flight.

After every operation the object's whole state (its key-value pairs and its SQL table)
must equal the model's: a failed operation changed nothing, an acknowledged one is there.
After every restart too: no acknowledged write was lost. A request cut off by the kill
is neither acknowledged nor failed: afterwards the state is the model either without it
or with it, never anything in between.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from ._process import DevServer, start

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

WORKER = Path(__file__).with_name("model_worker.py")

KEYS = st.sampled_from(["a", "ab", "abc", "b", "b1", "c", "x:1", "x:2", "é"])
VALUES = st.one_of(st.integers(-5, 5), st.text("xyz", max_size=3), st.lists(st.integers(0, 3), max_size=2), st.none())
SQL_VALUES = st.text("pq'", max_size=3)


class Server:
    """The one server process these examples share (restarted after each kill)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.srv: DevServer | None = None
        self.http: httpx.Client | None = None
        self.restarts = 0

    def ensure(self) -> httpx.Client:
        if self.srv is None:
            self.srv = start(WORKER, persist=self.folder)
            self.http = httpx.Client(base_url=self.srv.url, trust_env=False, timeout=20)
        assert self.http is not None
        return self.http

    def kill(self) -> None:
        if self.srv is not None:
            assert self.http is not None
            self.http.close()
            self.srv.kill()
            self.srv = self.http = None
            self.restarts += 1

    def send_and_kill(self, path: str) -> None:
        """Write a request and kill the server at once: it may or may not have run."""
        self.ensure()
        assert self.srv is not None and self.srv.url is not None
        port = int(self.srv.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            self.kill()


def model_list(kv: dict, options: dict) -> dict:
    keys = sorted(kv)
    prefix = options.get("prefix")
    if prefix:
        keys = [k for k in keys if k.startswith(prefix)]
    if options.get("reverse"):
        keys.reverse()
    if options.get("limit") is not None:
        keys = keys[: options["limit"]]
    return {k: kv[k] for k in keys}


def apply(model: dict, op: dict) -> tuple[bool, object]:
    """Change ``model`` as the operation must; (succeeds?, expected result) — result None when not checked."""
    kv, sql, kind = model["kv"], model["sql"], op["op"]
    if kind == "get":
        return True, kv.get(op["key"])
    if kind == "get_many":
        return True, {k: kv[k] for k in sorted(set(op["keys"])) if k in kv}
    if kind == "put":
        kv[op["key"]] = op["value"]
        return True, None
    if kind == "put_many":
        if op.get("bad"):
            return False, None
        kv.update(op["entries"])
        return True, None
    if kind == "delete":
        return True, kv.pop(op["key"], _absent) is not _absent
    if kind == "delete_many":
        if op.get("bad"):
            return False, None
        count = 0
        for k in op["keys"]:
            if k in kv:
                del kv[k]
                count += 1
        return True, count
    if kind == "list":
        return True, model_list(kv, op["options"])
    if kind in ("put_undefined", "list_bad", "sql_begin"):
        return False, None
    if kind == "delete_all":
        kv.clear()
        sql.clear()
        return True, None
    if kind == "sql_put":
        sql[op["key"]] = op["value"]
        return True, None
    if kind == "sql_delete":
        sql.pop(op["key"], None)
        return True, None
    if kind == "sql_script":
        if op.get("fail"):
            return False, None
        sql.update(dict(op["pairs"]))
        return True, None
    if kind == "txn":
        trial = copy.deepcopy(model)
        for inner in op["ops"]:
            if inner["op"] == "sql_bad":
                return False, None
            apply(trial, inner)
        if op.get("fail"):
            return False, None
        model.update(trial)
        return True, None
    raise AssertionError(kind)


_absent = object()

INNER = st.one_of(
    st.builds(lambda k, v: {"op": "put", "key": k, "value": v}, KEYS, VALUES),
    st.builds(lambda e: {"op": "put_many", "entries": e}, st.dictionaries(KEYS, VALUES, max_size=3)),
    st.builds(lambda k: {"op": "delete", "key": k}, KEYS),
    st.builds(lambda k, v: {"op": "sql_put", "key": k, "value": v}, KEYS, SQL_VALUES),
    st.builds(lambda k: {"op": "sql_delete", "key": k}, KEYS),
    st.just({"op": "sql_bad"}),
)


class StorageUnderFaults(RuleBasedStateMachine):
    server: Server  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.name = uuid.uuid4().hex  # a fresh object for every example
        self.model: dict = {"kv": {}, "sql": {}}

    def path(self, op: dict | None) -> str:
        query = f"/run?name={self.name}"
        if op is not None:
            query += "&op=" + quote(json.dumps(op))
        return query

    def do(self, op: dict) -> None:
        resp = self.server.ensure().get(self.path(op))
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        ok, expected = apply(self.model, op)
        assert answer["ok"] == ok, (op, answer)
        if ok and expected is not None:
            assert answer["result"] == expected, (op, answer["result"], expected)
        assert answer["state"] == self.model, (op, answer["state"], self.model)

    def state(self) -> dict:
        resp = self.server.ensure().get(self.path(None))
        assert resp.status_code == 200, resp.text
        return resp.json()["state"]

    # -- operations that succeed ------------------------------------------------------
    @rule(key=KEYS, value=VALUES)
    def put(self, key, value):
        self.do({"op": "put", "key": key, "value": value})

    @rule(entries=st.dictionaries(KEYS, VALUES, min_size=1, max_size=4))
    def put_many(self, entries):
        self.do({"op": "put_many", "entries": entries})

    @rule(key=KEYS)
    def get(self, key):
        self.do({"op": "get", "key": key})

    @rule(keys=st.lists(KEYS, max_size=4))
    def get_many(self, keys):
        self.do({"op": "get_many", "keys": keys})

    @rule(key=KEYS)
    def delete(self, key):
        self.do({"op": "delete", "key": key})

    @rule(keys=st.lists(KEYS, min_size=1, max_size=4))
    def delete_many(self, keys):
        self.do({"op": "delete_many", "keys": keys})

    @rule(prefix=st.sampled_from([None, "a", "b", "x:"]), reverse=st.booleans(), limit=st.sampled_from([None, 1, 2]))
    def list(self, prefix, reverse, limit):
        options = {"reverse": reverse}
        if prefix is not None:
            options["prefix"] = prefix
        if limit is not None:
            options["limit"] = limit
        self.do({"op": "list", "options": options})

    @rule(key=KEYS, value=SQL_VALUES)
    def sql_put(self, key, value):
        self.do({"op": "sql_put", "key": key, "value": value})

    @rule(key=KEYS)
    def sql_delete(self, key):
        self.do({"op": "sql_delete", "key": key})

    @rule(pairs=st.lists(st.tuples(KEYS, SQL_VALUES), min_size=1, max_size=3), fail=st.booleans())
    def sql_script(self, pairs, fail):
        self.do({"op": "sql_script", "pairs": pairs, "fail": fail})

    @rule(ops=st.lists(INNER, max_size=4), fail=st.booleans())
    def transaction(self, ops, fail):
        self.do({"op": "txn", "ops": ops, "fail": fail})

    @rule()
    def delete_all(self):
        self.do({"op": "delete_all"})

    # -- operations that fail ---------------------------------------------------------
    @rule(entries=st.dictionaries(KEYS, VALUES, min_size=1, max_size=3), bad=st.sampled_from(["bad", "a"]))
    def put_many_with_a_value_that_cannot_be_cloned(self, entries, bad):
        self.do({"op": "put_many", "entries": entries, "bad": bad})

    @rule(keys=st.lists(KEYS, min_size=1, max_size=3))
    def delete_many_with_a_refused_key(self, keys):
        self.do({"op": "delete_many", "keys": keys, "bad": True})

    @rule(key=KEYS)
    def put_without_a_value(self, key):
        self.do({"op": "put_undefined", "key": key})

    @rule()
    def list_with_start_and_start_after(self):
        self.do({"op": "list_bad"})

    @rule()
    def sql_begin(self):
        self.do({"op": "sql_begin"})

    # -- kill -9 ----------------------------------------------------------------------
    @rule()
    def kill_between_requests(self):
        self.server.kill()
        assert self.state() == self.model  # every acknowledged write survived

    @rule(key=KEYS, value=VALUES, key2=KEYS, value2=SQL_VALUES)
    def kill_during_a_transaction(self, key, value, key2, value2):
        op = {"op": "txn", "ops": [
            {"op": "put", "key": key, "value": value},
            {"op": "sql_put", "key": key2, "value": value2},
            {"op": "delete", "key": "b"},
        ]}
        self.server.send_and_kill(self.path(op))
        without = copy.deepcopy(self.model)
        with_it = copy.deepcopy(self.model)
        apply(with_it, op)
        seen = self.state()
        assert seen in (without, with_it), (seen, without, with_it)
        self.model = seen


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("storage-properties"))
    yield srv
    srv.kill()


def test_storage_matches_a_dict_model_under_failures_and_kills(server):
    StorageUnderFaults.server = server
    run_state_machine_as_test(
        StorageUnderFaults,
        settings=settings(
            max_examples=int(os.environ.get("WSGUIDE_STORAGE_EXAMPLES", "30")),
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert server.restarts > 0  # the runs did kill the server
