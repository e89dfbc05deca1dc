"""The launch page with the user's own data file: checked before a run is queued."""

from paretolab.store import RunStore
from tests.conftest import REPO
from tests.dashboard.conftest import open_page


def load_file_preset():
    at = open_page("views/launch.py")
    at.selectbox(key="launch_preset").set_value("file_csv_tiny").run()
    at.button(key="launch_load_preset").click().run()
    assert not at.exception
    return at


def test_a_good_file_previews_its_classes_and_launches_with_an_absolute_path(
    store: RunStore,
) -> None:
    at = load_file_preset()
    assert any("(4 classes)" in g.proto.spec for g in at.get("graphviz_chart"))
    at.button(key="launch_button").click().run()
    [run] = store.list_runs()
    assert run.config["data"]["path"] == str(REPO / "examples" / "data" / "number_languages.csv")


def test_a_bad_file_is_shown_beside_data_path_and_cannot_be_launched(
    store: RunStore, tmp_path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text,label\n" + b"ok,a\n" * 11 + b"caf\xe9,b\n")
    at = load_file_preset()
    at.text_input(key="cfg1.data.path").input(str(bad)).run()
    errors = [e.value for e in at.error]
    assert any(f"{bad}, line 13: byte 0xE9" in e for e in errors), errors
    assert at.button(key="launch_button").disabled
    assert store.list_runs() == []
