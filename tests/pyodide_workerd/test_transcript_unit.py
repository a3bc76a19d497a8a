"""How workerd's log lines become transcript entries (samples copied from real workerd output)."""

from __future__ import annotations

from .transcript import clean_stack, normalise_log, normalise_text

WORKER = "/session/metadata/worker_demo.py"

BORROWED = (
    "Error: This borrowed proxy was automatically destroyed at the end of a function call. Try using "
    "create_proxy or create_once_callable.\nFor more information about the cause of this error, use "
    "`pyodide.setDebug(true)`\n    at _getAttrs (pyodide.asm.mjs:1:620994)\n    at Object.apply (pyodide.asm.mjs:1:637437)"
)

PYTHON_ERROR = (
    "PythonError: Traceback (most recent call last):\n"
    '  File "/wsguide_host/_wsguide_bridge.py", line 23, in wrapper_func\n'
    "    return python_to_rpc(await result)\n"
    "                         ^^^^^^^^^^^^\n"
    f'  File "{WORKER}", line 8, in fetch\n'
    '    self.ctx.acceptWebSocket(server, ["a", "b"])\n'
    "    ~~~~~~~~~~~~~~~~~~~~~~~~^^^^^^^^^^^^^^^^^^^^\n"
    "pyodide.ffi.JsException: TypeError: Failed to execute 'acceptWebSocket' on 'DurableObjectState': "
    "parameter 2 is not of type 'Array'.\n\n"
    "    at new_error (pyodide.asm.mjs:1:568655)\n"
    "    at wasm://wasm/0249d42a:wasm-function[275]:0x65562"
)


def entry(message, source="workerd/io/worker.c++:3042", level="info"):
    return {"timestamp": "1", "level": level, "source": source, "message": message}


def test_console_lines_keep_their_level():
    assert normalise_log([{"level": "warn", "message": "careful"}], [WORKER]) == [{"level": "warn", "text": "careful"}]


def test_an_uncaught_listener_error_is_kept_once_without_js_frames():
    log = normalise_log(
        [
            entry("uncaught exception; desc = " + BORROWED, "workerd/io/worker.c++:1273"),
            entry("uncaught exception; source = Uncaught; stack = " + BORROWED),
        ],
        [WORKER],
    )
    assert log == [
        {
            "level": "uncaught",
            "text": "Uncaught Error: This borrowed proxy was automatically destroyed at the end of a function call. "
            "Try using create_proxy or create_once_callable.\nFor more information about the cause of this "
            "error, use `pyodide.setDebug(true)`",
        }
    ]


def test_python_tracebacks_keep_only_the_workers_own_frames():
    assert clean_stack(PYTHON_ERROR, [WORKER]) == (
        "PythonError: Traceback (most recent call last):\n"
        '  File "worker.py", line 8, in fetch\n'
        '    self.ctx.acceptWebSocket(server, ["a", "b"])\n'
        "pyodide.ffi.JsException: TypeError: Failed to execute 'acceptWebSocket' on 'DurableObjectState': "
        "parameter 2 is not of type 'Array'."
    )


def test_errors_reported_again_by_the_io_layer_are_dropped():
    log = normalise_log(
        [
            entry("uncaught exception; source = Uncaught (in promise); stack = TypeError: Method nope does not exist"),
            entry(
                "uncaught exception; exception = workerd/jsg/value.h:1456: failed: jsg.TypeError: Method nope does not exist\nstack: /x@1",
                "workerd/io/io-context.c++:656",
            ),
        ],
        [WORKER],
    )
    assert log == [{"level": "uncaught", "text": "Uncaught (in promise) TypeError: Method nope does not exist"}]


def test_connection_diagnostics_are_dropped():
    log = normalise_log(
        [
            entry("exception = workerd/api/web-socket.c++:1284: disconnected: WebSocket peer disconnected", "workerd/jsg/util.c++:322"),
            entry(
                "uncaught exception; exception = kj/compat/http.c++:4425: disconnected: other end of WebSocketPipe was destroyed\nstack: /bin/workerd@6b04330",
                "workerd/io/io-context.c++:656",
            ),
        ],
        [WORKER],
    )
    assert log == []


def test_runtime_console_warnings_are_warnings():
    message = 'console warning; message = An event handler returned a value of type "object" that will be ignored.'
    assert normalise_log([entry(message, "workerd/io/worker.c++:1255")], [WORKER]) == [
        {"level": "warn", "text": 'An event handler returned a value of type "object" that will be ignored.'}
    ]


def test_other_runtime_reports_are_kept_without_source_locations():
    log = normalise_log([entry("exception = kj/async.c++:12: failed: something odd\nstack: /bin/workerd@1", "x.c++:1")], [WORKER])
    assert log == [{"level": "runtime", "text": "failed: something odd"}]


def test_text_loses_ports_addresses_ids_and_paths():
    text = (
        "http://127.0.0.1:40123/x <memory at 0x182d190> id " + "ab" * 32
        + f" in {WORKER} from '/lib/python3.14/site-packages/workers/__init__.py' ptr: 24533816"
    )
    assert normalise_text(text, [WORKER]) == (
        "http://127.0.0.1:PORT/x <memory at 0x<address>> id <id> in worker.py from '<path>' ptr: <n>"
    )
