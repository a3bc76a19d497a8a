"""A Worker that runs one storage operation per request, for the property-based fault test.

GET /run?name=OBJECT&op=JSON runs the operation on the Durable Object OBJECT and answers
JSON: {"ok", "result" or "error", "state"} where state is everything the object can see
afterwards (its key-value pairs and its SQL table t). See test_storage_properties.py for
the operations.
"""

import json
from urllib.parse import parse_qs, urlsplit

from wsguide.workers import DurableObject, Response, WorkerEntrypoint

TABLE = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)"


class Refused(Exception):
    """The failure a transaction's callback raises on purpose."""


def literal(text):
    return "'" + str(text).replace("'", "''") + "'"


class Model(DurableObject):
    def run_sync(self, op, pending):
        """Operations allowed inside transactionSync (KV calls are not awaited there)."""
        storage, kind = self.ctx.storage, op["op"]
        if kind == "put":
            pending.append(storage.put(op["key"], op["value"]))
        elif kind == "put_many":
            pending.append(storage.put(op["entries"]))
        elif kind == "delete":
            pending.append(storage.delete(op["key"]))
        elif kind == "sql_put":
            storage.sql.exec("INSERT OR REPLACE INTO t VALUES (?, ?)", op["key"], op["value"])
        elif kind == "sql_delete":
            storage.sql.exec("DELETE FROM t WHERE k = ?", op["key"])
        elif kind == "sql_bad":
            storage.sql.exec("INSERT INTO nope VALUES (1)")
        else:
            raise ValueError(f"not inside a transaction: {kind}")

    async def run(self, op):
        storage, kind = self.ctx.storage, op["op"]
        storage.sql.exec(TABLE)  # deleteAll() drops it
        try:
            if kind == "get":
                result = await storage.get(op["key"])
            elif kind == "get_many":
                result = await storage.get(op["keys"])
            elif kind == "put":
                result = await storage.put(op["key"], op["value"])
            elif kind == "put_undefined":
                result = await storage.put(op["key"])
            elif kind == "put_many":
                entries = dict(op["entries"])
                if op.get("bad"):
                    entries[op["bad"]] = object()  # cannot be cloned
                result = await storage.put(entries)
            elif kind == "delete":
                result = await storage.delete(op["key"])
            elif kind == "delete_many":
                keys = list(op["keys"]) + ([{"not": "a key"}] if op.get("bad") else [])
                result = await storage.delete(keys)
            elif kind == "list":
                result = await storage.list(op["options"])
            elif kind == "list_bad":
                result = await storage.list({"start": "a", "startAfter": "b"})
            elif kind == "delete_all":
                result = await storage.deleteAll()
            elif kind == "sql_put":
                result = storage.sql.exec("INSERT OR REPLACE INTO t VALUES (?, ?)", op["key"], op["value"]).rowsWritten
            elif kind == "sql_delete":
                result = storage.sql.exec("DELETE FROM t WHERE k = ?", op["key"]).rowsWritten
            elif kind == "sql_script":
                script = "; ".join(f"INSERT OR REPLACE INTO t VALUES ({literal(k)}, {literal(v)})" for k, v in op["pairs"])
                if op.get("fail"):
                    script += "; INSERT INTO nope VALUES (1)"
                result = storage.sql.exec(script).rowsWritten
            elif kind == "sql_begin":
                result = storage.sql.exec("BEGIN").rowsWritten
            elif kind == "txn":
                pending = []

                def body():
                    for inner in op["ops"]:
                        self.run_sync(inner, pending)
                    if op.get("fail"):
                        raise Refused("the callback fails")
                    return len(pending)

                try:
                    result = storage.transactionSync(body)
                finally:
                    outcomes = []
                    for p in pending:
                        try:
                            outcomes.append(await p)
                        except Exception as exc:  # an inner call's own rejection
                            outcomes.append(f"{type(exc).__name__}: {exc}")
                result = [result, outcomes]
            else:
                raise ValueError(f"unknown operation {kind}")
            answer = {"ok": True, "result": result}
        except Exception as exc:
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        answer["state"] = await self.state()
        return answer

    async def state(self):
        self.ctx.storage.sql.exec(TABLE)
        rows = self.ctx.storage.sql.exec("SELECT k, v FROM t ORDER BY k").toArray()
        return {"kv": await self.ctx.storage.list(), "sql": {r["k"]: r["v"] for r in rows}}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlsplit(request.url)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/run":
            return Response("not found", status=404)
        stub = self.env.MODEL.getByName(q["name"])
        op = json.loads(q.get("op", '{"op": "state"}'))
        if op["op"] == "state":
            return Response(json.dumps({"ok": True, "state": await stub.state()}))
        return Response(json.dumps(await stub.run(op)))


DURABLE_OBJECTS = {"MODEL": Model}
