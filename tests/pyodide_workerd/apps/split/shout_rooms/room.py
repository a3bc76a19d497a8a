from wsguide.js import WebSocketPair
from wsguide.workers import DurableObject, Response

import shout_texts


class ShoutRoom(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        for peer in self.ctx.getWebSockets():
            peer.send(shout_texts.shout(message))

    async def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(code, reason)
