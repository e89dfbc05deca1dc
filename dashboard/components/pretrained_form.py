"""The model tab of the run-config form for a pretrained Hugging Face checkpoint: a picker of
the models on this machine (or a typed folder / hub id), the revision, remote code, and how
to fine-tune (full, freeze, LoRA).

The from-scratch shape fields are not drawn for it (validation refuses them: a checkpoint's
shape comes from its config.json), and neither is the tokenizer section.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard.services import launch as launch_services
from paretolab.config.pretrained import PRETRAINED_FAMILY, SHAPE_FIELDS, PretrainedFields

# The model fields only a pretrained model reads (SHAPE_FIELDS: those it refuses).
PRETRAINED_ONLY = frozenset(PretrainedFields.model_fields)
FAMILY_LABELS = {PRETRAINED_FAMILY: "pretrained (Hugging Face)"}

Widget = Callable[[str, Any], Any]
"""Draws the model field ``name`` filled with a value and returns what the user entered."""
Section = Callable[[str, dict[str, Any]], dict[str, Any]]
"""Draws the model sub-section ``name`` (e.g. ``lora``) and returns its values."""


def is_pretrained(base: dict[str, Any], key: str) -> bool:
    """Whether the form is for a pretrained model: the family picked in the form (read
    before the model tab is drawn, for the tokenizer tab), else the family of ``base``."""
    family = st.session_state.get(f"{key}.model.family", (base.get("model") or {}).get("family"))
    return family == PRETRAINED_FAMILY


def model_fields_for(pretrained: bool, names: list[str]) -> list[str]:
    """The model fields drawn for the family: a pretrained model's own and the shared ones,
    or every field but the pretrained ones."""
    if pretrained:
        return [n for n in names if n not in SHAPE_FIELDS]
    return [n for n in names if n not in PRETRAINED_ONLY]


def render_pretrained(base: dict[str, Any], key: str, widget: Widget, section: Section) -> dict:
    """Draw the pretrained fields of the model tab and return their values."""
    picked = _pick_model(base.get("pretrained"), key)
    out: dict[str, Any] = {"pretrained": picked.name if picked else None}
    revision = widget("revision", base.get("revision"))
    # A cached snapshot that no `main` ref names is picked by its revision.
    out["revision"] = revision or (picked.revision if picked else None)
    out["trust_remote_code"] = widget("trust_remote_code", base.get("trust_remote_code", False))
    if out["trust_remote_code"]:
        st.warning(
            "The checkpoint's own Python code (its config.json's auto_map) will run in the "
            "training process. Tick this only for a checkpoint whose code you trust."
        )
    out["finetune"] = widget("finetune", base.get("finetune", "full"))
    if out["finetune"] == "freeze":
        out["freeze_layers"] = widget("freeze_layers", base.get("freeze_layers", 0))
    if out["finetune"] == "lora":
        with st.container(border=True):
            st.caption("LoRA adapters")
            out["lora"] = section("lora", base.get("lora") or {})
    return out


def _pick_model(current: str | None, key: str) -> Any:
    """The model picked from those on this machine, or typed; None when neither."""
    entries = {_option(e): e for e in launch_services.pretrained_choices()}
    typed_default = "" if current is None or current in entries else current
    picked = None
    if entries:
        options = list(entries)
        choice = st.selectbox(
            "pretrained model",
            options,
            index=options.index(current) if current in entries else 0,
            format_func=lambda o: entries[o].label(),
            key=f"{key}.model.pretrained.pick",
            help="Models on this machine: $PARETOLAB_HOME/models, installed model packages "
            "and the Hugging Face cache (same list: `paretolab models`).",
        )
        picked = entries[choice]
    else:
        st.info("No pretrained models on this machine yet (see `paretolab models`).")
    typed = st.text_input(
        "or a folder / hub id",
        value=typed_default,
        key=f"{key}.model.pretrained.typed",
        help="A model folder (with config.json) or a hub id such as owner/name; it replaces "
        "the pick above. A hub id not on this machine is downloaded by the run unless "
        "HF_HUB_OFFLINE is set.",
    ).strip()
    if typed:
        return launch_services.pretrained_entry(typed)
    if picked is not None:
        _show_facts(picked)
    return picked


def _option(entry: Any) -> str:
    return entry.name + (f"@{entry.revision}" if entry.revision else "")


def _show_facts(entry: Any) -> None:
    if entry.problem:
        st.error(entry.problem)
    licence = entry.license or "not stated: read the model card before using it"
    st.caption(
        f"{entry.source}: `{entry.folder}` · {entry.size_bytes / 1e6:,.1f} MB · licence {licence}"
    )
