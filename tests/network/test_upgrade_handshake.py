"""The client's handshake, checked: the plain form answered directly, every other form by ``websockets``.

``answer_upgrade`` answers the handshake nearly every client sends (``Connection: Upgrade``,
``Upgrade: websocket``, a key, version 13, nothing to negotiate) without building the
``Headers``, ``Request`` and ``Response`` of ``ServerProtocol.accept``. These tests hold it
to that: on generated requests, whenever the direct answer is taken it is the very answer
``accept`` gives; whenever it is not, the request goes to ``accept``, which keeps its own
checks and refusal texts.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from wsguide.net.deflate import ServerDeflateFactory
from wsguide.net.http1 import HttpRequest
from wsguide.net.upgrade import _checked_by_accept, _plain_accept

RFC_KEY, RFC_ACCEPT = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455, 1.3


def request(headers: list[tuple[str, str]], method: str = "GET", version: str = "1.1") -> HttpRequest:
    return HttpRequest(method, "/echo", headers, b"", version)


def by_accept(req: HttpRequest, wants_deflate: bool) -> str | tuple[str, list[str]]:
    """What the general path answers: kj's checks, then ``ServerProtocol.accept``."""
    factory = [ServerDeflateFactory(client_max_window_bits=15)] if wants_deflate else None
    return _checked_by_accept(req, ServerProtocol(extensions=factory, state=OPEN, max_size=2**20))


PLAIN = [("Host", "127.0.0.1"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
         ("Sec-WebSocket-Key", RFC_KEY), ("Sec-WebSocket-Version", "13")]


def test_the_plain_handshake_gets_the_rfcs_accept_value():
    assert _plain_accept(request(PLAIN), wants_deflate=True) == RFC_ACCEPT


def test_the_plain_handshake_gets_what_accept_would_answer():
    assert by_accept(request(PLAIN), wants_deflate=True) == (RFC_ACCEPT, [])


@pytest.mark.parametrize("extra, wants_deflate", [
    (("Connection", "keep-alive, Upgrade"), False),  # Firefox: a list of options, websockets parses it
    (("Sec-WebSocket-Protocol", "chat"), False),  # websockets parses the offer (and may refuse it)
    (("Sec-WebSocket-Extensions", "permessage-deflate"), True),  # there is something to negotiate
    (("Origin", "http://a"), False),  # with the Origin below: two of them
])
def test_other_forms_go_to_accept(extra, wants_deflate):
    headers = [*PLAIN, extra, ("Origin", "http://b")] if extra[0] == "Origin" else [*PLAIN, extra]
    if extra[0] == "Connection":
        headers.remove(("Connection", "Upgrade"))
    assert _plain_accept(request(headers), wants_deflate) is None


@pytest.mark.parametrize("key", ["-_-_-_-_-_-_-_-_-_-_-_==", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25j",
                                 "dGhlIHNhbXBsZSBub25jZQ=a", "dGhlIHNhbXBsZSBub25jZQ==\t"])
def test_a_key_accept_refuses_is_not_plain(key):
    headers = [*PLAIN[:3], ("Sec-WebSocket-Key", key), PLAIN[4]]
    assert _plain_accept(request(headers), wants_deflate=False) is None
    assert isinstance(by_accept(request(headers), wants_deflate=False), str)  # refused, with websockets' text


def test_an_offered_extension_is_plain_when_the_server_negotiates_none():
    # accept() with no extension of its own does not read the client's offer.
    headers = [*PLAIN, ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]
    assert _plain_accept(request(headers), wants_deflate=False) == RFC_ACCEPT
    assert by_accept(request(headers), wants_deflate=False) == (RFC_ACCEPT, [])


# ------------------------------------------------------------------ generated requests
def spelled(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.upper()])


def b64(n: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=n, max_size=n).map(lambda b: base64.b64encode(b).decode())


#: For each header, the values a client means (drawn most of the time) and values it gets wrong.
VALUES = {
    "Connection": (st.sampled_from(["Upgrade", "upgrade", "UPGRADE"]),
                   st.sampled_from(["keep-alive, Upgrade", "close", "Upgrade,", "", "Up grade", "upgrade, upgrade"])),
    "Upgrade": (st.sampled_from(["websocket", "WebSocket"]),
                st.sampled_from(["websocket, h2c", "h2c", "", "websocket/13"])),
    "Sec-WebSocket-Key": (
        st.one_of(b64(16), st.just(RFC_KEY), st.just("AAAAAAAAAAAAAAAAAAAAAB==")),  # stray bits in the last
        st.one_of(b64(15), b64(17), st.sampled_from([RFC_KEY.rstrip("="), "-_-_-_-_-_-_-_-_-_-_-_==", "",
                                                     "abc", "dGhlIHNhbXBsZSBub25jZQ=a"]))),
    "Sec-WebSocket-Version": (st.just("13"), st.sampled_from(["8", "13, 8", "013", ""])),
    "Origin": (st.sampled_from(["http://127.0.0.1", "null"]), st.just("")),
    "Sec-WebSocket-Protocol": (st.sampled_from(["chat", "a, b"]), st.sampled_from([",,", "a b"])),
    "Sec-WebSocket-Extensions": (st.just("permessage-deflate; client_max_window_bits"),
                                 st.sampled_from(["x-foo", ";;"])),
}
OPTIONAL = {"Origin", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"}


@st.composite
def handshakes(draw: st.DrawFn) -> HttpRequest:
    """Mostly the plain form, each part of it now and then missing, doubled or wrong."""
    headers = [("Host", "127.0.0.1"), ("User-Agent", "tests")]
    for name, (meant, wrong) in VALUES.items():
        copies = draw(st.sampled_from([0, 0, 0, 1, 2] if name in OPTIONAL else [1] * 8 + [0, 2]))
        for _ in range(copies):
            value = draw(st.sampled_from([meant] * 6 + [wrong]).flatmap(lambda s: s))
            headers.append((draw(spelled(name)), value))
    headers = draw(st.permutations(headers))
    method = draw(st.sampled_from(["GET"] * 9 + ["POST"]))
    version = draw(st.sampled_from(["1.1"] * 9 + ["1.0"]))
    return request(list(headers), method, version)


@settings(max_examples=400)
@given(handshakes(), st.booleans())
def test_whenever_the_plain_answer_is_taken_it_is_accepts_answer(req, wants_deflate):
    value = _plain_accept(req, wants_deflate)
    if value is not None:
        assert by_accept(req, wants_deflate) == (value, [])


@settings(max_examples=400)
@given(handshakes(), st.booleans())
def test_a_handshake_accept_takes_with_nothing_negotiated_and_one_of_each_header_is_plain(req, wants_deflate):
    # The other direction, for the requests the plain form names: nothing that form covers
    # is sent to the general path.
    answer = by_accept(req, wants_deflate)
    names = [name.lower() for name, _ in req.headers]
    plain_shape = (
        isinstance(answer, tuple) and answer[1] == [] and req.method == "GET" and req.http_version == "1.1"
        and all(names.count(n) == 1 for n in ("connection", "upgrade", "sec-websocket-key", "sec-websocket-version"))
        and names.count("origin") <= 1 and names.count("sec-websocket-extensions") <= 1
        and "sec-websocket-protocol" not in names
        and (not wants_deflate or "sec-websocket-extensions" not in names)
        and dict((n.lower(), v) for n, v in req.headers)["connection"].lower() == "upgrade"
        and len(dict((n.lower(), v) for n, v in req.headers)["sec-websocket-key"]) == 24
    )
    if plain_shape:
        assert _plain_accept(req, wants_deflate) == answer[0]
