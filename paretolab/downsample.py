"""Downsampling metric series for charts: never more than ~2,000 points per series.

MinMaxLTTB (tsdownsample) keeps each bucket's extremes and the visually important points,
so spikes survive; the full series stays available as CSV.
"""

from __future__ import annotations

import numpy as np
from tsdownsample import MinMaxLTTBDownsampler

MAX_POINTS = 2000
# Points one chart may draw in all: a browser draws an SVG line of 80,000 points (20 runs,
# raw and smoothed) in seconds on a small CPU, while ~600 points per run already fill a
# chart's width.
CHART_POINTS = 12_000
MIN_POINTS_PER_SERIES = 600


def points_per_series(n_series: int) -> int:
    """How many points each of ``n_series`` lines on one chart keeps: all ~2,000 for a few
    runs, fewer (never under 600) as runs are added, so the chart stays quick to draw."""
    return max(MIN_POINTS_PER_SERIES, min(MAX_POINTS, CHART_POINTS // max(n_series, 1)))


def downsample_indices(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` points of the finite part of (x, y), x ascending."""
    finite = np.flatnonzero(np.isfinite(y))
    if len(finite) <= max_points:
        return finite
    picked = MinMaxLTTBDownsampler().downsample(
        x[finite].astype(np.float64), y[finite].astype(np.float64), n_out=max_points
    )
    return finite[picked]
