"""Engines and schema versions: connect to the store's database and check its schema.

A fresh, empty database is created at the newest schema. A database at an older schema
is refused with an instruction (``paretolab db upgrade``); one written by a newer
paretolab is refused too. Nothing is ever altered silently.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from paretolab.errors import SchemaVersionError, UserError
from paretolab.settings import redact_url

_MIGRATIONS = Path(__file__).parent / "migrations"
_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str) -> sa.Engine:
    """One engine per URL per process (engines pool connections; make them once)."""
    with _engines_lock:
        if url not in _engines:
            _engines[url] = _create_engine(url)
        return _engines[url]


def dispose_engine(url: str) -> None:
    """Close the pooled connections of the engine for ``url`` (tests, shutdown)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def _create_engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    # JSON without ASCII escapes, so tag and text search match what users typed.
    serializer = functools.partial(json.dumps, ensure_ascii=False)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, json_serializer=serializer)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, json_serializer=serializer
    )

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001 - DBAPI objects
        cur = dbapi_conn.cursor()
        # WAL lets readers (the dashboard) work while a training process writes;
        # the busy timeout makes concurrent writers wait instead of failing.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine


def _alembic_config(connection: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _scripts() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def head_revision() -> str:
    """The schema revision this version of paretolab writes."""
    head = _scripts().get_current_head()
    if head is None:  # no migration scripts: a broken install, not something to go on with
        raise UserError(
            f"no schema migrations found in {_MIGRATIONS / 'versions'}: reinstall paretolab"
        )
    return head


def known_revisions() -> set[str]:
    """Every schema revision this version of paretolab can migrate from."""
    return {rev.revision for rev in _scripts().walk_revisions()}


def current_revision(engine: sa.Engine) -> str | None:
    """The schema revision stamped in the database (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_schema(engine: sa.Engine) -> None:
    """Create the schema in an empty database; refuse a database at another revision.

    Raises:
        SchemaVersionError: the database is at another schema revision, with what to do.
    """
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    where = redact_url(str(engine.url))
    if current is None:
        if "runs" in sa.inspect(engine).get_table_names():
            raise SchemaVersionError(
                f"{where} has a 'runs' table but no paretolab schema version; "
                "point PARETOLAB_DB_URL at an empty database or at a paretolab one"
            )
        try:
            upgrade(engine)
        except sa.exc.DBAPIError:
            # Another process created the schema at the same moment: fine if it is ours now.
            if current_revision(engine) != head:
                raise
        return
    if current in known_revisions():
        raise SchemaVersionError(
            f"{where} is at schema revision {current}, this paretolab needs {head}; "
            "back the database up, then run `paretolab db upgrade`"
        )
    raise SchemaVersionError(
        f"{where} is at schema revision {current}, which this paretolab does not know "
        f"(it needs {head}); the database was written by a newer paretolab: upgrade paretolab"
    )


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (the newest by default)."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (used by tests and by hand)."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: sa.Engine, step, revision: str) -> None:  # noqa: ANN001 - an alembic command
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one; with foreign
            # keys on, that drop would cascade and delete every metric. Off while migrating.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                step(_alembic_config(conn), revision)
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
