"""Spec §4.1–§4.2: ``Response`` construction rules, exact texts; the Python spellings."""

from __future__ import annotations

import json

import pytest

from wsguide import JsRangeError as RangeError
from wsguide import Response, WebSocketPair

MSG_WS_NEEDS_101 = "Responses with a WebSocket must have status code 101."
MSG_STATUS_RANGE = (
    "Responses may only be constructed with status codes in the range 200 to 599, inclusive."
)
MSG_NULL_BODY = "Response with null body status (101, 204, 205, or 304) cannot have a body."
MSG_CLONE_WS = "Cannot clone a response to a WebSocket handshake."


def client_end():
    client, _server = WebSocketPair()
    return client


# ---------------------------------------------------------------- 101 ⇔ socket
def test_status_101_without_websocket_raises_range_error():
    with pytest.raises(RangeError) as info:
        Response(None, status=101)
    assert str(info.value) == MSG_STATUS_RANGE
    assert info.value.name == "RangeError"


def test_websocket_with_status_200_raises_range_error():
    with pytest.raises(RangeError) as info:
        Response(None, status=200, web_socket=client_end())
    assert str(info.value) == MSG_WS_NEEDS_101


def test_websocket_without_status_raises_range_error():
    # The default status is 200, so a socket alone is not enough.
    with pytest.raises(RangeError) as info:
        Response(None, web_socket=client_end())
    assert str(info.value) == MSG_WS_NEEDS_101


def test_websocket_with_status_101_is_accepted():
    ws = client_end()
    resp = Response(None, status=101, web_socket=ws)
    assert (resp.status, resp.web_socket) == (101, ws)


def test_range_error_is_not_a_typeerror():
    with pytest.raises(RangeError) as info:
        Response(None, status=101)
    assert not isinstance(info.value, TypeError)


def test_websocket_none_counts_as_absent():
    with pytest.raises(RangeError) as info:
        Response(None, status=101, web_socket=None)
    assert str(info.value) == MSG_STATUS_RANGE


# ------------------------------------------------------------------ status range
@pytest.mark.parametrize("status", [0, 100, 102, 103, 199, 600, 999])
def test_status_outside_200_to_599_raises_range_error(status):
    with pytest.raises(RangeError) as info:
        Response("x", status=status)
    assert str(info.value) == MSG_STATUS_RANGE


@pytest.mark.parametrize("status", [200, 201, 299, 400, 426, 500, 599])
def test_status_inside_200_to_599_is_accepted(status):
    assert Response("x", status=status).status == status


def test_default_status_is_200():
    assert Response("ok").status == 200


@pytest.mark.parametrize("status", [426, 200, 404])
def test_constructed_response_status_text_defaults_to_empty(status):
    # As in JavaScript (and observed on workerd, findings F11); the wire still
    # carries the standard reason phrase.
    assert Response("x", status=status).status_text == ""


def test_status_101_constructed_status_text_is_empty():
    resp = Response(None, status=101, web_socket=client_end())
    assert resp.statusText == ""


def test_given_status_text_is_kept():
    resp = Response(None, status=426, status_text="Durable Object expected Upgrade: websocket")
    assert resp.status_text == "Durable Object expected Upgrade: websocket"


def test_status_text_js_spelling_is_accepted():
    assert Response(None, status=426, statusText="Nope").statusText == "Nope"


# ------------------------------------------------------------- null-body statuses
@pytest.mark.parametrize("status", [204, 205, 304])
def test_null_body_status_with_a_body_raises_typeerror(status):
    with pytest.raises(TypeError) as info:
        Response("body", status=status)
    assert str(info.value) == MSG_NULL_BODY


def test_status_101_with_a_body_raises_typeerror():
    with pytest.raises(TypeError) as info:
        Response("body", status=101, web_socket=client_end())
    assert str(info.value) == MSG_NULL_BODY


@pytest.mark.parametrize("empty", ["", b""])
def test_null_body_status_with_zero_length_body_is_treated_as_null(empty):
    assert Response(empty, status=204).body is None


def test_null_body_status_without_body_is_accepted():
    assert Response(None, status=204).body is None


# ------------------------------------------------------------------------ clone
def test_clone_of_a_websocket_response_raises_typeerror():
    resp = Response(None, status=101, web_socket=client_end())
    with pytest.raises(TypeError) as info:
        resp.clone()
    assert str(info.value) == MSG_CLONE_WS


async def test_clone_of_a_plain_response_copies_status_headers_and_body():
    resp = Response("hello", status=426, headers={"X-A": "1"})
    copy = resp.clone()
    assert (copy.status, copy.headers.get("X-A"), await copy.text()) == (426, "1", "hello")


def test_clone_is_a_new_object():
    resp = Response("hello")
    assert resp.clone() is not resp


# -------------------------------------------------------------- web_socket access
def test_web_socket_is_none_without_a_socket():
    assert Response("x").web_socket is None


def test_web_socket_js_spelling_property():
    ws = client_end()
    resp = Response(None, status=101, web_socket=ws)
    assert resp.webSocket is ws


def test_web_socket_js_spelling_keyword():
    ws = client_end()
    resp = Response(None, status=101, webSocket=ws)
    assert resp.web_socket is ws


def test_js_object_web_socket_returns_the_socket():
    ws = client_end()
    resp = Response(None, status=101, web_socket=ws)
    assert resp.js_object.webSocket is ws


def test_js_object_web_socket_is_none_without_a_socket():
    assert Response("x", status=426).js_object.webSocket is None


def test_js_object_exposes_status_and_status_text():
    js = Response("x", status=426, status_text="Upgrade Required").js_object
    assert (js.status, js.statusText) == (426, "Upgrade Required")


def test_web_socket_must_be_a_websocket():
    with pytest.raises(TypeError):
        Response(None, status=101, web_socket="not a socket")


# ------------------------------------------------------------------------- JSON
async def test_response_json_builds_a_json_response():
    resp = Response.json({"ok": True})
    assert json.loads(await resp.text()) == {"ok": True}


def test_response_json_sets_content_type():
    assert Response.json([1]).headers.get("Content-Type") == "application/json"


def test_response_json_keeps_a_given_content_type():
    resp = Response.json([1], headers={"Content-Type": "application/vnd.api+json"})
    assert resp.headers.get("content-type") == "application/vnd.api+json"


def test_response_json_takes_a_status():
    assert Response.json({"error": "nope"}, status=400).status == 400


async def test_from_json_is_the_same_constructor():
    resp = Response.from_json({"a": 1}, status=201)
    assert (resp.status, await resp.json()) == (201, {"a": 1})


async def test_instance_json_parses_the_body():
    resp = Response('{"n": 5}', headers={"Content-Type": "application/json"})
    assert await resp.json() == {"n": 5}


# ------------------------------------------------------------------ body & misc
async def test_text_body_reads_back():
    assert await Response("Expected Upgrade: websocket", status=426).text() == (
        "Expected Upgrade: websocket"
    )


async def test_bytes_body_reads_back():
    assert await Response(b"\x00\x01").bytes() == b"\x00\x01"


def test_str_body_gets_text_plain_content_type():
    assert Response("x").headers.get("Content-Type") == "text/plain;charset=UTF-8"


def test_given_content_type_is_not_replaced():
    resp = Response("<p>", headers={"content-type": "text/html"})
    assert resp.headers.get("Content-Type") == "text/html"


def test_ok_is_true_only_for_2xx():
    assert (Response("x").ok, Response("x", status=426).ok) == (True, False)


def test_response_error_is_a_network_error_response():
    resp = Response.error()
    assert (resp.status, resp.type) == (0, "error")


def test_response_redirect_sets_location_and_status():
    resp = Response.redirect("https://example.com/", 301)
    assert (resp.status, resp.headers.get("Location")) == (301, "https://example.com/")


def test_response_redirect_rejects_a_non_redirect_status():
    with pytest.raises(RangeError):
        Response.redirect("https://example.com/", 200)
