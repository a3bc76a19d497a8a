"""permessage-deflate whose zlib streams are freed when the connection ends.

``websockets``' :class:`~websockets.extensions.permessage_deflate.PerMessageDeflate`
keeps one zlib compressor and one decompressor per connection (with wsguide's
settings about 150 KiB and 40 KiB of C memory). They live as long as the
protocol object that holds them, and a finished ``websockets`` protocol is in a
reference cycle by design (its parser is a generator that refers back to it,
and ``parser_exc``'s traceback holds the parser's frame). CPython frees such a
cycle only in a full collection, which a server with many long-lived objects runs
rarely: in the chat soak, hundreds of finished connections' zlib streams waited
for it at a time and the heap grew with them (benchmarks/RESULTS.md, "Soak").

So the leg's extension is a thin :class:`~websockets.extensions.Extension` (the
documented base class for extensions) around ``websockets``' own
``PerMessageDeflate``, negotiated by ``websockets``' own factories. When the
connection is over, the leg calls :meth:`ReleasableDeflate.release`: the wrapper
drops the ``PerMessageDeflate``, which is in no cycle, so reference counting frees
its zlib streams at once. Nothing of ``websockets`` is changed or replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from websockets.extensions import ClientExtensionFactory, Extension, ServerExtensionFactory
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import CTRL_OPCODES, Frame
from websockets.typing import ExtensionParameter

__all__ = ["ClientDeflateFactory", "ReleasableDeflate", "ServerDeflateFactory", "release_extensions"]


class ReleasableDeflate(Extension):
    """``websockets``' permessage-deflate for one connection, until :meth:`release`."""

    def __init__(self, deflate: Extension) -> None:
        self.name = deflate.name
        #: websockets' PerMessageDeflate; None once released.
        self.deflate: Extension | None = deflate

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        return self._active(frame).decode(frame, max_size=max_size)

    def encode(self, frame: Frame) -> Frame:
        return self._active(frame).encode(frame)

    def _active(self, frame: Frame) -> Extension:
        deflate = self.deflate
        if deflate is None:
            if frame.opcode in CTRL_OPCODES:
                return _PASS  # a control frame is never compressed
            raise RuntimeError("permessage-deflate was released: this connection has ended")
        return deflate

    def release(self) -> None:
        """The connection is over: let its zlib streams go."""
        self.deflate = None

    def __repr__(self) -> str:
        return f"ReleasableDeflate({self.deflate!r})"


class _Passthrough(Extension):
    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        return frame

    def encode(self, frame: Frame) -> Frame:
        return frame


_PASS = _Passthrough()


class ServerDeflateFactory(ServerExtensionFactory):
    """``ServerPerMessageDeflateFactory(**options)``, whose extension can be released."""

    def __init__(self, **options: Any) -> None:
        self._factory = ServerPerMessageDeflateFactory(**options)
        self.name = self._factory.name

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], Extension]:
        response, deflate = self._factory.process_request_params(params, accepted_extensions)
        return response, ReleasableDeflate(deflate)


class ClientDeflateFactory(ClientExtensionFactory):
    """``ClientPerMessageDeflateFactory(**options)``, whose extension can be released."""

    def __init__(self, **options: Any) -> None:
        self._factory = ClientPerMessageDeflateFactory(**options)
        self.name = self._factory.name

    def get_request_params(self) -> Sequence[ExtensionParameter]:
        return self._factory.get_request_params()

    def process_response_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> Extension:
        return ReleasableDeflate(self._factory.process_response_params(params, accepted_extensions))


def release_extensions(extensions: Sequence[Extension]) -> None:
    """Release what can be released among a finished connection's extensions."""
    for extension in extensions:
        if isinstance(extension, ReleasableDeflate):
            extension.release()
