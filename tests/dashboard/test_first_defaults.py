"""What a newcomer meets first (issue 22, newcomer need 2): the Preset box shows the preset
the form holds, and New sweep starts from the quick tiny spec, not a 24-trial one."""

import pytest
import yaml

from dashboard.services import sweeps as sweep_services
from tests.dashboard.conftest import open_page


@pytest.mark.slow
def _preset_box(at) -> str:
    """The label of the Launch page's "Start from a preset…" box."""
    (label,) = [e.label for e in at.expander if e.label.startswith("Start from a preset")]
    return label


def test_the_preset_box_shows_the_loaded_preset() -> None:
    at = open_page("views/launch.py")
    assert at.selectbox(key="launch_preset").value == "first_run"
    assert "now: preset first_run" in _preset_box(at)
    at.selectbox(key="launch_preset").set_value("bbc_demo").run()
    at.button(key="launch_load_preset").click().run()
    assert at.selectbox(key="launch_preset").value == "bbc_demo"
    assert "now: preset bbc_demo" in _preset_box(at)
    assert at.text_input(key="cfg1.name").value == "bbc-news-encoder"


@pytest.mark.slow
def test_new_sweep_starts_from_the_quick_spec() -> None:
    at = open_page("views/sweeps.py")
    assert at.selectbox(key="sweeps_preset").value == "tiny"
    spec = yaml.safe_load(sweep_services.preset_spec_text("tiny"))
    assert spec["n_trials"] <= 6
    at.radio(key="sweeps_source").set_value("form").run()
    assert at.number_input(key="sweeps_form_trials").value <= 6
