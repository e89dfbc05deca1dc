"""Sweep storage: the journal file by default, PostgreSQL beside the run store, heartbeats."""

import time

import optuna
import pytest
import sqlalchemy as sa

from paretolab.store import RunStore
from sweeps.spec import load_spec
from sweeps.storage import HEARTBEAT_KEY, default_storage_url, open_storage
from sweeps.study import RetryStaleTrial, create_sweep, load_sweep, sweep_names
from tests.sweeps.conftest import TINY_SPEC


def test_the_embedded_default_is_a_journal_file_in_the_home(home) -> None:
    assert default_storage_url() == str(home / "sweeps" / "optuna-journal.log")


def test_a_silent_trial_is_failed_its_run_too_and_the_trial_retried(
    store: RunStore, new_sweep
) -> None:
    spec = new_sweep(heartbeat_interval=1, grace_period=1)
    storage = open_storage(default_storage_url(), RetryStaleTrial(store))
    study, _ = load_sweep(storage, spec.study)
    trial = study.ask()
    trial.suggest_float("optim.lr", 1e-3, 3e-2, log=True)
    run_id = store.create_run({}, "tiny#0", "image_classification", study="tiny", trial_number=0).id
    store.mark_running(run_id, pid=1, host="elsewhere")
    trial.set_user_attr("run_id", run_id)
    storage.record_heartbeat(trial._trial_id)  # beats once, then its worker "dies"
    optuna.storages.fail_stale_trials(study)
    assert study.trials[0].state == optuna.trial.TrialState.RUNNING  # within the grace period
    time.sleep(1.2)
    optuna.storages.fail_stale_trials(study)
    first, retry = study.get_trials()
    assert first.state == optuna.trial.TrialState.FAIL
    assert retry.state == optuna.trial.TrialState.WAITING
    assert retry.params == first.params and retry.system_attrs["failed_trial"] == 0
    assert store.get_run(run_id).status == "failed"
    assert "stopped sending heartbeats" in store.get_run(run_id).error
    assert HEARTBEAT_KEY in first.system_attrs


def test_postgresql_sweeps_live_in_their_own_schema_beside_the_run_store(
    postgres, home, monkeypatch
) -> None:
    url = postgres.new_database()
    monkeypatch.setenv("PARETOLAB_DB_URL", url)
    store = RunStore(url)
    storage_url = default_storage_url()
    assert "search_path%3Doptuna" in storage_url or "search_path=optuna" in storage_url
    create_sweep(load_spec(TINY_SPEC), open_storage(storage_url, RetryStaleTrial(store)))
    assert sweep_names(open_storage(storage_url)) == ["tiny"]
    # Both Alembic histories live side by side: paretolab's store still opens.
    assert RunStore(url).list_runs() == []
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema="optuna"))
    engine.dispose()
    assert {"studies", "trials", "trial_heartbeats", "alembic_version"} <= tables
    with pytest.raises(Exception, match="exists"):
        create_sweep(load_spec(TINY_SPEC), open_storage(storage_url))


def test_a_database_storage_url_is_shown_without_its_password() -> None:
    from sweeps.storage import printable

    url = "postgresql+psycopg://me:secret@db/paretolab?options=-csearch_path%3Doptuna"
    assert "secret" not in printable(url) and "me:***@db/paretolab" in printable(url)
    assert printable("/data/optuna-journal.log") == "/data/optuna-journal.log"
