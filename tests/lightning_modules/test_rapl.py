"""RAPL through a fake powercap tree: packages and DRAM counted once, core/uncore/psys
left out, a counter that wraps, and unreadable counters (not root) → no meter."""

from pathlib import Path

import pytest

from lightning_modules.callbacks import rapl
from lightning_modules.callbacks.rapl import RaplMeter

WRAP = 1_000_000  # µJ: a small range, so a test can wrap it


def zone(folder: Path, name: str, energy_uj: int, wrap: int = WRAP) -> Path:
    folder.mkdir(parents=True)
    (folder / "name").write_text(name + "\n")
    (folder / "energy_uj").write_text(f"{energy_uj}\n")
    (folder / "max_energy_range_uj").write_text(f"{wrap}\n")
    return folder


def set_energy(folder: Path, energy_uj: int) -> None:
    (folder / "energy_uj").write_text(f"{energy_uj}\n")


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """Two packages, one with DRAM and core sub-zones (nested and, as sysfs does, linked at
    the top), and a psys zone that covers the whole platform."""
    root = tmp_path / "powercap"
    root.mkdir()
    (root / "intel-rapl").mkdir()  # the control type: no counter of its own
    pkg0 = zone(root / "intel-rapl:0", "package-0", 100)
    core = zone(pkg0 / "intel-rapl:0:0", "core", 50)
    dram = zone(pkg0 / "intel-rapl:0:2", "dram", 10)
    (root / "intel-rapl:0:0").symlink_to(core)
    (root / "intel-rapl:0:2").symlink_to(dram)
    pkg1 = zone(root / "intel-rapl:1", "package-1", 200)
    psys = zone(root / "intel-rapl:2", "psys", 1000)
    return {"root": root, "pkg0": pkg0, "pkg1": pkg1, "dram": dram, "core": core, "psys": psys}


def test_packages_and_dram_counted_once_from_the_env_root(tree, monkeypatch) -> None:
    monkeypatch.setenv(rapl.ROOT_ENV, str(tree["root"]))
    meter = RaplMeter.open()
    assert meter is not None and meter.parts == ["cpu", "dram"]
    assert len(meter.zones) == 3  # package-0, package-1, dram (linked twice, counted once)
    set_energy(tree["pkg0"], 100 + 300_000)
    set_energy(tree["pkg1"], 200 + 200_000)
    set_energy(tree["dram"], 10 + 50_000)
    set_energy(tree["core"], 999_000)  # part of package-0: not added again
    set_energy(tree["psys"], 999_999)
    assert meter.read() == pytest.approx({"cpu": 0.5, "dram": 0.05})
    set_energy(tree["pkg0"], 100 + 400_000)
    assert meter.read() == pytest.approx({"cpu": 0.6, "dram": 0.05})  # cumulative


def test_a_counter_that_wraps_keeps_counting(tree) -> None:
    meter = RaplMeter.open(tree["root"])
    set_energy(tree["pkg0"], WRAP - 1_000)
    assert meter.read()["cpu"] == pytest.approx((WRAP - 1_100) / 1e6)
    set_energy(tree["pkg0"], 4_000)  # past max_energy_range_uj: 1,000 + 4,000 µJ more
    assert meter.read()["cpu"] == pytest.approx((WRAP - 1_100 + 5_000) / 1e6)


def test_unreadable_counters_mean_no_meter(tree, monkeypatch) -> None:
    # energy_uj is root-only on most kernels (CVE-2020-8694); tests run as root, so refuse
    # the read the way the kernel does for everyone else.
    read_text = Path.read_text

    def not_root(self: Path, *args, **kwargs) -> str:
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(self))
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", not_root)
    assert RaplMeter.open(tree["root"]) is None


def test_no_powercap_folder_means_no_meter(tmp_path) -> None:
    assert RaplMeter.open(tmp_path / "absent") is None
    assert RaplMeter.open(tmp_path) is None  # a folder with no RAPL zones (a VM)


def test_dram_alone_is_not_a_cpu_meter(tmp_path) -> None:
    zone(tmp_path / "intel-rapl:0", "dram", 5)
    assert RaplMeter.open(tmp_path) is None


def test_amd_package_under_the_intel_rapl_name(tmp_path) -> None:
    # AMD's RAPL driver: the same intel-rapl names, a package and its core, no DRAM zone.
    pkg = zone(tmp_path / "intel-rapl:0", "package-0", 0, wrap=2**32)
    zone(pkg / "intel-rapl:0:0", "core", 0, wrap=2**32)
    meter = RaplMeter.open(tmp_path)
    assert meter.parts == ["cpu"]
    set_energy(pkg, 2_000_000)
    assert meter.read() == {"cpu": pytest.approx(2.0)}
