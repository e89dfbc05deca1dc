"""Make ``paretolab``'s sub-commands visible where paretolab is on PYTHONPATH, not installed.

    python benchmarks/device_entry_points.py FOLDER

``paretolab sweep``, ``attention``, ``bench`` … are entry points (pyproject.toml), read from
installed metadata. A lent GPU machine gets the repo as a copied tree with nothing
installed, so this writes a metadata-only ``paretolab-VERSION.dist-info`` into FOLDER with
pyproject's entry points; with FOLDER on PYTHONPATH (ahead of any installed paretolab,
which it then stands in for) the commands load. Used by ``benchmarks/device_session.sh``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]


def write_dist_info(folder: Path, pyproject: Path = REPO / "pyproject.toml") -> Path:
    """Write ``FOLDER/paretolab-VERSION.dist-info`` (METADATA, entry_points.txt); its path."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    info = folder / f"paretolab-{project['version']}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    metadata = f"Metadata-Version: 2.1\nName: paretolab\nVersion: {project['version']}\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    groups = project.get("entry-points", {})
    text = "".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items()) + "\n"
        for group, entries in groups.items()
    )
    (info / "entry_points.txt").write_text(text, encoding="utf-8")
    return info


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python benchmarks/device_entry_points.py FOLDER", file=sys.stderr)
        return 2
    print(write_dist_info(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
