"""``workers.Request``, ``workers.Response`` and ``workers.fetch``: the Python SDK's HTTP classes.

On Python Workers these are Python classes around the JavaScript ``Request``
and ``Response`` (their ``js_object``), with Python names and Python types
(``workers-runtime-sdk`` 1.9.5, ``workers/request.py``, ``response.py``,
``fetch.py``): ``request.method`` is an :class:`http.HTTPMethod`,
``request.headers`` an ``http.client.HTTPMessage`` (case-insensitive, a missing
header reads as ``None``), ``Response(body, status=, status_text=, headers=,
web_socket=)`` — the Python keywords, not JavaScript's ``webSocket``. A fetched
response's WebSocket is ``resp.js_object.webSocket``.
"""

from __future__ import annotations

import difflib
import http.client
import json as _json
from collections.abc import Mapping
from http import HTTPMethod, HTTPStatus
from typing import Any

from ..core import isolate as _isolate
from ..core.errors import JsError
from ..ffi.bridge import JsException, JsProxy, js2py, unwrap
from ..http import Headers as JsHeaders
from ..http import Request as JsRequest
from ..http import Response as JsResponse

__all__ = ["AbortError", "FetchResponse", "HTTPMessageMapping", "Request", "Response", "fetch"]


class HTTPMessageMapping(http.client.HTTPMessage, Mapping):  # type: ignore[misc]
    """Headers as the SDK gives them: an ``http.client.HTTPMessage`` (``.get(name)``,
    case-insensitive; ``headers["Missing"]`` is ``None``)."""


def _headers_to_python(js_headers: JsHeaders) -> HTTPMessageMapping:
    result = HTTPMessageMapping()
    for name, value in js_headers.items():
        # What result[name] = value stores under HTTPMessage's policy (compat32), without its
        # per-name count check (no header has a maximum count under compat32).
        result.set_raw(name, value.strip())
    return result


def _headers_to_js(headers: Any) -> JsHeaders:
    if isinstance(headers, list):
        return JsHeaders(headers)
    if isinstance(headers, dict):
        return JsHeaders(headers.items())
    js = unwrap(headers)
    if isinstance(js, JsHeaders):
        return js
    raise TypeError("Received unexpected type for headers argument")


def _body_to_js(body: Any) -> Any:
    if body is None or isinstance(body, (str, bytes)):
        return body
    js = unwrap(body)
    if js is not body:
        return js
    raise TypeError(f"Unsupported type in Response: {type(body).__name__}")


class Request:
    """The request a Worker's ``fetch(self, request)`` gets (``workers.Request``)."""

    def __init__(self, input: Any, **options: Any) -> None:
        js = unwrap(input)
        if isinstance(js, JsRequest):
            if options:
                raise ValueError("Expected no options when constructing Request from a js.Request")
            self._js_request = js
            return
        if isinstance(input, Request):
            js = input._js_request
        method = options.pop("method", None)
        init: dict[str, Any] = {}
        if method is not None:
            init["method"] = method.value if isinstance(method, HTTPMethod) else method
        if "headers" in options:
            init["headers"] = _headers_to_js(options.pop("headers"))
        if options.get("body") is not None:
            init["body"] = _body_to_js(options.pop("body"))
        options.pop("body", None)
        init.update(options)
        self._js_request = JsRequest(js, init)

    @property
    def js_object(self) -> JsProxy:
        return js2py(self._js_request)

    @property
    def url(self) -> str:
        return self._js_request.url

    @property
    def method(self) -> HTTPMethod:
        return HTTPMethod[self._js_request.method]

    @property
    def headers(self) -> HTTPMessageMapping:
        return _headers_to_python(self._js_request.headers)

    @property
    def body(self) -> Any:
        return js2py(self._js_request.body)

    @property
    def body_used(self) -> bool:
        return self._js_request.bodyUsed

    @property
    def cf(self) -> Any:
        return js2py(self._js_request.cf)

    @property
    def redirect(self) -> str:
        return self._js_request.redirect

    def _raise_if_used(self) -> None:
        if self.body_used:
            raise OSError("Body already used")

    async def text(self) -> str:
        self._raise_if_used()
        return await self._js_request.text()

    async def json(self, **kwargs: Any) -> Any:
        return _json.loads(await self.text(), **kwargs)

    async def bytes(self) -> bytes:
        self._raise_if_used()
        return bytes(await self._js_request.arrayBuffer())

    async def buffer(self) -> JsProxy:
        self._raise_if_used()
        return js2py(await self._js_request.arrayBuffer())

    def clone(self) -> Request:
        self._raise_if_used()
        return Request(js2py(self._js_request.clone()))

    def __repr__(self) -> str:
        return f"Request(method={self._js_request.method!r}, url={self._js_request.url!r})"


class FetchResponse:
    """A response as Python reads it (``workers.FetchResponse``): what ``fetch()`` returns."""

    def __init__(self, js_response: Any) -> None:
        self.js_response = unwrap(js_response)

    @property
    def js_object(self) -> JsProxy:
        """The JavaScript Response (``resp.js_object.webSocket`` is a fetched WebSocket)."""
        return js2py(self.js_response)

    @property
    def status(self) -> int:
        return self.js_response.status

    @property
    def status_text(self) -> str:
        return self.js_response.statusText

    @property
    def ok(self) -> bool:
        return self.js_response.ok

    @property
    def url(self) -> str:
        return self.js_response.url

    @property
    def type(self) -> str:
        return self.js_response.type

    @property
    def redirected(self) -> bool:
        return self.js_response.redirected

    @property
    def headers(self) -> HTTPMessageMapping:
        return _headers_to_python(self.js_response.headers)

    @property
    def body(self) -> Any:
        return js2py(self.js_response.body)

    @property
    def body_used(self) -> bool:
        return self.js_response.bodyUsed

    def _raise_if_used(self) -> None:
        if self.body_used:
            raise OSError("Body already used")

    async def text(self) -> str:
        self._raise_if_used()
        return await self.js_response.text()

    async def bytes(self) -> bytes:
        self._raise_if_used()
        return bytes(await self.js_response.arrayBuffer())

    async def buffer(self) -> JsProxy:
        self._raise_if_used()
        return js2py(await self.js_response.arrayBuffer())

    def clone(self) -> FetchResponse:
        self._raise_if_used()
        return type(self)(self.js_response.clone())

    @staticmethod
    def redirect(url: str, status: HTTPStatus | int = HTTPStatus.FOUND) -> Response:
        code = status.value if isinstance(status, HTTPStatus) else status
        return Response(JsProxy(JsResponse.redirect(url, code)))

    @staticmethod
    def from_json(data: Any, status: HTTPStatus | int = HTTPStatus.OK, status_text: str = "",
                  headers: Any = None) -> Response:
        """A JSON response: ``Response.from_json({"ok": True})`` (also ``Response.json(...)``)."""
        js_headers = _headers_to_js(headers) if headers else JsHeaders()
        if not js_headers.has("content-type"):
            js_headers.set("content-type", "application/json")
        code = status.value if isinstance(status, HTTPStatus) else status
        init = {"status": code, "headers": js_headers}
        if status_text:
            init["statusText"] = status_text
        return Response(JsProxy(JsResponse(_json.dumps(data), init)))

    def json(self, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self, FetchResponse):
            return self._read_json()
        return Response.from_json(self, *args, **kwargs)  # Response.json(data): the class as a factory

    async def _read_json(self) -> Any:
        return _json.loads(await self.text())

    def __repr__(self) -> str:
        return f"FetchResponse(status={self.status})"


_RESPONSE_KEYWORDS = ("body", "status", "status_text", "headers", "web_socket")


class Response(FetchResponse):
    """``Response(body=None, status=None, status_text="", headers=None, web_socket=None)``.

    ``Response(None, status=101, web_socket=client)`` upgrades to a WebSocket.
    The JavaScript spellings (``webSocket=``, ``statusText=``) are refused, as
    on Workers, with a hint.
    """

    def __init__(self, body: Any = None, status: HTTPStatus | int | None = None, status_text: str = "",
                 headers: Any = None, web_socket: Any = None, **unexpected: Any) -> None:
        if unexpected:
            name = next(iter(unexpected))
            close = difflib.get_close_matches(name, _RESPONSE_KEYWORDS, n=1) or [
                k for k in _RESPONSE_KEYWORDS if k.replace("_", "") == name.lower()
            ]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"Response.__init__() got an unexpected keyword argument {name!r}.{hint}")
        js_body = unwrap(body)
        if isinstance(js_body, JsResponse):
            if status is not None or status_text or headers is not None:
                raise ValueError("Expected no options when constructing Response from a js.Response")
            super().__init__(js_body)
            return
        if not (body is None or isinstance(body, (str, bytes)) or js_body is not body):
            raise TypeError(f"Unsupported type in Response: {type(body).__name__}")
        init: dict[str, Any] = {}
        if status:
            init["status"] = status.value if isinstance(status, HTTPStatus) else status
        if status_text:
            init["statusText"] = status_text
        if headers:
            init["headers"] = _headers_to_js(headers)
        if web_socket:
            init["webSocket"] = unwrap(web_socket)
        try:
            js_response = JsResponse(js_body, init)
        except JsError as exc:
            raise JsException(exc) from None
        super().__init__(js_response)

    def __repr__(self) -> str:
        parts = [f"status={self.status}"]
        if self.status_text:
            parts.append(f"status_text={self.status_text!r}")
        content_type = self.js_response.headers.get("content-type")
        if content_type:
            parts.append(f"content_type={content_type!r}")
        return f"Response({', '.join(parts)})"


class AbortError(OSError):
    """A ``fetch()`` that failed (``pyodide.http.AbortError``): its message is the JavaScript error's."""

    def __init__(self, reason: Any) -> None:
        super().__init__(getattr(reason, "message", str(reason)))


async def fetch(resource: Any, **options: Any) -> Response:
    """``await fetch(url or Request, method=, headers=, body=, redirect=)``; ``Upgrade: websocket``
    gives a 101 whose socket is ``resp.js_object.webSocket``."""
    fetcher = options.pop("fetcher", None)
    if isinstance(resource, Request):
        resource = resource._js_request
    method = options.get("method")
    if isinstance(method, HTTPMethod):
        options["method"] = method.value
    if "headers" in options and options["headers"] is not None:
        options["headers"] = _headers_to_js(options["headers"])
    try:
        if fetcher is not None:
            return Response(await fetcher(resource, **options))
        return Response(JsProxy(await _isolate.current().network.fetch(unwrap(resource), options)))
    except JsException as exc:  # as pyodide.http.pyfetch does
        raise AbortError(exc) from None
    except JsError as exc:  # the runtime's fetch() rejected: on Workers that crosses as a JsException
        raise AbortError(JsException(exc)) from None
