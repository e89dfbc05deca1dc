"""Migration 0009: stored ViT configs are rewritten to how those runs trained."""

from paretolab.store import RunStore, database
from tests.conftest import tiny_config


def test_old_vit_configs_say_cls_pooling_and_learned_positions(any_store: RunStore) -> None:
    vit = {"task": "image_classification", "model": {"family": "vit", "pooling": "mean"}}
    sinusoidal = {"model": {"family": "vit", "pooling": "mean", "positional": "sinusoidal"}}
    text = tiny_config().model_dump(mode="json")
    database.downgrade(any_store.engine, "0008")  # configs as the old code stored them
    ids = [any_store.create_run(c, "r", "x").id for c in (vit, sinusoidal, text)]
    database.upgrade(any_store.engine)
    configs = [any_store.get_run(i).config for i in ids]
    assert configs[0]["model"] == {"family": "vit", "pooling": "cls", "positional": "learned"}
    assert configs[1]["model"] == {"family": "vit", "pooling": "cls", "positional": "learned"}
    assert configs[0]["task"] == "image_classification"
    assert configs[2] == text  # not a ViT: untouched
