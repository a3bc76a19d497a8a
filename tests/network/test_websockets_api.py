"""What wsguide relies on in ``websockets``, pinned: a new release that changes it fails here, loudly.

The WebSocket leg (``wsguide/net/leg.py``, ``upgrade.py``, ``connect.py``) drives
``websockets``' sans-I/O protocol through its documented API and reads a few of its
attributes. Each test below names one thing the leg depends on and checks it on the
installed version — signatures, attributes, and the behaviours the leg's decisions
rest on (the protocol's answer to a Close is one element of ``data_to_send()``; an
oversized frame leaves a ``PayloadTooBig`` with its sizes). A second part checks that
no code in wsguide assigns to a ``websockets`` object's attributes or methods.
"""

from __future__ import annotations

import ast
import inspect
import os
import struct
from pathlib import Path

import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus, PayloadTooBig, ProtocolError
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import CLIENT, OPEN, SERVER, Protocol, State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

WSGUIDE = Path(__file__).resolve().parents[2] / "wsguide"


def params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_the_pinned_major_version():
    assert websockets.__version__.split(".")[0] == "17"


# ------------------------------------------------------------------ signatures
def test_protocol_methods_the_leg_calls():
    assert params(Protocol.receive_data) == ["self", "data"]
    assert params(Protocol.receive_eof) == ["self"]
    assert params(Protocol.events_received) == ["self"]
    assert params(Protocol.data_to_send) == ["self"]
    assert params(Protocol.send_close) == ["self", "code", "reason"]
    assert params(Protocol.fail) == ["self", "code", "reason"]


def test_server_protocol_constructor_and_accept():
    assert {"extensions", "max_size", "state", "logger"} <= set(params(ServerProtocol.__init__))
    assert params(ServerProtocol.accept) == ["self", "request"]


def test_client_protocol_constructor_connect_and_send_request():
    assert params(ClientProtocol.__init__)[:2] == ["self", "uri"]
    assert {"extensions", "subprotocols", "max_size", "logger"} <= set(params(ClientProtocol.__init__))
    assert params(ClientProtocol.connect) == ["self"]
    assert params(ClientProtocol.send_request) == ["self", "request"]


def test_frames_requests_and_responses():
    assert params(Frame.serialize) == ["self", "mask", "extensions"]
    assert params(Close.parse) == ["data"]
    assert params(Request.__init__)[1:5] == ["path", "headers", "method", "protocol"]
    assert [f.name for f in Response.__dataclass_fields__.values()][:4] == [
        "status_code", "reason_phrase", "headers", "body"]  # an InvalidStatus's response is read so
    assert parse_uri("ws://127.0.0.1:9/x?y").resource_name == "/x?y"


# ------------------------------------------------------------------ behaviours the leg rests on
def server_protocol(**kw) -> ServerProtocol:
    return ServerProtocol(state=OPEN, max_size=kw.pop("max_size", 2**20), **kw)


def client_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    return Frame(Opcode(opcode), payload, fin).serialize(mask=True)


def test_state_open_parses_frames_from_the_first_byte():
    protocol = server_protocol()
    protocol.receive_data(client_frame(0x1, b"hi"))
    [frame] = protocol.events_received()
    assert (frame.opcode, frame.data, protocol.state, protocol.side) == (Opcode.TEXT, b"hi", OPEN, SERVER)


def test_accept_checks_a_request_and_negotiates_without_touching_state():
    protocol = server_protocol()
    headers = Headers({"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                       "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    response = protocol.accept(Request("/", headers))
    assert response.status_code == 101
    assert response.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert protocol.state is OPEN and protocol.extensions == [] and protocol.handshake_exc is None


def test_the_answer_to_a_close_is_one_close_frame_then_eof():
    protocol = server_protocol()
    protocol.receive_data(client_frame(0x8, struct.pack("!H", 4000) + b"bye"))
    [event] = protocol.events_received()
    writes = protocol.data_to_send()
    assert event.opcode is Opcode.CLOSE
    assert writes == [b"\x88\x05" + struct.pack("!H", 4000) + b"bye", b""]


def test_after_a_close_further_frames_are_discarded():
    protocol = server_protocol()
    protocol.receive_data(client_frame(0x8, b"") + client_frame(0x9, b"ping") + client_frame(0x1, b"late"))
    events = protocol.events_received()
    assert [e.opcode for e in events] == [Opcode.CLOSE]
    assert protocol.data_to_send() == [b"\x88\x00", b""]  # no Pong


def test_send_close_refuses_a_code_workerd_sends():
    protocol = server_protocol()
    with pytest.raises(ProtocolError):
        protocol.send_close(2000, "odd")
    assert protocol.state is OPEN and protocol.data_to_send() == []  # refused before any change


def test_an_oversized_frame_leaves_payload_too_big_with_its_sizes():
    protocol = server_protocol(max_size=100)
    protocol.receive_data(client_frame(0x2, b"x" * 60, fin=False) + client_frame(0x0, b"x" * 50))
    exc = protocol.parser_exc
    assert isinstance(exc, PayloadTooBig)
    assert (exc.size, exc.max_size, exc.current_size) == (50, 100, 60)
    assert protocol.close_sent is not None and protocol.close_sent.code == 1009
    assert [w[:2] for w in protocol.data_to_send()] == [b"\x88" + bytes([len(protocol.close_sent.serialize())]), b""]


def test_a_compressed_message_that_inflates_too_far_has_no_size():
    import zlib

    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

    protocol = ServerProtocol(extensions=[ServerPerMessageDeflateFactory()], max_size=1000)
    handshake = Headers({"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                         "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                         "Sec-WebSocket-Extensions": "permessage-deflate"})
    protocol.receive_data(Request("/", handshake).serialize())
    protocol.send_response(protocol.accept(protocol.events_received()[0]))
    protocol.data_to_send()
    deflater = zlib.compressobj(wbits=-15)
    data = (deflater.compress(b"\x00" * 5000) + deflater.flush(zlib.Z_SYNC_FLUSH))[:-4]
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    protocol.receive_data(bytes([0xC2, 0x80 | 126]) + struct.pack("!H", len(data)) + mask + masked)  # FIN, RSV1
    assert isinstance(protocol.parser_exc, PayloadTooBig) and protocol.parser_exc.size is None


def test_invalid_status_carries_the_response():
    protocol = ClientProtocol(parse_uri("ws://127.0.0.1:9/"))
    protocol.send_request(protocol.connect())
    protocol.receive_data(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 2\r\n\r\nno")
    [response] = protocol.events_received()
    assert isinstance(protocol.handshake_exc, InvalidStatus)
    assert (protocol.handshake_exc.response.status_code, response.body) == (426, b"no")
    assert protocol.side is CLIENT and isinstance(protocol.state, State)


# ------------------------------------------------------------------ no monkey-patching in wsguide
def _sources() -> list[Path]:
    return sorted(p for p in WSGUIDE.rglob("*.py"))


def _imports_websockets(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "websockets" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "websockets":
            return True
    return False


def _attribute_targets(tree: ast.AST):
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store):
                    yield node.lineno, ast.unparse(sub)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            yield node.lineno, ast.unparse(node)


#: Attribute assignments on objects that are not websockets', each with the reason.
NOT_WEBSOCKETS = {
    ("wsguide/net/client.py", "resp.url"),  # a wsguide Response built from an httpx answer
}


def test_modules_that_use_websockets_only_assign_their_own_attributes():
    # In a module that imports websockets, every attribute assignment is `self.<name> = …` (our
    # own objects); assigning anything else could be patching a websockets object.
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not _imports_websockets(tree):
            continue
        for line, target in _attribute_targets(tree):
            parts = target.split(".")
            where = str(path.relative_to(WSGUIDE.parent))
            if not (len(parts) == 2 and parts[0] in ("self", "cls")) and (where, target) not in NOT_WEBSOCKETS:
                found.append(f"{path.relative_to(WSGUIDE.parent)}:{line}: {target}")
    assert found == []


def test_nothing_in_wsguide_replaces_what_the_old_leg_patched():
    # The names the old transport replaced on websockets objects, as assignment targets anywhere.
    patched = {"recv_frame", "fail", "state", "close_sent", "process_event", "close", "available_extensions",
               "writes", "parser", "send_frame"}
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, target in _attribute_targets(tree):
            parts = target.split(".")
            if parts[-1] in patched and parts[0] not in ("self", "cls"):
                found.append(f"{path.relative_to(WSGUIDE.parent)}:{line}: {target}")
            elif len(parts) > 2 and parts[-1] in patched:
                found.append(f"{path.relative_to(WSGUIDE.parent)}:{line}: {target}")
    assert found == []


def test_the_checks_above_would_catch_a_patch(tmp_path):
    patch = ast.parse("import websockets\nconn.protocol.recv_frame = mine\nsetattr(conn, 'close', x)\n")
    assert [t for _, t in _attribute_targets(patch)] == ["conn.protocol.recv_frame", "setattr(conn, 'close', x)"]
    assert _imports_websockets(patch)
    assert os.sep  # (the real sources are read from WSGUIDE above)
