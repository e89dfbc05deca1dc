"""Lightning's finders on the tiny config (the launch form's two buttons)."""

import pytest

from lightning_modules.tune import suggest
from tests.conftest import tiny_config


def test_learning_rate_finder_suggests_a_rate_with_its_curve(tmp_path) -> None:
    result = suggest(tiny_config(), "lr", tmp_path)
    assert 1e-6 <= result["lr"] <= 1.0
    assert len(result["curve"]["lr"]) == len(result["curve"]["loss"]) > 10


@pytest.mark.slow
def test_batch_size_finder_suggests_a_larger_power_of_two(tmp_path) -> None:
    result = suggest(tiny_config(), "batch_size", tmp_path)
    size = result["batch_size"]
    assert size >= 16 and size & (size - 1) == 0


def test_unknown_finder_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown finder"):
        suggest(tiny_config(), "momentum", tmp_path)
