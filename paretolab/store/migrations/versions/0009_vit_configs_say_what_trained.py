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

from typing import Any

from paretolab.store.config_migration import rewrite_stored_model_configs

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_AS_TRAINED = {"pooling": "cls", "positional": "learned"}


def _as_trained(config: dict[str, Any]) -> dict[str, Any] | None:
    model = config["model"]
    if model.get("family") != "vit" or all(model.get(k) == v for k, v in _AS_TRAINED.items()):
        return None
    return {**config, "model": {**model, **_AS_TRAINED}}


def upgrade() -> None:
    rewrite_stored_model_configs(_as_trained)


def downgrade() -> None:
    pass
