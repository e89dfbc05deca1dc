"""Sweeps on the tiny digits spec: specs written to tmp_path, storages in the test's home."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from paretolab.store import RunStore
from sweeps.spec import SweepSpec, load_spec
from sweeps.storage import default_storage_url, open_storage
from sweeps.study import RetryStaleTrial, create_sweep
from tests.conftest import REPO

TINY_SPEC = REPO / "configs" / "sweeps" / "tiny.yaml"


def write_spec(folder: Path, **changes: Any) -> Path:
    """The tiny spec with top-level ``changes``, as a YAML file in ``folder``."""
    data = yaml.safe_load(TINY_SPEC.read_text())
    data["base"] = str(REPO / "configs" / "digits_tiny.yaml")
    data.update(changes)
    path = folder / f"{data['study']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def new_sweep(store: RunStore, tmp_path: Path):
    """Create a sweep from the tiny spec with changes; returns its spec."""

    def make(**changes: Any) -> SweepSpec:
        spec = load_spec(write_spec(tmp_path, **changes))
        create_sweep(spec, open_storage(default_storage_url(), RetryStaleTrial(store)))
        return spec

    return make
