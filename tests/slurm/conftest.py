"""A one-node Slurm cluster for the session (a missing Slurm fails the tests, never skips)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paretolab.executors import slurm_script
from tests.slurm.cluster import TestSlurm


@pytest.fixture(scope="session")
def slurm_cluster():
    cluster = TestSlurm().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def on_slurm(slurm_cluster: TestSlurm, home: Path, monkeypatch: pytest.MonkeyPatch) -> TestSlurm:
    """This test's paretolab home with the Slurm executor on the session's cluster."""
    for key, value in slurm_cluster.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PARETOLAB_EXECUTOR", "slurm")
    for env in (slurm_script.PARTITION_ENV, slurm_script.ACCOUNT_ENV, slurm_script.TIME_ENV):
        monkeypatch.delenv(env, raising=False)
    return slurm_cluster
