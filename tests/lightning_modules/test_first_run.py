"""The preset a newcomer meets first (the Launch page's, `configs/first_run.yaml`) learns
something visible in seconds: far above chance on BBC News's five topics (issue 22)."""

from __future__ import annotations

import pytest

from lightning_modules.run.train import run_training
from paretolab.config.io import load_config
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

pytestmark = pytest.mark.slow


def test_the_first_run_preset_learns_the_topics(store: RunStore) -> None:
    config = load_config(REPO / "configs" / "first_run.yaml", ["wandb.mode=disabled"])
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    metrics = store.latest_metrics(run_id)
    # Chance is 0.2 (five topics); the tiny test preset ends near it (0.23).
    assert metrics["test_acc"].value >= 0.6
    assert metrics["val_acc"].value >= 0.6
