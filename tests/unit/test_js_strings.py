"""``str()`` of a JsProxy is the JavaScript object's own ``toString()``, as in Pyodide.

Pyodide's ``JsProxy_Repr`` (``src/core/jsproxy.c``) calls ``obj.toString()``; JavaScript's
default gives ``[object Name]``, and a runtime class that declares ``toString`` gives its own text.
"""

from __future__ import annotations

from wsguide.durable.namespace import DurableObjectId
from wsguide.ffi.bridge import js2py
from wsguide.http import Headers

HEX = "ab" * 32


def test_str_of_an_object_without_to_string_is_object_and_its_class():
    assert str(js2py(Headers())) == "[object Headers]"


def test_str_of_a_durable_object_id_is_its_hex_digits():
    assert str(js2py(DurableObjectId(HEX, "lobby"))) == HEX


def test_repr_of_a_durable_object_id_is_the_same_text():
    assert repr(js2py(DurableObjectId(HEX))) == HEX


def test_an_f_string_of_a_durable_object_id_is_its_hex_digits():
    assert f"{js2py(DurableObjectId(HEX))}" == HEX
