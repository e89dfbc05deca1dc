"""Migration 0017: stored pretrained text classifiers say they trained transformers' head."""

from paretolab.store import RunStore, database
from tests.conftest import tiny_config
from tests.paretolab.test_migration_vit_configs import _old_run


def test_old_pretrained_classifiers_say_cls_pooling(any_store: RunStore) -> None:
    folder = {"pretrained": "sentence-transformers/all-MiniLM-L6-v2", "family": "pretrained"}
    classifier = {"model": {**folder, "pooling": "mean"}}  # the schema default, as dumped
    regressor = {"task": "regression", "model": {"pretrained": "m"}}  # no pooling key
    causal = {"task": "language_modeling", "model": {"pretrained": "gpt2"}}
    text = tiny_config().model_dump(mode="json")
    database.downgrade(any_store.engine, "0015")  # configs as the old code stored them
    ids = [_old_run(any_store, c) for c in (classifier, regressor, causal, text)]
    database.upgrade(any_store.engine)
    configs = [any_store.get_run(i).config for i in ids]
    assert configs[0]["model"] == {**folder, "pooling": "cls"}
    assert configs[1] == {"task": "regression", "model": {"pretrained": "m", "pooling": "cls"}}
    assert configs[2] == causal  # a language model has no pooled head: untouched
    assert configs[3] == text  # trained from scratch: its pooling meant what it says
