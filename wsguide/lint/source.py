"""Pass 2's view of a Worker module: its text, its bindings (pass 1, :mod:`.scopes`), and
what an expression probably is: a runtime (JavaScript) object, a Python dict, a plain
Python callable, the request given to ``fetch``, a Durable Object namespace...

Each question is answered from the source alone, conservatively: when the checker cannot
tell, the answer is "no", so a rule stays quiet rather than guess.
"""

from __future__ import annotations

import ast
from typing import Any

from .names import DO_SOCKET_HANDLERS, RUNTIME_ATTRIBUTES, RUNTIME_METHODS
from .scopes import Binder, Binding, Scope

__all__ = ["WorkerSource", "constant"]


def _js_module(module: str) -> bool:
    return module in ("js", "wsguide.js")


class WorkerSource:
    """One Worker module, parsed and bound, with the questions the rules ask about it."""

    def __init__(self, source: str, path: str) -> None:
        self.source = source
        self.path = path
        self.tree = ast.parse(source, filename=path)
        self.binder = Binder(self.tree)

    # -- the text ---------------------------------------------------------------------
    def text(self, node: ast.AST) -> str:
        """The node's source as written (unparsed when the source does not have it)."""
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def code(self, node: ast.AST) -> str:
        """The node's source on one line, in backticks."""
        return "`" + " ".join(self.text(node).split()) + "`"

    def replace(self, whole: ast.AST, part: ast.AST, new: str) -> str:
        """``whole``'s source with ``part``'s source replaced by ``new``, on one line."""
        text = self.text(whole)
        old = self.text(part)
        index = _offset(self.source, part) - _offset(self.source, whole)
        if text[index:index + len(old)] != old:  # should not happen; fall back to a plain replace
            return " ".join(text.replace(old, new, 1).split())
        return " ".join((text[:index] + new + text[index + len(old):]).split())

    # -- names --------------------------------------------------------------------------
    def scope(self, node: ast.AST) -> Scope:
        """The scope ``node`` sits in."""
        return self.binder.scope_of.get(id(node), self.binder.module)

    def lookup(self, name: str, node: ast.AST) -> Binding | None:
        """The binding a Name at ``node`` most likely refers to (the last one before it in its scope)."""
        start = self.scope(node)
        scope: Scope | None = start
        line = getattr(node, "lineno", 0)
        while scope is not None:
            if not scope.is_class or scope is start:
                bindings = scope.bindings.get(name)
                if bindings:
                    if scope is start:
                        before = [b for b in bindings if b.line <= line]
                        return (before or bindings)[-1]
                    return bindings[-1]
            scope = scope.parent
        return None

    def imported(self, node: ast.AST) -> tuple[str, str | None] | None:
        """(module, name) when ``node`` is a Name bound by an import."""
        if isinstance(node, ast.Name):
            binding = self.lookup(node.id, node)
            if binding is not None and binding.kind == "import":
                return binding.extra
        return None

    def module_path(self, node: ast.AST) -> str | None:
        """The dotted import path an expression names (``js.Response``, ``wsguide.js``...), if any."""
        if isinstance(node, ast.Name):
            origin = self.imported(node)
            if origin is None:
                return None
            module, name = origin
            return module if name is None else f"{module}.{name}"
        if isinstance(node, ast.Attribute):
            base = self.module_path(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def js_class(self, func: ast.expr) -> str | None:
        """The name of the JavaScript global that ``func`` is (from js / wsguide.js), if any."""
        path = self.module_path(func)
        if path is None or "." not in path:
            return None
        module, name = path.rsplit(".", 1)
        return name if _js_module(module) else None

    def is_jsnull(self, node: ast.expr) -> bool:
        """True for ``jsnull`` from pyodide.ffi / wsguide.ffi: one object, so ``is`` is right for it."""
        return self.module_path(node) in ("pyodide.ffi.jsnull", "wsguide.ffi.jsnull")

    def is_proxy_call(self, node: ast.expr) -> bool:
        """True for ``create_proxy(...)`` / ``create_once_callable(...)``."""
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        return name in ("create_proxy", "create_once_callable")

    def resolve(self, node: ast.expr, depth: int = 0) -> list[tuple[str, Any]]:
        """What a Name may hold, as (kind, value) pairs; other expressions are themselves."""
        if not isinstance(node, ast.Name) or depth > 8:
            return [("expr", node)]
        binding = self.lookup(node.id, node)
        if binding is None:
            return [("unknown", None)]
        if binding.kind == "assign" and binding.value is not None:
            return self.resolve(binding.value, depth + 1) if isinstance(binding.value, ast.Name) else [("expr", binding.value)]
        return [(binding.kind, binding)]

    # -- what an expression is ---------------------------------------------------------
    def plain_callable(self, node: ast.expr) -> str | None:
        """What kind of plain Python callable ``node`` is ("function", "lambda", ...), or None."""
        for kind, value in self.resolve(node):
            if kind == "def":
                return "function"
            if kind == "expr":
                if isinstance(value, ast.Lambda):
                    return "lambda"
                if self.is_proxy_call(value):
                    return None
                if isinstance(value, ast.Call):
                    func = value.func
                    fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                    return "functools.partial object" if fname == "partial" else None
                if isinstance(value, ast.Attribute) and value.attr in self.binder.methods:
                    if isinstance(value.value, ast.Name) and value.value.id == "self":
                        assigned = self.binder.self_attributes.get(value.attr, [])
                        if any(self.is_proxy_call(v) for v in assigned):
                            return None
                    return "bound method"
        return None

    def dict_value(self, node: ast.expr, depth: int = 0) -> bool:
        """True when ``node`` is (or may well be) a Python dict."""
        if depth > 8:
            return False
        if isinstance(node, (ast.Dict, ast.DictComp)):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "dict":
                return True
            return isinstance(func, ast.Attribute) and func.attr == "to_py"
        if isinstance(node, ast.BoolOp):
            return any(self.dict_value(v, depth + 1) for v in node.values)
        if isinstance(node, ast.IfExp):
            return self.dict_value(node.body, depth + 1) or self.dict_value(node.orelse, depth + 1)
        if isinstance(node, ast.Name):
            return any(kind == "expr" and self.dict_value(value, depth + 1) for kind, value in self.resolve(node))
        return False

    def runtime_value(self, node: ast.expr, depth: int = 0) -> bool:
        """True when ``node`` is a runtime (JavaScript) object: a socket, a pair end, a JS array..."""
        if depth > 8:
            return False
        if isinstance(node, ast.Await):
            return False
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                if func.attr in ("getWebSockets", "deserializeAttachment", "object_values", "new"):
                    return True
                if func.attr == "values" and self.js_class(func.value) == "Object":
                    return True
            if self.js_class(func) is not None:
                return True
            if isinstance(func, ast.Name) and func.id in ("reversed", "list", "tuple", "iter") and node.args:
                return self.runtime_value(node.args[0], depth + 1)
            return False
        if isinstance(node, ast.Subscript):
            return self.runtime_value(node.value, depth + 1)
        if isinstance(node, ast.Attribute):
            return node.attr in RUNTIME_ATTRIBUTES
        if isinstance(node, ast.Name):
            binding = self.lookup(node.id, node)
            if binding is None:
                return False
            if binding.kind in ("assign", "unpack", "for") and binding.value is not None:
                return self.runtime_value(binding.value, depth + 1)
            if binding.kind == "param":
                function, index = binding.extra
                return (not isinstance(function, ast.Lambda)) and function.name in DO_SOCKET_HANDLERS and index == 1
        return False

    def request_value(self, node: ast.expr) -> bool:
        """True when ``node`` is the request a ``fetch`` handler was given."""
        if not isinstance(node, ast.Name):
            return False
        binding = self.lookup(node.id, node)
        if binding is None or binding.kind != "param":
            return False
        function, index = binding.extra
        if isinstance(function, ast.Lambda):
            return False
        return (function.name == "fetch" and index == 1) or (function.name == "on_fetch" and index == 0)

    def namespace_value(self, node: ast.expr) -> bool:
        """True when ``node`` is a binding of ``env`` (a Durable Object namespace, ``self.env.ROOMS``)."""
        if isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id == "env":
                return True
            return isinstance(owner, ast.Attribute) and owner.attr == "env" and isinstance(owner.value, ast.Name)
        if isinstance(node, ast.Name):
            return any(kind == "expr" and self.namespace_value(value) for kind, value in self.resolve(node))
        return False

    def fetched_value(self, node: ast.expr) -> bool:
        """True when ``node`` holds the result of ``await fetch(...)``."""
        for kind, value in self.resolve(node):
            if kind == "expr" and isinstance(value, ast.Await) and isinstance(value.value, ast.Call):
                func = value.value.func
                if (isinstance(func, ast.Name) and func.id == "fetch") or (isinstance(func, ast.Attribute) and func.attr == "fetch"):
                    return True
        return False

    def runtime_call(self, node: ast.Call) -> bool:
        """True when ``node`` calls into the runtime (a JavaScript class or a runtime method)."""
        func = node.func
        if self.js_class(func) is not None:
            return True
        if isinstance(func, ast.Attribute):
            if func.attr == "new" or self.runtime_value(func.value):
                return True
            return func.attr in RUNTIME_METHODS
        return False


def constant(node: ast.expr) -> bool:
    """True for a literal, ``None``, ``True`` or ``False``."""
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and node.id in ("None", "True", "False"))


def _offset(source: str, node: ast.AST) -> int:
    """Character offset of ``node`` in ``source`` (ast columns count UTF-8 bytes)."""
    lines = source.splitlines(keepends=True)
    before = sum(len(line) for line in lines[: node.lineno - 1])
    line = lines[node.lineno - 1]
    return before + len(line.encode("utf-8")[: node.col_offset].decode("utf-8", errors="replace"))
