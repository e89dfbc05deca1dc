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

from typing import Any

from paretolab.store.config_migration import rewrite_stored_model_configs

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

_POOLED_TASKS = ("classification", "regression")  # the config's default task: classification


def _says_cls(config: dict[str, Any]) -> dict[str, Any] | None:
    model = config["model"]
    if not model.get("pretrained") or model.get("pooling") == "cls":
        return None
    if config.get("task", "classification") not in _POOLED_TASKS:
        return None
    return {**config, "model": {**model, "pooling": "cls"}}


def upgrade() -> None:
    rewrite_stored_model_configs(_says_cls)


def downgrade() -> None:
    pass
