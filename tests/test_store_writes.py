"""A write is a function the database runs, awaiting nothing but its connection: checked on the source itself.

A function handed to `database.write(...)` (or `transaction(...)`) receives the connection only, and every
`await` in it is a call on that connection, on a cursor it returned, or on a helper that receives the
connection first and obeys the same rule. So no transaction ever waits on the network, a lock, a sleep or
another task. Every function whose first parameter is a `Conn` is held to the rule too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "bot", "channels", "handlers")
RUNNERS = ("write", "transaction")


@dataclass
class Module:
    """One source file: its top-level functions and what it imports from the project."""

    name: str
    tree: ast.Module
    functions: dict[str, ast.AsyncFunctionDef | ast.FunctionDef] = field(default_factory=dict)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)


def _modules() -> dict[str, Module]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = _module(name, path.read_text(encoding="utf-8"))
    return found


def _module(name: str, source: str) -> Module:
    module = Module(name, ast.parse(source))
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            module.functions[node.name] = node
        elif isinstance(node, ast.ImportFrom) and node.module:
            module.imported.update({a.asname or a.name: (node.module, a.name) for a in node.names})
    return module


class Checker:
    """Finds the write functions of every module and what each of them awaits."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.problems: list[str] = []
        self._checked: set[int] = set()

    def run(self) -> list[str]:
        for module in self.modules.values():
            self._walk(module, module.tree, [])
        return self.problems

    def _walk(self, module: Module, node: ast.AST, scopes: list[ast.AST]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if _takes_connection(node):
                self._check(module, node)
            scopes = [*scopes, node]
        if isinstance(node, ast.Call) and _runs_a_write(node, scopes) and node.args:
            self._write_argument(module, node.args[0], scopes)
        for child in ast.iter_child_nodes(node):
            self._walk(module, child, scopes)

    def _write_argument(self, module: Module, arg: ast.expr, scopes: list[ast.AST]) -> None:
        where = f"{module.name}:{arg.lineno}"
        if isinstance(arg, ast.Lambda):
            return  # a lambda awaits nothing; what it returns is awaited by the database, on its argument
        if isinstance(arg, ast.Name) and (local := _local(arg.id, scopes)) is not None:
            self._check(module, local)
        elif isinstance(arg, ast.Name) and (named := self._resolve(module, arg.id)) is not None:
            self._check(*named)
        elif isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and \
                (factory := self._resolve(module, arg.func.id)) is not None:
            inner = [n for n in ast.walk(factory[1]) if isinstance(n, ast.AsyncFunctionDef) and n is not factory[1]]
            if not inner:
                self.problems.append(f"{where}: {arg.func.id}() returns no write function")
            for fn in inner:
                self._check(factory[0], fn)
        else:
            self.problems.append(f"{where}: a write must be a function defined here, not {ast.unparse(arg)}")

    def _resolve(self, module: Module, name: str) -> tuple[Module, ast.AsyncFunctionDef | ast.FunctionDef] | None:
        if name in module.functions:
            return module, module.functions[name]
        source, original = module.imported.get(name, ("", ""))
        if source in self.modules and original in self.modules[source].functions:
            return self.modules[source], self.modules[source].functions[original]
        return None

    def _check(self, module: Module, fn: ast.AsyncFunctionDef | ast.FunctionDef) -> None:
        if id(fn) in self._checked:
            return
        self._checked.add(id(fn))
        params = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
        if not params:
            self.problems.append(f"{module.name}:{fn.lineno}: {fn.name} receives no connection")
            return
        allowed = {params[0]}
        for node in _own_nodes(fn):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and _awaits_on(node.value, allowed):
                allowed |= _names(node)  # a cursor or rows the connection returned
            if isinstance(node, ast.AsyncWith):
                for item in node.items:
                    if not _call_on(item.context_expr, allowed):
                        self._bad(module, node, fn, "async with " + ast.unparse(item.context_expr))
                    elif item.optional_vars is not None:
                        allowed |= {n.id for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name)}
            elif isinstance(node, ast.AsyncFor) and not _call_on(node.iter, allowed):
                self._bad(module, node, fn, "async for over " + ast.unparse(node.iter))
            elif isinstance(node, ast.Await) and not _call_on(node.value, allowed):
                self._helper(module, node, fn, params[0])

    def _helper(self, module: Module, node: ast.Await, fn: ast.AST, conn: str) -> None:
        call = node.value
        if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Name) and \
                call.args[0].id == conn and isinstance(call.func, ast.Name) and \
                (helper := self._resolve(module, call.func.id)) is not None:
            self._check(*helper)  # a helper handed the connection first, held to the same rule
            return
        self._bad(module, node, fn, "await " + ast.unparse(call))

    def _bad(self, module: Module, node: ast.AST, fn: ast.AST, what: str) -> None:
        name = getattr(fn, "name", "?")
        self.problems.append(f"{module.name}:{getattr(node, 'lineno', '?')}: {name} runs in a transaction and {what}")


def _takes_connection(fn: ast.AsyncFunctionDef | ast.FunctionDef) -> bool:
    params = [a for a in fn.args.args if a.arg not in ("self", "cls")]
    return bool(params) and params[0].annotation is not None and ast.unparse(params[0].annotation) == "Conn"


def _runs_a_write(call: ast.Call, scopes: list[ast.AST]) -> bool:
    """`<...>database.write(...)`, or `self.write(...)` inside a database class."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in RUNNERS:
        return False
    receiver = ast.unparse(func.value)
    return receiver.endswith("database") or (receiver == "self" and any(
        isinstance(s, ast.ClassDef) and s.name.endswith("Database") for s in scopes))


def _local(name: str, scopes: list[ast.AST]) -> ast.AsyncFunctionDef | ast.FunctionDef | None:
    for scope in reversed(scopes):
        for node in ast.walk(scope):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name and node is not scope:
                return node
    return None


def _own_nodes(fn: ast.AST) -> list[ast.AST]:
    """The nodes of a function's body, without those of the functions defined inside it."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return out


def _call_on(expr: ast.AST, allowed: set[str]) -> bool:
    """A call of a method of one of the allowed names (the connection, its cursors)."""
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and \
        isinstance(expr.func.value, ast.Name) and expr.func.value.id in allowed


def _awaits_on(expr: ast.AST | None, allowed: set[str]) -> bool:
    return expr is not None and any(isinstance(n, ast.Await) and _call_on(n.value, allowed) for n in ast.walk(expr))


def _names(node: ast.Assign | ast.AnnAssign | ast.NamedExpr) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def test_writes_await_nothing_but_their_connection() -> None:
    assert Checker(_modules()).run() == []


def test_the_check_catches_a_write_that_waits_on_something_else() -> None:
    source = '''
import asyncio
from bot.store.dbapi import Conn

async def helper(db: Conn) -> None:
    await asyncio.sleep(1)

class Repo:
    async def save(self, client) -> None:
        async def save(db: Conn) -> None:
            await db.execute("INSERT INTO t VALUES (1)")
            await client.post("/hook")
        await self.database.write(save)
        await self.database.write(self.other)
'''
    problems = Checker({"sample": _module("sample", source)}).run()
    assert len(problems) == 3, problems
    assert any("asyncio.sleep" in p for p in problems) and any("client.post" in p for p in problems)
    assert any("self.other" in p for p in problems)


def test_every_write_of_the_store_is_found() -> None:
    checker = Checker(_modules())
    checker.run()
    assert len(checker._checked) > 40  # the repositories' write functions and their helpers were all looked at
