"""Which browser pages may open a WebSocket to the server: the ``Origin`` rule.

``wrangler dev`` accepts an upgrade from any page. wsguide refuses pages of
other origins by default (docs/deviations.md, row 21): otherwise any web page a
learner visits could open a socket to their local server and join their room
(Cross-Site WebSocket Hijacking). What passes:

* a request without ``Origin`` — not a browser page (``websockets``, ``curl``, a
  Worker's ``fetch()``);
* the server's own origins: ``http://HOST:PORT`` of the address it listens on,
  and its ``127.0.0.1`` / ``localhost`` / ``[::1]`` equivalents when it listens
  on loopback or on every interface;
* a page this server served under an IP address (a classroom on
  ``--host 0.0.0.0``): the ``Origin`` is ``http://`` + the request's ``Host``,
  and that host is an IP address, which only this server answers (a name could
  be re-pointed at 127.0.0.1 by another site);
* what ``allowed_origins`` (``--allowed-origin``) adds; ``"*"`` lets every page in.

>>> policy = OriginPolicy(["http://class.example:8787"])
>>> policy.own("127.0.0.1", 8787)
>>> policy.allows(None, "127.0.0.1:8787"), policy.allows("http://localhost:8787", "localhost:8787")
(True, True)
>>> policy.allows("http://evil.example", "127.0.0.1:8787"), policy.allows("http://class.example:8787", "x")
(False, True)
"""

from __future__ import annotations

from collections.abc import Iterable

from .hosts import is_ip

__all__ = ["OriginPolicy", "refusal_text"]

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class OriginPolicy:
    """The origins a server lets open WebSockets (see the module docstring)."""

    def __init__(self, allowed: Iterable[str] | None = None) -> None:
        extra = {o.rstrip("/") for o in (allowed or ())}
        self.any = "*" in extra
        self.extra = extra - {"*"}
        self.origins: set[str] = set(self.extra)

    def own(self, host: str, port: int) -> None:
        """Add the origins of the address the server listens on."""
        names: list[str]
        if host in ("", "0.0.0.0", "::") or host in ("127.0.0.1", "localhost", "::1"):
            names = list(_LOOPBACK_NAMES)
        else:
            names = [f"[{host}]" if ":" in host else host]
        self.origins = set(self.extra) | {f"http://{name}:{port}" for name in names}

    def allows(self, origin: str | None, host_header: str | None) -> bool:
        if origin is None or self.any or origin in self.origins:
            return True
        if host_header and origin == f"http://{host_header}":
            name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
            return is_ip(name)
        return False


def refusal_text(origin: str) -> str:
    """The 403 body for a refused page: what happened and what to do."""
    return (
        f"Origin {origin} is not allowed to connect to this server. Pages served by this server may "
        "open WebSockets to it; to let pages from elsewhere in, start it with --allowed-origin "
        f"{origin} (or serve(..., allowed_origins=[{origin!r}])).\n"
    )
