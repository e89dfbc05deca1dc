"""Launch: build a run config (form, preset, earlier run or YAML), see the model, start it."""

import time
import uuid

import plotly.express as px
import streamlit as st
import yaml

from dashboard.components.budget_uses import show_budget_uses
from dashboard.components.config_form import render_config_form
from dashboard.components.gpu_queue import show_gpu_queue
from dashboard.services import launch as launch_services
from dashboard.services import system as system_services
from paretolab.errors import ConfigError, UserError

st.title("Launch a run")
state = st.session_state
FIRST_PRESET = "first_run"  # what a newcomer meets first: it learns in seconds
state.setdefault("launch_base", launch_services.preset_config(FIRST_PRESET))
state.setdefault("launch_loaded", f"preset {FIRST_PRESET}")  # what the form holds
state.setdefault("launch_form_version", 0)
state.setdefault("launch_key", uuid.uuid4().hex)
state.setdefault("launch_problems", [])


def load_base(config: dict, loaded: str) -> None:
    state.launch_base = config
    state.launch_loaded = loaded
    state.launch_form_version += 1  # new widget keys: every field shows the loaded config
    state.launch_problems = []
    st.rerun()  # the expander's label above the button names the config loaded


with st.expander("Devices on this machine", expanded=False):
    # What the executor can train on here; the form below offers only these.
    st.dataframe(
        system_services.devices_frame(),
        hide_index=True,
        width="stretch",
        column_config={
            "memory (GB)": st.column_config.NumberColumn(format="%.1f"),
            "peak bf16 FLOP/s": st.column_config.NumberColumn(format="%.3g"),
            "peak fp32 FLOP/s": st.column_config.NumberColumn(format="%.3g"),
        },
        key="launch_devices",
    )
    here = system_services.machine()
    for acc in here.accelerator_choices()[1:]:
        st.caption(
            f"`{acc}`: up to {here.max_devices(acc)} device(s), precision "
            f"{', '.join(here.precisions(acc))}"
        )
    st.caption(
        "The catalog entry gives the cost model its peak FLOP/s and price; a CPU's peak is "
        "measured on its first run. Same list: `paretolab devices`."
    )

gpus = system_services.gpu_queue()
with st.expander("GPU queue" if gpus else "GPU queue: no GPU here", expanded=bool(gpus)):
    show_gpu_queue(gpus)

with st.expander(f"Start from a preset, an earlier run, or YAML · now: {state.launch_loaded}"):
    source = st.radio(
        "Source", ["preset", "earlier run", "YAML"], horizontal=True, key="launch_source"
    )
    if source == "preset":
        names = launch_services.preset_names()
        loaded = state.launch_loaded.removeprefix("preset ")
        if "launch_preset" not in state and loaded in names:  # the box shows what is loaded
            state.launch_preset = loaded
        preset = st.selectbox("Preset", names, key="launch_preset")
        if st.button("Load preset", key="launch_load_preset"):
            load_base(launch_services.preset_config(preset), f"preset {preset}")
    elif source == "earlier run":
        choices = launch_services.run_choices()
        run_id = st.selectbox("Run", list(choices), format_func=choices.get, key="launch_clone_run")
        if st.button("Clone and edit", key="launch_clone", disabled=run_id is None):
            load_base(launch_services.run_config(run_id), f"run {run_id}")
    else:
        uploaded = st.file_uploader("YAML file", type=["yaml", "yml"], key="launch_upload")
        text = st.text_area("or paste YAML", key="launch_yaml_text", height=150)
        if st.button("Load YAML", key="launch_load_yaml"):
            try:
                raw = uploaded.getvalue().decode("utf-8") if uploaded else text
                load_base(launch_services.yaml_config(raw), "YAML")
            except UnicodeDecodeError:
                st.error("the uploaded file is not UTF-8 text")
            except ConfigError as exc:
                for problem in exc.problems:
                    st.error(problem)


def show_cost_preview(config) -> None:
    """FLOPs, time, dollars, energy and memory of this config, before it runs."""
    st.markdown("**Cost preview**")
    try:
        p = launch_services.cost_preview(config)
    except UserError as exc:
        st.warning(str(exc))
        return
    budget = "for trainer.max_steps" if p.steps_from_config else "per 1,000 steps"
    e = p.estimate
    usd = f"${e.cost.cost_usd:.2g}" if e.cost.cost_usd is not None else "no price"
    st.markdown(
        f"**{e.compute.flops_exact:.2g} FLOPs · {_duration(e.cost.wall_hours * 3600)} · {usd}** "
        f"{budget}"
    )
    memory = e.memory.training.total_gb("none")
    device_memory = e.memory.device_memory_gb
    fits = (
        ""
        if device_memory is None
        else (" (fits)" if memory <= device_memory else " (does NOT fit)")
    )
    h = e.hardware
    active = f", {e.params.active:.3g} active" if e.params.active != e.params.used else ""
    st.caption(
        f"{e.params.used:.3g} parameters{active}; "
        f"{p.steps:,} steps of full-length batches on {h.devices} × {h.device_name} "
        f"at an assumed {h.mfu:.0%} MFU ({h.precision}); {e.energy.energy_kwh:.3g} kWh "
        "(estimate: TDP × PUE), "
        f"{e.energy.co2_kg:.3g} kg CO₂e; training memory ≈ {memory:.3g} GB{fits}. "
        "The run measures its real figures."
    )


def show_pretrained(config) -> None:
    """What the picked checkpoint is, in place of a from-scratch model's diagram."""
    m = config.model
    entry = launch_services.pretrained_entry(m.pretrained, m.revision)
    if entry.source == "hub":
        st.markdown(f"**{m.pretrained}**: not on this machine; the run downloads it.")
    else:
        count = "unknown" if entry.params is None else f"{entry.params:,}"
        arch = entry.architecture or entry.model_type or "unknown architecture"
        st.markdown(f"**{entry.name}**: {arch}, {count} parameters")
        if entry.problem:
            st.error(entry.problem)
    st.caption(
        f"Fine-tuning: {m.finetune}. Its shape comes from the checkpoint's config.json and "
        "its tokenizer from the checkpoint's folder; a new task head is added."
    )


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.2g} {unit}"
    return f"{seconds:.2g} s"


form_col, side_col = st.columns([3, 2], gap="large")
with form_col:
    form_key = f"cfg{state.launch_form_version}"
    # The form offers only what this machine has; the precisions follow the accelerator
    # picked (its widget's value, once the user has touched it).
    accelerator = state.get(
        f"{form_key}.hardware.accelerator", state.launch_base["hardware"]["accelerator"]
    )
    values = render_config_form(
        state.launch_base,
        form_key,
        state.launch_problems,
        system_services.launch_limits(accelerator),
    )
    config, problems = launch_services.validate(values)
    uses = launch_services.budget_uses(config) if config is not None else []
    show_budget_uses(uses)
    confirmed = any(u.over for u in uses) and st.checkbox(
        "Launch past a soft budget (recorded with the run)", key="launch_confirm_over_budget"
    )
    launch = st.button("Launch", type="primary", key="launch_button", disabled=config is None)
    if problems:
        st.warning(
            f"{len(problems)} field(s) to fix before launching; see the messages beside them."
        )
    if problems != state.launch_problems:  # show the new messages beside their fields now
        state.launch_problems = problems
        st.rerun()
    if launch and config is not None:
        # Same session + same config = same key: a double click makes one run.
        clicked_at = time.time()
        try:
            run = launch_services.launch(
                config, launch_services.launch_key(state.launch_key, config), confirmed
            )
        except UserError as exc:  # the data file changed since it was checked
            st.error(str(exc))
        else:
            # An older run under the same key: this exact config was launched before in this
            # session (a double click, or A → B → A): say so rather than pretend it is new.
            state.launched_run = (run.id, run.created_at < clicked_at - 5)
    if state.get("launched_run"):
        run_id, earlier = state.launched_run
        if earlier:
            st.info(f"This exact config was already launched in this session as run {run_id}.")
        else:
            st.success(
                f"Run {run_id} is queued: the executor starts it when a slot (or the GPUs it "
                "asks for) is free."
            )
        st.page_link(
            "views/run.py",
            label=f"Open run {run_id}",
            icon=":material/open_in_new:",
            query_params={"run": str(run_id)},
        )
        if st.button("Launch this config again as a new run", key="launch_again"):
            state.launch_key = uuid.uuid4().hex
            state.launched_run = None
            st.rerun()

with side_col:
    if config is not None:
        finders = (
            (
                "Find learning rate",
                "lr",
                ("optim", "lr"),
                "Lightning's LR range test (a short run)",
            ),
            (
                "Find batch size",
                "batch_size",
                ("data", "batch_size"),
                "Lightning's batch-size scaler: the largest batch that fits in memory",
            ),
        )
        for column, (label, what, target, help_text) in zip(st.columns(2), finders, strict=True):
            if column.button(label, key=f"launch_find_{what}", help=help_text):
                with st.spinner(f"Running the {label.removeprefix('Find ')} finder…"):
                    try:
                        state.launch_suggestion = (*target, launch_services.suggest(config, what))
                    except UserError as exc:
                        st.error(str(exc))
        if state.get("launch_suggestion"):
            section, field, result = state.launch_suggestion
            value = result["lr" if field == "lr" else "batch_size"]
            st.info(f"Suggested {section}.{field}: **{value:.3g}**")
            if "curve" in result:
                curve = px.line(
                    x=result["curve"]["lr"],
                    y=result["curve"]["loss"],
                    log_x=True,
                    labels={"x": "learning rate", "y": "loss"},
                    height=220,
                )
                curve.add_vline(x=value, line_dash="dash")
                st.plotly_chart(curve, key="launch_lr_curve")
            if st.button(f"Use {section}.{field} = {value:.3g}", key="launch_use_suggestion"):
                suggested = config.model_dump(mode="json")
                suggested[section][field] = value
                state.launch_suggestion = None
                load_base(suggested, state.launch_loaded + f" · {section}.{field} suggested")
        st.subheader("Model")
        if config.model.is_pretrained():
            show_pretrained(config)
        else:
            counts, dot = launch_services.model_summary(config)
            st.graphviz_chart(dot)
            st.metric(
                "Parameters (at most)",
                f"{sum(counts.values()):,}",
                help="With the tokenizer's vocabulary at its configured maximum.",
            )
            st.dataframe(
                {"block": list(counts), "parameters": list(counts.values())}, hide_index=True
            )
        with st.container(border=True):
            if config.model.is_pretrained():
                st.markdown("**Cost preview**")
                st.caption(
                    "The estimate for a pretrained model comes from its checkpoint (its "
                    "config.json and weights): the run measures and shows its real figures."
                )
            else:
                show_cost_preview(config)
        with st.expander("Config as YAML"):
            st.code(
                yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), language="yaml"
            )
