"""The runtime's errors as Python exceptions: names, messages and close codes."""

from __future__ import annotations

import pytest

from wsguide.core.errors import (
    CloseCode,
    DataCloneError,
    DOMSyntaxError,
    InvalidAccessError,
    JsError,
    JsRangeError,
    JsTypeError,
    ProtocolError,
    js_error_string,
)
from wsguide.core.messages import Failure

TOO_BIG = "Message is too large: 34603008 > 33554432"


@pytest.mark.parametrize(
    ("error", "name"),
    [
        (JsError, "Error"),
        (JsTypeError, "TypeError"),
        (JsRangeError, "RangeError"),
        (InvalidAccessError, "InvalidAccessError"),
        (DOMSyntaxError, "SyntaxError"),
        (DataCloneError, "DataCloneError"),
    ],
)
def test_each_error_has_its_javascript_name_and_message(error, name):
    exc = error("the text")
    assert (exc.name, exc.message, js_error_string(exc)) == (name, "the text", f"{name}: the text")


def test_type_and_range_errors_are_also_the_python_ones():
    assert issubclass(JsTypeError, TypeError) and issubclass(JsRangeError, ValueError)


def test_dom_syntax_error_is_not_the_builtin_syntax_error():
    assert not issubclass(DOMSyntaxError, SyntaxError)


def test_protocol_error_carries_its_close_code():
    exc = ProtocolError(1009, TOO_BIG)
    assert exc.code is CloseCode.MESSAGE_TOO_BIG and exc.description == TOO_BIG


def test_protocol_error_reads_as_workerds_error_event():
    # golden too-big-message: ErrorEvent.message and String(ErrorEvent.error)
    failure = Failure(ProtocolError(1009, TOO_BIG))
    expected = f"WebSocket protocol error; protocolError.statusCode = 1009; protocolError.description = {TOO_BIG}"
    assert failure.message == "Uncaught Error: " + expected
    assert js_error_string(failure.error) == "Error: " + expected


def test_a_code_outside_the_enum_is_kept_as_a_number():
    assert ProtocolError(4000, "x").code == 4000


def test_js_error_string_of_a_python_type_error():
    assert js_error_string(TypeError("x")) == "TypeError: x"


def test_close_codes_that_are_never_sent():
    assert (CloseCode.NO_STATUS_RECEIVED, CloseCode.ABNORMAL_CLOSURE) == (1005, 1006)
