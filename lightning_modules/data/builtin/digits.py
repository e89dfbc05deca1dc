"""scikit-learn's handwritten digits: 1,797 8×8 grey-scale images, shipped with the package."""

from __future__ import annotations

import numpy as np


def load_digits_images() -> tuple[np.ndarray, list[str]]:
    """1,797 8×8 digits as float32 ``(N, 1, 8, 8)`` in [0, 1], and their labels "0"…"9"."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    return images, [str(t) for t in digits.target]
