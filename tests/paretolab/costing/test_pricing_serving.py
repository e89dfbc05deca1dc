"""Device-hours, dollars, energy and CO₂e by hand; serving cost per token and request."""

import pytest

from paretolab.cli import main
from paretolab.costing.catalog import load_catalog
from paretolab.costing.flops import inference_flops_per_token
from paretolab.costing.pricing import project, spend
from paretolab.costing.serving import serving_cost
from paretolab.costing.shapes import ModelShape
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import TINY

LM = ModelShape("decoder_lm", 4, 64, 4, 256, vocab_size=1000, max_len=128)


def test_spend_by_hand(home) -> None:
    bill = spend(load_catalog(), "a100-80gb", wall_seconds=1800, devices=2)
    assert bill.device_hours == 1.0
    assert bill.cost_usd == pytest.approx(2.79)  # Lambda's 8× A100 80 GB quote, 2026-09
    assert bill.energy_kwh == pytest.approx(1.0 * 0.400 * 1.1)  # device-hours × TDP kW × PUE
    assert bill.co2_kg == pytest.approx(0.44 * 0.475)
    assert "2026-09" in bill.price_quote and "lambda.ai" in bill.price_quote


def test_spot_pricing_and_a_device_without_prices(home) -> None:
    assert spend(load_catalog(), "h100-sxm", 3600, pricing="spot").cost_usd == pytest.approx(2.25)
    assert spend(load_catalog(), "h200", 3600, pricing="spot").cost_usd == pytest.approx(1.65)
    no_price = spend(load_catalog(), "t4", 3600, pricing="spot")  # no dated T4 spot quote
    assert no_price.cost_usd is None and "no spot price for t4" in no_price.price_quote


def test_projection_time_from_flops_peak_and_mfu(home) -> None:
    p = project(load_catalog(), 9.895e14 * 3600, "h100-sxm", devices=1, mfu=0.5)
    assert p.spend.wall_seconds == pytest.approx(7200)  # half of peak: two hours
    with pytest.raises(UserError, match="devices must be at least 1"):
        project(load_catalog(), 1e15, "h100-sxm", devices=0)


def test_serving_cost_by_hand(home) -> None:
    out = serving_cost(load_catalog(), LM, "h100-sxm", utilisation=0.5, tokens_per_request=500)
    per_token = inference_flops_per_token(LM)
    tokens_per_sec = 9.895e14 * 0.5 / per_token
    assert out.tokens_per_sec == pytest.approx(tokens_per_sec)
    assert out.usd_per_million_tokens == pytest.approx(3.99 / (tokens_per_sec * 3600) * 1e6)
    assert out.usd_per_thousand_requests == pytest.approx(out.usd_per_million_tokens / 2)
    assert out.fits_in_memory
    with pytest.raises(UserError, match="utilisation must be in"):
        serving_cost(load_catalog(), LM, "h100-sxm", utilisation=0)


def test_train_refuses_an_unknown_hardware_profile(home, capsys) -> None:
    code = main(
        ["train", str(TINY), "--set", "hardware.profile=v100", "--set", "wandb.mode=disabled"]
    )
    assert code == 2
    assert "hardware.profile: hardware 'v100' is not in the catalog" in capsys.readouterr().err
    assert RunStore().list_runs() == []  # refused before anything was stored
