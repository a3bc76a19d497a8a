"""Spec §8: compatibility date + flags → WebSocket behaviour switches."""

from __future__ import annotations

import datetime

import pytest

from wsguide.core.compat import Compat, DEFAULT_COMPATIBILITY_DATE
from wsguide.core.errors import InvalidAccessError
from wsguide.core.pair import WebSocketPair
import contextvars

from wsguide.core import isolate as isolate_module
from wsguide.core.errors import DOMSyntaxError

from ._helpers import Recorder, accepted, compat_ctx, drain

# (enable flag, disable flag, first day on by default) — spec §8.
DATED_FLAGS = [
    ("web_socket_compression", "no_web_socket_compression", "2023-08-15"),
    ("web_socket_auto_reply_to_close", "web_socket_manual_reply_to_close", "2026-04-07"),
    ("websocket_close_reason_byte_limit", "no_websocket_close_reason_byte_limit", "2026-03-03"),
    ("websocket_standard_binary_type", "no_websocket_standard_binary_type", "2026-03-17"),
    ("fetch_refuses_unknown_protocols", "fetch_treats_unknown_protocols_as_http", "2021-11-10"),
]
OPT_IN_FLAGS = [("pedantic_wpt", "non_pedantic_wpt"), ("increase_websocket_message_size", None)]
IDS = [f[0] for f in DATED_FLAGS]


def day_before(date: str) -> str:
    return (datetime.date.fromisoformat(date) - datetime.timedelta(days=1)).isoformat()


# ------------------------------------------------------------------ date boundaries
@pytest.mark.parametrize("flag, disable, date", DATED_FLAGS, ids=IDS)
def test_flag_is_off_the_day_before_its_date(flag, disable, date):
    assert Compat(day_before(date)).enabled(flag) is False


@pytest.mark.parametrize("flag, disable, date", DATED_FLAGS, ids=IDS)
def test_flag_is_on_from_its_date(flag, disable, date):
    assert Compat(date).enabled(flag) is True


@pytest.mark.parametrize("flag, disable, date", DATED_FLAGS, ids=IDS)
def test_disable_flag_turns_it_off_after_its_date(flag, disable, date):
    assert Compat("2026-11-01", [disable]).enabled(flag) is False


@pytest.mark.parametrize("flag, disable, date", DATED_FLAGS, ids=IDS)
def test_enable_flag_turns_it_on_before_its_date(flag, disable, date):
    assert Compat(day_before(date), [flag]).enabled(flag) is True


@pytest.mark.parametrize("flag, disable", OPT_IN_FLAGS, ids=[f[0] for f in OPT_IN_FLAGS])
def test_opt_in_flag_is_off_by_default_even_on_a_late_date(flag, disable):
    assert Compat("2099-12-31").enabled(flag) is False


@pytest.mark.parametrize("flag, disable", OPT_IN_FLAGS, ids=[f[0] for f in OPT_IN_FLAGS])
def test_opt_in_flag_turns_on_when_listed(flag, disable):
    assert Compat("2026-11-01", [flag]).enabled(flag) is True


def test_non_pedantic_wpt_keeps_pedantic_wpt_off():
    assert Compat("2026-11-01", ["non_pedantic_wpt"]).pedantic_wpt is False


def test_flag_reads_as_an_attribute():
    assert Compat("2023-08-15").web_socket_compression is True


# ----------------------------------------------------------------- derived switches
@pytest.mark.parametrize("flag", [f[0] for f in DATED_FLAGS + OPT_IN_FLAGS])
def test_every_switch_reads_as_an_attribute_the_same_as_enabled(flag):
    for compat in (Compat("2020-01-01"), Compat("2026-11-01"), Compat("2020-01-01", [flag])):
        assert getattr(compat, flag) is compat.enabled(flag)


def test_an_unknown_switch_is_an_attribute_error():
    with pytest.raises(AttributeError):
        Compat().web_socket_compresion  # noqa: B018 - the misspelling is the point


def test_max_message_size_is_32_mib_by_default():
    assert Compat("2026-11-01").max_message_size == 32 * 2**20


def test_max_message_size_is_128_mib_with_experimental_flag():
    assert Compat("2026-11-01", ["increase_websocket_message_size"]).max_message_size == 128 * 2**20


@pytest.mark.parametrize("date, expected", [("2026-03-16", "arraybuffer"), ("2026-03-17", "blob")])
def test_default_binary_type_switch(date, expected):
    assert Compat(date).default_binary_type == expected


# ------------------------------------------------------------------- bad input
def test_unknown_flag_raises_valueerror():
    with pytest.raises(ValueError, match="Unknown compatibility flag 'web_socket_compresion'"):
        Compat("2026-11-01", ["web_socket_compresion"])


def test_unknown_flag_error_suggests_the_closest_known_flag():
    with pytest.raises(ValueError) as info:
        Compat("2026-11-01", ["web_socket_compresion"])
    assert "Did you mean 'web_socket_compression'?" in str(info.value)


def test_contradicting_flags_raise_valueerror():
    with pytest.raises(ValueError) as info:
        Compat("2026-11-01", ["web_socket_compression", "no_web_socket_compression"])
    assert "contradict" in str(info.value)


def test_flags_known_elsewhere_are_accepted():
    assert Compat("2026-11-01", ["nodejs_compat", "python_workers"]).web_socket_compression


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2026/11/01"])
def test_invalid_date_raises_valueerror(bad):
    with pytest.raises(ValueError, match="compatibility_date must look like YYYY-MM-DD"):
        Compat(bad)


def test_date_object_is_accepted():
    assert Compat(datetime.date(2026, 4, 7)).date == "2026-04-07"


def test_enabled_with_unknown_flag_raises_valueerror():
    with pytest.raises(ValueError):
        Compat().enabled("no_such_flag")


def test_default_date_is_a_fixed_release_date_not_before_2026_11_01():
    assert Compat().date == DEFAULT_COMPATIBILITY_DATE >= "2026-11-01"


def test_compat_equality_by_date_and_flags():
    assert Compat("2026-11-01", ["pedantic_wpt"]) == Compat("2026-11-01", ["pedantic_wpt"])


# --------------------------------------------------------- which Compat a pair uses
def test_code_outside_any_worker_runs_with_the_release_default():
    outside = contextvars.Context().run(isolate_module.current)
    assert outside.compat == Compat(DEFAULT_COMPATIBILITY_DATE)


def test_pair_follows_the_running_workers_compat():
    with compat_ctx("2026-03-16"):
        a, b = WebSocketPair()
    assert (a.isolate.compat.date, b.binaryType) == ("2026-03-16", "arraybuffer")


def test_current_isolate_is_the_one_entered():
    with compat_ctx("2025-05-05") as c:
        assert isolate_module.current().compat is c


# ------------------------------------------------------------------ pedantic_wpt
@pytest.mark.parametrize("code", [1000, 3000, 4000, 4999])
def test_pedantic_wpt_allows_1000_and_3000_to_4999(end, code):
    this, peer = accepted(end, "2026-11-01", ["pedantic_wpt"])
    rec = Recorder(peer)
    this.close(code)
    drain()
    assert rec.closes == [(code, "", True)]


@pytest.mark.parametrize("code", [1001, 1003, 1011, 2999, 5000])
def test_pedantic_wpt_rejects_other_codes(end, code):
    this, _ = accepted(end, "2026-11-01", ["pedantic_wpt"])
    with pytest.raises(InvalidAccessError) as info:
        this.close(code)
    assert str(info.value) == f"Invalid WebSocket close code: {code}."


def test_without_pedantic_wpt_1001_is_allowed(end):
    this, _ = accepted(end, "2026-11-01")
    this.close(1001)
    assert this.readyState == 2


# ----------------------------------------------------------- reason byte limit flag
def test_reason_limit_flag_off_allows_124_bytes(end):
    this, peer = accepted(end, "2026-11-01", ["no_websocket_close_reason_byte_limit"])
    rec = Recorder(peer)
    reason = "é" * 62  # 124 bytes
    this.close(1000, reason)
    drain()
    assert rec.closes == [(1000, reason, True)]


def test_reason_limit_is_off_before_2026_03_03(end):
    this, _ = accepted(end, "2026-03-02")
    this.close(1000, "x" * 124)
    assert this.readyState == 2


def test_reason_limit_is_on_from_2026_03_03(end):
    this, _ = accepted(end, "2026-03-03")
    with pytest.raises(DOMSyntaxError) as info:
        this.close(1000, "x" * 124)
    assert str(info.value) == (
        "WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded."
    )


def test_reason_limit_enable_flag_on_an_old_date(end):
    this, _ = accepted(end, "2025-01-01", ["websocket_close_reason_byte_limit"])
    with pytest.raises(DOMSyntaxError):
        this.close(1000, "x" * 124)
