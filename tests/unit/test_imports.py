"""The agent's import graph: one direction between its parts, no loops.

Each subpackage of agent/orpheus (pbx, licensing, ...) and each top-level module (status,
bootstrap, ...) is one node; an import of one from another is an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

AGENT = Path(__file__).resolve().parents[2] / "agent" / "orpheus"
ERRORS = {"AsteriskUnavailable", "AsteriskFacts"}  # types, not a way to talk to Asterisk


def part_of(module: str) -> str | None:
    """'orpheus.pbx.store' -> 'pbx'; 'orpheus.status' -> 'status'; other packages -> None."""
    names = module.split(".")
    return names[1] if names[0] == "orpheus" and len(names) > 1 else None


def imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # from orpheus import firmware; from orpheus.asterisk import ami (maybe modules)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def import_graph(root: Path = AGENT) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).with_suffix("")
        source = part_of(".".join(relative.parts))
        if source is None or source == "__init__":
            continue
        targets = {part_of(m) for m in imported_modules(ast.parse(path.read_text()))}
        graph.setdefault(source, set()).update(t for t in targets if t and t != source)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One loop of the graph as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_find_cycle_sees_a_loop() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_is_read_from_the_code() -> None:
    graph = import_graph()
    assert "licensing" in graph["pbx"]
    assert {"pbx", "licensing", "update", "snmp", "ha"} <= graph["bootstrap"]


def test_no_loop_between_the_parts_of_the_agent() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_licensing_does_not_import_the_pbx() -> None:
    assert "pbx" not in import_graph()["licensing"]


def test_only_the_adapter_talks_to_asterisk() -> None:
    """Nothing outside agent/orpheus/asterisk runs `asterisk -rx` or opens AMI itself."""
    for path in AGENT.rglob("*.py"):
        if path.parent.name == "asterisk":
            continue
        modules = imported_modules(ast.parse(path.read_text()))
        assert "orpheus.asterisk.control" not in modules or _only_errors(path), path
        assert "orpheus.asterisk.ami" not in modules or path.name == "apply.py", path


def _only_errors(path: Path) -> bool:
    """Importing the adapter's error type is asking it, not talking to Asterisk."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        named = {alias.name for alias in node.names} if isinstance(node, ast.ImportFrom) else set()
        if getattr(node, "module", None) == "orpheus.asterisk.control" and named - ERRORS:
            return False
    return True
