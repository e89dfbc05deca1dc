"""The statistics the quality benchmark prints beside its pretrained rows."""

from __future__ import annotations

import pytest

from benchmarks.pretrained_rows import wilson_interval


def test_wilson_interval_matches_the_textbook_values():
    # statsmodels' proportion_confint(50, 100, method="wilson"); 215 of 223 worked by hand
    assert wilson_interval(0.5, 100) == pytest.approx((0.40383, 0.59617), abs=1e-5)
    assert wilson_interval(215 / 223, 223) == pytest.approx((0.93082, 0.98171), abs=1e-5)


def test_wilson_interval_stays_inside_zero_and_one_at_the_ends():
    low, high = wilson_interval(1.0, 223)
    assert high == pytest.approx(1.0) and 0.98 < low < 1.0
    low, high = wilson_interval(0.0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and 0.0 < high < 0.31
