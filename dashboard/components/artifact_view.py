"""An artifact's inline preview on the Run page (``services.artifact_preview``)."""

from __future__ import annotations

from typing import Any

from dashboard.services.artifact_preview import artifact_preview
from paretolab.errors import UserError

_LANGUAGES = {"json": "json", ".yaml": "yaml", ".yml": "yaml", ".py": "python"}


def show_preview(where: Any, run_id: int, path: str, size_bytes: int) -> None:
    """Render ``path``'s preview in the container ``where`` (a column or the page)."""
    try:
        preview = artifact_preview(run_id, path, size_bytes)
    except UserError as exc:
        where.warning(str(exc))
        return
    if preview is None:
        where.caption("too large to preview here: download it")
        return
    if preview.kind == "image":
        where.image(preview.image, caption=path)
    elif preview.kind == "table":
        where.dataframe(preview.table, hide_index=True)
    else:
        suffix = path[path.rfind(".") :].lower()
        language = _LANGUAGES.get(preview.kind) or _LANGUAGES.get(suffix, "text")
        where.code(preview.text, language=language)
    if preview.note:
        where.caption(f"Preview: {preview.note}.")
