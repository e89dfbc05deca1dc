"""Imports run one way: sweeps imports no streamlit, lightning_modules no optuna (or sweeps)."""

import ast

import pytest

from tests.conftest import REPO


def imported_modules(package: str) -> dict[str, set[str]]:
    """Top-level module names each file of ``package`` imports (at any depth in the file)."""
    found = {}
    for path in (REPO / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("sweeps", {"streamlit", "dashboard"}), ("lightning_modules", {"optuna", "sweeps"})],
)
def test_imports_run_one_way(package: str, forbidden: set[str]) -> None:
    bad = {f: names & forbidden for f, names in imported_modules(package).items()}
    assert not {f: n for f, n in bad.items() if n}
