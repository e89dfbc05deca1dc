"""The layer rules of docs/DESIGN.md, checked on every file's imports (parsed, not run).

Imports run one way: dashboard → sweeps → lightning_modules → paretolab. The core imports no
streamlit, optuna or Lightning, and torch only inside a function (DESIGN.md's one exception:
the cost model and the config schema load in milliseconds); lightning_modules imports no
streamlit or optuna; sweeps no streamlit; a dashboard view no SQLAlchemy or torch. No file
takes part in an import cycle, module-level and function-level imports alike.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("paretolab", "lightning_modules", "sweeps", "dashboard")  # lowest first
PACKAGES = (*LAYERS, "benchmarks")  # benchmarks sit above the layers: cycles only

# What a package may never import, anywhere in it (files or folders under REPO).
FORBIDDEN = {
    "paretolab": {"streamlit", "optuna", "optuna_integration", "lightning"},
    "lightning_modules": {"streamlit", "optuna", "optuna_integration"},
    "sweeps": {"streamlit"},
    "dashboard/views": {"sqlalchemy", "torch", "lightning"},
}
# What a package may import only inside a function (DESIGN.md: no torch at module level).
NOT_AT_MODULE_LEVEL = {"paretolab": {"torch"}}


@dataclass(frozen=True)
class Import:
    """One imported module, as written in a file, with where it was imported."""

    file: str  # relative to REPO
    module: str  # absolute dotted name
    names: tuple[str, ...]  # what `from module import …` took (empty for `import module`)
    line: int
    module_level: bool  # False: inside a function (a lazy import)


def project_files() -> list[Path]:
    """The project's own files (not a virtual environment or cache kept beside them, such
    as the store benchmark's benchmarks/.mlflow-venv)."""
    return sorted(
        f
        for pkg in PACKAGES
        for f in (REPO / pkg).rglob("*.py")
        if not any(part.startswith(".") for part in f.relative_to(REPO).parts)
    )


def _module_of(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[Import]:
    """Every import in ``path``: top level, under `if`/`try`, and inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(REPO).as_posix()
    package = ".".join(path.relative_to(REPO).parent.parts)  # what `from . import` means
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend(
                    Import(rel, a.name, (), child.lineno, not in_function) for a in child.names
                )
            elif isinstance(child, ast.ImportFrom):
                module = _absolute(child, package)
                names = tuple(a.name for a in child.names)
                found.append(Import(rel, module, names, child.lineno, not in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


ALL_IMPORTS = [imp for f in project_files() for imp in imports_of(f)]


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_parser_sees_imports_at_every_depth() -> None:
    # Guards the rules below against passing because nothing was found.
    lazy = [i for i in ALL_IMPORTS if i.file == "paretolab/devices.py" and i.module == "torch"]
    assert lazy and not any(i.module_level for i in lazy)
    assert len({i.file for i in ALL_IMPORTS}) > 150


@pytest.mark.parametrize("area", list(FORBIDDEN))
def test_no_package_imports_what_its_layer_forbids(area: str) -> None:
    bad = [
        f"{i.file}:{i.line} imports {i.module}"
        for i in ALL_IMPORTS
        if i.file.startswith(area + "/") and _top(i.module) in FORBIDDEN[area]
    ]
    assert not bad, "\n".join(bad)


def test_the_core_imports_torch_only_inside_functions() -> None:
    bad = [
        f"{i.file}:{i.line} imports {i.module} at module level (import it where it is used)"
        for i in ALL_IMPORTS
        for area, banned in NOT_AT_MODULE_LEVEL.items()
        if i.file.startswith(area + "/") and i.module_level and _top(i.module) in banned
    ]
    assert not bad, "\n".join(bad)


def test_imports_run_one_way_dashboard_sweeps_lightning_modules_paretolab() -> None:
    bad = []
    for i in ALL_IMPORTS:
        here, there = i.file.split("/")[0], _top(i.module)
        if here in LAYERS and there in LAYERS and LAYERS.index(there) > LAYERS.index(here):
            bad.append(f"{i.file}:{i.line} imports {i.module}, a layer above {here}")
    assert not bad, "\n".join(bad)


def test_the_core_loads_without_torch_streamlit_optuna_or_lightning() -> None:
    # At run time too: a third-party library the core uses could pull one of them in.
    code = (
        "import importlib, pkgutil, sys, paretolab\n"
        "for m in pkgutil.walk_packages(paretolab.__path__, 'paretolab.'):\n"
        "    if '.migrations' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in ('torch', 'streamlit', 'optuna', 'lightning') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# Private attributes of Optuna's Study: reading them ties us to one Optuna release.
OPTUNA_PRIVATE = {"_storage", "_study_id"}


def test_no_code_reads_private_attributes_of_an_optuna_study() -> None:
    bad = [
        f"{path.relative_to(REPO)}:{node.lineno} reads .{node.attr}"
        for path in project_files()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and node.attr in OPTUNA_PRIVATE
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]
    assert not bad, "\n".join(bad)


def _file_of(module: str) -> str | None:
    """The project file that defines ``module`` (a package: its __init__.py), if any."""
    path = REPO.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(REPO).as_posix()
    return None


def import_graph() -> dict[str, set[str]]:
    """Which project files each project file imports (``from pkg import mod`` is ``mod``)."""
    graph: dict[str, set[str]] = {f.relative_to(REPO).as_posix(): set() for f in project_files()}
    for i in ALL_IMPORTS:
        if _top(i.module) not in PACKAGES:
            continue
        targets = {_file_of(f"{i.module}.{n}") for n in i.names} - {None}
        if len(targets) < len(i.names) or not i.names:  # some names are attributes
            targets.add(_file_of(i.module))
        graph[i.file].update(t for t in targets if t and t != i.file)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components with more than one file (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: set[frozenset[str]] = set()

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.add(frozenset(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for node in sorted(graph):
            if node not in index:
                connect(node)
    finally:
        sys.setrecursionlimit(limit)
    return cycles


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a.py": {"b.py"}, "b.py": {"c.py"}, "c.py": {"a.py"}, "d.py": {"a.py"}}
    assert import_cycles(graph) == {frozenset({"a.py", "b.py", "c.py"})}


def test_no_import_cycle_between_files() -> None:
    cycles = [" ↔ ".join(sorted(c)) for c in import_cycles(import_graph())]
    assert not cycles, "import cycles between files (break them):\n" + "\n".join(cycles)


def _declared() -> set[str]:
    """Distribution names in pyproject's dependencies and optional dependencies (read as
    text: tomllib is not in Python 3.10, which the project still supports)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    project = text[text.index("[project]") : text.index("[project.scripts]")]
    names = re.findall(r'(?:^\s*|\[)"([A-Za-z0-9][A-Za-z0-9._-]*)', project, re.MULTILINE)
    return {n.lower().replace("_", "-") for n in names}


def test_every_library_the_product_imports_is_a_declared_dependency() -> None:
    # A library that is only installed because another one needs it can vanish in an upgrade.
    distributions = importlib.metadata.packages_distributions()
    declared = _declared()
    bad = set()
    for i in ALL_IMPORTS:
        top = _top(i.module)
        if i.file.startswith("benchmarks/") or top in sys.stdlib_module_names or top in PACKAGES:
            continue
        names = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
        if not names & declared:
            bad.add(f"{i.file}:{i.line} imports {top} ({', '.join(sorted(names))} not declared)")
    assert not bad, "\n".join(sorted(bad))


def _subpackage(dotted: str) -> str | None:
    """``lightning_modules.run`` for ``lightning_modules.run.sharding``: the folder below a
    layer a module lives in (None for a module directly under the layer)."""
    parts = dotted.split(".")
    if len(parts) < 3 or not (REPO / parts[0] / parts[1]).is_dir():
        return None
    return ".".join(parts[:2])


def test_no_two_lightning_subpackages_import_each_other() -> None:
    """Importing ``pkg.a.x`` runs ``pkg/a/__init__``; sub-packages that import each other
    (tasks ↔ run was one) are a cycle waiting for an ``__init__`` that imports its modules."""
    edges = set()
    for imp in (i for i in ALL_IMPORTS if i.file.startswith("lightning_modules/")):
        source = _subpackage(imp.file.removesuffix(".py").replace("/", "."))
        target = _subpackage(imp.module)
        if source and target and source != target:
            edges.add((source, target))
    mutual = sorted(f"{a} ↔ {b}" for a, b in edges if (b, a) in edges and a < b)
    assert not mutual, "sub-packages importing each other:\n" + "\n".join(mutual)
