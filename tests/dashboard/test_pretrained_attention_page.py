"""The Look inside page on pretrained (Hugging Face) runs: BERT with LoRA and a Llama LM."""

import pytest

from dashboard.services import common
from tests.conftest import TrainedRuns
from tests.dashboard.conftest import open_page
from tests.dashboard.test_attention_page import PAGE, titles


@pytest.fixture
def pretrained_page(pretrained_runs: TrainedRuns) -> TrainedRuns:
    """The dashboard reads the pretrained runs' home (caches cleared around the test)."""
    common.get_store.clear()
    yield pretrained_runs
    common.get_store.clear()


@pytest.mark.slow
def test_a_lora_classifier_shows_every_view_of_its_eager_attention(
    pretrained_page: TrainedRuns,
) -> None:
    at = open_page(PAGE, run=str(pretrained_page.ids["bert_lora"]))
    assert [t.label for t in at.tabs] == [
        "Heat map",
        "Model view",
        "Head view",
        "Rollout & saliency",
    ]
    assert any("transformers' eager attention" in i.value for i in at.info)
    assert "val sample 0" in at.markdown[0].value and "reference" in at.markdown[0].value
    shown = titles(at)
    assert any("input × gradient" in t for t in shown), shown
    rollout = next(s for s in at.selectbox if s.label == "Rollout of")
    assert rollout.value is None  # its head reads the mean of the positions, not [CLS]
    at.radio(key="attn_input").set_value("typed text").run()
    at.text_area(key="attn_text").input("the team won the match").run()
    assert not at.exception
    assert "typed text" in at.markdown[0].value
    at.toggle(key="attn_special").set_value(False).run()  # hides [CLS] and [SEP]
    assert not at.exception


@pytest.mark.slow
def test_a_causal_language_model_shows_its_next_token(pretrained_page: TrainedRuns) -> None:
    at = open_page(PAGE, run=str(pretrained_page.ids["llama"]))
    assert [t.label for t in at.tabs] == ["Heat map", "Model view", "Head view", "Rollout"]
    assert "prediction: **" in at.markdown[0].value
    assert any("attention rollout" in t for t in titles(at))
