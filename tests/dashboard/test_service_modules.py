"""The dashboard's services: one module per page, imported by name; the package itself
re-exports nothing, so a view says which service it uses."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import dashboard.services as services_package

DASHBOARD = Path(services_package.__file__).resolve().parents[1]
CALLERS = sorted(
    p for p in DASHBOARD.rglob("*.py") if "services" not in p.relative_to(DASHBOARD).parts
)


def test_the_services_package_re_exports_nothing() -> None:
    tree = ast.parse(Path(services_package.__file__).read_text(encoding="utf-8"))
    statements = [n for n in tree.body if not isinstance(n, ast.Expr)]  # the docstring
    assert statements == []


def test_views_and_components_import_the_service_module_they_use() -> None:
    through_package = [
        str(path.relative_to(DASHBOARD))
        for path in CALLERS
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.module == "dashboard"
        and any(alias.name == "services" for alias in node.names)
    ]
    assert through_package == []


def test_every_service_module_imports() -> None:
    names = [
        m.name for m in pkgutil.walk_packages(services_package.__path__, "dashboard.services.")
    ]
    for name in names:
        importlib.import_module(name)
    assert {"dashboard.services.business.costs", "dashboard.services.run_detail"} <= set(names)
