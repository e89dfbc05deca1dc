"""Bad YAML in the Launch page: an error beside the field, no traceback, nothing stored."""

from __future__ import annotations

import pytest

from dashboard.services import common
from tests.dashboard.conftest import open_page


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("name: x\n" + "# padding\n" * 20_000, "a run config is at most"),
        ("model: [unclosed\n", "YAML syntax error"),
        ("model: {d_modle: 32}\n", "d_modle"),
    ],
    ids=["oversized", "syntax", "unknown-key"],
)
def test_bad_yaml_is_an_error_on_the_page(text, fragment) -> None:
    at = open_page("views/launch.py")
    at.radio(key="launch_source").set_value("YAML").run()
    at.text_area(key="launch_yaml_text").set_value(text).run()
    at.button(key="launch_load_yaml").click().run()
    assert not at.exception
    assert any(fragment in e.value for e in at.error), [e.value for e in at.error]
    assert common.store().list_runs() == []
