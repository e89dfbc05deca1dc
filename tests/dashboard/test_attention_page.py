"""The Look inside page renders every model family's attention, and the run page links to it."""

import json

import pytest

from dashboard.services import common
from tests.conftest import TrainedRuns
from tests.dashboard.conftest import open_page

PAGE = "views/attention.py"


@pytest.fixture
def trained_page(trained_home: TrainedRuns) -> TrainedRuns:
    """The dashboard reads the trained runs' home (caches cleared around the test)."""
    common.get_store.clear()
    yield trained_home
    common.get_store.clear()


def charts(at) -> list[dict]:
    """The page's plotly figures, as dicts."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def titles(at) -> list[str]:
    return [(f["layout"].get("title") or {}).get("text", "") for f in charts(at)]


@pytest.mark.parametrize(
    ("family", "tabs", "title"),
    [
        (
            "encoder_classifier",
            ["Heat map", "Model view", "Head view", "Rollout & saliency"],
            "input × gradient",
        ),
        ("decoder_lm", ["Heat map", "Model view", "Head view", "Rollout"], "attention rollout"),
        (
            "vit",
            ["Image", "Heat map", "Model view", "Head view", "Rollout & saliency"],
            "[CLS] rollout",
        ),
        (
            "encoder_decoder",
            ["Alignment", "Heat map", "Model view", "Head view", "Rollout"],
            "alignment",
        ),
    ],
)
def test_the_page_renders_each_model_family(
    trained_page: TrainedRuns, family: str, tabs: list[str], title: str
) -> None:
    run_id = trained_page.ids[family]
    at = open_page(PAGE, run=str(run_id))
    assert at.selectbox(key="attn_run").value == run_id
    assert [t.label for t in at.tabs] == tabs
    assert any(
        "explicit softmax path" in i.value and "not an explanation" in i.value for i in at.info
    )
    shown = titles(at)
    assert any(title in t for t in shown), shown
    assert len(shown) >= 4  # heat map, model view, head view, rollout at least
    assert "val sample 0" in at.markdown[0].value


def test_typed_text_and_hiding_special_tokens(trained_page: TrainedRuns) -> None:
    run_id = trained_page.ids["encoder_classifier"]
    at = open_page(PAGE, run=str(run_id))
    at.radio(key="attn_input").set_value("typed text").run()
    assert any("Give the model something to read" in i.value for i in at.info)
    at.text_area(key="attn_text").input("oil prices rose sharply").run()
    assert not at.exception
    assert "typed text" in at.markdown[0].value and "reference" not in at.markdown[0].value
    at.selectbox(key="attn_heatmap_head").set_value(1).run()
    assert "self-attention: layer 1, head 2" in titles(at)


def test_seq2seq_stacks_and_special_tokens(trained_page: TrainedRuns) -> None:
    at = open_page(PAGE, run=str(trained_page.ids["encoder_decoder"]))
    assert at.radio(key="attn_stack").options == [
        "encoder self-attention",
        "decoder self-attention",
        "cross-attention",
    ]
    at.radio(key="attn_stack").set_value("decoder self-attention").run()
    heatmap = "decoder self-attention: layer 1, mean of heads"
    assert heatmap in titles(at)

    def heatmap_rows() -> list[str]:
        figure = next(f for f in charts(at) if f["layout"]["title"]["text"] == heatmap)
        return figure["layout"]["yaxis"]["ticktext"]

    assert heatmap_rows()[0] == "[CLS]"  # decoding starts from [CLS]
    at.toggle(key="attn_special").set_value(False).run()
    assert "[CLS]" not in heatmap_rows()
    assert any(t.startswith("alignment") for t in titles(at))


def test_an_unknown_run_is_explained(trained_page: TrainedRuns) -> None:
    at = open_page(PAGE, run="999")
    assert any("There is no run 999" in w.value for w in at.warning)


def test_the_run_page_links_to_look_inside(trained_page: TrainedRuns) -> None:
    run_id = trained_page.ids["vit"]
    at = open_page("views/run.py", run=str(run_id))
    links = at.get("page_link")
    assert any("Look inside" in link.proto.label for link in links)
    link = next(link for link in links if "Look inside" in link.proto.label)
    assert f"run={run_id}" in link.proto.page or f"run={run_id}" in str(link.proto)


def test_the_page_on_an_empty_store_says_what_to_do() -> None:
    at = open_page(PAGE)
    assert any("No run has a checkpoint yet" in i.value for i in at.info)
