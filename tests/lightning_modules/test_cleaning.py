"""Text cleaning: each switch on and off, their order, and the wiring into the data sources."""

import pytest

from lightning_modules.data.cleaning import clean_text, clean_texts
from lightning_modules.data.sources import load_labelled_texts
from paretolab.config import CleanConfig
from paretolab.config.io import parse_config

OFF = dict(strip_html=False, strip_control=False, normalize_unicode=False)
RAW = "<p>Fish &amp; chips</p><br/>costs\u00a0\uff15 \x07pounds\r\n<script>x=1</script>\t ok  "


def clean(text: str, **switches: bool) -> str:
    return clean_text(text, CleanConfig(**{**OFF, "collapse_whitespace": False, **switches}))


def test_every_switch_off_leaves_the_text_alone() -> None:
    assert clean(RAW) == RAW
    assert clean_texts([RAW], CleanConfig(**OFF)) == [RAW]


def test_strip_html_removes_tags_scripts_and_unescapes_entities() -> None:
    out = clean(RAW, strip_html=True)
    assert "<" not in out and "x=1" not in out and "Fish & chips" in out
    assert clean("a<br>b", strip_html=True) == "a\nb"  # block tags keep words apart
    assert clean("x < y and y > z", strip_html=True) == "x < y and y > z"
    assert clean("<b>bold</b>er", strip_html=True) == "bolder"  # inline tags join


def test_strip_control_keeps_newlines_and_tabs_and_unifies_line_ends() -> None:
    assert clean("a\x00b\x07c\x1bd\x85e", strip_control=True) == "abcde"
    assert clean("a\r\nb\rc\td\n", strip_control=True) == "a\nb\nc\td\n"


def test_nfkc_turns_compatibility_forms_into_plain_ones() -> None:
    assert clean("\uff21\uff42\uff43 \ufb01ne \u00bd", normalize_unicode=True) == "Abc fine 1⁄2"
    assert clean("\u00a0", normalize_unicode=True) == " "


def test_collapse_whitespace_makes_one_space_and_trims() -> None:
    assert clean("  a \n\n b\t\u00a0c  ", collapse_whitespace=True) == "a b c"


def test_all_switches_together_in_order() -> None:
    # Entities first (nbsp from &nbsp; is then normalised), then control, NFKC, spaces.
    everything = dict(
        strip_html=True, strip_control=True, normalize_unicode=True, collapse_whitespace=True
    )
    assert clean(RAW, **everything) == "Fish & chips costs 5 pounds ok"
    assert clean("a&nbsp;&#7;b", **everything) == "a b"


@pytest.mark.parametrize("strip_html", [True, False])
def test_the_clean_section_applies_to_a_users_file(tmp_path, strip_html: bool) -> None:
    path = tmp_path / "data.csv"
    rows = [f'"<i>item</i>  {i}",{"ab"[i % 2]}' for i in range(12)]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    config = parse_config(
        {
            "data": {"dataset": "file", "path": str(path)},
            "clean": {"strip_html": strip_html, "collapse_whitespace": True},
        }
    )
    texts, labels = load_labelled_texts(config)
    assert texts[3] == ("item 3" if strip_html else "<i>item</i> 3") and labels[3] == "b"
