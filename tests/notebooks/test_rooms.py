"""The Durable Object helpers of notebooks 07 and 08: room_gateway, check_room, check_hibernation,
load_chat_example (wsguide/teach/rooms.py). The rooms here are written in the Python Workers
dialect, as a learner writes them."""

from __future__ import annotations

from wsguide import serve
from wsguide.ffi import create_proxy
from wsguide.js import WebSocket, WebSocketPair
from wsguide.notebook import EventLog, check_hibernation, check_room, load_chat_example, room_gateway, within
from wsguide.workers import DurableObject, Response, fetch


class Room(DurableObject):
    """The broadcast room of notebook 07."""

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        for peer in self.ctx.getWebSockets():
            peer.send(message)

    async def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(1000, "bye")

    def count(self):
        return len(self.ctx.getWebSockets())


class EchoRoom(Room):
    """Answers the sender only: not a room."""

    async def webSocketMessage(self, ws, message):
        ws.send(message)


class ShoutingRoom(Room):
    """Changes what people write."""

    async def webSocketMessage(self, ws, message):
        for peer in self.ctx.getWebSockets():
            peer.send(message.upper())


class NoSocketRoom(DurableObject):
    """Never upgrades."""

    async def fetch(self, request):
        return Response("no WebSocket here")


class ClassicRoom(DurableObject):
    """accept() and listeners: the sockets belong to the instance, which cannot hibernate."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.sockets = []

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        self.sockets.append(server)

        def on_message(event):
            for peer in self.sockets:
                peer.send(event.data)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)


class ForgetfulRoom(DurableObject):
    """Hibernatable sockets, but the members' list is a field of the instance."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.members = []

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        self.members.append(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        for peer in self.members:
            peer.send(message)


# -- room_gateway ---------------------------------------------------------------------------
async def test_room_gateway_refuses_a_request_without_upgrade_with_426():
    async with serve(room_gateway, durable_objects={"ROOMS": Room}, persist=False, echo_log=False) as srv:
        response = await within(fetch(srv.url + "/room/lobby"), "GET /room/lobby")
        assert response.status == 426
        assert await within(response.text(), "the body") == "Expected Upgrade: websocket"


async def test_room_gateway_sends_each_room_name_to_its_own_object():
    async with serve(room_gateway, durable_objects={"ROOMS": Room}, persist=False, echo_log=False) as srv:
        log = EventLog()
        for name, path in (("ada", "/room/lobby"), ("bob", "/room/lobby/"), ("cy", "/room/attic")):
            log.watch(WebSocket.new(srv.ws_url + path), name)
        await log.wait_for(3, type="open")
        rooms = srv.env.ROOMS
        counts = [await within(rooms.getByName(n).count(), f"{n}.count()") for n in ("lobby", "attic")]
        assert counts == [2, 1]


# -- check_room -----------------------------------------------------------------------------
async def test_check_room_passes_a_broadcast_room():
    check = await check_room(Room)
    assert check.ok, str(check)
    assert "room b is separate" in str(check)


async def test_check_room_says_the_other_member_got_nothing_from_an_echo_room():
    check = await check_room(EchoRoom, timeout=0.5)
    assert not check.ok
    assert "✘ the other member got nothing because no message arrived" in str(check)
    assert "✔ the sender received the message" in str(check)


async def test_check_room_says_the_room_changed_the_text():
    check = await check_room(ShoutingRoom)
    assert not check.ok
    assert "✘ the sender received 'HELLO ROOM A' because the room changed the text" in str(check)


async def test_check_room_reports_a_room_that_never_upgrades_instead_of_raising():
    check = await check_room(NoSocketRoom, timeout=1)
    assert not check.ok
    assert "✘ clients could not connect because" in str(check)
    assert "web_socket=client" in str(check)


# -- check_hibernation ----------------------------------------------------------------------
async def test_check_hibernation_passes_a_room_built_on_accept_websocket():
    check = await check_hibernation(Room)
    assert check.ok, str(check)
    assert "✔ the constructor ran twice (before and after hibernation)" in str(check)


async def test_check_hibernation_says_which_sockets_keep_an_accept_room_awake():
    check = await check_hibernation(ClassicRoom)
    assert not check.ok
    assert str(check).splitlines()[1] == (
        "  ✘ the room stayed awake because 2 WebSockets accepted with accept() are still open; only sockets "
        "accepted with ctx.acceptWebSocket() let a Durable Object hibernate — try "
        "self.ctx.acceptWebSocket(server) instead of server.accept(), and the webSocketMessage/webSocketClose "
        "methods instead of listeners: the runtime then owns the sockets and can drop the instance"
    )


async def test_check_hibernation_says_members_kept_in_self_are_lost():
    check = await check_hibernation(ForgetfulRoom, timeout=0.5)
    assert not check.ok
    assert "✔ the room hibernated while both sockets stayed connected" in str(check)
    assert "✘ no message after hibernation" in str(check)
    assert "not from a field of self" in str(check)


async def test_check_hibernation_reports_a_room_that_never_upgrades_instead_of_raising():
    check = await check_hibernation(NoSocketRoom, timeout=1)
    assert not check.ok
    assert "✘ clients could not connect because" in str(check)


# -- load_chat_example ----------------------------------------------------------------------
def test_load_chat_example_imports_the_chat_worker_of_this_checkout():
    chat = load_chat_example()
    assert set(chat.DURABLE_OBJECTS) == {"ROOMS", "BENCH"}
    assert chat.DURABLE_OBJECTS["ROOMS"].__name__ == "ChatRoom"
    assert chat.Default.__name__ == "Default"
