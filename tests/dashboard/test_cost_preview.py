"""The Launch page's cost preview reads the typed estimate (attributes, not keys)."""

from tests.dashboard.conftest import open_page


def test_launch_page_shows_the_cost_preview() -> None:
    at = open_page("views/launch.py")
    markdown = " ".join(m.value for m in at.markdown)
    captions = " ".join(c.value for c in at.caption)
    assert "**Cost preview**" in markdown
    assert "FLOPs ·" in markdown and "per 1,000 steps" in markdown  # tiny trains by epochs
    assert "1,000 steps of full-length batches on 1 ×" in captions
    assert "MFU" in captions and "kg CO₂e; training memory ≈" in captions
