"""A Worker split over local modules: a module (shout_texts) and a package (shout_rooms) that
holds its Durable Object class. `wsguide export` copies both next to src/entry.py; the
exported-Worker test runs them on real Pyodide, imported from /session/metadata as on Workers.
"""

from wsguide.workers import Response, WorkerEntrypoint

import shout_texts
from shout_rooms import ShoutRoom


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response(shout_texts.NOT_AN_UPGRADE, status=426)
        return await self.env.ROOMS.getByName("hall").fetch(request)


DURABLE_OBJECTS = {"ROOMS": ShoutRoom}
