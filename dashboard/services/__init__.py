"""What pages ask for. Pages render; this package talks to the store, the launcher and
the executor, and shapes results into frames for the views.

- ``common``: the store and the executor of this server;
- ``launching``: presets, validation, launch, model summary, LR / batch-size finders;
- ``runs``: the runs table, run actions, series, artifacts, logs;
- ``comparing``: final metrics, config diffs, parameters, groups;
- ``attention``: inspectable runs, loaded checkpoints, attention maps of an input.
"""

from dashboard.services.attention import (
    checkpoints,
    image_maps,
    inspectable_runs,
    loaded_run,
    npz_file,
    sample_count,
    sample_maps,
    text_maps,
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
from dashboard.services.launching import (
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
from dashboard.services.runs import (
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
from paretolab.errors import UserError

__all__ = [
    "text_maps",
    "sample_maps",
    "sample_count",
    "npz_file",
    "loaded_run",
    "inspectable_runs",
    "image_maps",
    "checkpoints",
    "UserError",
    "_executor_for",
    "add_tag",
    "all_tags",
    "archive_runs",
    "artifact_path",
    "artifacts",
    "cancel",
    "compare_table",
    "config_diff",
    "config_fields",
    "confusion_matrix",
    "delete_runs",
    "get_run",
    "get_store",
    "group_labels",
    "launch",
    "launch_key",
    "log_tail",
    "metric_csv",
    "metric_keys",
    "metric_series",
    "model_summary",
    "numeric_params",
    "preset_config",
    "preset_names",
    "run_choices",
    "run_config",
    "run_label",
    "runs_frame",
    "set_notes",
    "set_tags",
    "shared_metric_keys",
    "statuses",
    "store",
    "suggest",
    "test_outputs",
    "validate",
    "wandb_folder",
    "yaml_config",
]
