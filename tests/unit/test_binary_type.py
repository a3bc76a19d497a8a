"""Spec §1.4 and §3.2: ``binaryType`` — default by compat date, invalid values, dispatch time."""

from __future__ import annotations

import pytest

from wsguide.core.values import Blob

from ._helpers import Recorder, accepted, drain, ends


@pytest.mark.parametrize(
    "date, expected",
    [("2026-03-16", "arraybuffer"), ("2026-03-17", "blob"), ("2023-01-01", "arraybuffer")],
)
def test_default_binary_type_follows_compat_date(end, date, expected):
    this, _ = ends(end, date)
    assert this.binaryType == expected


def test_default_binary_type_is_blob_on_the_release_default_date(end):
    this, _ = ends(end)
    assert this.binaryType == "blob"


def test_disable_flag_makes_default_arraybuffer(end):
    this, _ = ends(end, "2026-11-01", ["no_websocket_standard_binary_type"])
    assert this.binaryType == "arraybuffer"


def test_enable_flag_makes_default_blob_on_an_old_date(end):
    this, _ = ends(end, "2024-01-01", ["websocket_standard_binary_type"])
    assert this.binaryType == "blob"


@pytest.mark.parametrize("value", ["arraybuffer", "blob"])
def test_binary_type_accepts_both_valid_values(end, value):
    this, _ = ends(end, "2026-03-16")
    this.binaryType = "blob" if value == "arraybuffer" else "arraybuffer"
    this.binaryType = value
    assert this.binaryType == value


@pytest.mark.parametrize("value", ["BLOB", "ArrayBuffer", "", "text", "bytes", None])
def test_invalid_binary_type_is_silently_ignored(end, value):
    this, _ = ends(end, "2026-11-01")
    this.binaryType = value
    assert this.binaryType == "blob"


def test_binary_message_arrives_as_blob_under_blob(end):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(peer)
    this.send(b"\x01\x02")
    drain()
    assert rec.messages == [Blob(b"\x01\x02")]
    assert isinstance(rec.messages[0], Blob)


def test_binary_message_arrives_as_bytes_under_arraybuffer(end):
    this, peer = accepted(end, "2026-03-16")
    rec = Recorder(peer)
    this.send(b"\x01\x02")
    drain()
    assert rec.messages == [b"\x01\x02"]
    assert type(rec.messages[0]) is bytes


def test_text_message_is_str_under_blob(end):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(peer)
    this.send("text")
    drain()
    assert rec.messages == ["text"]


def test_binary_type_is_consulted_at_dispatch_not_at_send(end):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(peer)
    this.send(b"x")
    peer.binaryType = "arraybuffer"  # after send(), before delivery
    drain()
    assert rec.messages == [b"x"]


def test_switching_binary_type_mid_stream_affects_only_later_messages(end):
    this, peer = accepted(end, "2026-11-01")
    got = []

    def on_message(event):
        got.append(event.data)
        peer.binaryType = "arraybuffer"

    peer.addEventListener("message", on_message)
    this.send(b"first")
    this.send(b"second")
    drain()
    assert got == [Blob(b"first"), b"second"]


def test_binary_type_of_sender_does_not_matter(end):
    this, peer = accepted(end, "2026-11-01")
    this.binaryType = "arraybuffer"
    rec = Recorder(peer)
    this.send(b"x")
    drain()
    assert isinstance(rec.messages[0], Blob)


def test_blob_size_is_its_length_in_bytes():
    assert Blob(b"abc").size == 3


async def test_blob_bytes_returns_the_data():
    assert await Blob(b"\x00\xff").bytes() == b"\x00\xff"


async def test_blob_array_buffer_returns_the_data():
    assert await Blob(b"\x00\xff").arrayBuffer() == b"\x00\xff"


async def test_blob_text_decodes_utf8():
    assert await Blob("héllo".encode()).text() == "héllo"


def test_blob_as_string_is_object_blob():
    assert str(Blob(b"abc")) == "[object Blob]"


def test_send_blob_sends_the_text_object_blob(end, worker_log):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(peer)
    this.send(Blob(b"payload"))
    drain()
    assert rec.messages == ["[object Blob]"]


def test_send_blob_warns_in_the_worker_log(end, worker_log):
    this, _ = accepted(end, "2026-11-01")
    this.send(Blob(b"payload"))
    warnings = worker_log.texts("warn")
    assert len(warnings) == 1 and "[object Blob]" in warnings[0]


def test_guide_echo_answers_binary_with_object_blob_on_current_date(end, worker_log):
    # The guide's echo `server.send(event.data)` with today's default binaryType "blob".
    client, server = accepted(end, "2026-11-01")
    server.addEventListener("message", lambda event: server.send(event.data))
    rec = Recorder(client)
    client.send(b"\x01\x02\x03")
    drain()
    assert rec.messages == ["[object Blob]"]


def test_guide_echo_answers_binary_with_bytes_under_arraybuffer(end):
    client, server = accepted(end, "2026-11-01")
    server.binaryType = "arraybuffer"
    client.binaryType = "arraybuffer"
    server.addEventListener("message", lambda event: server.send(event.data))
    rec = Recorder(client)
    client.send(b"\x01\x02\x03")
    drain()
    assert rec.messages == [b"\x01\x02\x03"]
