"""The launch form for the model you chose (issue 22, newcomer need 2): only the fields that
apply to the task, dataset, family, optimiser and schedule; words for labels, the schema's
path in the help; the common fields first and the rest under Advanced."""

from __future__ import annotations

from dashboard.components import form_rules
from tests.dashboard.conftest import open_page


def widget_keys(at) -> set[str]:
    kinds = ("number_input", "text_input", "selectbox", "checkbox", "text_area", "toggle")
    return {w.key for kind in kinds for w in getattr(at, kind) if w.key}


def test_the_first_preset_shows_only_what_bbc_with_adamw_and_cosine_reads() -> None:
    at = open_page("views/launch.py")
    keys = widget_keys(at)
    assert {"cfg0.optim.lr", "cfg0.data.max_length", "cfg0.model.d_model"} <= keys
    for absent in (
        "cfg0.model.patch_size",  # a ViT's
        "cfg0.data.source_lang",  # num2words'
        "cfg0.optim.momentum",  # SGD's, RMSprop's
        "cfg0.optim.step_size",  # the step schedule's
        "cfg0.model.num_experts",  # a costing term, not trained here
        "cfg0.generate.max_new_tokens",  # generation: language models and seq2seq
    ):
        assert absent not in keys, absent
    lr = at.number_input(key="cfg0.optim.lr")
    assert lr.label == "Learning rate" and "`optim.lr`" in lr.help
    assert any(e.label == "Advanced" for e in at.expander)


def test_choosing_sgd_and_a_step_schedule_brings_their_fields() -> None:
    at = open_page("views/launch.py")
    at.selectbox(key="cfg0.optim.optimizer").set_value("sgd").run()
    at.selectbox(key="cfg0.optim.scheduler").set_value("step").run()
    keys = widget_keys(at)
    assert {"cfg0.optim.momentum", "cfg0.optim.step_size", "cfg0.optim.step_gamma"} <= keys
    assert "cfg0.optim.min_lr_ratio" not in keys  # cosine's and linear's


def test_rules_in_words() -> None:
    ctx = {"task": "seq2seq", "data.dataset": "num2words", "model.family": "encoder_decoder"}
    assert form_rules.applies("data.source_lang", ctx)
    assert form_rules.applies("model.n_decoder_layers", ctx)
    assert not form_rules.applies("data.eval_windows", ctx)
    assert form_rules.section_applies("generate", ctx)
    assert not form_rules.section_applies("generate", {"task": "classification"})
    assert form_rules.label("trainer.max_epochs") == "Epochs"
    assert form_rules.label("optim.warmup_steps") == "Warmup steps"
    assert form_rules.is_common("optim.lr") and not form_rules.is_common("optim.eps")


def test_a_pretrained_models_head_fields_show_where_the_config_accepts_them() -> None:
    text = {"task": "classification", "model.family": "pretrained", "optim.optimizer": "adamw"}
    assert form_rules.applies("model.pooling", text) and form_rules.applies("optim.head_lr", text)
    images = {**text, "task": "image_classification"}
    assert form_rules.applies("optim.head_lr", images)  # a new head, but no pooling choice
    assert not form_rules.applies("model.pooling", images)
    lm = {**text, "task": "language_modeling"}  # trains the model's own output layer
    assert not form_rules.applies("optim.head_lr", lm) and not form_rules.applies(
        "model.pooling", lm
    )
    assert not form_rules.applies("optim.head_lr", {**text, "optim.optimizer": "muon"})
    assert not form_rules.applies("optim.head_lr", {**text, "model.family": "encoder_classifier"})
