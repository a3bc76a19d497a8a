"""Find every Worker the kit teaches and turn each into a Python Workers module (real imports).

    for worker in kit_workers(ROOT):
        worker.name, worker.origin        # "nb07_Gateway__Room", "notebooks/07-...ipynb, cells 1, 5, 7"
        worker.source                     # a module for Python Workers: from workers import ...
        worker.entrypoint                 # the WorkerEntrypoint class to serve ("Default", "Echo", ...)
        worker.websocket_path             # where its WebSocket lives ("/", "/room/lobby", ...)
        worker.vars                       # {"ECHO_URL": "ws://echo.invalid/ECHO_URL"}: see "Vars" below
        worker.notes                      # what was left out or stood in for

Where Workers are found:

* ``examples/*.py`` and ``examples/*/worker.py``: the whole module, its wsguide imports rewritten;
* the code cells of ``notebooks/*.ipynb`` and ``notebooks/solutions/*.ipynb``, read in order as a
  kernel runs them. A Worker there is a ``WorkerEntrypoint`` or ``DurableObject`` subclass plus
  the module-level names it uses (the *latest* definitions before it, transitively: functions,
  classes, plain assignments), never the cells' other statements (``serve(...)``, checks,
  prints), which are wsguide-only. A ``serve(Entry, durable_objects={"ROOMS": Room})`` call says
  which Durable Objects an entrypoint is served with (kept as ``DURABLE_OBJECTS``); a kit Worker a
  notebook imports (``room_gateway``) is taken from its wsguide module's source. A Durable Object
  no served entrypoint reaches (tested through helpers or RPC from the notebook) is served behind
  a generated ``Default`` that forwards WebSocket upgrades to it and calls its argument-free RPC
  methods on a plain GET.

Import rewriting: ``wsguide.workers`` → ``workers``, ``wsguide.js`` → ``js``, ``wsguide.ffi`` →
``pyodide.ffi``; names imported from ``wsguide`` or its other modules go where Python Workers
has them (:data:`RUNTIME_HOME`); other wsguide names are dropped and, when the Worker uses
them, noted.

Vars: in a notebook, a Worker that is a client of another server reads that server's address
from its environment (``serve(Asker, env={"ECHO_URL": echo.ws_url})``; ``"vars"`` in
``wrangler.jsonc`` on Cloudflare), and the notebook's other server is not part of the Worker.
So every name a Worker reads from its environment (``self.env.NAME`` or ``env.NAME``, not
called as a method) that is not one of its Durable Object bindings (the only other thing the
harness binds) gets a text var: a URL of the harness's echo service (``harness.echo_url``), the
only place a Worker's outbound requests go. The URL is ``ws://echo.invalid/NAME`` when the name
reaches the first argument of ``WebSocket.new`` (directly, or through a local variable of the
same function), else ``http://echo.invalid/NAME``: ``WebSocket.new`` refuses an ``http`` URL
and ``fetch`` a ``ws`` one (also with ``Upgrade: websocket``), so no single URL serves both; a
name used both ways gets ``ws``. The path names the var, so the echo's plain-GET answer says
which one was fetched. The vars are worked out from the source alone: the same source, the same
vars.
"""

from __future__ import annotations

import ast
import json
import re
import symtable
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .harness import echo_url

__all__ = [
    "RUNTIME_HOME",
    "KitWorker",
    "env_names",
    "extract_module",
    "extract_notebook",
    "kit_workers",
    "outbound_vars",
    "rewrite_import",
    "websocket_url_names",
]

# Where a name wsguide exports lives on Python Workers.
RUNTIME_HOME = {
    **dict.fromkeys(
        ["WorkerEntrypoint", "DurableObject", "Response", "Request", "FormData", "handler", "python_from_rpc", "python_to_rpc"],
        "workers",
    ),
    **dict.fromkeys(
        ["WebSocketPair", "WebSocketRequestResponsePair", "WebSocket", "Object", "console", "Blob", "Headers", "URL"],
        "js",
    ),
    **dict.fromkeys(["create_proxy", "create_once_callable", "to_js", "JsException", "JsProxy", "jsnull", "destroy_proxies"], "pyodide.ffi"),
}
MODULE_HOME = {"wsguide.workers": "workers", "wsguide.js": "js", "wsguide.ffi": "pyodide.ffi"}
BASES = {"WorkerEntrypoint": "entrypoint", "DurableObject": "durable"}
DEFAULT_BINDING = "ROOMS"


@dataclass(frozen=True)
class KitWorker:
    """One Worker of the kit, as a Python Workers module."""

    name: str
    origin: str
    entrypoint: str
    source: str
    websocket_path: str = "/"
    durable_objects: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def serves_websockets(self) -> bool:
        """Does it hand out WebSockets (so a WebSocket exchange is what to check)?"""
        return "WebSocketPair" in self.source and not self.rpc_only

    @property
    def rpc_only(self) -> bool:
        return "# wsguide-extract: rpc-only" in self.source

    @property
    def vars(self) -> dict[str, str]:
        """The text vars it is served with: a URL of the echo service per env name it reads
        that is not a Durable Object binding (see the module docstring)."""
        return outbound_vars(self.source, self.durable_objects)


# ------------------------------------------------------------------ vars


def _env_read(node: ast.AST) -> str | None:
    """NAME when ``node`` is ``<anything>.env.NAME`` or ``env.NAME``."""
    if not isinstance(node, ast.Attribute):
        return None
    env = node.value
    if (isinstance(env, ast.Attribute) and env.attr == "env") or (isinstance(env, ast.Name) and env.id == "env"):
        return node.attr
    return None


def env_names(source: str) -> list[str]:
    """The names a Worker source reads from its environment (``self.env.NAME``, ``env.NAME``),
    sorted; an attribute of ``env`` that is called (``env.get(...)``) is a method, not a name."""
    tree = ast.parse(source)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return sorted({name for n in ast.walk(tree) if id(n) not in called and (name := _env_read(n)) and not name.startswith("__")})


def _websocket_classes(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Local names of JavaScript's WebSocket (``from js import WebSocket [as W]``) and of the
    ``js`` module (``import js [as j]``, for ``js.WebSocket.new``)."""
    classes: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "js" and not node.level:
            classes |= {a.asname or a.name for a in node.names if a.name == "WebSocket"}
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "js"}
    return classes, modules


def _is_websocket_new(call: ast.Call, classes: set[str], modules: set[str]) -> bool:
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "new"):
        return False
    cls = func.value
    if isinstance(cls, ast.Name):
        return cls.id in classes
    return isinstance(cls, ast.Attribute) and cls.attr == "WebSocket" and isinstance(cls.value, ast.Name) and cls.value.id in modules


def websocket_url_names(source: str) -> set[str]:
    """The env names whose value reaches the first argument of ``WebSocket.new``: read there
    (``WebSocket.new(self.env.URL)``, ``WebSocket.new(self.env.BASE + "/x")``) or through a local
    variable of the same function (``url = self.env.URL`` ... ``WebSocket.new(url)``)."""
    tree = ast.parse(source)
    classes, modules = _websocket_classes(tree)
    found: set[str] = set()

    def reads(node: ast.AST) -> set[str]:
        return {name for n in ast.walk(node) if (name := _env_read(n))}

    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        carried: dict[str, set[str]] = {}  # local variable -> env names its value was made from
        for node in ast.walk(function):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        carried.setdefault(target.id, set()).update(reads(node.value))
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and node.args and _is_websocket_new(node, classes, modules):
                url = node.args[0]
                found |= reads(url)
                for name in ast.walk(url):
                    if isinstance(name, ast.Name):
                        found |= carried.get(name.id, set())
    return found


def outbound_vars(source: str, bound: Iterable[str] = ()) -> dict[str, str]:
    """{NAME: URL of the echo service} for each env name ``source`` reads that is not in
    ``bound`` (its Durable Object bindings): ``ws://`` for a name that reaches ``WebSocket.new``,
    ``http://`` otherwise (see the module docstring)."""
    names = [n for n in env_names(source) if n not in set(bound)]
    if not names:
        return {}
    websocket = websocket_url_names(source)
    return {name: echo_url("ws" if name in websocket else "http", "/" + name) for name in names}


# ------------------------------------------------------------------ imports


def rewrite_import(node: ast.ImportFrom) -> tuple[list[str], list[str]]:
    """The real import lines for one ``from wsguide... import`` and the names it drops."""
    if node.module in MODULE_HOME:
        names = ", ".join(_alias(a) for a in node.names)
        return [f"from {MODULE_HOME[node.module]} import {names}"], []
    homes: dict[str, list[str]] = {}
    dropped = []
    for alias in node.names:
        home = RUNTIME_HOME.get(alias.name)
        if home is None:
            dropped.append(alias.asname or alias.name)
        else:
            homes.setdefault(home, []).append(_alias(alias))
    return [f"from {home} import {', '.join(names)}" for home, names in homes.items()], dropped


def _alias(alias: ast.alias) -> str:
    return alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"


def _is_wsguide(module: str | None) -> bool:
    return module == "wsguide" or (module or "").startswith("wsguide.")


def _global_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Names the given top-level statements read from the module's globals (Python's own
    scoping, via ``symtable``: a method's locals are not globals, its free names are)."""
    found: set[str] = set()

    def walk(table: symtable.SymbolTable, top: bool) -> None:
        for sym in table.get_symbols():
            if sym.is_referenced() and (top or sym.is_global()) and not (top and sym.is_imported()):
                found.add(sym.get_name())
        for child in table.get_children():
            walk(child, False)

    for node in nodes:
        module = ast.Module(body=[node], type_ignores=[])
        walk(symtable.symtable(ast.unparse(module), "<worker>", "exec"), True)
    return found


def _imports_for(imports: dict[str, ast.ImportFrom | ast.Import], used: set[str]) -> tuple[list[str], list[str]]:
    """Import lines for the used names (wsguide ones rewritten) and the wsguide-only names used."""
    lines: list[str] = []
    wsguide_only: list[str] = []
    for name in sorted(used & imports.keys()):
        node = imports[name]
        if isinstance(node, ast.Import):
            alias = next(a for a in node.names if (a.asname or a.name.split(".")[0]) == name)
            if _is_wsguide(alias.name):
                wsguide_only.append(name)
            else:
                lines.append(f"import {_alias(alias)}")
            continue
        alias = next(a for a in node.names if (a.asname or a.name) == name)
        single = ast.ImportFrom(module=node.module, names=[alias], level=node.level)
        if _is_wsguide(node.module):
            real, dropped = rewrite_import(single)
            lines.extend(real)
            wsguide_only.extend(dropped)
        else:
            lines.append(f"from {'.' * node.level}{node.module or ''} import {_alias(alias)}")
    return _merge_imports(lines), wsguide_only


def _merge_imports(lines: list[str]) -> list[str]:
    plain = sorted({line for line in lines if line.startswith("import ")})
    froms: dict[str, list[str]] = {}
    for line in lines:
        m = re.match(r"from (\S+) import (.+)$", line)
        if m:
            for name in m.group(2).split(", "):
                if name not in froms.setdefault(m.group(1), []):
                    froms[m.group(1)].append(name)
    order = lambda module: (module in ("workers", "js", "pyodide.ffi"), module)  # noqa: E731  stdlib first
    return plain + [f"from {m} import {', '.join(sorted(froms[m]))}" for m in sorted(froms, key=order)]


# ------------------------------------------------------------------ examples


def extract_module(path: Path, root: Path) -> list[KitWorker]:
    """The Worker in one example file: the module with its imports rewritten."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines()
    notes: list[str] = []
    replacements: list[tuple[int, int, list[str]]] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and _is_wsguide(node.module):
            real, dropped = rewrite_import(node)
            if dropped:
                notes.append(f"dropped wsguide-only imports: {', '.join(dropped)}")
            replacements.append((node.lineno - 1, node.end_lineno, real))
    for start, end, real in reversed(replacements):
        lines[start:end] = real
    source = "\n".join(lines) + "\n"
    entry = "Default" if any(isinstance(n, ast.ClassDef) and n.name == "Default" for n in tree.body) else None
    if entry is None:
        return []
    durable = _durable_table(tree)
    rel = path.relative_to(root).as_posix()
    name = "examples_" + _ident(path.parent.name if path.name == "worker.py" else path.stem)
    return [KitWorker(name, rel, entry, source, _docstring_websocket_path(tree), durable, tuple(notes))]


def _durable_table(tree: ast.Module) -> dict[str, str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DURABLE_OBJECTS" for t in node.targets):
            if isinstance(node.value, ast.Dict):
                return {k.value: v.id for k, v in zip(node.value.keys, node.value.values) if isinstance(k, ast.Constant) and isinstance(v, ast.Name)}
    return {}


def _docstring_websocket_path(tree: ast.Module) -> str:
    """A WebSocket route the module's docstring lists (``/api/room/<name>/websocket``), else "/"."""
    doc = ast.get_docstring(tree) or ""
    for word in doc.split():
        if word.startswith("/") and "websocket" in word:
            return re.sub(r"<[^>]+>", "lobby", word)
    return "/"


def _ident(text: str) -> str:
    return re.sub(r"\W", "_", text)


# ------------------------------------------------------------------ notebooks


@dataclass
class _Definition:
    name: str
    node: ast.stmt
    cell: int
    order: int
    kind: str | None = None  # "entrypoint" / "durable" for Worker classes


@dataclass
class _Served:
    entry: str
    bindings: dict[str, str]
    cell: int
    scope: dict[str, _Definition]
    imports: dict[str, ast.ImportFrom | ast.Import]
    paths: list[str]


def _code_cells(path: Path) -> list[tuple[int, str]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        if cell.get("cell_type") == "code":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cells.append((index, source))
    return cells


def _calls_wsguide(node: ast.AST, imports: dict[str, ast.ImportFrom | ast.Import]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Await):
            return True
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
            origin = imports.get(sub.func.id)
            if isinstance(origin, ast.ImportFrom) and _is_wsguide(origin.module) and sub.func.id not in RUNTIME_HOME:
                return True
    return False


def _worker_kind(node: ast.ClassDef, scope: dict[str, _Definition], imports: dict) -> str | None:
    for base in node.bases:
        if isinstance(base, ast.Name):
            if base.id in scope and scope[base.id].kind:
                return scope[base.id].kind
            origin = imports.get(base.id)
            if base.id in BASES and isinstance(origin, ast.ImportFrom) and _is_wsguide(origin.module):
                return BASES[base.id]
    return None


def _serve_calls(node: ast.AST) -> list[tuple[str, dict[str, str]]]:
    found = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "serve" and sub.args:
            entry = sub.args[0]
            if not isinstance(entry, ast.Name):
                continue
            bindings: dict[str, str] = {}
            for kw in sub.keywords:
                if kw.arg == "durable_objects" and isinstance(kw.value, ast.Dict):
                    bindings = {
                        k.value: v.id
                        for k, v in zip(kw.value.keys, kw.value.values)
                        if isinstance(k, ast.Constant) and isinstance(v, ast.Name)
                    }
            found.append((entry.id, bindings))
    return found


def _websocket_paths(node: ast.AST) -> list[str]:
    """Literal paths a cell appends to a server's ws_url (``srv.ws_url + "/room/lobby"``)."""
    paths = []
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.BinOp)
            and isinstance(sub.op, ast.Add)
            and isinstance(sub.left, ast.Attribute)
            and sub.left.attr == "ws_url"
            and isinstance(sub.right, ast.Constant)
            and isinstance(sub.right.value, str)
        ):
            paths.append(sub.right.value)
    return paths


def _closure(roots: list[str], scope: dict[str, _Definition]) -> list[_Definition]:
    """The definitions the roots need, transitively, in the order the notebook made them."""
    needed: dict[str, _Definition] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in needed or name not in scope:
            continue
        definition = scope[name]
        needed[name] = definition
        todo.extend(_global_names([definition.node]))
    return sorted(needed.values(), key=lambda d: d.order)


def _assemble(import_lines: list[str], blocks: list[str]) -> str:
    """A module: its imports, then its blocks, two blank lines apart."""
    parts = ["\n".join(_merge_imports(import_lines))] + [b.strip("\n") for b in blocks]
    return "\n\n\n".join(p for p in parts if p) + "\n"


def _module_file(root: Path, module: str) -> Path | None:
    """The file of a module of the kit at ``root`` (``wsguide.notebook`` →
    ``wsguide/notebook.py``), whatever wsguide this Python would import."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _kit_class_source(root: Path, module: str, name: str) -> tuple[str, list[str]] | None:
    """A Worker class the notebook imports from wsguide (``room_gateway``): its source and the
    import lines it needs, read from the kit's module that defines it (following a re-export
    ``from .x import name`` in a package ``__init__``)."""
    path = _module_file(root, module)
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]

    def absolute(stmt: ast.ImportFrom) -> ast.ImportFrom:
        if not stmt.level:
            return stmt
        base = package.rsplit(".", stmt.level - 1)[0] if stmt.level > 1 else package
        return ast.ImportFrom(module=f"{base}.{stmt.module}" if stmt.module else base, names=stmt.names, level=0)

    node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    if node is None:
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom) and any((a.asname or a.name) == name for a in stmt.names):
                return _kit_class_source(root, absolute(stmt).module, name)
        return None
    imports: dict = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            stmt = absolute(stmt)  # a relative import inside wsguide: absolute, so it can be rewritten
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                local = alias.asname or (alias.name if isinstance(stmt, ast.ImportFrom) else alias.name.split(".")[0])
                imports[local] = stmt
    segment = ast.get_source_segment(text, node)
    # Annotations name wsguide-side types (Any, Response): a Worker does not need them.
    segment = re.sub(r"\) -> \w+:", "):", re.sub(r"(\w+): Any\b", r"\1", segment))
    lines, _ = _imports_for(imports, _global_names([ast.parse(segment).body[0]]))
    return segment, lines


@dataclass
class _Scan:
    """A notebook read in order: its cells, its Worker classes (each with the names visible at
    its definition) and its ``serve(...)`` calls."""

    cells: dict[int, str] = field(default_factory=dict)
    classes: list[tuple[_Definition, dict[str, _Definition], dict]] = field(default_factory=list)
    served: list[_Served] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _scan(path: Path) -> _Scan:
    scan = _Scan()
    scope: dict[str, _Definition] = {}
    imports: dict[str, ast.ImportFrom | ast.Import] = {}
    order = 0
    for index, source in _code_cells(path):
        scan.cells[index] = source
        try:
            tree = ast.parse(source)
        except SyntaxError:
            scan.notes.append(f"cell {index} is not Python (skipped)")
            continue
        for stmt in tree.body:
            order += 1
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    local = alias.asname or (alias.name if isinstance(stmt, ast.ImportFrom) else alias.name.split(".")[0])
                    imports[local] = stmt
                    scope.pop(local, None)
                continue
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                definition = _Definition(stmt.name, stmt, index, order)
                if isinstance(stmt, ast.ClassDef):
                    definition.kind = _worker_kind(stmt, scope, imports)
                scope[stmt.name] = definition
                imports.pop(stmt.name, None)
                if definition.kind:
                    scan.classes.append((definition, dict(scope), dict(imports)))
                continue
            for entry, bindings in _serve_calls(stmt):
                scan.served.append(_Served(entry, bindings, index, dict(scope), dict(imports), _websocket_paths(tree)))
            if isinstance(stmt, ast.Assign):
                targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                targets = [stmt.target.id]
            else:
                continue
            for target in targets:
                if _calls_wsguide(stmt, imports):
                    scope.pop(target, None)  # a value wsguide makes at run time: not part of a Worker
                else:
                    scope[target] = _Definition(target, stmt, index, order)
    return scan


class _Names:
    """Unique Worker names within one notebook."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def __call__(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.taken:
            candidate, n = f"{name}_{n}", n + 1
        self.taken.add(candidate)
        return candidate


def extract_notebook(path: Path, root: Path) -> list[KitWorker]:
    """The Workers a notebook defines, each as a module (see the module docstring)."""
    rel = path.relative_to(root).as_posix()
    number = re.match(r"(\d+)", path.name)
    prefix = f"nb{number.group(1) if number else _ident(path.stem)}{'s' if path.parent.name == 'solutions' else ''}"
    scan = _scan(path)
    unique = _Names()
    workers: list[KitWorker] = []
    reached: set[int] = set()  # id() of the Durable Object classes a served entrypoint reaches
    served_entries: set[int] = set()
    seen: set[tuple] = set()

    for call in scan.served:
        entry = call.scope.get(call.entry)
        kit_class = None
        if entry is None or entry.kind != "entrypoint":
            origin = call.imports.get(call.entry)
            if isinstance(origin, ast.ImportFrom) and _is_wsguide(origin.module):
                kit_class = _kit_class_source(root, origin.module, call.entry)
            if kit_class is None:
                continue
        else:
            served_entries.add(id(entry.node))
        durable = {b: call.scope[c] for b, c in call.bindings.items() if c in call.scope and call.scope[c].kind == "durable"}
        entry_text = ast.get_source_segment(scan.cells[entry.cell], entry.node) if kit_class is None else kit_class[0]
        if durable and not any(f".{binding}" in entry_text for binding in durable):
            continue  # the entrypoint never reaches these objects (the notebook drives them by RPC)
        key = (id(entry.node) if kit_class is None else call.entry, tuple(sorted((b, id(d.node)) for b, d in durable.items())))
        if key in seen:
            continue
        seen.add(key)
        reached.update(id(d.node) for d in durable.values())
        definitions = _closure([d.name for d in durable.values()] + ([call.entry] if kit_class is None else []), call.scope)
        import_lines, wsguide_only = _imports_for(call.imports, _global_names(d.node for d in definitions))
        blocks = [ast.get_source_segment(scan.cells[d.cell], d.node) for d in definitions]
        notes = list(scan.notes)
        if kit_class is not None:
            import_lines += kit_class[1]
            blocks.append(kit_class[0])
            notes.append(f"entrypoint {call.entry} is the kit's own (from {call.imports[call.entry].module})")
        if durable:
            blocks.append("DURABLE_OBJECTS = {" + ", ".join(f'"{b}": {d.name}' for b, d in durable.items()) + "}")
        if wsguide_only:
            notes.append(f"uses wsguide-only names: {', '.join(wsguide_only)}")
        cells = sorted({d.cell for d in definitions} | {call.cell})
        workers.append(
            KitWorker(
                unique(f"{prefix}_{call.entry}" + "".join(f"__{d.name}" for d in durable.values())),
                f"{rel}, cells {', '.join(map(str, cells))}",
                call.entry,
                _assemble(import_lines, blocks),
                (call.paths or ["/"])[0],
                {b: d.name for b, d in durable.items()},
                tuple(notes),
            )
        )

    for definition, scope, imports in scan.classes:
        if definition.kind == "entrypoint" and id(definition.node) not in served_entries:
            definitions = _closure([definition.name], scope)
            import_lines, wsguide_only = _imports_for(imports, _global_names(d.node for d in definitions))
            notes = list(scan.notes) + ([f"uses wsguide-only names: {', '.join(wsguide_only)}"] if wsguide_only else [])
            workers.append(
                KitWorker(
                    unique(f"{prefix}_{definition.name}"),
                    f"{rel}, cells {', '.join(str(c) for c in sorted({d.cell for d in definitions}))}",
                    definition.name,
                    _assemble(import_lines, [ast.get_source_segment(scan.cells[d.cell], d.node) for d in definitions]),
                    notes=tuple(notes),
                )
            )
        elif definition.kind == "durable" and id(definition.node) not in reached:
            workers.append(_durable_behind_gateway(definition, scope, imports, scan, unique(f"{prefix}_{definition.name}"), rel))
    return workers


def _durable_behind_gateway(definition: _Definition, scope: dict, imports: dict, scan: _Scan, name: str, rel: str) -> KitWorker:
    """A Durable Object the notebook reaches only through helpers or RPC: served behind a
    generated Default (WebSocket upgrades → its fetch; GET → its argument-free RPC methods)."""
    definitions = _closure([definition.name], scope)

    def methods(node: ast.ClassDef) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        own = {i.name: i for i in node.body if isinstance(i, (ast.FunctionDef, ast.AsyncFunctionDef)) and not i.name.startswith("_")}
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in scope and isinstance(scope[base.id].node, ast.ClassDef):
                own = {**methods(scope[base.id].node), **own}
        return own

    available = methods(definition.node)
    hooks = {"fetch", "webSocketMessage", "webSocketClose", "webSocketError", "alarm"}
    rpc = [n for n, item in available.items() if n not in hooks and len(item.args.args) == 1 and not item.args.vararg]
    marker = "" if "fetch" in available else "\n    # wsguide-extract: rpc-only"
    gateway = f'''class Default(WorkerEntrypoint):
    # Generated by tests/pyodide_workerd/extract.py: the notebook reaches {definition.name} through
    # wsguide helpers; on Python Workers a Worker in front of it does that.{marker}
    async def fetch(self, request):
        stub = self.env.{DEFAULT_BINDING}.getByName("extracted")
        if (request.headers.get("Upgrade") or "").lower() == "websocket":
            return await stub.fetch(request)
        lines = []
        for name in {rpc!r}:
            try:
                lines.append(f"{{name}}(): {{await getattr(stub, name)()!r}}")
            except Exception as exc:
                lines.append(f"{{name}}(): raised {{type(exc).__module__}}.{{type(exc).__qualname__}}: {{exc}}")
        return Response("\\n".join(lines))'''
    import_lines, wsguide_only = _imports_for(imports, _global_names(d.node for d in definitions))
    import_lines.append("from workers import Response, WorkerEntrypoint")
    blocks = [ast.get_source_segment(scan.cells[d.cell], d.node) for d in definitions]
    blocks += [gateway, f'DURABLE_OBJECTS = {{"{DEFAULT_BINDING}": {definition.name}}}']
    notes = list(scan.notes) + [f"served behind a generated Default (binding {DEFAULT_BINDING})"]
    if wsguide_only:
        notes.append(f"uses wsguide-only names: {', '.join(wsguide_only)}")
    return KitWorker(
        name,
        f"{rel}, cells {', '.join(str(c) for c in sorted({d.cell for d in definitions}))}",
        "Default",
        _assemble(import_lines, blocks),
        "/",
        {DEFAULT_BINDING: definition.name},
        tuple(notes),
    )


def kit_workers(root: Path) -> list[KitWorker]:
    """Every Worker in the kit at ``root``: examples, then notebooks, then solutions."""
    found: list[KitWorker] = []
    for path in sorted(root.glob("examples/*.py")) + sorted(root.glob("examples/*/worker.py")):
        found.extend(extract_module(path, root))
    for path in sorted(root.glob("notebooks/*.ipynb")) + sorted(root.glob("notebooks/solutions/*.ipynb")):
        found.extend(extract_notebook(path, root))
    return found
