"""For store migrations that rewrite stored run configs (0009, 0017): each run's config,
passed through a fix, written back where the fix changed it.

A migration that changes what a config field means for runs already stored says here how
those runs really trained, so evaluating, resuming or looking inside one builds the model
its checkpoint holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

ConfigFix = Callable[[dict[str, Any]], dict[str, Any] | None]
"""A stored config → the config to store instead, or None to leave it as it is."""


def rewrite_stored_model_configs(fix: ConfigFix) -> None:
    """Apply ``fix`` to the config of every stored run whose ``model`` section is a mapping
    (a config without one is left as it is), inside the migration's transaction."""
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("config", json))
    conn = op.get_bind()
    for run_id, config in conn.execute(sa.select(runs.c.id, runs.c.config)).all():
        if not isinstance((config or {}).get("model"), dict):
            continue
        fixed = fix(config)
        if fixed is not None:
            conn.execute(runs.update().where(runs.c.id == run_id).values(config=fixed))
