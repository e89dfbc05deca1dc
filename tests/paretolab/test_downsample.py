import numpy as np

from paretolab.downsample import downsample_indices, points_per_series


def test_short_series_are_kept_whole_minus_non_finite_points() -> None:
    y = np.array([1.0, np.nan, 3.0, np.inf, 5.0])
    assert downsample_indices(np.arange(5), y).tolist() == [0, 2, 4]


def test_long_series_keep_at_most_max_points_and_their_spikes() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=100_000)
    y[54_321] = 50.0
    y[77_777] = -50.0
    idx = downsample_indices(np.arange(100_000), y, max_points=2000)
    assert len(idx) <= 2000 and np.all(np.diff(idx) > 0)
    assert {54_321, 77_777} <= set(idx.tolist())
    assert idx[0] == 0 and idx[-1] == 99_999


def test_a_chart_of_many_runs_thins_each_line_but_never_below_600_points() -> None:
    assert points_per_series(1) == 2000
    assert points_per_series(6) == 2000
    assert points_per_series(10) == 1200
    assert points_per_series(20) == 600
    assert points_per_series(200) == 600
