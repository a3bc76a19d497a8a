"""Host names: is this one the machine itself, is it an IP address.

>>> is_loopback("localhost"), is_loopback("[::1]"), is_loopback("example.com")
(True, True, False)
>>> is_ip("192.168.1.5"), is_ip("[::1]"), is_ip("class.example")
(True, True, False)
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_ip", "is_loopback"]


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_ip(host: str) -> bool:
    """Whether ``host`` is an IP address (brackets allowed for IPv6), not a name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
