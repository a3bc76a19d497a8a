"""``wsguide lint worker.py``: check a Worker file against the rules of real Python Workers.

wsguide runs a Worker as plain Python. On Cloudflare the same file runs in Pyodide,
where every runtime object (a ``WebSocket``, a ``Response`` from ``js``, the Durable
Object ``ctx``) is a JavaScript object behind a proxy. Code that works here can break
there. This module reads a Worker's source (it never runs it) and reports each line that
breaks a Python Workers rule, with the fix.

The rules are the table :data:`RULES` (one rule = id, what is wrong, the fix). Each
finding fills in the rule's text with the code it found. A finding on a line that ends
with the comment ``# wsguide: ignore[RULE-ID]`` (or ``# wsguide: ignore`` for every rule)
is dropped: for the rare line where the checker guesses wrong.

Each rule states a fact observed with real Pyodide and the real Workers SDK
(``workers-runtime-sdk``), or read in workerd's source; the messages say what happens on
Workers, in the words a learner sees there.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Finding", "Rule", "RULES", "lint_file", "lint_source", "lint_worker", "local_modules", "main"]


@dataclass(frozen=True)
class Rule:
    """One Python Workers rule: its id, what is wrong, and the fix ({placeholders} filled per finding)."""

    id: str
    message: str
    fix: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "listener-proxy",
            "{listener} (a plain Python {what}) is given to {target}. On Python Workers a Python "
            "function handed to JavaScript like this is a *borrowed* proxy, destroyed as soon as "
            "{when}: the listener never runs (JavaScript reports \"This borrowed proxy was "
            "automatically destroyed\").",
            "{fixed}   (from wsguide.ffi import create_proxy; create_once_callable for a listener "
            "that runs only once)",
        ),
        Rule(
            "js-new",
            "{call} calls the JavaScript class {name} like a function. JavaScript classes are "
            "built with `new`; on Python Workers this call raises a TypeError (\"Please use "
            "the 'new' operator\" / \"cannot be invoked without 'new'\").",
            "{fixed}{also}",
        ),
        Rule(
            "attachment-dict",
            "{arg} is a Python dict given to serializeAttachment(). It crosses to JavaScript "
            "as a proxy, which cannot be stored: DataCloneError on Python Workers.",
            "{fixed}   (from wsguide.ffi import to_js; from wsguide.js import Object); read it "
            "back as a dict with ws.deserializeAttachment().to_py()",
        ),
        Rule(
            "is-runtime",
            "{expr} compares runtime objects with `{op}`. Each time a JavaScript object "
            "reaches Python it gets a new proxy, so `is` says False even for the same socket.",
            "{fixed}",
        ),
        Rule(
            "except-typeerror",
            "`except TypeError` around {call}: on Python Workers an error thrown by the "
            "runtime arrives as pyodide.ffi.JsException (its .name is \"TypeError\"), so this "
            "handler never catches it.",
            "{fixed}   (from wsguide.ffi import JsException)",
        ),
        Rule(
            "wsguide-import",
            "{stmt} imports {names}, which exist{s} only in wsguide: Python Workers has no "
            "wsguide package.",
            "{fixed}",
        ),
        Rule(
            "wsguide-attribute",
            "{expr} uses {attr}, a wsguide-only helper: Python Workers has no such attribute "
            "on {what}.",
            "{fixed}",
        ),
        Rule(
            "kit-file",
            "{expr} reads a file of the wsguide kit. A deployed Worker has no wsguide "
            "package and no kit files.",
            "put the file in a folder of static files next to the Worker and declare it in "
            'the Worker file: ASSETS = "public". wsguide dev and Cloudflare serve those files '
            "before the Worker runs (/ is public/index.html); wsguide export copies them.",
        ),
    )
}

# The wsguide modules that mirror a real Python Workers module, and what they become.
MIRRORS = {"workers": "workers", "js": "js", "ffi": "pyodide.ffi"}

# Names that wsguide.workers provides but the real `workers` module does not.
NOT_IN_WORKERS = {"WebSocketRequestResponsePair": "js"}

# Where the names of `from wsguide import X` live on Workers (for the fix text).
WSGUIDE_NAME_HOME = {
    **{n: "workers" for n in ("DurableObject", "Request", "Response", "WorkerEntrypoint", "fetch", "Headers")},
    **{n: "js" for n in ("WebSocket", "WebSocketPair", "WebSocketRequestResponsePair", "console")},
}

# JavaScript globals that may be called without `new` (functions, or classes that allow it).
JS_CALLABLE_WITHOUT_NEW = frozenset(
    {
        "Array", "BigInt", "Boolean", "Date", "Error", "EvalError", "Number", "Object", "RangeError",
        "ReferenceError", "String", "Symbol", "SyntaxError", "TypeError", "URIError",
    }
)

# Methods that exist only on runtime (JavaScript) objects: a call to one is a call into the runtime.
RUNTIME_METHODS = frozenset(
    {
        "accept", "acceptWebSocket", "addEventListener", "close", "deserializeAttachment",
        "dispatchEvent", "getByName", "getTags", "getWebSocketAutoResponse", "getWebSockets",
        "idFromName", "idFromString", "newUniqueId", "removeEventListener", "send",
        "serializeAttachment", "setHibernatableWebSocketEventTimeout", "setWebSocketAutoResponse",
    }
)

# Attributes whose value is itself a runtime object.
RUNTIME_ATTRIBUTES = frozenset({"currentTarget", "js_object", "target", "webSocket"})

# wsguide-only attributes: name -> (receiver kind, what it is on Workers, replacement).
# Receiver kinds: "any" (any receiver but self), "request" (the request given to fetch),
# "namespace" (self.env.BINDING), "fetched" (the result of await fetch(...)).
WSGUIDE_ATTRIBUTES: dict[str, tuple[str, str, str]] = {
    "path": ("request", "a request", "urlsplit({recv}.url).path   (from urllib.parse import urlsplit)"),
    "instance": ("namespace", "a Durable Object namespace", "nothing: a Worker cannot reach a Durable Object's instance; call the object through {recv}.getByName(name)"),
    "is_hibernating": ("namespace", "a Durable Object namespace", "nothing: Cloudflare decides when an object hibernates; drop this line from the Worker"),
    "constructor_runs": ("namespace", "a Durable Object namespace", "nothing: drop this line from the Worker (it is a wsguide teaching aid)"),
    "sockets": ("namespace", "a Durable Object namespace", "self.ctx.getWebSockets() inside the Durable Object"),
    "hibernate_now": ("namespace", "a Durable Object namespace", "nothing: Cloudflare decides when an object hibernates; drop this line from the Worker"),
    "wait_hibernated": ("namespace", "a Durable Object namespace", "nothing: Cloudflare decides when an object hibernates; drop this line from the Worker"),
    "web_socket": ("any", "a Response", "{recv}.js_object.webSocket"),
    "webSocket": ("fetched", "the Response of fetch()", "{recv}.js_object.webSocket"),
    "serialize_attachment": ("any", "a WebSocket", "{recv}.serializeAttachment"),
    "deserialize_attachment": ("any", "a WebSocket", "{recv}.deserializeAttachment"),
    "add_event_listener": ("any", "a WebSocket", "{recv}.addEventListener"),
    "remove_event_listener": ("any", "a WebSocket", "{recv}.removeEventListener"),
    "binary_type": ("any", "a WebSocket", "{recv}.binaryType"),
    "was_clean": ("any", "a CloseEvent", "{recv}.wasClean"),
}

# Calls that read files, for the kit-file rule.
FILE_READERS = frozenset(
    {
        "files", "get_data", "open", "open_binary", "open_text", "Path", "PurePath", "read_binary",
        "read_text", "resource_filename", "resource_stream", "resource_string",
    }
)

DO_SOCKET_HANDLERS = frozenset({"webSocketMessage", "webSocketClose", "webSocketError"})
_ON_EVENT = re.compile(r"on[a-z]+\Z")
_KIT_PATH = re.compile(r"(?:\A|[/\\])wsguide(?:\Z|[/\\.])")
_IGNORE = re.compile(r"#\s*wsguide:\s*ignore(?:\[([\w\s,-]+)\])?")


@dataclass(frozen=True)
class Finding:
    """A line that breaks a rule: where, which rule, and the words that fill the rule's text."""

    path: str
    line: int
    col: int
    rule: Rule
    words: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def message(self) -> str:
        return self.rule.message.format(**self.words)

    @property
    def fix(self) -> str:
        return self.rule.fix.format(**self.words)

    def format(self) -> str:
        """``path:line:col: message [rule-id]`` and, indented below, ``fix: ...``."""
        return f"{self.path}:{self.line}:{self.col + 1}: {self.message} [{self.rule.id}]\n    fix: {self.fix}"


# ---------------------------------------------------------------------------
# Scopes: which value a name is bound to, without running the code
# ---------------------------------------------------------------------------
@dataclass
class _Binding:
    line: int
    kind: str  # assign, unpack, for, def, class, param, import, other
    value: Any = None  # the assigned/iterated expression, or the def/class node
    extra: Any = None  # unpack: index; param: (function, index); import: (module, name)


@dataclass
class _Scope:
    node: ast.AST
    parent: _Scope | None
    is_class: bool = False
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)

    def bind(self, name: str, binding: _Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


class _Binder(ast.NodeVisitor):
    """Pass 1: the scope of every node, and every name binding in each scope."""

    def __init__(self, tree: ast.Module) -> None:
        self.module = _Scope(tree, None)
        self.scope_of: dict[int, _Scope] = {}
        self.self_attributes: dict[str, list[ast.expr]] = {}  # self.X = value, anywhere
        self.methods: set[str] = set()  # names of functions defined in classes
        self.current = self.module
        self.visit(tree)

    def generic_visit(self, node: ast.AST) -> None:
        self.scope_of[id(node)] = self.current
        super().generic_visit(node)

    def _in(self, scope: _Scope, nodes: Iterable[ast.AST]) -> None:
        saved, self.current = self.current, scope
        for node in nodes:
            self.visit(node)
        self.current = saved

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.scope_of[id(node)] = self.current
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
            if self.current.is_class:
                self.methods.add(node.name)
            self.current.bind(node.name, _Binding(node.lineno, "def", node))
        scope = _Scope(node, self.current)
        params = [*args.posonlyargs, *args.args, *([args.vararg] if args.vararg else []), *args.kwonlyargs,
                  *([args.kwarg] if args.kwarg else [])]
        for index, arg in enumerate(params):
            scope.bind(arg.arg, _Binding(node.lineno, "param", None, (node, index)))
            self.scope_of[id(arg)] = scope
        self._in(scope, [node.body] if isinstance(node, ast.Lambda) else node.body)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope_of[id(node)] = self.current
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.current.bind(node.name, _Binding(node.lineno, "class", node))
        self._in(_Scope(node, self.current, is_class=True), node.body)

    def _bind_target(self, target: ast.expr, line: int, kind: str, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.current.bind(target.id, _Binding(line, kind, value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Name):
                    unpack_kind = "for" if kind == "for" else "unpack"
                    self.current.bind(element.id, _Binding(line, unpack_kind, value, index))
                elif isinstance(element, ast.Starred) and isinstance(element.value, ast.Name):
                    self.current.bind(element.value.id, _Binding(line, "other"))
                else:
                    self._bind_target(element, line, kind, value)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            if value is not None and kind == "assign":
                self.self_attributes.setdefault(target.attr, []).append(value)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind_target(target, node.lineno, "assign", node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._bind_target(node.target, node.lineno, "assign" if node.value else "other", node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._bind_target(node.target, node.lineno, "other", None)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._bind_target(node.target, node.lineno, "assign", node.value)
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._bind_target(node.target, node.lineno, "for", node.iter)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._bind_target(node.target, node.target.lineno, "for", node.iter)
        self.generic_visit(node)

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self._bind_target(node.optional_vars, node.optional_vars.lineno, "other", None)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.current.bind(node.name, _Binding(node.lineno, "other"))
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.current.bind(alias.asname, _Binding(node.lineno, "import", None, (alias.name, None)))
            else:
                top = alias.name.split(".")[0]
                self.current.bind(top, _Binding(node.lineno, "import", None, (top, None)))
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name != "*":
                self.current.bind(alias.asname or alias.name, _Binding(node.lineno, "import", None, (module, alias.name)))
        self.generic_visit(node)


# ---------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------
def _js_module(module: str) -> bool:
    return module in ("js", "wsguide.js")


def _ffi_module(module: str) -> bool:
    return module in ("pyodide.ffi", "wsguide.ffi")


class _Checker:
    """Pass 2: walk every node and apply the rules, using the bindings of pass 1."""

    def __init__(self, source: str, path: str) -> None:
        self.source = source
        self.path = path
        self.tree = ast.parse(source, filename=path)
        self.binder = _Binder(self.tree)
        self.findings: list[Finding] = []
        self.parents: dict[int, ast.AST] = {}
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[id(child)] = parent

    # -- helpers ----------------------------------------------------------------
    def text(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def code(self, node: ast.AST) -> str:
        """The node's source on one line, in backticks."""
        return "`" + " ".join(self.text(node).split()) + "`"

    def report(self, node: ast.AST, rule_id: str, **words: str) -> None:
        self.findings.append(Finding(self.path, node.lineno, node.col_offset, RULES[rule_id], words))

    def scope(self, node: ast.AST) -> _Scope:
        return self.binder.scope_of.get(id(node), self.binder.module)

    def lookup(self, name: str, node: ast.AST) -> _Binding | None:
        """The binding a Name at ``node`` most likely refers to (the last one before it in its scope)."""
        start = self.scope(node)
        scope: _Scope | None = start
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

    def is_proxy_call(self, node: ast.expr) -> bool:
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

    # -- classification -------------------------------------------------------------
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
        if isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id == "env":
                return True
            return isinstance(owner, ast.Attribute) and owner.attr == "env" and isinstance(owner.value, ast.Name)
        if isinstance(node, ast.Name):
            return any(kind == "expr" and self.namespace_value(value) for kind, value in self.resolve(node))
        return False

    def fetched_value(self, node: ast.expr) -> bool:
        for kind, value in self.resolve(node):
            if kind == "expr" and isinstance(value, ast.Await) and isinstance(value.value, ast.Call):
                func = value.value.func
                if (isinstance(func, ast.Name) and func.id == "fetch") or (isinstance(func, ast.Attribute) and func.attr == "fetch"):
                    return True
        return False

    # -- the rules ------------------------------------------------------------------
    def run(self) -> list[Finding]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self.check_call(node)
            elif isinstance(node, ast.Assign):
                self.check_on_event(node)
            elif isinstance(node, ast.Compare):
                self.check_is(node)
            elif isinstance(node, ast.Try | ast.TryStar):
                self.check_except(node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self.check_import(node)
            elif isinstance(node, ast.Attribute):
                self.check_attribute(node)
        return self.findings

    def check_call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "addEventListener" and len(node.args) >= 2:
            listener = node.args[1]
            what = self.plain_callable(listener)
            if what:
                fixed = self.replace(node, listener, f"create_proxy({self.text(listener)})")
                self.report(node, "listener-proxy", target="addEventListener()", what=what,
                            listener=self.code(listener), when="that call returns", fixed=fixed)
        if isinstance(func, ast.Attribute) and func.attr == "serializeAttachment" and node.args:
            arg = node.args[0]
            if self.dict_value(arg):
                fixed = self.replace(node, arg, f"to_js({self.text(arg)}, dict_converter=Object.fromEntries)")
                self.report(node, "attachment-dict", arg=self.code(arg), fixed=fixed)
        name = self.js_class(func)
        if name is not None and name[:1].isupper() and name not in JS_CALLABLE_WITHOUT_NEW:
            fixed = self.replace(node, func, f"{self.text(func)}.new")
            also = ""
            if name == "Response":
                also = ("   (or use the Python Response: from wsguide.workers import Response, called "
                        "as you do now, with web_socket= and status_text=)")
            self.report(node, "js-new", call=self.code(node), name=name, fixed=fixed, also=also)
        self.check_kit_file(node)

    def check_on_event(self, node: ast.Assign) -> None:
        for target in node.targets:
            if not (isinstance(target, ast.Attribute) and _ON_EVENT.match(target.attr)):
                continue
            if isinstance(target.value, ast.Name) and target.value.id in ("self", "cls"):
                continue
            what = self.plain_callable(node.value)
            if what:
                fixed = f"{self.text(target)} = create_proxy({self.text(node.value)})"
                self.report(node, "listener-proxy", target=self.code(target), what=what,
                            listener=self.code(node.value), when="the assignment is done", fixed=fixed)

    def check_is(self, node: ast.Compare) -> None:
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)) and not (_constant(left) or _constant(right)):
                if self.runtime_value(left) or self.runtime_value(right):
                    spelled, instead = ("is", "==") if isinstance(op, ast.Is) else ("is not", "!=")
                    expr = f"`{self.text(left)} {spelled} {self.text(right)}`"
                    self.report(node, "is-runtime", expr=expr, op=spelled,
                                fixed=f"{self.text(left)} {instead} {self.text(right)}")
            left = right

    def check_except(self, node: ast.Try | ast.TryStar) -> None:
        calls = [c for stmt in node.body for c in ast.walk(stmt) if isinstance(c, ast.Call) and self.runtime_call(c)]
        if not calls:
            return
        for handler in node.handlers:
            caught = handler.type
            names = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught is not None else []
            spelled = [n.id if isinstance(n, ast.Name) else getattr(n, "attr", None) for n in names]
            if "TypeError" in spelled and "JsException" not in spelled:
                if isinstance(caught, ast.Tuple):
                    fixed = "except (" + ", ".join("JsException" if s == "TypeError" else self.text(n)
                                                    for s, n in zip(spelled, names)) + ")"
                else:
                    fixed = "except JsException"
                if handler.name:
                    fixed += f" as {handler.name}"
                self.report(handler, "except-typeerror", call=self.code(calls[0]), fixed=fixed + ":")

    def runtime_call(self, node: ast.Call) -> bool:
        func = node.func
        if self.js_class(func) is not None:
            return True
        if isinstance(func, ast.Attribute):
            if func.attr == "new" or self.runtime_value(func.value):
                return True
            return func.attr in RUNTIME_METHODS
        return False

    def check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] != "wsguide" or (len(parts) == 2 and parts[1] in MIRRORS):
                    continue
                fixed = ("import the mirrors only: import wsguide.workers / wsguide.js / wsguide.ffi; "
                         "move the rest (serve(), notebook helpers) to a separate script or notebook")
                self.report(node, "wsguide-import", stmt=self.code(node), names=f"`{alias.name}`", s="s",
                            fixed=fixed)
            return
        if node.level or not node.module:
            return
        parts = node.module.split(".")
        if parts[0] != "wsguide":
            return
        if len(parts) == 2 and parts[1] == "workers":
            bad = [a.name for a in node.names if a.name in NOT_IN_WORKERS]
            if bad:
                fixed = "; ".join(f"from wsguide.{NOT_IN_WORKERS[n]} import {n}" for n in bad)
                self.report(node, "wsguide-import", stmt=self.code(node),
                            names=", ".join(f"`workers.{n}`" for n in bad), s="s" if len(bad) == 1 else "",
                            fixed=f"{fixed}   (on Workers it comes from js)")
            return
        if len(parts) == 2 and parts[1] in MIRRORS:
            return
        if len(parts) == 1:
            bad = [a.name for a in node.names if a.name not in MIRRORS]
            if not bad:
                return
            homes: dict[str, list[str]] = {}
            for name in bad:
                homes.setdefault(WSGUIDE_NAME_HOME.get(name, ""), []).append(name)
            fixes = [f"from wsguide.{home} import {', '.join(names)}" for home, names in homes.items() if home]
            if "" in homes:
                fixes.append(f"move the code that uses {', '.join(homes[''])} out of the Worker "
                             "(to a separate script or notebook)")
            self.report(node, "wsguide-import", stmt=self.code(node),
                        names=", ".join(f"`{n}`" for n in bad), s="s" if len(bad) == 1 else "",
                        fixed="; ".join(fixes))
            return
        self.report(node, "wsguide-import", stmt=self.code(node), names=f"`{node.module}`", s="s",
                    fixed="import the mirrors only (wsguide.workers, wsguide.js, wsguide.ffi); move the rest "
                          "out of the Worker (to a separate script or notebook)")

    def check_attribute(self, node: ast.Attribute) -> None:
        if node.attr in ("__file__", "__path__"):
            path = self.module_path(node.value)
            if path is not None and path.split(".")[0] == "wsguide":
                self.report(node, "kit-file", expr=self.code(node))
            return
        entry = WSGUIDE_ATTRIBUTES.get(node.attr)
        if entry is None or not isinstance(node.ctx, ast.Load):
            return
        kind, what, replacement = entry
        recv = node.value
        if isinstance(recv, ast.Name) and recv.id in ("self", "cls"):
            return
        matches = {
            "any": True,
            "request": self.request_value(recv),
            "namespace": self.namespace_value(recv),
            "fetched": self.fetched_value(recv),
        }[kind]
        if matches:
            fixed = replacement.format(recv=self.text(recv))
            self.report(node, "wsguide-attribute", expr=self.code(node), attr=f"`.{node.attr}`", what=what,
                        fixed=fixed)

    def check_kit_file(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in FILE_READERS:
            return
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            for sub in ast.walk(arg):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and _KIT_PATH.search(sub.value):
                    self.report(node, "kit-file", expr=self.code(node))
                    return

    def replace(self, whole: ast.AST, part: ast.AST, new: str) -> str:
        """``whole``'s source with ``part``'s source replaced by ``new``, on one line."""
        text = self.text(whole)
        old = self.text(part)
        index = _offset(self.source, part) - _offset(self.source, whole)
        if text[index:index + len(old)] != old:  # should not happen; fall back to a plain replace
            return " ".join(text.replace(old, new, 1).split())
        return " ".join((text[:index] + new + text[index + len(old):]).split())


def _constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and node.id in ("None", "True", "False"))


def _offset(source: str, node: ast.AST) -> int:
    """Character offset of ``node`` in ``source`` (ast columns count UTF-8 bytes)."""
    lines = source.splitlines(keepends=True)
    before = sum(len(line) for line in lines[: node.lineno - 1])
    line = lines[node.lineno - 1]
    return before + len(line.encode("utf-8")[: node.col_offset].decode("utf-8", errors="replace"))


def _ignored(source: str, finding: Finding) -> bool:
    lines = source.splitlines()
    if not 1 <= finding.line <= len(lines):
        return False
    match = _IGNORE.search(lines[finding.line - 1])
    if match is None:
        return False
    ids = match.group(1)
    return ids is None or finding.rule.id in {i.strip() for i in ids.split(",")}


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
def lint_source(source: str, path: str = "<worker>") -> list[Finding]:
    """Every rule broken in ``source`` (a Worker module's text), sorted by line."""
    findings = [f for f in _Checker(source, path).run() if not _ignored(source, f)]
    return sorted(findings, key=lambda f: (f.line, f.col, f.rule.id))


def lint_file(path: str | Path) -> list[Finding]:
    """``lint_source`` on one file."""
    return lint_source(Path(path).read_text(encoding="utf-8"), str(path))


# Top-level names a Worker imports that are never local modules, even with a folder of that name nearby.
_NOT_LOCAL = frozenset({"wsguide", "workers", "js", "pyodide"})


def _imported_tops(tree: ast.AST) -> set[str]:
    tops = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return tops - _NOT_LOCAL


def local_modules(worker: str | Path) -> list[Path]:
    """The Python files next to the Worker that it imports (directly or through each other).

    A module ``name`` is local when ``name.py`` or a package folder ``name/__init__.py``
    sits in the Worker's folder (Python finds those first, as ``wsguide dev`` runs it).
    A package counts with every ``.py`` file in it. The Worker itself is not included.
    """
    worker = Path(worker).resolve()
    folder = worker.parent
    found: dict[Path, None] = {}
    todo = [worker]
    seen = {worker}
    while todo:
        file = todo.pop()
        for top in sorted(_imported_tops(ast.parse(file.read_text(encoding="utf-8"), filename=str(file)))):
            candidates: list[Path] = []
            if (folder / f"{top}.py").is_file():
                candidates = [folder / f"{top}.py"]
            elif (folder / top / "__init__.py").is_file():
                candidates = sorted(p for p in (folder / top).rglob("*.py") if "__pycache__" not in p.parts)
            for candidate in candidates:
                candidate = candidate.resolve()
                if candidate not in seen:
                    seen.add(candidate)
                    found[candidate] = None
                    todo.append(candidate)
    return list(found)


def lint_worker(worker: str | Path) -> list[Finding]:
    """``lint_file`` on the Worker and on every local module it imports (what export would write)."""
    worker = Path(worker)
    findings = lint_file(worker)
    base = worker.resolve().parent
    for module in local_modules(worker):
        shown = worker.parent / module.relative_to(base)
        findings.extend(lint_source(module.read_text(encoding="utf-8"), str(shown)))
    return findings


def report(findings: list[Finding], out: Any = None) -> None:
    """Print the findings, then a one-line summary."""
    out = out if out is not None else sys.stdout
    for finding in findings:
        print(finding.format(), file=out)
    if findings:
        n = len(findings)
        print(f"{n} problem{'s' if n != 1 else ''}: this code would not work the same on Python Workers.", file=out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("worker", help="path to the Worker file (or a folder with worker.py)")


def main(args: argparse.Namespace) -> int:
    """``wsguide lint WORKER.py``: 0 when the file follows the rules, 1 when it does not, 2 on error."""
    path = Path(args.worker)
    if path.is_dir():
        path = path / "worker.py"
    if not path.is_file():
        print(f"error: no Worker file at {args.worker}", file=sys.stderr)
        return 2
    try:
        findings = lint_worker(path)
    except SyntaxError as exc:
        print(f"error: {exc.filename}:{exc.lineno}: {exc.msg} (fix the syntax first)", file=sys.stderr)
        return 2
    report(findings)
    if not findings:
        print(f"{path}: follows the Python Workers rules wsguide checks.")
    return 1 if findings else 0
