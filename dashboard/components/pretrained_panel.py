"""A run's "Pretrained model" section: which checkpoint it started from, pinned how, and
whether it ran the checkpoint's own code."""

from __future__ import annotations

from typing import Any

import streamlit as st

REMOTE_CODE_WARNING = (
    "trust_remote_code is on: this run {ran} the checkpoint's own code (its config.json's "
    "auto_map), not only the transformers library's. Check where the checkpoint came from."
)


def render_pretrained(facts: dict[str, Any]) -> None:
    """Draw the section from ``run_detail.pretrained_model``'s facts."""
    st.subheader("Pretrained model")
    if facts.get("trust_remote_code"):
        ran = "ran" if facts.get("recorded") else "runs"
        st.warning(REMOTE_CODE_WARNING.format(ran=ran), icon=":material/warning:")
    if facts.get("problem"):
        st.error(facts["problem"])
    if not facts.get("recorded"):
        st.caption(
            "From the run's config: the run records the checkpoint's folder, commit, weight "
            "hashes and parameter counts when its training starts."
        )
    rows = _rows(facts)
    st.dataframe(
        {"": [label for label, _ in rows], "value": [value for _, value in rows]},
        hide_index=True,
        width="stretch",
        key="run_pretrained_facts",
    )
    weights = facts.get("weights") or {}
    if weights:
        st.caption("Weight files as the run read them (SHA-256):")
        st.dataframe(
            {"file": [str(f) for f in weights], "sha256": [str(h) for h in weights.values()]},
            hide_index=True,
            width="stretch",
            key="run_pretrained_weights",
        )


def _rows(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """The facts as (label, text) rows, those the run has."""
    total, trainable = facts.get("params_total"), facts.get("params_trainable")
    params = None
    if isinstance(total, int) and isinstance(trainable, int) and total:
        params = f"{trainable:,} trainable of {total:,} ({trainable / total:.2%})"
    rows = [
        ("model", facts.get("name")),
        ("architecture", facts.get("architecture")),
        ("model type", facts.get("model_type")),
        ("parameters", params),
        ("fine-tuning", facts.get("finetune")),
        ("found in", facts.get("kind")),
        ("folder", facts.get("folder")),
        ("commit", facts.get("commit")),
        ("revision", facts.get("revision")),
        ("trust_remote_code", "yes" if facts.get("trust_remote_code") else "no"),
    ]
    return [(label, str(value)) for label, value in rows if value not in (None, "")]
