"""domain/ has no import cycle, not even a type-only one (issue 12: access -> commands ->
state -> access was one): every module's imports of other domain modules, read from its
source, form a graph without cycles."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def _imports(path: Path) -> set[str]:
    """The domain modules ``path`` imports, at run time or under TYPE_CHECKING alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "domain":
                found |= {f"domain.{alias.name}" for alias in node.names}
            elif node.module.startswith("domain."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("domain.")}
    modules = {f"domain.{p.stem}" for p in DOMAIN.glob("*.py") if p.stem != "__init__"}
    return found & modules


def test_domain_modules_import_without_cycles() -> None:
    graph = {f"domain.{p.stem}": _imports(p) for p in DOMAIN.glob("*.py") if p.stem != "__init__"}
    assert "domain.commands" in graph["domain.access"]  # the graph is really read
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())
