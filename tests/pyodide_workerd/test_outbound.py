"""The host gives Workers text vars and one outbound route: its echo service (host/echo.mjs).

A Worker reads a var as the string it was given; whatever it fetches or opens as a WebSocket
reaches the echo service, which answers a plain GET with one line and echoes text and binary
messages. The two URL schemes are not interchangeable in the real runtime (why extract.py gives
a ``ws`` URL to names used with ``WebSocket.new`` and an ``http`` URL to the others).
"""

from __future__ import annotations

import httpx
import pytest

from .outbound import OUTBOUND_SPEC

pytestmark = pytest.mark.pyodide


def ask(host, path: str) -> str:
    """What the probe Worker answers at ``path`` (it must answer 200)."""
    host.load(OUTBOUND_SPEC.name)
    with httpx.Client(timeout=30, trust_env=False) as client:
        response = client.get(host.base_url(OUTBOUND_SPEC.name) + path)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    return response.text


def test_a_worker_reads_its_vars_as_the_strings_given(pyodide_host):
    assert ask(pyodide_host, "/vars") == "['http://echo.invalid/HTTP_URL', 'ws://echo.invalid/WS_URL']"


def test_a_plain_fetch_reaches_the_echo_service(pyodide_host):
    assert ask(pyodide_host, "/get") == "[200, 'echo service: GET /HTTP_URL\\n']"


def test_a_websocket_opened_with_new_echoes_text_and_binary(pyodide_host):
    assert ask(pyodide_host, "/websocket") == "['hello', '010203']"


def test_a_websocket_fetched_with_upgrade_echoes_text_and_binary(pyodide_host):
    assert ask(pyodide_host, "/fetched") == "[101, 'hello', '010203']"


def test_websocket_new_refuses_an_http_url(pyodide_host):
    assert ask(pyodide_host, "/ws-http") == "JsException: SyntaxError: WebSocket Constructor: The url scheme must be ws or wss."


def test_fetch_refuses_a_ws_url(pyodide_host):
    assert ask(pyodide_host, "/fetch-ws") == "AbortError: Fetch API cannot load: ws://echo.invalid/WS_URL"
