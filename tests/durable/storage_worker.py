"""A storage Worker for the kill -9 durability test (run with `python -m wsguide dev`).

GET /put?k=KEY&v=VALUE stores with ctx.storage.put and a SQL insert, answers "ok"
only after both returned; GET /get?k=KEY answers the stored value and the SQL copy.
GET /fail makes two calls that fail (a refused key in a delete list, an SQL BEGIN) and
answers the names of the JavaScript errors they raised (``JsException.name``).
"""

from urllib.parse import parse_qs, urlsplit

from wsguide.ffi import JsException
from wsguide.workers import DurableObject, Response, WorkerEntrypoint


class Store(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")

    async def put(self, key, value):
        await self.ctx.storage.put(key, value)
        self.ctx.storage.sql.exec("INSERT OR REPLACE INTO kv VALUES (?, ?)", key, value)
        return "ok"

    async def fail(self):
        errors = []
        try:
            await self.ctx.storage.delete(["x", {"not": "a key"}])
        except JsException as exc:
            errors.append(exc.name)
        try:
            self.ctx.storage.sql.exec("BEGIN")
        except JsException as exc:
            errors.append(exc.name)
        return ",".join(errors)

    async def get(self, key):
        rows = self.ctx.storage.sql.exec("SELECT v FROM kv WHERE k = ?", key).toArray()
        return f"{await self.ctx.storage.get(key)}|{rows[0]['v'] if rows else None}"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlsplit(request.url)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        stub = self.env.STORE.getByName("durable")
        if url.path == "/put":
            return Response(await stub.put(q["k"], q["v"]))
        if url.path == "/fail":
            return Response(await stub.fail())
        if url.path == "/get":
            return Response(await stub.get(q["k"]))
        return Response("not found", status=404)


DURABLE_OBJECTS = {"STORE": Store}
