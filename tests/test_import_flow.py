"""Imports only flow upwards: geo & store → domain → views → layouts → callbacks.

A backward arrow (store importing domain, say) makes the lower layer impossible to use or test
without the upper one and invites import cycles; the parse catches imports inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import twin_dashboard

PACKAGE_DIR = Path(twin_dashboard.__file__).parent
# Rank of each layer package; a module may import its own rank or lower, never higher.
RANKS: dict[str, int] = {"geo": 0, "store": 0, "domain": 1, "views": 2, "layouts": 3,
                         "callbacks": 4}


def _imported_packages(path: Path) -> set[str]:
    """The twin_dashboard subpackages and top-level modules ``path`` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "twin_dashboard" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(RANKS))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    backward = sorted(
        f"{path.relative_to(PACKAGE_DIR)} imports {target}"
        for path in (PACKAGE_DIR / layer).rglob("*.py")
        for target in _imported_packages(path)
        if RANKS.get(target, -1) > RANKS[layer]
    )
    assert not backward, backward
