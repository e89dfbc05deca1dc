"""Shared fixtures: every test gets its own paretolab home and SQLite store in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from paretolab.config import RunConfig
from paretolab.config_io import load_config
from paretolab.store import RunStore

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "tiny.yaml"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty paretolab home; the store defaults to SQLite inside it."""
    monkeypatch.setenv("PARETOLAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARETOLAB_DB_URL", raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> RunStore:
    return RunStore()


def tiny_config(*overrides: str) -> RunConfig:
    """The tiny test config with W&B off (tests that check W&B turn it back on)."""
    return load_config(TINY, ["wandb.mode=disabled", *overrides])


def queue_run(store: RunStore, config: RunConfig) -> int:
    """Record a queued run for ``config`` and return its id."""
    return store.create_run(
        config.model_dump(mode="json"), config.display_name(), config.task, config.tags
    ).id


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session (a missing server fails the tests, never skips)."""
    from tests.postgres import TestPostgres

    server = TestPostgres().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, home: Path) -> RunStore:
    """A fresh store on each backend: tests using it run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield RunStore()
        return
    from paretolab.store import database

    url = request.getfixturevalue("postgres").new_database()
    yield RunStore(url)
    database.dispose_engine(url)
