"""Migration 0014: runs gain queue_reason and the gpu_holdings table appears (and both go
again on downgrade), on SQLite and PostgreSQL."""

import time

import sqlalchemy as sa

from paretolab.store import RunStore, database
from paretolab.store.schema import runs


def test_upgrade_and_downgrade_keep_runs_and_add_the_gpu_tables(any_store: RunStore) -> None:
    database.downgrade(any_store.engine, "0013")
    inspector = sa.inspect(any_store.engine)
    assert "gpu_holdings" not in inspector.get_table_names()
    assert "queue_reason" not in {c["name"] for c in inspector.get_columns("runs")}
    with any_store.engine.begin() as conn:
        run_id = conn.execute(
            runs.insert()
            .values(name="old", status="queued", task="x", config={}, created_at=time.time())
            .values(tags=[], notes="")
            .returning(runs.c.id)
        ).scalar_one()
    database.upgrade(any_store.engine)
    assert any_store.get_run(run_id).queue_reason is None
    assert any_store.claim_with_gpus(run_id, [0, 1])
    assert [h.gpu_index for h in any_store.gpu_holdings()] == [0, 1]
