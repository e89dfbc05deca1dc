"""Where paretolab keeps its data: one place that reads the environment.

- ``PARETOLAB_HOME``: the folder for the embedded database, run folders and sweep
  storage (default: ``.paretolab`` under the working directory).
- ``PARETOLAB_DB_URL``: a SQLAlchemy URL for the run store, e.g.
  ``postgresql+psycopg://user:pass@host/db`` in team mode (default: SQLite in the home).
- ``PARETOLAB_DEMO``: ``1`` makes the dashboard read-only (no launch, cancel, delete, edits).
- ``PARETOLAB_USERS``: the dashboard's users file (``paretolab.auth``); sign-in is off
  without it (unless ``.streamlit/secrets.toml`` configures OIDC).
- ``PARETOLAB_EXECUTOR``: who trains queued runs: ``local`` (default: processes on this
  host) or ``slurm`` (sbatch jobs; ``PARETOLAB_SLURM_*`` in ``paretolab.executors.slurm``).
- ``PARETOLAB_MEMORY_BYTES``: the memory a run may train in, replacing the machine's (or
  its GPU's) in the check before a run is stored (``paretolab.memory_fit``).
- ``PARETOLAB_DATA_ROOTS``: with sign-in on, the folders a dashboard user's ``data.path``
  must lie in (``paretolab.data_roots``).
"""

from __future__ import annotations

import os
from pathlib import Path

from paretolab.errors import UserError

HOME_ENV = "PARETOLAB_HOME"
DB_URL_ENV = "PARETOLAB_DB_URL"
DEMO_ENV = "PARETOLAB_DEMO"
USERS_ENV = "PARETOLAB_USERS"
EXECUTOR_ENV = "PARETOLAB_EXECUTOR"
EXECUTORS = ("local", "slurm")


def home_dir() -> Path:
    """The paretolab home folder (not created here)."""
    return Path(os.environ.get(HOME_ENV) or Path.cwd() / ".paretolab").resolve()


DB_URL_EXAMPLES = "sqlite:///PATH or postgresql+psycopg://user:password@host/db"
_REFUSED = "cannot open the run store: "


def db_url() -> str:
    """The run store's SQLAlchemy URL.

    Raises:
        UserError: ``PARETOLAB_DB_URL`` is not a URL, or names a database paretolab
            does not store runs in.
    """
    url = os.environ.get(DB_URL_ENV)
    if url:
        check_db_url(url)
        return url
    return f"sqlite:///{home_dir() / 'paretolab.db'}"


def check_db_url(url: str) -> None:
    """Refuse a URL that is not SQLite or PostgreSQL through a driver paretolab ships.

    Raises:
        UserError: naming the database given and the schemes that work.
    """
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # sqlalchemy raises ArgumentError or ValueError (a bad port)
        raise UserError(
            f"{_REFUSED}{DB_URL_ENV} is not a database URL; use {DB_URL_EXAMPLES}"
        ) from None
    try:
        backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    except Exception:  # a scheme no SQLAlchemy dialect knows (`postgres://`, `foo://`)
        backend, driver = parsed.drivername, ""
    if backend == "sqlite" or (backend, driver) == ("postgresql", "psycopg"):
        return
    if backend == "postgresql":
        hint = f"use the psycopg driver: postgresql+psycopg://… (not {parsed.drivername})"
    else:
        hint = f"paretolab stores runs in SQLite or PostgreSQL, not {parsed.drivername}"
    raise UserError(f"{_REFUSED}{DB_URL_ENV}={redact_url(url)}: {hint}; use {DB_URL_EXAMPLES}")


def runs_dir() -> Path:
    """The folder that holds one sub-folder per run."""
    return home_dir() / "runs"


def run_dir(run_id: int) -> Path:
    """The run's own folder: config, checkpoints, tokenizer, logs, W&B files."""
    return runs_dir() / str(run_id)


def demo_mode() -> bool:
    """True when the dashboard must only show, never change (``PARETOLAB_DEMO=1``)."""
    return os.environ.get(DEMO_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def users_file() -> str | None:
    """The dashboard's users file, or None when ``PARETOLAB_USERS`` is not set."""
    return os.environ.get(USERS_ENV) or None


def executor() -> str:
    """Who trains queued runs: ``local`` or ``slurm`` (``PARETOLAB_EXECUTOR``).

    Raises:
        UserError: another value.
    """
    value = os.environ.get(EXECUTOR_ENV, "").strip().lower() or "local"
    if value not in EXECUTORS:
        raise UserError(f"{EXECUTOR_ENV}={value!r}: choose {' or '.join(EXECUTORS)}")
    return value


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe to print or log."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL we can parse: print nothing of it
        return "<unparseable database URL>"
