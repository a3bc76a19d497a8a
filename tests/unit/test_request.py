"""``Request``: the JavaScript class (what the runtime builds) and the SDK's ``workers.Request``
that a Python Worker's ``fetch(request)`` gets."""

from __future__ import annotations

from http import HTTPMethod

import pytest

from wsguide import workers
from wsguide.core.errors import JsTypeError
from wsguide.ffi.bridge import js2py
from wsguide.http import Headers, Request


# ===================================================== the JavaScript class: Request(input, init)
def test_request_keeps_the_url():
    assert Request("http://example.com/chat").url == "http://example.com/chat"


def test_request_method_defaults_to_get():
    assert Request("http://example.com/").method == "GET"


def test_request_method_is_upper_cased():
    assert Request("http://example.com/", {"method": "post", "body": "x"}).method == "POST"


def test_request_headers_are_headers():
    req = Request("http://example.com/", {"headers": {"Upgrade": "websocket"}})
    assert isinstance(req.headers, Headers) and req.headers.get("upgrade") == "websocket"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_get_or_head_with_body_raises_typeerror(method):
    with pytest.raises(JsTypeError) as info:
        Request("http://example.com/", {"method": method, "body": "x"})
    assert str(info.value) == "Request with a GET or HEAD method cannot have a body."


async def test_request_body_reads_as_text_and_json():
    assert await Request("http://x/", {"method": "POST", "body": '{"a": "é"}'}).json() == {"a": "é"}


def test_request_from_request_copies_url_method_headers():
    base = Request("http://example.com/a", {"method": "PUT", "headers": {"X": "1"}, "body": "b"})
    copy = Request(base)
    assert (copy.url, copy.method, copy.headers.get("x")) == ("http://example.com/a", "PUT", "1")


def test_request_from_request_can_replace_headers():
    copy = Request(Request("http://example.com/a", {"headers": {"X": "1"}}), {"headers": {"Y": "2"}})
    assert (copy.headers.get("X"), copy.headers.get("Y")) == (None, "2")


async def test_clone_keeps_the_body():
    base = Request("http://example.com/a", {"method": "POST", "body": "data"})
    assert await base.clone().text() == "data"


# ===================================================== workers.Request: what fetch(request) gets
def worker_view(url: str = "http://example.com/some/path?q=1", **init) -> workers.Request:
    return workers.Request(js2py(Request(url, init or None)))


def test_method_is_an_http_method_equal_to_its_name():
    req = worker_view()
    assert (req.method, req.method == "GET") == (HTTPMethod.GET, True)


def test_headers_are_an_http_message_case_insensitive():
    req = worker_view(headers={"X-Probe": "yes"})
    assert (req.headers.get("x-probe"), req.headers.get("X-PROBE"), req.headers["X-Missing"]) == (
        "yes", "yes", None,
    )


def test_url_is_a_str():
    assert worker_view().url == "http://example.com/some/path?q=1"


@pytest.mark.parametrize("name", ["path", "query"])
def test_there_is_no_path_or_query_parse_the_url(name):
    with pytest.raises(AttributeError) as info:
        getattr(worker_view(), name)
    assert str(info.value) == f"'Request' object has no attribute {name!r}"


async def test_body_reads_as_text_json_and_bytes():
    req = worker_view(method="POST", body='{"n": 1}')
    assert await req.json() == {"n": 1}


async def test_a_body_read_twice_is_an_oserror():
    req = worker_view(method="POST", body="once")
    await req.text()
    with pytest.raises(OSError) as info:
        await req.text()
    assert str(info.value) == "Body already used"


def test_a_request_built_in_python_takes_the_sdk_keywords():
    req = workers.Request("http://example.com/", method=HTTPMethod.POST, headers={"A": "1"}, body="x")
    assert (req.method, req.headers.get("a")) == (HTTPMethod.POST, "1")


def test_js_object_is_the_javascript_request():
    assert worker_view().js_object.url == "http://example.com/some/path?q=1"


# ============================================ the server's own requests: Request._received(...)
def test_a_received_request_has_what_the_constructor_gives_it():
    headers = Headers([("Host", "example.com"), ("Upgrade", "websocket")])
    made = Request("http://example.com/chat", method="POST", headers=Headers(headers), body=b"hi")
    received = Request._received("http://example.com/chat", "POST", Headers(headers), b"hi")
    assert vars(received).keys() == vars(made).keys()
    assert {k: v for k, v in vars(received).items() if k != "headers"} == {
        k: v for k, v in vars(made).items() if k != "headers"
    }
    assert received.headers.raw_items() == made.headers.raw_items()


def test_a_received_request_keeps_the_servers_headers_without_a_copy():
    headers = Headers([("Host", "example.com")])
    assert Request._received("http://example.com/", "GET", headers, None).headers is headers
