"""The shape of the house, checked: layers import only downwards, no import circles, no channel known outside
channels/ and app/, short modules, narrow classes, a small top level in bot/."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: a module may import its own package and those listed before it, never one after.
LAYERS = ("knowledge", "bot.kernel", "bot.understanding", "bot.papi", "bot.store", "bot.ops", "bot.usecases",
          "bot.engine", "handlers", "channels", "app")
PACKAGES = ("app", "bot", "channels", "handlers", "knowledge")
MAX_LINES = 300
MAX_PUBLIC_METHODS = 25
MAX_TOP_LEVEL = 10
CLOCK = "bot.kernel.clock"  # the one module that reads the machine's time; every other is handed a Clock
CLOCK_PENDING: tuple[str, ...] = ()  # packages still reading the time themselves (none)
TIME_READINGS = {("time", "time"), ("time", "monotonic"), ("time", "time_ns"), ("time", "monotonic_ns"),
                 ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}


def _sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(name: str, path: Path) -> set[str]:
    """Every project module a file imports, wherever the import stands (top, function or TYPE_CHECKING)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    modules = dict(_sources())
    return {m for m in found if m in modules and m != name}


def _layer(module: str) -> int:
    for rank, layer in reversed(list(enumerate(LAYERS))):
        if module == layer or module.startswith(layer + "."):
            return rank
    return -1


def test_every_module_belongs_to_a_layer() -> None:
    strays = [name for name, _ in _sources() if _layer(name) < 0 and name != "bot"]
    assert strays == []


def test_layers_import_only_downwards() -> None:
    upward = [f"{name} → {dep}" for name, path in _sources() for dep in sorted(_imports(name, path))
              if _layer(dep) > _layer(name)]
    assert upward == []


def test_no_channel_is_imported_outside_channels_and_app() -> None:
    leaks = [f"{name} → {dep}" for name, path in _sources() if _layer(name) < LAYERS.index("channels")
             for dep in sorted(_imports(name, path)) if dep == "channels" or dep.startswith("channels.")]
    assert leaks == []


def test_no_import_circle() -> None:
    graph = {name: {d for d in _imports(name, path) if path.name != "__init__.py"} for name, path in _sources()}
    state: dict[str, int] = {}
    circles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                circles.append(" → ".join([*trail[trail.index(dep):], dep]))
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_no_module_is_longer_than_the_limit() -> None:
    long = {name: n for name, path in _sources() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_no_class_has_too_many_public_methods() -> None:
    """Counted with what a class inherits from the project's own classes, so mixins cannot hide a god object."""
    wide = {}
    for name, _ in _sources():
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != name:
                continue
            public = {attr for base in cls.__mro__ if base.__module__.split(".")[0] in PACKAGES
                      for attr, value in vars(base).items() if not attr.startswith("_")
                      and (inspect.isfunction(value) or isinstance(value, staticmethod | classmethod | property))}
            if len(public) > MAX_PUBLIC_METHODS:
                wide[f"{name}.{cls.__name__}"] = len(public)
    assert wide == {}


def test_bot_has_a_small_top_level() -> None:
    top = [p.name for p in (ROOT / "bot").iterdir() if (p.suffix == ".py" and p.name != "__init__.py")
           or (p.is_dir() and (p / "__init__.py").exists())]
    assert len(top) <= MAX_TOP_LEVEL, top


def _time_readings(path: Path) -> list[str]:
    """Calls such as time.time(), time.monotonic(), dt.datetime.now(), date.today(), and `from time import time`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in TIME_READINGS:
                found.append(f"{name}.{node.func.attr}() line {node.lineno}")
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [f"from time import {a.name} line {node.lineno}" for a in node.names
                      if ("time", a.name) in TIME_READINGS]
    return found


def test_only_the_clock_reads_the_time() -> None:
    readers = {name: found for name, path in _sources()
               if name != CLOCK and not any(name == p or name.startswith(p + ".") for p in CLOCK_PENDING)
               and (found := _time_readings(path))}
    assert readers == {}


SERVICES = ("admin", "inbox", "staff", "citizen", "plan", "survey", "feedback", "learned", "accounts", "console",
            "review")


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _built_id(node: ast.expr) -> bool:
    """An argument written as text for a use case to parse: str(…), an f-string or a .format() string."""
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Call) and (_dotted(node.func) == "str" or _dotted(node.func).endswith(".format"))


def test_web_pages_call_typed_use_cases_and_say_outcomes_themselves() -> None:
    """The console never scrapes a chat reply (no to_plain, no decision string) and never builds a command line."""
    found = []
    for path in sorted((ROOT / "channels" / "web").glob("*.py")):
        text = path.read_text()
        found += [f"{path.name}: {word}" for word in ("to_plain(", ".decision", ".diagnosis") if word in text]
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func).split(".")
            service = "services" in name and len(name) >= 2 and name[-2] in SERVICES
            if service and any(_built_id(arg) for arg in [*node.args, *(k.value for k in node.keywords)]):
                found.append(f"{path.name}:{node.lineno}: {'.'.join(name[-3:])}(…str…)")
    assert found == [], found


def test_web_pages_reach_the_database_only_through_use_cases() -> None:
    """No console page touches the storage or a repository: what it shows and records goes through bot/usecases."""
    found = []
    for path in sorted((ROOT / "channels" / "web").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "storage":
                found.append(f"{path.name}:{node.lineno}: .storage")
        found += [f"{path.name}: imports {m}" for m in _imports(f"channels.web.{path.stem}", path)
                  if m == "bot.store.storage"]
    assert found == [], found
