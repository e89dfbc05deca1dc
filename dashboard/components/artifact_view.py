"""The Run page's artifacts: each file with its size, an inline preview
(``services.artifact_preview``) and a one-click download; the W&B sync command."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from dashboard.services import artifact_files
from dashboard.services import run_detail as detail_services
from dashboard.services.artifact_preview import artifact_preview, preview_kind
from paretolab.errors import UserError

MAX_DOWNLOAD_BYTES = 200 * 2**20


def show_artifacts(run_id: int) -> None:
    """The run's recorded artifacts, each previewable and downloadable in one click."""
    arts = detail_services.artifacts(run_id)
    if not arts:
        st.info("No artifacts recorded yet.")
    for art in arts:
        a1, a2 = st.columns([4, 1])
        a1.markdown(f"`{art.path}` · {art.kind} · {art.size_bytes:,} bytes")
        if art.kind == "wandb":
            continue
        try:
            path = artifact_files.artifact_path(run_id, art.path)
        except UserError:
            a2.caption("missing")
            continue
        if preview_kind(art.path) and a1.toggle("preview", key=f"preview_{art.path}"):
            show_preview(a1, run_id, art.path, art.size_bytes)
        # One click; the file is read when clicked (deferred), not on every rerun.
        if art.size_bytes > MAX_DOWNLOAD_BYTES:
            a2.caption("too large to download here")
        else:
            a2.download_button(
                "download",
                partial(artifact_files.read_artifact, run_id, art.path),
                file_name=path.name,
                on_click="ignore",
                key=f"art_{art.path}",
            )
    folder = detail_services.wandb_folder(run_id)
    if folder:
        st.markdown(
            "**Weights & Biases** (offline files; upload them with an account when you want):"
        )
        st.code(f"wandb sync {folder}", language="bash")


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
