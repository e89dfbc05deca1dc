"""Where studies live, shared by every worker and page: Optuna storage from one URL.

- Team mode (``PARETOLAB_DB_URL`` is PostgreSQL): the same database, in its own schema
  ``optuna`` (Optuna's tables carry their own Alembic version table, which must not meet
  paretolab's), reached with ``?options=-csearch_path%3Doptuna`` on the URL.
- Embedded default: Optuna's ``JournalStorage`` on a ``JournalFileBackend`` under the
  paretolab home, the storage Optuna's FAQ gives for several processes on one host
  (SQLite would lock under parallel workers).
- ``PARETOLAB_SWEEP_STORAGE`` overrides both: a SQLAlchemy URL or a journal file path.

Every storage has Optuna's heartbeat on: a running trial records a heartbeat every
``heartbeat_interval`` seconds, and one silent for the grace period is failed and handed
to the stale-trial callback (which retries it). Optuna's journal storage has no heartbeat
of its own; ``HeartbeatJournalStorage`` adds one, kept in the journal as a trial attribute.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import optuna
import sqlalchemy as sa
from optuna.storages import BaseStorage, JournalStorage, RDBStorage, _CachedStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from paretolab import settings

SWEEP_STORAGE_ENV = "PARETOLAB_SWEEP_STORAGE"
OPTUNA_SCHEMA = "optuna"
JOURNAL_FILE = "optuna-journal.log"
HEARTBEAT_KEY = "paretolab:heartbeat"
DEFAULT_HEARTBEAT_SECONDS = 60

StaleCallback = Callable[[optuna.Study, FrozenTrial], None]


def default_storage_url() -> str:
    """The sweep storage of this paretolab home or team database (see the module doc)."""
    explicit = os.environ.get(SWEEP_STORAGE_ENV)
    if explicit:
        return explicit
    db = sa.make_url(settings.db_url())
    if db.get_backend_name() == "postgresql":
        url = db.update_query_dict({"options": f"-csearch_path={OPTUNA_SCHEMA}"})
        return url.render_as_string(hide_password=False)
    return str(settings.home_dir() / "sweeps" / JOURNAL_FILE)


def is_journal(url: str) -> bool:
    """True for a journal file path, False for a SQLAlchemy URL."""
    return "://" not in url


def printable(url: str) -> str:
    """The storage URL safe to print or show: a database URL without its password."""
    return url if is_journal(url) else settings.redact_url(url)


def open_storage(
    url: str,
    on_stale: StaleCallback | None = None,
    heartbeat_interval: int = DEFAULT_HEARTBEAT_SECONDS,
    grace_period: int | None = None,
) -> BaseStorage:
    """Optuna storage at ``url`` with the heartbeat on.

    Args:
        url: a journal file path or a SQLAlchemy URL (see ``default_storage_url``).
        on_stale: called with each trial the heartbeat check fails (e.g. to retry it).
        heartbeat_interval: seconds between a running trial's heartbeats.
        grace_period: seconds of silence before a trial is stale (default 2 × interval).
    """
    if is_journal(url):
        path = Path(url).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return HeartbeatJournalStorage(
            JournalFileBackend(str(path)), heartbeat_interval, grace_period, on_stale
        )
    _create_schema(url)
    return RDBStorage(
        url,
        engine_kwargs={"pool_pre_ping": True},
        heartbeat_interval=heartbeat_interval,
        grace_period=grace_period,
        heartbeat_stale_trial_callback=on_stale,
    )


def set_heartbeat(storage: BaseStorage, interval: int, grace_period: int | None) -> None:
    """Use a study's own heartbeat settings (they are stored with its spec)."""
    if isinstance(storage, _CachedStorage):  # optuna wraps an RDBStorage in a cache
        storage = storage._backend
    if isinstance(storage, (RDBStorage, HeartbeatJournalStorage)):
        storage.heartbeat_interval = interval
        storage.grace_period = grace_period


def _create_schema(url: str) -> None:
    """Create the schema a PostgreSQL URL's ``search_path`` names, if it is missing."""
    parsed = sa.make_url(url)
    options = parsed.query.get("options", "")
    if parsed.get_backend_name() != "postgresql" or "search_path=" not in str(options):
        return
    schema = str(options).split("search_path=", 1)[1].split()[0].split(",")[0]
    engine = sa.create_engine(parsed)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    except sa.exc.IntegrityError:
        pass  # another worker created it at the same moment
    finally:
        engine.dispose()


class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
    """Optuna's journal storage with Optuna's heartbeat protocol.

    A running trial's heartbeat is a trial system attribute holding the time; a trial whose
    heartbeat is older than the grace period is stale. Optuna's own machinery does the rest:
    ``study.optimize`` starts the heartbeat thread and fails stale trials before each trial.
    """

    def __init__(
        self,
        backend: JournalFileBackend,
        heartbeat_interval: int,
        grace_period: int | None = None,
        on_stale: StaleCallback | None = None,
    ) -> None:
        super().__init__(backend)
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.on_stale = on_stale

    def record_heartbeat(self, trial_id: int) -> None:
        # The trial may have ended (or been failed as stale) between two beats.
        with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
            self.set_trial_system_attr(trial_id, HEARTBEAT_KEY, time.time())

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        grace = self.grace_period or 2 * self.heartbeat_interval
        now = time.time()
        running = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
        # A trial's last sign of life is its last beat, or its start if it never beat (its
        # worker died between taking it and starting the heartbeat thread).
        return [
            t._trial_id
            for t in running
            if now - t.system_attrs.get(HEARTBEAT_KEY, _started(t)) > grace
        ]

    def get_heartbeat_interval(self) -> int | None:
        return self.heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> StaleCallback | None:
        return self.on_stale


def _started(trial: FrozenTrial) -> float:
    start = trial.datetime_start
    return start.timestamp() if start else time.time()
