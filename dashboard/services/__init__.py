"""What pages ask for. Pages render; this package talks to the store, the launcher and
the executor, and shapes results into frames for the views.

- ``common``: the store and the executor of this server;
- ``launching``: presets, validation, launch, model summary, LR / batch-size finders;
- ``runs``: the runs table, run actions, series, artifacts, logs;
- ``comparing``: final metrics, config diffs, parameters, groups;
- ``costs``: what runs cost (figures, assumptions, what-if projections);
- ``business``: the stakeholder view (frontier, baselines, assumptions);
- ``projections``: scaling fits and projections, Chinchilla context, serving cost;
- ``report``: the stakeholder report as HTML and PDF;
- ``system``: this machine's devices and launch limits, runs' system charts and summaries;
- ``demo``: the read-only demo mode.
"""

from dashboard.services.business import (
    COST_AXES,
    assumptions,
    baseline,
    fittable_metrics,
    format_cost,
    frontier,
    hardware_choices,
    quality_metrics,
    runs_beating,
    split_of_run,
    splits,
    train_baseline,
)
from dashboard.services.common import _executor_for, get_store, store
from dashboard.services.comparing import (
    compare_table,
    config_diff,
    config_fields,
    group_labels,
    numeric_params,
    shared_metric_keys,
)
from dashboard.services.costs import cost_figures, costs_frame, run_cost, what_if
from dashboard.services.demo import DemoModeError, demo_mode, refuse_in_demo
from dashboard.services.launching import (
    cost_preview,
    launch,
    launch_key,
    model_summary,
    preset_config,
    preset_names,
    run_choices,
    run_config,
    run_label,
    suggest,
    validate,
    yaml_config,
)
from dashboard.services.projections import (
    chinchilla_table,
    describe_fit,
    describe_projection,
    describe_serving,
    log_range,
    project_target,
    scaling,
    serving,
    usd,
)
from dashboard.services.report import Report, report_html, report_pdf
from dashboard.services.runs import (
    SYSTEM_COLUMNS,
    add_tag,
    all_tags,
    archive_runs,
    artifact_path,
    artifacts,
    cancel,
    confusion_matrix,
    delete_runs,
    get_run,
    log_tail,
    metric_csv,
    metric_keys,
    metric_series,
    runs_frame,
    set_notes,
    set_tags,
    statuses,
    test_outputs,
    wandb_folder,
)
from dashboard.services.system import (
    Panel,
    describe_system,
    devices_frame,
    hardware_problems,
    launch_limits,
    machine,
    system_keys,
    system_panels,
    system_summary,
)
from paretolab.baselines import BASELINE_TASKS
from paretolab.costing.scaling import prediction_band
from paretolab.errors import UserError

__all__ = [
    "BASELINE_TASKS",
    "COST_AXES",
    "DemoModeError",
    "Panel",
    "Report",
    "SYSTEM_COLUMNS",
    "UserError",
    "_executor_for",
    "add_tag",
    "all_tags",
    "archive_runs",
    "artifact_path",
    "artifacts",
    "assumptions",
    "baseline",
    "cancel",
    "chinchilla_table",
    "compare_table",
    "config_diff",
    "config_fields",
    "confusion_matrix",
    "cost_figures",
    "cost_preview",
    "costs_frame",
    "delete_runs",
    "devices_frame",
    "demo_mode",
    "describe_fit",
    "describe_projection",
    "describe_serving",
    "describe_system",
    "fittable_metrics",
    "format_cost",
    "frontier",
    "get_run",
    "get_store",
    "group_labels",
    "hardware_problems",
    "hardware_choices",
    "launch",
    "launch_key",
    "launch_limits",
    "log_range",
    "log_tail",
    "machine",
    "metric_csv",
    "metric_keys",
    "metric_series",
    "model_summary",
    "numeric_params",
    "prediction_band",
    "preset_config",
    "preset_names",
    "project_target",
    "quality_metrics",
    "refuse_in_demo",
    "report_html",
    "report_pdf",
    "run_choices",
    "run_config",
    "run_cost",
    "runs_beating",
    "run_label",
    "runs_frame",
    "scaling",
    "serving",
    "set_notes",
    "set_tags",
    "shared_metric_keys",
    "split_of_run",
    "splits",
    "statuses",
    "store",
    "suggest",
    "system_keys",
    "system_panels",
    "system_summary",
    "test_outputs",
    "train_baseline",
    "usd",
    "validate",
    "wandb_folder",
    "what_if",
    "yaml_config",
]
