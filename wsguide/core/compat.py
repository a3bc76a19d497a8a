"""Compatibility date and flags: which runtime behaviour a Worker gets.

On Workers every script declares a ``compatibility_date``; behaviour changes
ship behind flags that switch on by default from a given date, and can be
forced on or off with ``compatibility_flags``. The WebSocket-related ones
(dates from workerd's ``compatibility-date.capnp``):

=======================================  =============================================  ==========
enable flag                              disable flag                                   on from
=======================================  =============================================  ==========
``web_socket_compression``               ``no_web_socket_compression``                  2023-08-15
``websocket_close_reason_byte_limit``    ``no_websocket_close_reason_byte_limit``       2026-03-03
``websocket_standard_binary_type``       ``no_websocket_standard_binary_type``          2026-03-17
``web_socket_auto_reply_to_close``       ``web_socket_manual_reply_to_close``           2026-04-07
``fetch_refuses_unknown_protocols``      ``fetch_treats_unknown_protocols_as_http``     2021-11-10
``pedantic_wpt``                         ``non_pedantic_wpt``                           (opt-in)
``increase_websocket_message_size``      —                                              (opt-in)
=======================================  =============================================  ==========

>>> Compat("2023-01-01").web_socket_compression
False
>>> Compat("2026-11-01", ["no_web_socket_compression"]).web_socket_compression
False
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DEFAULT_COMPATIBILITY_DATE", "FLAGS", "Compat", "Flag"]

#: The compatibility date a fresh project gets, like ``wrangler init`` writes
#: today's date. Fixed per release so behaviour never changes under a learner.
DEFAULT_COMPATIBILITY_DATE = "2026-11-01"


@dataclass(frozen=True)
class Flag:
    """One behaviour switch: its enable flag, disable flag and default-on date."""

    name: str
    disable: str | None
    date: str | None  # None: never on by default (opt-in only)
    summary: str


FLAGS: tuple[Flag, ...] = (
    Flag(
        "web_socket_compression",
        "no_web_socket_compression",
        "2023-08-15",
        "negotiate permessage-deflate on inbound and outbound WebSockets",
    ),
    Flag(
        "websocket_close_reason_byte_limit",
        "no_websocket_close_reason_byte_limit",
        "2026-03-03",
        "close() rejects a reason longer than 123 UTF-8 bytes",
    ),
    Flag(
        "websocket_standard_binary_type",
        "no_websocket_standard_binary_type",
        "2026-03-17",
        'binary messages arrive as Blob (binaryType "blob") instead of bytes',
    ),
    Flag(
        "web_socket_auto_reply_to_close",
        "web_socket_manual_reply_to_close",
        "2026-04-07",
        "answer a received Close frame automatically; allowHalfOpen defaults to False",
    ),
    Flag(
        "fetch_refuses_unknown_protocols",
        "fetch_treats_unknown_protocols_as_http",
        "2021-11-10",
        "fetch('ws://…') raises instead of treating it as http://",
    ),
    Flag(
        "pedantic_wpt",
        "non_pedantic_wpt",
        None,
        "close() accepts only code 1000 or 3000–4999",
    ),
    Flag(
        "increase_websocket_message_size",
        None,
        None,
        "raise the receive limit from 32 MiB to 128 MiB (local development only)",
    ),
)

_BY_NAME = {f.name: f for f in FLAGS}
_BY_DISABLE = {f.disable: f for f in FLAGS if f.disable}
# Flags that exist on Workers but change nothing wsguide models; accepted so a
# learner's wrangler config can be copied over unchanged.
_KNOWN_ELSEWHERE = frozenset({"nodejs_compat", "nodejs_compat_v2", "python_workers"})


def _parse_date(value: str | _dt.date) -> str:
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(
            f"compatibility_date must look like YYYY-MM-DD (for example "
            f"{DEFAULT_COMPATIBILITY_DATE!r}), got {value!r}."
        ) from None


class Compat:
    """A compatibility date plus flags, resolved into feature switches.

    Read a switch as an attribute named after its enable flag
    (``compat.web_socket_compression``) or with :meth:`enabled`.
    """

    # Each switch is a slot of its own: a server reads a few of them for every connection,
    # and a slot is found by the usual lookup.
    __slots__ = ("date", "flags", "max_message_size", "default_binary_type", *(f.name for f in FLAGS))

    def __init__(
        self, date: str | _dt.date | None = None, flags: Iterable[str] = ()
    ) -> None:
        self.date = _parse_date(date or DEFAULT_COMPATIBILITY_DATE)
        self.flags = tuple(flags)
        on = {f.name: (f.date is not None and self.date >= f.date) for f in FLAGS}
        for name in self.flags:
            if name in _BY_NAME:
                on[name] = True
            elif name in _BY_DISABLE:
                on[_BY_DISABLE[name].name] = False
            elif name not in _KNOWN_ELSEWHERE:
                known = sorted([*_BY_NAME, *_BY_DISABLE])
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(
                    f"Unknown compatibility flag {name!r}.{hint} wsguide knows: "
                    + ", ".join(known)
                    + "."
                )
        for name in self.flags:
            flag = _BY_NAME.get(name)
            if flag and flag.disable in self.flags:
                raise ValueError(
                    f"Compatibility flags {name!r} and {flag.disable!r} contradict each "
                    "other: keep one of them."
                )
        for name, value in on.items():
            setattr(self, name, value)
        #: The receive limit in bytes: 32 MiB, or 128 MiB with the experimental flag.
        self.max_message_size = (128 if on["increase_websocket_message_size"] else 32) << 20
        #: What a new socket's binaryType is.
        self.default_binary_type = "blob" if on["websocket_standard_binary_type"] else "arraybuffer"

    def enabled(self, flag: str) -> bool:
        """Whether the behaviour named by enable flag ``flag`` is on."""
        if flag not in _BY_NAME:
            raise ValueError(f"Unknown compatibility flag {flag!r}.")
        return getattr(self, flag)

    def __getattr__(self, name: str) -> bool:
        # Reached only for a name that is not a switch (each switch is a slot); declared so
        # that type checkers know a switch reads as a bool.
        raise AttributeError(name)

    def describe(self) -> str:
        """A table of every switch, for notebooks and ``wsguide dev``."""
        lines = [f"compatibility_date = {self.date}"]
        if self.flags:
            lines.append("compatibility_flags = " + ", ".join(self.flags))
        for f in FLAGS:
            lines.append(f"  {'on ' if getattr(self, f.name) else 'off'}  {f.name}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Compat(date={self.date!r}, flags={list(self.flags)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Compat) and (self.date, self.flags) == (other.date, other.flags)

    def __hash__(self) -> int:
        return hash((self.date, self.flags))
