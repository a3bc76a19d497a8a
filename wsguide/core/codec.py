"""Values copied the way structured clone copies them: attachments, storage, RPC.

On Workers a WebSocket attachment, a value put in Durable Object storage and an
RPC argument are copied with V8's structured clone. Here the copy is a small,
safe encoding of JavaScript values (objects, Arrays, Maps, Sets, ArrayBuffers,
dates, ``null``): JSON with tags — never pickle, so reading a stored value can
never run code. Anything else (a Python object that crossed as a PyProxy)
raises ``DataCloneError``, as V8 does.

>>> decode_value(encode_value({"name": "Ada", "seen": (1, 2)}))
{'name': 'Ada', 'seen': (1, 2)}
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
from typing import Any

from .errors import DataCloneError
from .jsapi import JS_NULL, JsMap, Uint8Array

MSG_NOT_CLONEABLE = "[object Object] could not be cloned."

__all__ = ["decode_value", "encode_value"]

def _enc(v: Any, depth: int) -> Any:
    if depth > 200:
        raise DataCloneError("The value is nested too deeply (or contains a cycle) and could not be cloned.")
    if v is None or isinstance(v, (bool, str, int)):
        return v  # None is undefined
    if v is JS_NULL:
        return {"$null": 1}
    if isinstance(v, float):
        return v if math.isfinite(v) else {"$f": repr(v)}
    if isinstance(v, Uint8Array):
        return {"$u8": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$b": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, list):
        return [_enc(x, depth + 1) for x in v]
    if isinstance(v, tuple):
        return {"$t": [_enc(x, depth + 1) for x in v]}
    if isinstance(v, (set, frozenset)):
        return {"$s": [_enc(x, depth + 1) for x in v]}
    if isinstance(v, JsMap):
        return {"$map": [[_enc(k, depth + 1), _enc(x, depth + 1)] for k, x in v.items()]}
    if isinstance(v, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in v):
            return {k: _enc(x, depth + 1) for k, x in v.items()}
        return {"$m": [[_enc(k, depth + 1), _enc(x, depth + 1)] for k, x in v.items()]}
    if isinstance(v, _dt.datetime):
        return {"$date": v.isoformat()}
    # Not a JavaScript value structured clone can copy: a Python object that crossed as a
    # PyProxy, or a runtime object (V8's text for both, golden attachment_python_dict).
    raise DataCloneError(MSG_NOT_CLONEABLE)


_TAGGED = {
    "$b": lambda x: base64.b64decode(x),
    "$u8": lambda x: Uint8Array(base64.b64decode(x)),
    "$null": lambda x: JS_NULL,
    "$t": lambda x: tuple(_dec(i) for i in x),
    "$s": lambda x: {_dec(i) for i in x},
    "$f": float,
    "$m": lambda x: {_hashable(_dec(k)): _dec(i) for k, i in x},
    "$map": lambda x: JsMap((_hashable(_dec(k)), _dec(i)) for k, i in x),
    "$date": lambda x: _dt.datetime.fromisoformat(x),
}


def _dec(v: Any) -> Any:
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (tag, x), = v.items()
            decode = _TAGGED.get(tag)
            if decode is not None:
                return decode(x)
        return {k: _dec(x) for k, x in v.items()}
    return v


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def encode_value(value: Any) -> bytes:
    """Serialize ``value`` to bytes (a copy: later changes to ``value`` do not matter)."""
    try:
        data = _enc(value, 0)
    except RecursionError:
        raise DataCloneError("The value contains a cycle and could not be cloned.") from None
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def decode_value(data: bytes) -> Any:
    """The value :func:`encode_value` serialized (a fresh copy each time)."""
    if b'"$' not in data:  # no tagged value inside: plain JSON (the common case, and fast)
        return json.loads(data)
    return _dec(json.loads(data))
