"""The rules of ``wsguide lint``: one function per rule, then the table :data:`RULES`.

A rule's check is called with every node of the Worker module and the analysed source
(:class:`~.source.WorkerSource`); it yields the node to report and the words that fill the
rule's message and fix. Each message states what happens on Python Workers, in the words a
learner sees there: ``tests/pyodide_workerd/test_lint_agrees.py`` runs a Worker breaking
each rule on real Pyodide inside real workerd and finds those words there.
"""

from __future__ import annotations

import ast

from .findings import Hits, Rule
from .names import (
    FILE_READERS,
    JS_CALLABLE_WITHOUT_NEW,
    KIT_PATH,
    MIRRORS,
    NOT_IN_WORKERS,
    WSGUIDE_ATTRIBUTES,
    WSGUIDE_NAME_HOME,
)
from .source import WorkerSource, constant

__all__ = ["RULES"]


def listener_proxy(node: ast.AST, src: WorkerSource) -> Hits:
    """A plain Python callable handed to ``addEventListener``.

    Not ``ws.onmessage = fn``: a callable assigned to a JavaScript property is not borrowed;
    Pyodide keeps it and the listener runs (shown on real Python Workers by the scenario
    ``onmessage_plain_function`` and ``lint_cases.py`` in tests/pyodide_workerd).
    """
    if not isinstance(node, ast.Call):
        return
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "addEventListener" and len(node.args) >= 2:
        listener = node.args[1]
        what = src.plain_callable(listener)
        if what:
            fixed = src.replace(node, listener, f"create_proxy({src.text(listener)})")
            yield node, {"what": what, "listener": src.code(listener), "fixed": fixed}


def js_new(node: ast.AST, src: WorkerSource) -> Hits:
    """A JavaScript class (from ``js``) called like a function."""
    if not isinstance(node, ast.Call):
        return
    func = node.func
    name = src.js_class(func)
    if name is not None and name[:1].isupper() and name not in JS_CALLABLE_WITHOUT_NEW:
        fixed = src.replace(node, func, f"{src.text(func)}.new")
        also = ""
        if name == "Response":
            also = ("   (or use the Python Response: from wsguide.workers import Response, called "
                    "as you do now, with web_socket= and status_text=)")
        yield node, {"call": src.code(node), "name": name, "fixed": fixed, "also": also}


def attachment_dict(node: ast.AST, src: WorkerSource) -> Hits:
    """A Python dict given to ``serializeAttachment``."""
    if not isinstance(node, ast.Call):
        return
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "serializeAttachment" and node.args:
        arg = node.args[0]
        if src.dict_value(arg):
            fixed = src.replace(node, arg, f"to_js({src.text(arg)}, dict_converter=Object.fromEntries)")
            yield node, {"arg": src.code(arg), "fixed": fixed}


def is_runtime(node: ast.AST, src: WorkerSource) -> Hits:
    """``is`` / ``is not`` with a runtime object on either side (``is jsnull`` is fine)."""
    if not isinstance(node, ast.Compare):
        return
    left = node.left
    for op, right in zip(node.ops, node.comparators):
        if isinstance(op, (ast.Is, ast.IsNot)) and not (
            constant(left) or constant(right) or src.is_jsnull(left) or src.is_jsnull(right)
        ):
            if src.runtime_value(left) or src.runtime_value(right):
                spelled, instead = ("is", "==") if isinstance(op, ast.Is) else ("is not", "!=")
                expr = f"`{src.text(left)} {spelled} {src.text(right)}`"
                yield node, {"expr": expr, "op": spelled, "fixed": f"{src.text(left)} {instead} {src.text(right)}"}
        left = right


def except_typeerror(node: ast.AST, src: WorkerSource) -> Hits:
    """``except TypeError`` (without ``JsException``) around a call into the runtime."""
    if not isinstance(node, (ast.Try, ast.TryStar)):
        return
    calls = [c for stmt in node.body for c in ast.walk(stmt) if isinstance(c, ast.Call) and src.runtime_call(c)]
    if not calls:
        return
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught is not None else []
        spelled = [n.id if isinstance(n, ast.Name) else getattr(n, "attr", None) for n in names]
        if "TypeError" in spelled and "JsException" not in spelled:
            if isinstance(caught, ast.Tuple):
                fixed = "except (" + ", ".join("JsException" if s == "TypeError" else src.text(n)
                                                for s, n in zip(spelled, names)) + ")"
            else:
                fixed = "except JsException"
            if handler.name:
                fixed += f" as {handler.name}"
            yield handler, {"call": src.code(calls[0]), "fixed": fixed + ":"}


_MIRRORS_ONLY = ("import the mirrors only (wsguide.workers, wsguide.js, wsguide.ffi); move the rest "
                 "out of the Worker (to a separate script or notebook)")


def wsguide_import(node: ast.AST, src: WorkerSource) -> Hits:
    """An import of a wsguide name that is not one of the mirrors of a real module."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] != "wsguide" or (len(parts) == 2 and parts[1] in MIRRORS):
                continue
            fixed = ("import the mirrors only: import wsguide.workers / wsguide.js / wsguide.ffi; "
                     "move the rest (serve(), notebook helpers) to a separate script or notebook")
            yield node, {"stmt": src.code(node), "names": f"`{alias.name}`", "s": "s", "fixed": fixed}
        return
    if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
        return
    parts = node.module.split(".")
    if parts[0] != "wsguide":
        return
    if len(parts) == 2 and parts[1] == "workers":
        bad = [a.name for a in node.names if a.name in NOT_IN_WORKERS]
        if bad:
            fixed = "; ".join(f"from wsguide.{NOT_IN_WORKERS[n]} import {n}" for n in bad)
            yield node, {"stmt": src.code(node), "names": ", ".join(f"`workers.{n}`" for n in bad),
                         "s": "s" if len(bad) == 1 else "", "fixed": f"{fixed}   (on Workers it comes from js)"}
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
        yield node, {"stmt": src.code(node), "names": ", ".join(f"`{n}`" for n in bad),
                     "s": "s" if len(bad) == 1 else "", "fixed": "; ".join(fixes)}
        return
    yield node, {"stmt": src.code(node), "names": f"`{node.module}`", "s": "s", "fixed": _MIRRORS_ONLY}


def wsguide_attribute(node: ast.AST, src: WorkerSource) -> Hits:
    """A wsguide-only helper attribute read on a runtime object (:data:`~.names.WSGUIDE_ATTRIBUTES`)."""
    if not isinstance(node, ast.Attribute):
        return
    entry = WSGUIDE_ATTRIBUTES.get(node.attr)
    if entry is None or not isinstance(node.ctx, ast.Load):
        return
    kind, what, replacement = entry
    recv = node.value
    if isinstance(recv, ast.Name) and recv.id in ("self", "cls"):
        return
    matches = {
        "any": lambda: True,
        "request": lambda: src.request_value(recv),
        "namespace": lambda: src.namespace_value(recv),
        "fetched": lambda: src.fetched_value(recv),
    }[kind]()
    if matches:
        fixed = replacement.format(recv=src.text(recv))
        yield node, {"expr": src.code(node), "attr": f"`.{node.attr}`", "what": what, "fixed": fixed}


def kit_file(node: ast.AST, src: WorkerSource) -> Hits:
    """A file of the kit read by path (``open("…/wsguide/…")``) or found through ``wsguide.__file__``."""
    if isinstance(node, ast.Attribute) and node.attr in ("__file__", "__path__"):
        path = src.module_path(node.value)
        if path is not None and path.split(".")[0] == "wsguide":
            yield node, {"expr": src.code(node)}
        return
    if not isinstance(node, ast.Call):
        return
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name not in FILE_READERS:
        return
    for arg in [*node.args, *(k.value for k in node.keywords)]:
        for sub in ast.walk(arg):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and KIT_PATH.search(sub.value):
                yield node, {"expr": src.code(node)}
                return


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "listener-proxy",
            "{listener} (a plain Python {what}) is given to addEventListener(). On Python Workers a "
            "Python function passed to a JavaScript method is a *borrowed* proxy, destroyed as soon "
            "as that call returns: the listener never runs (JavaScript reports \"This borrowed "
            "proxy was automatically destroyed\").",
            "{fixed}   (from wsguide.ffi import create_proxy; create_once_callable for a listener "
            "that runs only once)",
            listener_proxy,
        ),
        Rule(
            "js-new",
            "{call} calls the JavaScript class {name} like a function. JavaScript classes are "
            "built with `new`; on Python Workers this call raises a TypeError (\"Please use "
            "the 'new' operator\" / \"cannot be invoked without 'new'\").",
            "{fixed}{also}",
            js_new,
        ),
        Rule(
            "attachment-dict",
            "{arg} is a Python dict given to serializeAttachment(). It crosses to JavaScript "
            "as a proxy, which cannot be stored: DataCloneError on Python Workers.",
            "{fixed}   (from wsguide.ffi import to_js; from wsguide.js import Object); read it "
            "back as a dict with ws.deserializeAttachment().to_py()",
            attachment_dict,
        ),
        Rule(
            "is-runtime",
            "{expr} compares runtime objects with `{op}`. Each time a JavaScript object "
            "reaches Python it gets a new proxy, so `is` says False even for the same socket.",
            "{fixed}",
            is_runtime,
        ),
        Rule(
            "except-typeerror",
            "`except TypeError` around {call}: on Python Workers an error thrown by the "
            "runtime arrives as pyodide.ffi.JsException (its .name is \"TypeError\"), so this "
            "handler never catches it.",
            "{fixed}   (from wsguide.ffi import JsException)",
            except_typeerror,
        ),
        Rule(
            "wsguide-import",
            "{stmt} imports {names}, which exist{s} only in wsguide: Python Workers has no "
            "wsguide package.",
            "{fixed}",
            wsguide_import,
        ),
        Rule(
            "wsguide-attribute",
            "{expr} uses {attr}, a wsguide-only helper: Python Workers has no such attribute "
            "on {what}.",
            "{fixed}",
            wsguide_attribute,
        ),
        Rule(
            "kit-file",
            "{expr} reads a file of the wsguide kit. A deployed Worker has no wsguide "
            "package and no kit files.",
            "put the file in a folder of static files next to the Worker and declare it in "
            'the Worker file: ASSETS = "public". wsguide dev and Cloudflare serve those files '
            "before the Worker runs (/ is public/index.html); wsguide export copies them.",
            kit_file,
        ),
    )
}
