"""``Headers``: case-insensitive names, repeated values, the Fetch ``get`` rules."""

from __future__ import annotations

import pytest

from wsguide.http import Headers


def test_get_is_case_insensitive():
    assert Headers({"Upgrade": "websocket"}).get("upgrade") == "websocket"


def test_get_absent_header_is_none():
    assert Headers().get("Upgrade") is None



def test_value_case_is_kept():
    # The guide's exact check `!= "websocket"` fails for `Upgrade: WebSocket`.
    assert Headers({"Upgrade": "WebSocket"}).get("Upgrade") == "WebSocket"


def test_repeated_values_are_joined_with_comma_space():
    h = Headers([("Accept", "a"), ("accept", "b")])
    assert h.get("Accept") == "a, b"


def test_get_all_returns_each_value_in_order():
    h = Headers([("X", "1"), ("x", "2")])
    assert h.get_all("X") == h.get_all("x") == ["1", "2"]


def test_append_keeps_existing_values():
    h = Headers({"X": "1"})
    h.append("X", "2")
    assert h.get("X") == "1, 2"


def test_set_replaces_every_value():
    h = Headers([("X", "1"), ("x", "2")])
    h.set("X", "3")
    assert h.get_all("x") == ["3"]


def test_delete_removes_every_value_case_insensitively():
    h = Headers([("X", "1"), ("x", "2")])
    h.delete("X")
    assert not h.has("x")


def test_has_is_case_insensitive():
    assert Headers({"Sec-WebSocket-Protocol": "chat"}).has("sec-websocket-protocol")


def test_in_operator_is_case_insensitive():
    assert "UPGRADE" in Headers({"upgrade": "websocket"})





def test_items_are_lower_case_names_sorted():
    h = Headers([("B", "2"), ("a", "1"), ("A", "3")])
    assert h.items() == [("a", "1, 3"), ("b", "2")]


def test_iteration_yields_name_value_pairs_as_javascript_does():
    assert list(Headers({"X-B": "2", "X-A": "1"})) == [["x-a", "1"], ["x-b", "2"]]


def test_keys_and_values():
    h = Headers({"B": "2", "A": "1"})
    assert (h.keys(), h.values()) == (["a", "b"], ["1", "2"])


def test_len_counts_distinct_names():
    assert len(Headers([("X", "1"), ("x", "2"), ("Y", "3")])) == 2


def test_raw_items_keep_original_case_and_order():
    h = Headers([("X-Thing", "1"), ("x-thing", "2")])
    assert h.raw_items() == [("X-Thing", "1"), ("x-thing", "2")]


def test_values_are_stripped_of_surrounding_whitespace():
    assert Headers({"A": "  v \t"}).get("a") == "v"


def test_non_string_values_become_strings():
    assert Headers({"Content-Length": 5}).get("content-length") == "5"


def test_headers_copy_is_independent():
    h = Headers({"A": "1"})
    copy = Headers(h)
    copy.set("A", "2")
    assert h.get("A") == "1"


def test_equality_ignores_name_case():
    assert Headers({"A": "1"}) == Headers({"a": "1"})


def test_equality_with_a_mapping():
    assert Headers({"A": "1"}) == {"a": "1"}


@pytest.mark.parametrize("name", ["", "Bad Name", "a:b", "x\n"])
def test_invalid_header_name_raises_typeerror(name):
    with pytest.raises(TypeError):
        Headers({name: "v"})


@pytest.mark.parametrize("value", ["a\r\nb", "a\nb"])
def test_header_value_with_line_break_raises_typeerror(value):
    with pytest.raises(TypeError):
        Headers({"A": value})
