"""Stored pretrained text classifiers and regressors say how they trained: ``pooling: cls``.

Before this revision a pretrained (Hugging Face) classification or regression run ignored
``model.pooling`` (whose schema default is ``mean``) and always trained transformers' own
head (``AutoModelForSequenceClassification``: BERT's [CLS] + pooler). Such runs now honour
it, ``mean`` building a mean-pooled head on the base model, so a stored config is rewritten
to what its run really did; otherwise evaluating, resuming, exporting or looking inside an
old run would build a different model than the one its checkpoint holds. Downgrading
changes nothing back: the rewritten configs describe the same models to the old code.

Revision ID: 0017
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

_POOLED_TASKS = ("classification", "regression")  # the config's default task: classification


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("config", json))
    conn = op.get_bind()
    for run_id, config in conn.execute(sa.select(runs.c.id, runs.c.config)).all():
        model = (config or {}).get("model")
        if not isinstance(model, dict) or not model.get("pretrained"):
            continue
        if config.get("task", "classification") not in _POOLED_TASKS:
            continue
        if model.get("pooling") == "cls":
            continue
        fixed = {**config, "model": {**model, "pooling": "cls"}}
        conn.execute(runs.update().where(runs.c.id == run_id).values(config=fixed))


def downgrade() -> None:
    pass
