"""Downsampling metric series for charts: never more than ~2,000 points per series.

MinMaxLTTB (tsdownsample) keeps each bucket's extremes and the visually important points,
so spikes survive; the full series stays available as CSV.
"""

from __future__ import annotations

import numpy as np
from tsdownsample import MinMaxLTTBDownsampler

MAX_POINTS = 2000


def downsample_indices(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` points of the finite part of (x, y), x ascending."""
    finite = np.flatnonzero(np.isfinite(y))
    if len(finite) <= max_points:
        return finite
    picked = MinMaxLTTBDownsampler().downsample(
        x[finite].astype(np.float64), y[finite].astype(np.float64), n_out=max_points
    )
    return finite[picked]
