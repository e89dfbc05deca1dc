"""Run ids are never reused: SQLite's runs table gets AUTOINCREMENT.

Without it SQLite hands the id of a deleted newest run to the next run, and whatever
still knew the old run by its id (an executor waiting for its process, a run folder, a
bookmarked page) took the new run for it. PostgreSQL's sequences never go back: nothing
to do there. SQLite needs the table rebuilt (batch mode); rows keep their ids, and the
sequence starts above the highest one.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _rebuild_runs(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "runs", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    _rebuild_runs(autoincrement=True)


def downgrade() -> None:
    _rebuild_runs(autoincrement=False)
