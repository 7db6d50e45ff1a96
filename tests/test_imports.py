"""No import cycles: between ecomgpt's files, and between its subpackages.

Every `import` and `from ... import` counts, at module level, inside functions and under TYPE_CHECKING alike:
a function-level import hides a cycle, it does not remove one. An import is an edge to the file it names, a
module or a package's `__init__` (`from ecomgpt.x import y` names ecomgpt/x/y.py when that file exists), not
to the `__init__` files of the packages above it. A subpackage is ecomgpt.<name>, its nested packages
included; a top-level module is a node of its own.

The cycles found print in the failure messages (`pytest tests/test_imports.py`), or all at once:
`python -c "from tests.test_imports import report; print(report())"` from the repository root.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import REPO

ROOT = REPO / "platform" / "ecomgpt"

# Registration by import, the one sanctioned way round: a registry fills itself on first use by importing the
# modules that register into it, and they import the registry. Each entry is an edge left out of the graph.
REGISTRATION = {
    ("ecomgpt.tasks.registry", "ecomgpt.tasks.library"): "the task library's modules run register_task",
    ("ecomgpt.tasks.registry", "ecomgpt.tasks.pseudo.library"): "the pseudo-label tasks run register_pseudo_task",
}

Graph = Mapping[str, frozenset[str]]


def module_name(path: Path) -> str:
    """ecomgpt/a/b.py -> ecomgpt.a.b; ecomgpt/a/__init__.py -> ecomgpt.a."""
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_files() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _base(module: str, is_package: bool, level: int) -> str:
    """The package a relative import of `level` dots in `module` starts from."""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    return ".".join(parts[: len(parts) - (level - 1)])


def imported(tree: ast.AST, module: str, is_package: bool, modules: frozenset[str]) -> frozenset[str]:
    """The ecomgpt modules `tree` imports, wherever the import statement sits."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = _base(module, is_package, node.level)
                source = f"{base}.{source}" if source else base
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                out.add(submodule if submodule in modules else source)
    return frozenset(name for name in out if name in modules)


def all_imports() -> dict[str, frozenset[str]]:
    """Each ecomgpt module -> the ecomgpt modules it imports."""
    files = module_files()
    modules = frozenset(files)
    return {
        name: imported(ast.parse(path.read_text(), str(path)), name, path.name == "__init__.py", modules) - {name}
        for name, path in files.items()
    }


def module_graph() -> dict[str, frozenset[str]]:
    """`all_imports` without the registration edges."""
    return {
        name: frozenset(t for t in targets if (name, t) not in REGISTRATION) for name, targets in all_imports().items()
    }


def package_of(module: str) -> str:
    """The subpackage a module belongs to (ecomgpt.generate.plan -> ecomgpt.generate); a top-level module is its own."""
    return ".".join(module.split(".")[:2])


def package_graph(modules: Graph) -> dict[str, frozenset[str]]:
    """Subpackage -> the subpackages its modules import."""
    out: dict[str, set[str]] = {}
    for source, targets in modules.items():
        package = package_of(source)
        out.setdefault(package, set()).update(package_of(target) for target in targets)
    return {package: frozenset(targets - {package}) for package, targets in out.items()}


def _shortest_path(graph: Graph, start: str, goal: str) -> list[str]:
    """The shortest path start -> goal (breadth first, neighbours in sorted order); [] when there is none."""
    previous: dict[str, str] = {}
    queue, seen = deque([start]), {start}
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [goal]
            while path[-1] != start:
                path.append(previous[path[-1]])
            return path[::-1]
        for nxt in sorted(graph.get(node, ())):
            if nxt not in seen:
                seen.add(nxt)
                previous[nxt] = node
                queue.append(nxt)
    return []


def _rotate(cycle: list[str]) -> tuple[str, ...]:
    """One spelling per cycle: start at its smallest node."""
    first = cycle.index(min(cycle))
    return tuple(cycle[first:] + cycle[:first])


def cycles(graph: Graph) -> list[tuple[str, ...]]:
    """For every edge a -> b on a cycle, the shortest cycle through it; each cycle once, sorted."""
    found = set()
    for source in graph:
        for target in graph[source]:
            back = _shortest_path(graph, target, source)
            if back:
                found.add(_rotate([source, *back[:-1]]))
    return sorted(found)


def describe(found: list[tuple[str, ...]]) -> str:
    return "\n".join(" -> ".join((*cycle, cycle[0])) for cycle in found)


def report() -> str:
    """Every cycle this checkout has, between files and between subpackages."""
    graph = module_graph()
    files, packages = describe(cycles(graph)) or "none", describe(cycles(package_graph(graph))) or "none"
    return f"between files:\n{files}\nbetween subpackages:\n{packages}"


def test_the_graph_sees_every_kind_of_import():
    modules = frozenset({"ecomgpt", "ecomgpt.a", "ecomgpt.a.b", "ecomgpt.a.c", "ecomgpt.d"})
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import ecomgpt.d
from . import c
if TYPE_CHECKING:
    from ecomgpt.a.b import Thing
def f():
    from .. import __version__
"""
    found = imported(ast.parse(source), "ecomgpt.a.x", False, modules)
    assert found == {"ecomgpt.d", "ecomgpt.a.c", "ecomgpt.a.b", "ecomgpt"}
    assert imported(ast.parse("from . import b"), "ecomgpt.a", True, modules) == {"ecomgpt.a.b"}


def test_cycles_are_found_once_each():
    graph = {"a": frozenset({"b"}), "b": frozenset({"c", "a"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert cycles(graph) == [("a", "b"), ("a", "b", "c")]
    assert describe([("a", "b")]) == "a -> b -> a"
    assert report().startswith("between files:\n")
    assert package_graph({"ecomgpt.x.m": frozenset({"ecomgpt.y.n", "ecomgpt.x.k"})})["ecomgpt.x"] == {"ecomgpt.y"}


def test_every_registration_edge_is_needed():
    graph = all_imports()
    for source, target in REGISTRATION:
        assert target in graph[source], f"{source} no longer imports {target}: drop it from REGISTRATION"
        assert _shortest_path(graph, target, source), f"{source} -> {target} closes no cycle: drop it from REGISTRATION"


def test_no_module_cycles():
    found = cycles(module_graph())
    assert not found, f"import cycles between ecomgpt's files:\n{describe(found)}"


def test_no_package_cycles():
    found = cycles(package_graph(module_graph()))
    assert not found, f"import cycles between ecomgpt's subpackages:\n{describe(found)}"
