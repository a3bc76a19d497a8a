"""The Python half of the host: how a call from workerd reaches a Python Worker's method.

Written for the wsguide harness after workerd's ``src/pyodide/internal/introspection.py``
(``wrapper_func``, ``collect_entrypoint_classes``): RPC arguments are converted with the SDK's
``python_from_rpc`` and results with ``python_to_rpc``; ``fetch`` is called "relaxed" (extra
arguments dropped). It runs inside Pyodide, next to the real SDK.
"""

import json
from inspect import isawaitable, isclass
from types import FunctionType

from pyodide.code import relaxed_call
from workers import DurableObject, WorkerEntrypoint, python_from_rpc, python_to_rpc


async def wrapper_func(relaxed, inst, prop, *args):
    """Call ``inst.<prop>(*args)`` as workerd does for ``fetch`` and RPC methods."""
    method = getattr(inst, prop)
    py_args = [python_from_rpc(arg) for arg in args]
    result = relaxed_call(method, *py_args) if relaxed else method(*py_args)
    if isawaitable(result):
        return python_to_rpc(await result)
    return python_to_rpc(result)


def _own_attribute(cls, name):
    for base in cls.__mro__:
        if name in base.__dict__:
            return base.__dict__[name]
    return None


def _public_methods(cls):
    return sorted(
        name for name in dir(cls) if not name.startswith("_") and isinstance(_own_attribute(cls, name), FunctionType)
    )


def describe_module(module):
    """What workerd would export from this module: its entrypoint classes and their methods,
    plus the module-level ``DURABLE_OBJECTS`` table wsguide's Worker files use (as JSON text)."""
    keys = module.__all__ if hasattr(module, "__all__") else [k for k in dir(module) if not k.startswith("_")]
    values = [getattr(module, key) for key in keys]

    def classes(base):
        return [
            {"className": v.__name__, "methodNames": _public_methods(v)}
            for v in values
            if isclass(v) and issubclass(v, base) and v is not base
        ]

    table = getattr(module, "DURABLE_OBJECTS", None) or {}
    return json.dumps(
        {
            "workerEntrypoints": classes(WorkerEntrypoint),
            "durableObjects": classes(DurableObject),
            "DURABLE_OBJECTS": {name: getattr(cls, "__name__", repr(cls)) for name, cls in table.items()},
        }
    )
