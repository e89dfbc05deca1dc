"""The new-sweep form: a shipped spec or pasted YAML, or a base config with a search-space
editor, objectives, sampler and pruner. Renders and returns the spec (or its problems)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
import yaml

from dashboard.services import launch as launch_services
from dashboard.services import sweeps as sweep_services
from paretolab import yaml_safe
from paretolab.errors import ConfigError
from sweeps.spec import PRUNERS, SAMPLERS, SweepSpec

DEFAULT_SPACE = [
    {"field": "optim.lr", "type": "float", "low": 1e-4, "high": 1e-2, "log": True},
    {"field": "model.dropout", "type": "float", "low": 0.0, "high": 0.3, "log": False},
    {"field": "optim.optimizer", "type": "categorical", "choices": "adamw, sgd"},
    {
        "field": "optim.momentum",
        "type": "float",
        "low": 0.5,
        "high": 0.99,
        "log": False,
        "when": "optim.optimizer=sgd",
    },
]
FIRST_SPEC = "tiny"
SPACE_COLUMNS = ["field", "type", "low", "high", "log", "step", "choices", "when"]
DEFAULT_OBJECTIVES = [{"metric": "val_acc", "direction": "maximize"}]


def render_sweep_form() -> tuple[SweepSpec | None, list[str]]:
    """Draw the form; return the spec it describes, or the problems that stop it."""
    source = st.radio(
        "Start from", ["shipped spec", "YAML", "form"], horizontal=True, key="sweeps_source"
    )
    if source == "shipped spec":
        names = sweep_services.preset_spec_names()
        # The quick one first (6 short trials), not the first by name (24–30 ViT trials).
        first = names.index(FIRST_SPEC) if FIRST_SPEC in names else 0
        name = st.selectbox("Spec", names, index=first, key="sweeps_preset")
        text = st.text_area(
            "Spec (edit freely)",
            sweep_services.preset_spec_text(name),
            height=360,
            key=f"sweeps_preset_text_{name}",
        )
        return sweep_services.spec_from_text(text)
    if source == "YAML":
        text = st.text_area(
            "Sweep spec YAML", height=360, key="sweeps_yaml", placeholder="study: my-sweep\n…"
        )
        return sweep_services.spec_from_text(text) if text.strip() else (None, [])
    return _render_form()


def _render_form() -> tuple[SweepSpec | None, list[str]]:
    c1, c2, c3 = st.columns(3)
    study = c1.text_input("Study name", "my-sweep", key="sweeps_form_study")
    presets = launch_services.preset_names()
    preset = c2.selectbox(
        "Base config",
        presets,
        index=presets.index("tiny") if "tiny" in presets else 0,
        key="sweeps_form_base",
        help="configs/NAME.yaml",
    )
    n_trials = c3.number_input("Trials", 1, 100_000, 6, key="sweeps_form_trials")
    fixed_text = st.text_area(
        "Fixed for every trial (YAML mapping of dotted fields)",
        "trainer.max_epochs: 10\nwandb.mode: disabled\n",
        height=80,
        key="sweeps_form_fixed",
    )
    st.markdown("**Search space** — one row per config field")
    rows = st.data_editor(
        pd.DataFrame(DEFAULT_SPACE, columns=SPACE_COLUMNS),
        num_rows="dynamic",
        key="sweeps_form_space",
        column_config={
            "type": st.column_config.SelectboxColumn(
                options=["float", "int", "categorical"], required=True
            ),
            "log": st.column_config.CheckboxColumn(default=False),
            "choices": st.column_config.TextColumn(help="categorical: values, comma separated"),
            "when": st.column_config.TextColumn(help="only when FIELD=VALUE[|VALUE…]"),
        },
        width="stretch",
    )
    st.markdown("**Objectives**")
    objectives = st.data_editor(
        pd.DataFrame(DEFAULT_OBJECTIVES),
        num_rows="dynamic",
        key="sweeps_form_objectives",
        column_config={
            "direction": st.column_config.SelectboxColumn(
                options=["maximize", "minimize"], required=True
            ),
            "metric": st.column_config.TextColumn(
                help="a val metric (val_acc, val_loss, …), params or train_cost"
            ),
        },
    )
    s1, s2, s3, s4 = st.columns(4)
    sampler = s1.selectbox("Sampler", SAMPLERS, key="sweeps_form_sampler")
    seed = s2.number_input("Sampler seed", 0, 2**31, 0, key="sweeps_form_seed")
    pruner = s3.selectbox("Pruner", PRUNERS, key="sweeps_form_pruner")
    max_resource = s4.number_input(
        "Hyperband max epochs (0: auto)", 0, 100_000, 0, key="sweeps_form_max_resource"
    )
    try:
        fixed = yaml_safe.load(fixed_text, "fixed") or {}
        base = sweep_services.base_config(preset)
    except (yaml.YAMLError, ConfigError) as exc:
        return None, [f"fixed: {exc}"]
    form: dict[str, Any] = {
        "study": study,
        "base": base,
        "fixed": fixed,
        "n_trials": int(n_trials),
        "sampler": {"name": sampler, "seed": int(seed)},
        "pruner": {"name": pruner, "max_resource": int(max_resource) or "auto"},
    }
    return sweep_services.spec_from_form(
        form, rows.to_dict("records"), objectives.to_dict("records")
    )
