"""Stored ViT configs say how those runs trained: [CLS] pooling, learned positions.

Before this revision a ViT ignored ``model.pooling`` and ``model.positional``: every ViT
pooled its [CLS] token and learned its positions, whatever its config said (``pooling:
mean`` was the schema's default). ViTs now honour both fields, so a stored config is
rewritten to what its run really did; otherwise evaluating, resuming or looking inside an
old ViT run would build a different model than the one its checkpoint holds. Downgrading
changes nothing back: the rewritten configs describe the same models to the old code.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_AS_TRAINED = {"pooling": "cls", "positional": "learned"}


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("config", json))
    conn = op.get_bind()
    for run_id, config in conn.execute(sa.select(runs.c.id, runs.c.config)).all():
        model = (config or {}).get("model")
        if not isinstance(model, dict) or model.get("family") != "vit":
            continue
        if all(model.get(k) == v for k, v in _AS_TRAINED.items()):
            continue
        fixed = {**config, "model": {**model, **_AS_TRAINED}}
        conn.execute(runs.update().where(runs.c.id == run_id).values(config=fixed))


def downgrade() -> None:
    pass
