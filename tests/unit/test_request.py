"""``Request``: what a Worker's ``fetch(request)`` receives, and hand-built requests."""

from __future__ import annotations

import pytest

from wsguide import Headers, Request


def test_request_keeps_the_url():
    assert Request("http://example.com/chat").url == "http://example.com/chat"


def test_request_method_defaults_to_get():
    assert Request("http://example.com/").method == "GET"


def test_request_method_is_upper_cased():
    assert Request("http://example.com/", method="post", body="x").method == "POST"


def test_request_unknown_method_raises_typeerror():
    with pytest.raises(TypeError):
        Request("http://example.com/", method="FROB")


def test_request_headers_are_headers():
    req = Request("http://example.com/", headers={"Upgrade": "websocket"})
    assert isinstance(req.headers, Headers)
    assert req.headers.get("upgrade") == "websocket"


def test_request_without_headers_has_empty_headers():
    assert Request("http://example.com/").headers.get("Upgrade") is None


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_get_or_head_with_body_raises_typeerror(method):
    with pytest.raises(TypeError):
        Request("http://example.com/", method=method, body="x")


async def test_request_body_reads_as_text():
    req = Request("http://example.com/", method="POST", body="héllo")
    assert await req.text() == "héllo"


async def test_request_body_reads_as_json():
    req = Request("http://example.com/", method="POST", body='{"a": 1}')
    assert await req.json() == {"a": 1}


async def test_request_bytes_of_empty_body_is_empty():
    assert await Request("http://example.com/").bytes() == b""


def test_request_from_request_copies_url_method_headers():
    base = Request("http://example.com/a", method="PUT", headers={"X": "1"}, body="b")
    copy = Request(base)
    assert (copy.url, copy.method, copy.headers.get("x")) == ("http://example.com/a", "PUT", "1")


def test_request_from_request_can_replace_headers():
    base = Request("http://example.com/a", headers={"X": "1"})
    copy = Request(base, headers={"Y": "2"})
    assert (copy.headers.get("X"), copy.headers.get("Y")) == (None, "2")


def test_request_copy_headers_are_independent():
    base = Request("http://example.com/a", headers={"X": "1"})
    copy = Request(base)
    copy.headers.set("X", "2")
    assert base.headers.get("X") == "1"


async def test_clone_keeps_the_body():
    base = Request("http://example.com/a", method="POST", body="data")
    assert await base.clone().text() == "data"


def test_path_is_path_and_query():
    assert Request("http://example.com/room/1?x=2").path == "/room/1?x=2"


def test_js_object_is_the_request_itself():
    req = Request("http://example.com/")
    assert req.js_object is req
