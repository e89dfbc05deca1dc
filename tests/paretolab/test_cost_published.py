"""Published training figures, reproduced by the cost model within 2% (or the source's rounding).

- Llama 2 (Touvron et al. 2023, Table 2): GPU-hours × power × a grid factor → tCO₂e. The
  paper gives no factor; it is derived once, from the 70B row, and must reproduce the other
  three rows: LLAMA2_GRID = 291.42 t / (1,720,320 h × 0.4 kW) = 0.42349 kg CO₂e/kWh, with no
  PUE on top (the paper multiplies hours by the GPUs' power only).
- Llama 3.1 model card: 39.3M H100-80GB hours at 700 W → 11,390 t location-based; the
  factor implied (0.41403 kg/kWh) must reproduce each model's own row (8B, 70B, 405B).
- Chinchilla (Hoffmann et al. 2022): 70B parameters × 1.4T tokens → 5.76e23 FLOPs.
- Parameter counts the model cards and papers state for the presets.
"""

from __future__ import annotations

import json

import pytest

from paretolab.cli import main
from paretolab.costing.catalog import load_catalog
from paretolab.costing.params import active_params, total_params
from paretolab.costing.presets import preset, published
from paretolab.costing.pricing import spend, with_energy

# Touvron et al. 2023, Table 2: GPU-hours, power (W), tCO2e.
LLAMA2 = {
    "llama-2-7b": (184_320, 400, 31.22),
    "llama-2-13b": (368_640, 400, 62.44),
    "llama-2-34b": (1_038_336, 350, 153.90),
    "llama-2-70b": (1_720_320, 400, 291.42),
}
LLAMA2_GRID = 291.42e3 / (1_720_320 * 0.400)  # kg CO2e per kWh, from the 70B row

# Llama 3.1 model card: GPU-hours and location-based tCO2e, per model and in all.
LLAMA31 = {"llama-3.1-8b": (1.46e6, 420), "llama-3.1-70b": (7.0e6, 2040)}
LLAMA31 |= {"llama-3.1-405b": (30.84e6, 8930)}
LLAMA31_TOTAL = (39.3e6, 700, 11_390)


def tonnes(hardware: str, hours: float, watts: float, grid: float) -> float:
    """tCO₂e of ``hours`` device-hours through the cost model's energy path."""
    catalog = with_energy(load_catalog(), hardware, pue=1.0, tdp_watts=watts, grid=grid)
    return spend(catalog, hardware, hours * 3600.0).co2_kg / 1000.0


@pytest.mark.parametrize("name", list(LLAMA2))
def test_llama2_emissions_from_gpu_hours(home, name: str) -> None:
    hours, watts, emitted = LLAMA2[name]
    training = preset(name).training
    assert (training["device_hours"], training["tdp_watts"], training["co2e_t"]) == LLAMA2[name]
    grid = LLAMA2_GRID  # derived once, above
    assert grid == pytest.approx(0.42349, abs=1e-5)
    assert tonnes(training["hardware"], hours, watts, LLAMA2_GRID) == pytest.approx(
        emitted, rel=0.02
    )


def test_llama31_emissions_from_gpu_hours(home) -> None:
    family = published("llama-3.1-family")
    hours, watts, emitted = LLAMA31_TOTAL
    assert (family["device_hours"], family["tdp_watts"], family["co2e_t"]) == LLAMA31_TOTAL
    grid = emitted * 1e3 / (hours * watts / 1e3)
    assert grid == pytest.approx(0.41403, abs=1e-5)
    assert tonnes("h100-sxm", hours, watts, grid) == pytest.approx(emitted, rel=0.02)
    for name, (model_hours, model_emitted) in LLAMA31.items():
        assert preset(name).training["device_hours"] == model_hours
        assert tonnes("h100-sxm", model_hours, watts, grid) == pytest.approx(
            model_emitted, rel=0.02
        )
    assert sum(h for h, _ in LLAMA31.values()) == pytest.approx(hours)


def test_the_grid_and_power_used_are_in_the_json(home, capsys) -> None:
    argv = ["--preset", "llama-2-7b", "--hardware", "a100-80gb", "--pue", "1"]
    assert main(["cost", "estimate", *argv, "--tdp", "400", "--grid", str(LLAMA2_GRID)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["pue"], doc["tdp_watts"], doc["grid"]) == (1.0, 400.0, "given")
    assert doc["carbon_kg_per_kwh"] == pytest.approx(LLAMA2_GRID)
    assert doc["co2_kg"] == pytest.approx(doc["device_hours"] * 0.4 * LLAMA2_GRID)
    assert any("0.423" in line and "given" in line for line in doc["assumptions"])


def test_chinchilla_compute(home, capsys) -> None:
    assert main(["cost", "estimate", "--params", "70B", "--tokens", "1.4T"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # 6·N·D = 5.88e23: 2.1% over, inside the rounding of "70B" and "1.4T" (two significant
    # figures: 1.4T may be 1.35–1.45T, ±3.6%).
    assert doc["flops_6nd"] == pytest.approx(5.76e23, rel=0.025)
    assert doc["params_counted"] is None and "no architecture" in doc["params_note"]
    # From the architecture (Table 4), the per-layer count comes within 2%.
    assert main(["cost", "estimate", "--preset", "chinchilla-70b"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["tokens"] == 1.4e12
    assert doc["flops_exact"] == pytest.approx(5.76e23, rel=0.02)


# Counts stated by the sources: (total, active), in billions, and the rounding they use.
STATED = {
    "llama-2-7b": (6.74, None, 0.005),  # Hugging Face model page: 6.74B
    "llama-2-70b": (69.0, None, 0.005),  # 68.98B
    "llama-3.1-405b": (405.9, None, 0.005),
    "mixtral-8x7b": (46.7, 12.9, 0.005),  # Jiang et al. 2024: 47B total, 13B active
    "deepseek-moe-16b": (16.4, 2.8, 0.02),  # Dai et al. 2024: 16.4B total, 2.8B active
    "gemma-7b": (8.54, None, 0.005),  # Gemma Team 2024, Table 2: 7,751M + 787M embedding
    "qwen2-7b": (7.62, None, 0.005),
}


@pytest.mark.parametrize("name", list(STATED))
def test_preset_parameter_counts_match_their_sources(name: str) -> None:
    total, active, rel = STATED[name]
    shape = preset(name).shape
    assert total_params(shape) / 1e9 == pytest.approx(total, rel=rel)
    if active is not None:
        assert active_params(shape) / 1e9 == pytest.approx(active, rel=rel)
