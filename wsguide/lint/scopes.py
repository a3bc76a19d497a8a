"""Pass 1 of the checker: the scope of every node, and every name binding in each scope.

The checker never runs the Worker. To know what a name holds (a socket? a dict? a plain
function?) it finds the binding the name most likely refers to: the last one before it in
its scope, else the innermost enclosing scope's (class bodies are skipped, as in Python).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Binder", "Binding", "Scope"]


@dataclass
class Binding:
    """One place a name is bound: its line, how, and to what."""

    line: int
    kind: str  # assign, unpack, for, def, class, param, import, other
    value: Any = None  # the assigned/iterated expression, or the def/class node
    extra: Any = None  # unpack: index; param: (function, index); import: (module, name)


@dataclass
class Scope:
    """A module, function, lambda or class body, with the names bound in it."""

    node: ast.AST
    parent: Scope | None
    is_class: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


class Binder(ast.NodeVisitor):
    """Walks a module once: ``scope_of[id(node)]``, the bindings of each scope, the methods
    defined in classes and every ``self.X = value``."""

    def __init__(self, tree: ast.Module) -> None:
        self.module = Scope(tree, None)
        self.scope_of: dict[int, Scope] = {}
        self.self_attributes: dict[str, list[ast.expr]] = {}  # self.X = value, anywhere
        self.methods: set[str] = set()  # names of functions defined in classes
        self.current = self.module
        self.visit(tree)

    def generic_visit(self, node: ast.AST) -> None:
        self.scope_of[id(node)] = self.current
        super().generic_visit(node)

    def _in(self, scope: Scope, nodes: Iterable[ast.AST]) -> None:
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
            self.current.bind(node.name, Binding(node.lineno, "def", node))
        scope = Scope(node, self.current)
        params = [*args.posonlyargs, *args.args, *([args.vararg] if args.vararg else []), *args.kwonlyargs,
                  *([args.kwarg] if args.kwarg else [])]
        for index, arg in enumerate(params):
            scope.bind(arg.arg, Binding(node.lineno, "param", None, (node, index)))
            self.scope_of[id(arg)] = scope
        self._in(scope, [node.body] if isinstance(node, ast.Lambda) else node.body)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope_of[id(node)] = self.current
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.current.bind(node.name, Binding(node.lineno, "class", node))
        self._in(Scope(node, self.current, is_class=True), node.body)

    def _bind_target(self, target: ast.expr, line: int, kind: str, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.current.bind(target.id, Binding(line, kind, value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Name):
                    unpack_kind = "for" if kind == "for" else "unpack"
                    self.current.bind(element.id, Binding(line, unpack_kind, value, index))
                elif isinstance(element, ast.Starred) and isinstance(element.value, ast.Name):
                    self.current.bind(element.value.id, Binding(line, "other"))
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
            self.current.bind(node.name, Binding(node.lineno, "other"))
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.current.bind(alias.asname, Binding(node.lineno, "import", None, (alias.name, None)))
            else:
                top = alias.name.split(".")[0]
                self.current.bind(top, Binding(node.lineno, "import", None, (top, None)))
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name != "*":
                self.current.bind(alias.asname or alias.name, Binding(node.lineno, "import", None, (module, alias.name)))
        self.generic_visit(node)
