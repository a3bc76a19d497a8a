"""Spec §5.2: ``WebSocket(url, protocols)`` validates synchronously, before any connection.

Invalid input raises before the connector is called; valid input is checked
with the ``connects`` fixture, which records the socket instead of connecting.
"""

from __future__ import annotations

import builtins

import pytest

from wsguide.core.errors import DOMException
from wsguide.core.websocket import WebSocket
from wsguide.core.errors import DOMSyntaxError
from wsguide.core.states import SocketState

PREFIX = "WebSocket Constructor: "
URL_INVALID = PREFIX + "The url is invalid."
SCHEME = PREFIX + "The url scheme must be ws or wss."
FRAGMENT = PREFIX + "The url fragment must be empty."
TOKEN = PREFIX + "The protocol header token is invalid."
ONE_TOKEN = PREFIX + "One of the protocol header tokens is invalid."
REPEATED = PREFIX + "The protocols header cannot have repeating values."


def raises_syntax_error(text, *args):
    with pytest.raises(DOMSyntaxError) as info:
        WebSocket(*args)
    assert str(info.value) == text
    return info.value


@pytest.mark.parametrize("url", ["not a url", "", "ws://", "ws:///path", "ws://host:99999/"])
def test_invalid_url_raises_syntax_error(connects, url):
    raises_syntax_error(URL_INVALID, url)


@pytest.mark.parametrize(
    "url", ["http://example.com/", "https://example.com/", "ftp://example.com/", "wsx://example.com/"]
)
def test_non_ws_scheme_raises_syntax_error(connects, url):
    raises_syntax_error(SCHEME, url)


@pytest.mark.parametrize("url", ["ws://example.com/#frag", "wss://example.com/path?q=1#x", "ws://example.com/#"])
def test_url_with_fragment_raises_syntax_error(connects, url):
    raises_syntax_error(FRAGMENT, url)


@pytest.mark.parametrize("protocol", ["", "a b", "a,b", "chat/1", "a:b", "é", "a\tb", "{x}"])
def test_invalid_single_protocol_token_raises_syntax_error(connects, protocol):
    raises_syntax_error(TOKEN, "ws://example.invalid/", protocol)


@pytest.mark.parametrize("protocols", [["chat", "bad token"], [""], ["ok", "a;b"]])
def test_invalid_token_in_protocol_list_raises_syntax_error(connects, protocols):
    raises_syntax_error(ONE_TOKEN, "ws://example.invalid/", protocols)


def test_repeated_protocols_raise_syntax_error(connects):
    raises_syntax_error(REPEATED, "ws://example.invalid/", ["chat", "v2", "chat"])


def test_protocol_list_is_checked_element_by_element(connects):
    # "a" repeats before the invalid token is reached.
    raises_syntax_error(REPEATED, "ws://example.invalid/", ["a", "a", "bad token"])


def test_url_is_checked_before_protocols(connects):
    raises_syntax_error(SCHEME, "http://example.com/", "bad token")


def test_constructor_error_is_a_domexception_named_syntax_error(connects):
    err = raises_syntax_error(URL_INVALID, "not a url")
    assert isinstance(err, DOMException) and err.name == "SyntaxError"


def test_constructor_error_is_not_the_builtin_syntax_error(connects):
    err = raises_syntax_error(URL_INVALID, "not a url")
    assert not isinstance(err, builtins.SyntaxError)


def test_invalid_input_never_starts_a_connection(connects):
    for args in (("not a url",), ("http://x/",), ("ws://x/#f",), ("ws://x/", "a b")):
        with pytest.raises(DOMSyntaxError):
            WebSocket(*args)
    assert connects == []


# --------------------------------------------------------- valid input (no network)
def test_valid_url_starts_exactly_one_connection(connects):
    ws = WebSocket("wss://example.invalid/chat?room=1")
    assert connects == [ws]


def test_new_websocket_is_connecting(connects):
    ws = WebSocket("ws://example.invalid/")
    assert (ws.readyState, ws.state) == (0, SocketState.CONNECTING)


def test_new_websocket_url_is_the_string_passed(connects):
    assert WebSocket("ws://Example.invalid:8080/a?b").url == "ws://Example.invalid:8080/a?b"


def test_new_websocket_protocol_and_extensions_are_empty_until_connected(connects):
    ws = WebSocket("ws://example.invalid/", ["chat"])
    assert (ws.protocol, ws.extensions) == ("", "")


def test_protocol_duplicate_check_is_case_sensitive(connects):
    ws = WebSocket("ws://example.invalid/", ["chat", "Chat"])
    assert ws.offered_protocols == ["chat", "Chat"]


def test_empty_protocol_list_is_allowed(connects):
    assert WebSocket("ws://example.invalid/", []).offered_protocols == []


def test_single_protocol_string_is_offered(connects):
    assert WebSocket("ws://example.invalid/", "chat.v2").offered_protocols == ["chat.v2"]


@pytest.mark.parametrize("token", ['a"b', "x-y_z.1~!#$%&'*+^`|"])
def test_protocol_token_allows_visible_ascii_outside_the_separator_list(connects, token):
    assert WebSocket("ws://example.invalid/", token).offered_protocols == [token]
