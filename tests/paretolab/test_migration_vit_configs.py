"""Migration 0009: stored ViT configs are rewritten to how those runs trained."""

import time

from paretolab.store import RunStore, database
from paretolab.store.schema import runs
from tests.conftest import tiny_config


def test_old_vit_configs_say_cls_pooling_and_learned_positions(any_store: RunStore) -> None:
    vit = {"task": "image_classification", "model": {"family": "vit", "pooling": "mean"}}
    sinusoidal = {"model": {"family": "vit", "pooling": "mean", "positional": "sinusoidal"}}
    text = tiny_config().model_dump(mode="json")
    database.downgrade(any_store.engine, "0008")  # configs as the old code stored them
    ids = [_old_run(any_store, c) for c in (vit, sinusoidal, text)]
    database.upgrade(any_store.engine)
    configs = [any_store.get_run(i).config for i in ids]
    assert configs[0]["model"] == {"family": "vit", "pooling": "cls", "positional": "learned"}
    assert configs[1]["model"] == {"family": "vit", "pooling": "cls", "positional": "learned"}
    assert configs[0]["task"] == "image_classification"
    assert configs[2] == text  # not a ViT: untouched


def _old_run(store: RunStore, config: dict) -> int:
    """A run as revision 0008 stored it: a runs row and nothing else (no run_costs yet)."""
    row = dict(name="r", status="queued", task="x", config=config, created_at=time.time())
    with store.engine.begin() as conn:
        stmt = runs.insert().values(**row, tags=[], notes="").returning(runs.c.id)
        return conn.execute(stmt).scalar_one()
