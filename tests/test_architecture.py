"""The package's folders are its architecture: arrows run one way, and nothing circles.

    web  ->  api, maps, export  ->  data

Read from the source with ``ast`` (lazy imports inside functions included), not
by importing anything. Root modules ``errors`` and ``cache`` are kernels every layer
may use, ``styles`` (the style table) sits on ``data``, and ``config`` (every face's
settings) is read by the entry points only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "geoapp"

#: Layer of each top-level part of the package (higher may import lower, never upward).
RANK = {
    "data": 0,
    "errors": 0,
    "cache": 0,
    "styles": 1,
    "api": 2,
    "maps": 2,
    "export": 3,
    "web": 4,
    # The settings of every face, checked at start-up: used by the entry points only.
    "config": 4,
    "cli": 5,
    "deploy": 5,
    "__init__": 5,
    "__main__": 6,
    "wsgi": 6,
}
#: Third-party packages a layer must not import: the data layer knows no web or drawing.
FORBIDDEN = {
    "data": {"flask", "werkzeug", "folium", "branca", "matplotlib", "jinja2"},
    "api": {"flask", "werkzeug", "folium", "matplotlib"},
    "errors": {"flask", "werkzeug"},
}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        found[name.removesuffix(".__init__")] = path
    return found


KNOWN: set[str] = set()


def imports_of(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                # ``from geoapp import styles`` imports the module geoapp.styles; only a
                # name that is not a module (``from geoapp import create_app``) is taken
                # from the package itself.
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in KNOWN else module)
    return found


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = modules()
KNOWN.update(MODULES)
GRAPH = {
    name: {m for m in imports_of(name, path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def test_the_folders_are_the_layers():
    for part in ("data", "data.providers", "maps", "maps.printed", "export", "api", "web"):
        assert f"geoapp.{part}" in MODULES, part
    assert not [m for m in MODULES if part_of(m) not in RANK], "a module outside the layers"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_upward(name):
    mine = RANK[part_of(name)]
    upward = [m for m in GRAPH[name] if RANK[part_of(m)] > mine]
    assert not upward, f"{name} imports {upward}"
    third = {m.split(".")[0] for m in imports_of(name, MODULES[name])}
    assert not third & FORBIDDEN.get(part_of(name), set()), name


def test_no_import_circles():
    """Depth-first search for a back edge, lazy imports included."""
    state: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if state.get(target) == 1:
                circles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    assert not circles, circles


#: Entry points may import the factory from the package; nothing else takes a global from it.
ENTRY_POINTS = ("geoapp.wsgi", "geoapp.__main__", "geoapp.cli", "geoapp.deploy")


def test_nothing_imports_the_package_init_for_a_global():
    offenders = []
    for name, path in MODULES.items():
        if name == "geoapp" or name.startswith(ENTRY_POINTS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "geoapp" and not node.level:
                offenders += [
                    f"{name}: {a.name}" for a in node.names if f"geoapp.{a.name}" not in MODULES
                ]
    assert not offenders, offenders
