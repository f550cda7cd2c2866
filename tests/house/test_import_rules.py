"""The floors of the house point down: no module imports a capability above it, and no cycles."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "tierwise"

# Bottom to top. The floor is the kit every capability uses; the roofs compose the capabilities.
FLOOR = {"config", "documents", "errors", "exit_codes", "i18n", "sheets", "terminal", "db", "jobs"}
CAPABILITIES = [
    "organisation",
    "identity",
    "runtime",
    "web",
    "admin",
    "ingest",
    "customers",
    "sales",
    "analytics",
    "tiering",
    "desk",
    "accountability",
    "notices",
    "dashboard",
    "imports",
    "demo",
]
ROOFS = {"bootstrap", "capabilities", "schema", "server", "serve", "cli", "__main__", "__init__"}


def level(part: str) -> int:
    """Where a top-level module of the package sits: floor 0, capabilities upwards, roofs on top."""
    if part in FLOOR:
        return 0
    if part in CAPABILITIES:
        return 1 + CAPABILITIES.index(part)
    assert part in ROOFS, f"tierwise.{part} is not placed in the import rules: add it to a floor"
    return len(CAPABILITIES) + 1


def module_name(path: Path) -> str:
    """The dotted name of a source file."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every tierwise module the file imports, at the top or inside functions."""
    found: set[str] = set()
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tierwise")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.startswith("tierwise"):
                found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names}
    return found


def sources() -> list[Path]:
    """The package's modules, migrations aside (scripts Alembic runs against the whole schema)."""
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]


def known(name: str, modules: set[str]) -> str | None:
    """The module a dotted import refers to (a name imported from a module resolves to it)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, set[str]]:
    """Module → the tierwise modules it imports."""
    files = sources()
    modules = {module_name(p) for p in files}
    edges: dict[str, set[str]] = defaultdict(set)
    for path in files:
        source = module_name(path)
        for name in imports(path):
            target = known(name, modules)
            if target and target not in (source, "tierwise"):
                edges[source].add(target)
    return edges


def top(module: str) -> str:
    """The top-level part under tierwise (a capability, a floor or a roof)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_module_imports_a_capability_above_it() -> None:
    upward = {
        f"{source} → {target}"
        for source, targets in graph().items()
        for target in targets
        if level(top(target)) > level(top(source))
    }
    assert sorted(upward) == [], "imports of a capability above"


def test_there_are_no_import_cycles_between_modules() -> None:
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        # Tarjan's strongly connected components; any component of two or more is a cycle.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    assert cycles == [], "\n".join(" ↔ ".join(c) for c in cycles)


@pytest.mark.parametrize("floor", sorted(FLOOR))
def test_floor_modules_exist(floor: str) -> None:
    assert (PACKAGE / floor).exists() or (PACKAGE / f"{floor}.py").exists()
