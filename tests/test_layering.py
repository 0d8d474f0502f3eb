"""One direction of imports (DESIGN.md, Layout): each part of attnflow imports
only the parts below it, lazy imports inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

import attnflow

ROOT = Path(attnflow.__file__).parent
# lowest first; the private helpers at the top level (_validation, _quiet, ...) are below all
ORDER = ["ops", "layers", "models", "data", "training", "explain", "tasks", "estimators", "bench", "cli"]
COMMAND = {"cli", "_cli_commands", "__main__"}  # the `attnflow` command's modules


def part_of(module: str) -> str | None:
    """The layer of `attnflow.x.y` ("x"; the command's modules are "cli"), None for helpers."""
    parts = module.split(".")
    if parts[0] != "attnflow" or len(parts) < 2:
        return None
    top = parts[1]
    if top in COMMAND:
        return "cli"
    return top if top in ORDER else None


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # from attnflow import x
    return {name for name in found if name.startswith("attnflow.")}


def test_no_module_imports_from_a_layer_above_it():
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        module = "attnflow." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = part_of(module)
        if own is None:
            continue
        for name in imports(path):
            other = part_of(name)
            if other is not None and ORDER.index(other) > ORDER.index(own):
                upward.append(f"{module} imports {name}")
    assert upward == []


def test_the_order_names_every_part():
    parts = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert parts == set(ORDER) - {"cli"}
