"""``benchmarks/device_packages.py`` and ``device_entry_points.py``: what the device session
imports is on the lent GPU machine or in the carried wheels, and paretolab's sub-commands
load there without an install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks import common, device_entry_points, device_packages


def test_every_import_of_the_device_path_is_on_the_device_or_carried() -> None:
    assert device_packages.missing() == []


def test_a_package_left_out_of_the_wheels_is_named(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels.txt"
    kept = device_packages.WHEEL_LIST.read_text(encoding="utf-8").splitlines()
    wheels.write_text("\n".join(x for x in kept if not x.startswith("optuna==")), "utf-8")
    gaps = device_packages.missing(wheels=wheels)
    assert any(line.startswith("optuna (optuna), imported by ") for line in gaps), gaps


def test_the_walk_follows_lazy_first_party_imports() -> None:
    found = device_packages.third_party_imports()
    assert {"torch", "lightning", "optuna", "sqlalchemy", "transformers"} <= set(found)
    assert "streamlit" not in found  # the dashboard is not on the device path


def test_the_wheel_list_is_pinned() -> None:
    lines = [
        x.split("#")[0].strip()
        for x in device_packages.WHEEL_LIST.read_text(encoding="utf-8").splitlines()
    ]
    assert all("==" in x for x in lines if x)


def test_the_entry_points_load_from_the_written_metadata(tmp_path: Path) -> None:
    """A fresh interpreter with only the written folder and the repo on its path (as on the
    device machine, where paretolab is not installed) lists the sub-commands."""
    info = device_entry_points.write_dist_info(tmp_path)
    assert info.name == "paretolab-0.1.0.dist-info"
    code = (
        "from importlib.metadata import entry_points;"
        "print(sorted(e.name for e in entry_points(group='paretolab.commands')))"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path[:0] = {[str(tmp_path)]!r}; {code}"],
        capture_output=True,
        text=True,
        cwd=common.REPO,
        check=True,
    )
    assert "'sweep'" in done.stdout and "'attention'" in done.stdout and "'bench'" in done.stdout
