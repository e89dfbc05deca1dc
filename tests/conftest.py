"""Shared fixtures: every test gets its own paretolab home and SQLite store in tmp_path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from paretolab.config import RunConfig
from paretolab.config.io import load_config
from paretolab.store import RunStore

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "tiny.yaml"

# Markers for what a test needs beyond the CPU (registered in pyproject.toml). They are set
# here from the fixtures and folders a test uses, so a new test is marked without anyone
# remembering to; `make test-fast` deselects them, `make test` runs everything.
SERVICE_FIXTURES = {"postgres": "postgres", "slurm_cluster": "slurm"}
FOLDER_MARKERS = {"e2e": "browser"}
FILE_MARKERS = {"lightning_modules/test_ddp.py": "ddp"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test `postgres`, `slurm`, `browser` or `ddp` from what it uses."""
    for item in items:
        for marker in _service_markers(item):
            item.add_marker(marker)


def _service_markers(item: pytest.Item) -> set[str]:
    markers = {m for f, m in SERVICE_FIXTURES.items() if f in getattr(item, "fixturenames", ())}
    callspec = getattr(item, "callspec", None)
    # any_store[postgresql] and backend=postgresql reach the server through getfixturevalue.
    if callspec is not None and "postgresql" in callspec.params.values():
        markers.add("postgres")
    path = Path(item.path).resolve()
    if not path.is_relative_to(REPO / "tests"):
        return markers
    relative = path.relative_to(REPO / "tests").as_posix()
    markers.update(m for folder, m in FOLDER_MARKERS.items() if relative.startswith(folder + "/"))
    markers.update(m for file, m in FILE_MARKERS.items() if relative == file)
    return markers


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty paretolab home; the store defaults to SQLite inside it."""
    monkeypatch.setenv("PARETOLAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARETOLAB_DB_URL", raising=False)
    monkeypatch.delenv("PARETOLAB_USERS", raising=False)  # sign-in off unless a test sets it
    monkeypatch.setenv("WANDB_SILENT", "true")
    # No RAPL unless a test builds a fake powercap tree: the same figures on every machine.
    monkeypatch.setenv("PARETOLAB_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> RunStore:
    return RunStore()


def tiny_config(*overrides: str) -> RunConfig:
    """The tiny test config with W&B off (tests that check W&B turn it back on)."""
    return load_config(TINY, ["wandb.mode=disabled", *overrides])


def capture_spawns(monkeypatch: pytest.MonkeyPatch, module, pid: int) -> list[dict[str, str]]:
    """Replace ``module.subprocess.Popen`` with a stand-in that starts nothing: it records the
    environment of each process it is asked for and answers as process ``pid``."""
    envs: list[dict[str, str]] = []

    class Started:
        def __init__(self, argv, env, **kwargs) -> None:
            envs.append(env)
            self.pid = pid

    monkeypatch.setattr(module.subprocess, "Popen", Started)
    return envs


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


# One tiny trained run per model family (and a masked LM), trained once per test session
# (attention tests).
FAMILY_RUNS = {
    "encoder_classifier": ("tiny.yaml", ["data.limit_samples=200"]),
    "decoder_lm": ("shakespeare_tiny.yaml", ["data.limit_samples=200"]),
    "vit": ("digits_tiny.yaml", ["data.limit_samples=300"]),
    "encoder_decoder": ("num2words_tiny.yaml", ["data.num_examples=300", "generate.num_beams=1"]),
    "masked_lm": ("bbc_mlm_tiny.yaml", ["data.limit_samples=100"]),  # an encoder's other head
}


@dataclass(frozen=True)
class TrainedRuns:
    """A paretolab home holding one finished tiny run per model family, and a masked LM."""

    home: Path
    ids: dict[str, int]


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory: pytest.TempPathFactory) -> TrainedRuns:
    """Trains each family's tiny config for a few steps (validation at the last step, so
    both checkpoints exist); about 20 s for all four."""
    from lightning_modules.run.train import run_training

    home = tmp_path_factory.mktemp("trained") / "home"
    ids = {}
    with pytest.MonkeyPatch.context() as mp:
        _use_home(mp, home)
        store = RunStore()
        for family, (name, overrides) in FAMILY_RUNS.items():
            steps = ["trainer.max_steps=3", "trainer.val_every_n_steps=3"]
            config = load_config(
                REPO / "configs" / name, ["wandb.mode=disabled", *steps, *overrides]
            )
            ids[family] = queue_run(store, config)
            assert run_training(store, ids[family]) == "finished", store.get_run(ids[family]).error
    return TrainedRuns(home, ids)


@pytest.fixture
def trained_home(trained_runs: TrainedRuns, monkeypatch: pytest.MonkeyPatch) -> TrainedRuns:
    """Point this test's paretolab home at the trained runs (read them, add nothing)."""
    _use_home(monkeypatch, trained_runs.home)
    return trained_runs


def _use_home(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("PARETOLAB_HOME", str(home))
    mp.delenv("PARETOLAB_DB_URL", raising=False)
    mp.setenv("WANDB_SILENT", "true")


# Pretrained (Hugging Face) runs for the attention tests; imported last: it builds on the above.
from tests.pretrained_runs import pretrained_runs  # noqa: E402, F401
