"""The hardware catalog: shipped entries, your own merged over them, clear errors."""

from pathlib import Path

import pytest

from paretolab.costing import catalog as cat
from paretolab.costing.peaks import measured_cpu_peak, peak_flops
from paretolab.errors import ConfigError, UserError

REQUIRED = ("cpu", "t4", "l4", "a10g", "a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "h200")


def test_shipped_catalog_has_every_required_device_with_dated_sourced_prices(home) -> None:
    catalog = cat.load_catalog()
    assert set(REQUIRED) <= set(catalog.devices)
    for key, device in catalog.devices.items():
        assert device.tdp_watts > 0, key
        for price in device.prices:
            assert price.date and price.source and price.usd_per_hour > 0, key
    h100 = catalog.device("h100-sxm")
    assert h100.peak_flops["bf16"] == pytest.approx(9.895e14)  # dense, not the sparse 2×
    assert h100.price("on_demand").provider.startswith("Lambda")
    assert h100.price("spot").usd_per_hour < h100.price("on_demand").usd_per_hour
    assert catalog.defaults.pue == 1.1 and catalog.defaults.carbon_kg_per_kwh == 0.475


@pytest.mark.parametrize(
    ("reported", "key"),
    [
        ("NVIDIA H100 80GB HBM3", "h100-sxm"),
        ("NVIDIA H100 PCIe", "h100-pcie"),
        ("NVIDIA H200", "h200"),
        ("NVIDIA A100-SXM4-80GB", "a100-80gb"),
        ("NVIDIA A100-SXM4-40GB", "a100-40gb"),
        ("NVIDIA A10G", "a10g"),
        ("NVIDIA L4", "l4"),
        ("Tesla T4", "t4"),
        ("NVIDIA GeForce RTX 4090", None),
    ],
)
def test_device_names_match_catalog_entries(home, reported: str, key: str | None) -> None:
    assert cat.load_catalog().match(reported) == key


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_your_entries_merge_over_the_shipped_ones(home) -> None:
    write(
        home / "hardware.yaml",
        """
defaults:
  pue: 1.4
devices:
  our-a100:
    based_on: a100-80gb
    name: "Our A100 cluster"
    match: ["a100"]
    prices:
      - {kind: internal, usd_per_hour: 1.10, provider: finance rate card, date: 2026-10, source: intranet}
  h100-sxm:
    prices:
      - {kind: on_demand, usd_per_hour: 2.00, provider: our reseller, date: 2026-11-02, source: contract}
""",
    )
    catalog = cat.load_catalog()
    ours = catalog.device("our-a100")
    assert ours.peak_flops == catalog.device("a100-80gb").peak_flops
    assert ours.price().kind == "internal" and ours.price().usd_per_hour == 1.10
    assert list(catalog.devices)[0] == "our-a100"
    assert catalog.match("NVIDIA A100-SXM4-80GB") == "our-a100"  # your entries match first
    h100 = catalog.device("h100-sxm")
    assert h100.price("on_demand").provider == "our reseller"
    assert len(h100.prices) > 1  # the shipped quotes stay behind yours
    assert catalog.defaults.pue == 1.4 and catalog.defaults.grid == "world_average"


def test_hardware_env_names_the_file_and_a_missing_one_is_an_error(
    home, tmp_path, monkeypatch
) -> None:
    path = write(
        tmp_path / "team.yaml",
        "devices:\n  box:\n    name: Box\n    kind: cpu\n    tdp_watts: 200\n",
    )
    monkeypatch.setenv(cat.HARDWARE_ENV, str(path))
    assert cat.load_catalog().device("box").name == "Box"
    monkeypatch.setenv(cat.HARDWARE_ENV, str(tmp_path / "nope.yaml"))
    with pytest.raises(UserError, match="PARETOLAB_HARDWARE=.*nope.yaml is not a file"):
        cat.load_catalog()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "devices:\n  x:\n    name: X\n    tdp_watts: 100\n    prices:\n"
            "      - {kind: on_demand, usd_per_hour: -1, provider: p, date: 2026-01, source: s}\n",
            "devices.x.prices.0.usd_per_hour=-1",
        ),
        (
            "devices:\n  x:\n    name: X\n    tdp_watts: 100\n    prices:\n"
            "      - {kind: on_demand, usd_per_hour: 1, provider: p, date: last week, source: s}\n",
            "a date is YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        ("devices:\n  x:\n    name: X\n", "devices.x.tdp_watts: required field is missing"),
        ("devices:\n  x:\n    based_on: nothing\n", "based_on='nothing': no such shipped device"),
        ("defaults:\n  grid: mars\n", "grid 'mars' is not one of grids"),
        ("hardware: {}\n", "hardware: unknown key"),
        ("devices: [\n", "YAML syntax error"),
    ],
)
def test_bad_entries_are_named_with_the_file(home, text: str, message: str) -> None:
    path = write(home / "hardware.yaml", text)
    with pytest.raises(ConfigError) as err:
        cat.load_catalog()
    assert message in str(err.value) and str(path) in str(err.value)


def test_unknown_entry_lists_the_known_ones(home) -> None:
    with pytest.raises(UserError, match="'v100' is not in the catalog; choose one of cpu, h200"):
        cat.load_catalog().device("v100")


def test_cpu_peak_is_measured_once_and_cached(home) -> None:
    first = measured_cpu_peak(size=128, seconds=0.05)
    assert 1e6 < first < 1e14  # a busy shared CPU can read low
    assert (home / "cpu_peak.json").is_file()
    assert measured_cpu_peak() == first  # once per process: read from the cache
    catalog = cat.load_catalog()
    value, source = peak_flops(catalog.device("cpu"), "32")
    assert value == first and "measured" in source
    assert peak_flops(catalog.device("t4"), "bf16-mixed")[0] is None  # a T4 has no bf16
