"""Does a lent GPU machine have every package the device session imports?

    python benchmarks/device_packages.py

The device session (``benchmarks/device_session.sh``: ``gpu_check.py``, ``gpu_train.py``,
``overhead.py --rows gpu``) runs offline on an image whose packages are listed in
``benchmarks/device_image_packages.txt`` (from /work/.library/device/KINDS.md). What it
lacks travels as wheels (``benchmarks/device_wheels.txt``, ``make device-wheels``).

This walks the imports of the session's modules, and of every first-party module they
import, at module level and inside functions alike (so lazy imports count: an
over-approximation), keeps the third-party ones, maps each to its distribution in this
environment and prints those that neither list holds. Exit 1 if there are any. Modules the
device path never reaches at run time are named in ``NOT_ON_DEVICE_PATH``, and packages of
features it turns off in ``TURNED_OFF``, each with the reason.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("paretolab", "lightning_modules", "sweeps", "benchmarks", "tests")
ENTRY_MODULES = (
    "benchmarks.gpu_check",
    "benchmarks.gpu_check_steps",
    "benchmarks.gpu_train",
    "benchmarks.overhead",
    "paretolab.cli",
    "paretolab.executors.local",
    "lightning_modules.run.train",
    "sweeps.cli",
    "sweeps.worker",
)
# First-party modules reached only by features the session does not use.
NOT_ON_DEVICE_PATH = {
    "paretolab.store.postgres": "PostgreSQL stores (the session uses SQLite)",
    "lightning_modules.serving": "serving (LitServe, FastAPI)",
    "lightning_modules.pretrained.export": "ONNX export",
    "sweeps.analysis": "sweep analysis pages (dashboard)",
    "benchmarks.store_vs_mlflow": "the MLflow comparison",
    "lightning_modules.data.builtin.cmudict_pairs": "the cmudict data set (it trains Shakespeare)",
    "lightning_modules.data.builtin.num2words_pairs": "the num2words data set",
}
# Third-party modules imported only by a feature every device run turns off.
TURNED_OFF = {"wandb": "W&B: every run of the session sets wandb.mode=disabled"}


def normalise(name: str) -> str:
    """PyPI's normal form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def listed(path: Path) -> set[str]:
    """The distribution names of a list file (one a line, ``==version`` and comments allowed)."""
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(normalise(re.split(r"[=<>!~ ]", line, maxsplit=1)[0]))
    return names


def module_file(module: str) -> Path | None:
    """The source file of a first-party module (package ``__init__`` or plain module)."""
    base = REPO.joinpath(*module.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.exists():
            return path
    return None


def imports_of(path: Path, module: str) -> set[str]:
    """Absolute module names ``path`` imports, anywhere in it."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def third_party_imports() -> dict[str, str]:
    """Top-level third-party module → the first-party module that imports it."""
    seen, todo, found = set(), list(ENTRY_MODULES), {}
    while todo:
        module = todo.pop()
        if module in seen or any(module.startswith(skip) for skip in NOT_ON_DEVICE_PATH):
            continue
        seen.add(module)
        path = module_file(module)
        if path is None:
            continue
        for name in imports_of(path, module):
            top = name.split(".")[0]
            if top in FIRST_PARTY:
                todo.append(name)
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                found.setdefault(top, module)
    return found


IMAGE_LIST = REPO / "benchmarks" / "device_image_packages.txt"
WHEEL_LIST = REPO / "benchmarks" / "device_wheels.txt"


def missing(image: Path = IMAGE_LIST, wheels: Path = WHEEL_LIST) -> list[str]:
    """``module (distribution), imported by …`` for each import neither list covers."""
    have = listed(image) | listed(wheels)
    owners = importlib.metadata.packages_distributions()
    out = []
    for top, importer in sorted(third_party_imports().items()):
        if top in TURNED_OFF:
            continue
        dists = {normalise(d) for d in owners.get(top, [top])}
        if not dists & have:
            out.append(f"{top} ({', '.join(sorted(dists))}), imported by {importer}")
    return out


def main() -> int:
    gaps = missing()
    for line in gaps:
        print(f"missing on the device: {line}")
    if gaps:
        print("add them to benchmarks/device_wheels.txt (then `make device-wheels`)")
        return 1
    print("every import of the device path is in the image or in benchmarks/device_wheels.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
