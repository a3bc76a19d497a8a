"""Spec §4.1–§4.2: ``Response``. The JavaScript class (``js.Response``, :mod:`wsguide.http`) and
the Python SDK's ``workers.Response`` around it, with the runtime's exact texts."""

from __future__ import annotations

import json

import pytest

from wsguide.core.jsapi import JS_NULL
from wsguide import js, workers
from wsguide.core.errors import JsRangeError, JsTypeError
from wsguide.core.pair import WebSocketPair
from wsguide.ffi import JsException, JsProxy
from wsguide.http import Response

MSG_WS_NEEDS_101 = "Responses with a WebSocket must have status code 101."
MSG_STATUS_RANGE = (
    "Responses may only be constructed with status codes in the range 200 to 599, inclusive."
)
MSG_NULL_BODY = "Response with null body status (101, 204, 205, or 304) cannot have a body."
MSG_CLONE_WS = "Cannot clone a response to a WebSocket handshake."


def client_end():
    client, _server = WebSocketPair()
    return client


# ================================================= the JavaScript class: Response(body, init)
def test_status_101_without_websocket_raises_range_error():
    with pytest.raises(JsRangeError) as info:
        Response(None, {"status": 101})
    assert (info.value.name, str(info.value)) == ("RangeError", MSG_STATUS_RANGE)


def test_websocket_with_status_200_raises_range_error():
    with pytest.raises(JsRangeError) as info:
        Response(None, {"status": 200, "webSocket": client_end()})
    assert str(info.value) == MSG_WS_NEEDS_101


def test_websocket_without_status_raises_range_error():
    # The default status is 200, so a socket alone is not enough.
    with pytest.raises(JsRangeError) as info:
        Response(None, {"webSocket": client_end()})
    assert str(info.value) == MSG_WS_NEEDS_101


def test_websocket_with_status_101_is_accepted():
    ws = client_end()
    resp = Response(None, {"status": 101, "webSocket": ws})
    assert (resp.status, resp.webSocket) == (101, ws)


@pytest.mark.parametrize("status", [0, 100, 102, 103, 199, 600, 999])
def test_status_outside_200_to_599_raises_range_error(status):
    with pytest.raises(JsRangeError) as info:
        Response("x", {"status": status})
    assert str(info.value) == MSG_STATUS_RANGE


@pytest.mark.parametrize("status", [200, 201, 299, 400, 426, 500, 599])
def test_status_inside_200_to_599_is_accepted(status):
    assert Response("x", {"status": status}).status == status


def test_default_status_is_200():
    assert Response("ok").status == 200


@pytest.mark.parametrize("status", [426, 200, 404])
def test_constructed_response_status_text_defaults_to_empty(status):
    # As in JavaScript (and observed on workerd, findings F11); the wire still
    # carries the standard reason phrase.
    assert Response("x", {"status": status}).statusText == ""


def test_given_status_text_is_kept():
    resp = Response(None, {"status": 426, "statusText": "Durable Object expected Upgrade: websocket"})
    assert resp.statusText == "Durable Object expected Upgrade: websocket"


@pytest.mark.parametrize("status", [204, 205, 304])
def test_null_body_status_with_a_body_raises_typeerror(status):
    with pytest.raises(JsTypeError) as info:
        Response("body", {"status": status})
    assert str(info.value) == MSG_NULL_BODY


def test_status_101_with_a_body_raises_typeerror():
    with pytest.raises(JsTypeError) as info:
        Response("body", {"status": 101, "webSocket": client_end()})
    assert str(info.value) == MSG_NULL_BODY


@pytest.mark.parametrize("empty", ["", b""])
def test_null_body_status_with_zero_length_body_is_treated_as_null(empty):
    assert Response(empty, {"status": 204}).body is None


def test_clone_of_a_websocket_response_raises_typeerror():
    resp = Response(None, {"status": 101, "webSocket": client_end()})
    with pytest.raises(JsTypeError) as info:
        resp.clone()
    assert str(info.value) == MSG_CLONE_WS


async def test_clone_of_a_plain_response_copies_status_headers_and_body():
    copy = Response("hello", {"status": 426, "headers": {"X-A": "1"}}).clone()
    assert (copy.status, copy.headers.get("X-A"), await copy.text()) == (426, "1", "hello")


def test_any_object_can_be_the_init_its_properties_are_read():
    # new Response(null, resp): resp's status, headers and webSocket (findings F8)
    ws = client_end()
    first = Response(None, {"status": 101, "webSocket": ws, "headers": {"X-A": "1"}})
    copy = Response(None, first)
    assert (copy.status, copy.webSocket, copy.headers.get("x-a")) == (101, ws, "1")


async def test_a_response_as_the_body_is_its_text():
    assert await Response(Response("x")).text() == "[object Response]"


def test_web_socket_is_null_without_a_socket():
    assert Response("x").webSocket is JS_NULL


def test_web_socket_must_be_a_websocket():
    with pytest.raises(JsTypeError):
        Response(None, {"status": 101, "webSocket": "not a socket"})


async def test_static_json_builds_a_json_response():
    resp = Response.json({"ok": True}, {"status": 201})
    assert (resp.status, resp.headers.get("Content-Type"), json.loads(await resp.text())) == (
        201, "application/json", {"ok": True},
    )


async def test_instance_json_parses_the_body():
    assert await Response('{"n": 5}').json() == {"n": 5}


async def test_a_body_is_read_once():
    resp = Response("once")
    await resp.text()
    with pytest.raises(JsTypeError):
        await resp.text()


def test_str_body_gets_text_plain_content_type():
    assert Response("x").headers.get("Content-Type") == "text/plain;charset=UTF-8"


def test_ok_is_true_only_for_2xx():
    assert (Response("x").ok, Response("x", {"status": 426}).ok) == (True, False)


def test_response_error_is_a_network_error_response():
    resp = Response.error()
    assert (resp.status, resp.type) == (0, "error")


def test_response_redirect_sets_location_and_status():
    resp = Response.redirect("https://example.com/", 301)
    assert (resp.status, resp.headers.get("Location")) == (301, "https://example.com/")


def test_response_redirect_rejects_a_non_redirect_status():
    with pytest.raises(JsRangeError):
        Response.redirect("https://example.com/", 200)


# ================================================= js.Response: the class through the boundary
def test_js_response_without_new_is_a_jsexception():
    with pytest.raises(JsException) as info:
        js.Response(None, status=101)
    assert info.value.message == (
        "Failed to construct 'Response': Please use the 'new' operator, this object constructor "
        "cannot be called as a function."
    )


def test_js_response_new_takes_camel_case_options():
    client = js.WebSocketPair.new().object_values()[0]
    resp = js.Response.new(None, status=101, webSocket=client)
    assert (type(resp).__name__, resp.status, resp.webSocket == client) == ("JsProxy", 101, True)


def test_js_response_errors_are_jsexceptions_not_python_errors():
    with pytest.raises(JsException) as info:
        js.Response.new(None, status=101)
    assert (info.value.name, isinstance(info.value, ValueError)) == ("RangeError", False)


# ================================================= workers.Response: the SDK's Python class
def test_workers_response_takes_web_socket():
    client = js.WebSocketPair.new().object_values()[0]
    resp = workers.Response(None, status=101, web_socket=client)
    assert (resp.status, resp.js_object.webSocket == client) == (101, True)


@pytest.mark.parametrize(
    ("keyword", "suggestion"), [("webSocket", "web_socket"), ("statusText", "status_text")]
)
def test_workers_response_refuses_the_javascript_spelling(keyword, suggestion):
    with pytest.raises(TypeError) as info:
        workers.Response(None, status=101, **{keyword: None})
    assert str(info.value) == (
        f"Response.__init__() got an unexpected keyword argument {keyword!r}. Did you mean {suggestion!r}?"
    )


def test_workers_response_101_without_socket_is_a_jsexception():
    with pytest.raises(JsException) as info:
        workers.Response(None, status=101)
    assert str(info.value) == "RangeError: " + MSG_STATUS_RANGE


def test_workers_response_has_no_web_socket_attribute():
    # On Workers a response's socket is resp.js_object.webSocket.
    assert not hasattr(workers.Response("x"), "web_socket")


def test_workers_response_js_object_is_a_jsproxy_of_the_javascript_response():
    resp = workers.Response("x", status=426)
    assert isinstance(resp.js_object, JsProxy) and resp.js_object.status == 426


async def test_workers_response_from_json_and_json():
    resp = workers.Response.json({"a": 1}, status=201)
    assert (resp.status, resp.headers.get("content-type"), await resp.json()) == (
        201, "application/json", {"a": 1},
    )


def test_workers_response_headers_are_an_http_message():
    resp = workers.Response("x", headers={"X-Kind": "teapot"})
    assert (type(resp.headers).__name__, resp.headers.get("x-kind"), resp.headers["Missing"]) == (
        "HTTPMessageMapping", "teapot", None,
    )


def test_workers_response_refuses_other_bodies():
    with pytest.raises(TypeError) as info:
        workers.Response({"not": "a body"})
    assert str(info.value) == "Unsupported type in Response: dict"
