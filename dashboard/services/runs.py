"""The runs table and one run: frames, actions, series, artifacts, logs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard.services.access import require
from dashboard.services.artifact_files import artifact_path
from dashboard.services.common import store
from paretolab import limits, monitoring, run_views, settings
from paretolab.downsample import downsample_indices, points_per_series
from paretolab.errors import UserError
from paretolab.run_views import HEADLINE_METRICS, RUN_TABLE_PARAMS
from paretolab.store import RUNNING, STATUSES, Artifact, MetricHistory, Run, RunFilter

# The runs table's system columns (figures stored once per run when fit ends).
SYSTEM_COLUMNS = ("peak_rss_mb", "peak_gpu_mem_mb", "mean_gpu_util", "util_flag")
_COST_KEY = re.compile(r"(^|/)cost/")


def runs_frame(
    statuses: list[str] | None = None,
    search: RunFilter | None = None,
    archived: bool = False,
    limit: int = 500,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """One page of the runs table (params, headline metrics, progress) and the total matching.

    Filtering, config fields and metric figures are all SQL (``run_views.run_table``), so
    the page stays fast however many runs the store holds.
    """
    s = store()
    table = run_views.run_table(s, statuses or None, limit, offset, archived, search)
    total = s.count_runs(statuses or None, archived=archived, search=search)
    frame = pd.DataFrame(table)
    now = time.time()
    step = frame["last_step"].fillna(0).astype(float)
    total_steps = frame["total_steps"].astype(float)
    total_steps = total_steps.where(total_steps > 0)
    elapsed = now - frame["started_at"].astype(float)
    running = (frame["status"] == RUNNING) & (step > 0)
    frame["progress"] = (step / total_steps).clip(upper=1.0)
    frame["eta_s"] = (elapsed / step * (total_steps - step).clip(lower=0)).where(running)
    ended = frame["ended_at"].astype(float).fillna(now)
    frame["duration_s"] = ended - frame["started_at"].astype(float)
    frame["created"] = pd.to_datetime(frame["created_at"], unit="s")
    frame["tags"] = [", ".join(tags) for tags in frame["tags"]]
    frame["util_flag"] = [  # NaN where a run has no GPU figures: no flag
        monitoring.low_util_note(None if pd.isna(u) else u) for u in frame["mean_gpu_util"]
    ]
    frame = frame.astype({c: float for c in HEADLINE_METRICS})
    return frame[_RUN_COLUMNS], total


_RUN_COLUMNS = [
    "id",
    "name",
    "status",
    "owner",
    "progress",
    "eta_s",
    "task",
    *RUN_TABLE_PARAMS,
    *HEADLINE_METRICS,
    *SYSTEM_COLUMNS,
    "duration_s",
    "created",
    "tags",
]


def all_tags() -> list[str]:
    """Every tag in use."""
    return store().all_tags()


def require_for_runs(action: str, run_ids: list[int]) -> None:
    """Check ``action`` on every run before any is changed (all or nothing): a member may
    change only their own runs (see ``access.require``).

    Raises:
        DemoModeError, AccessDenied: not allowed; RunNotFound: a run is gone.
    """
    s = store()
    for run_id in run_ids:
        require(action, s.get_run(run_id).owner)


def cancel(run_id: int) -> str:
    """Ask the run to stop (SIGTERM via the executor, SIGKILL after the grace period)."""
    require_for_runs("cancel a run", [run_id])
    requested = store().request_cancel(run_id)
    if not requested:
        return f"run {run_id} had already ended"
    return f"run {run_id}: cancel requested"


def delete_runs(run_ids: list[int]) -> None:
    """Delete runs that are not running (cancel those first)."""
    require_for_runs("delete runs", run_ids)
    s = store()
    refused = []  # one run still exiting does not stop the others from going
    for run_id in run_ids:
        try:
            s.delete_run(run_id)
        except UserError as err:
            refused.append(str(err))
    if refused:
        deleted = len(run_ids) - len(refused)
        raise UserError(f"{deleted} of {len(run_ids)} deleted; " + "; ".join(refused))


def archive_runs(run_ids: list[int], archived: bool = True) -> None:
    """Hide runs from the default table (or show them again)."""
    require_for_runs("archive runs", run_ids)
    for run_id in run_ids:
        store().set_archived(run_id, archived)


def add_tag(run_ids: list[int], tag: str) -> None:
    """Add ``tag`` to each run."""
    require_for_runs("tag runs", run_ids)
    s = store()
    tagged = {run_id: [*s.get_run(run_id).tags, tag] for run_id in run_ids}
    for run_id, tags in tagged.items():  # every run checked before any is tagged
        try:
            limits.check_run_text(tags={t.strip() for t in tags})
        except UserError as err:
            raise UserError(f"run {run_id}: {err}; no run was tagged") from None
    for run_id, tags in tagged.items():
        s.set_tags(run_id, tags)


def set_tags(run_id: int, tags: list[str]) -> None:
    require_for_runs("change tags", [run_id])
    store().set_tags(run_id, tags)


def set_notes(run_id: int, notes: str) -> None:
    require_for_runs("change notes", [run_id])
    store().set_notes(run_id, notes)


def save_tags_and_notes(
    run_id: int, tags: list[str], notes: str, shown: tuple[list[str], str]
) -> None:
    """Save the Run page's edit boxes, only if the run's tags and notes are still the
    ``shown`` ones the boxes started from (``RunStore.edit_tags_and_notes``).

    Raises:
        UserError: not allowed, or someone changed them meanwhile (nothing is saved).
    """
    require_for_runs("change tags and notes", [run_id])
    store().edit_tags_and_notes(run_id, tags, notes, shown)


def get_run(run_id: int) -> Run:
    return store().get_run(run_id)


def metric_keys(run_id: int) -> list[str]:
    """The run's training metrics, in reading order: validation, training, test, the rest."""
    # cost/* figures are one point each: the Cost tab shows them, not charts. system/*
    # metrics have their own section (services.system).
    keys = [
        k
        for k in store().metric_keys(run_id)
        if not k.startswith("trainer/")
        and not _COST_KEY.search(k)
        and not monitoring.is_system_key(k)
    ]
    return sorted(keys, key=_metric_order)


def _metric_order(key: str) -> tuple[int, str]:
    for rank, prefix in enumerate(("val_", "train_", "test_")):
        if key.startswith(prefix):
            return rank, key
    return 3, key


def metric_series(run_ids: list[int], key: str, x_axis: str = "step") -> pd.DataFrame:
    """One metric for several runs, from the store's chart previews (~2,000 points each),
    thinned further when many runs share the chart (``points_per_series``).

    Columns: run, x, value. ``x_axis`` is ``step``, ``wall`` (timestamp) or ``relative``
    (seconds since the run's first point).
    """
    s = store()
    budget = points_per_series(len(run_ids))
    parts = []
    for run_id in run_ids:
        h = s.metric_preview(run_id, key)
        if not len(h):
            continue
        x, values = _x_values(h, x_axis), np.asarray(h.values, dtype=np.float64)
        if len(h) > budget:
            keep = downsample_indices(np.asarray(h.steps, dtype=np.float64), values, budget)
            x, values = x[keep], values[keep]
        parts.append(pd.DataFrame({"run": run_id, "x": x, "value": values}))
    if not parts:
        return pd.DataFrame(columns=["run", "x", "value"])
    return pd.concat(parts, ignore_index=True)


def _x_values(history: MetricHistory, x_axis: str) -> Any:
    if x_axis == "step":
        return np.asarray(history.steps, dtype=np.int64)
    walls = np.asarray(history.wall_times, dtype=np.float64)
    if x_axis == "wall":
        return pd.to_datetime(walls, unit="s").to_numpy()
    return walls - walls.min()


def metric_csv(run_id: int, key: str) -> str:
    """The full, not downsampled, series as CSV."""
    h = store().metric_history(run_id, key)
    return pd.DataFrame({"step": h.steps, "value": h.values, "wall_time": h.wall_times}).to_csv(
        index=False
    )


def artifacts(run_id: int) -> list[Artifact]:
    return store().list_artifacts(run_id)


def confusion_matrix(run_id: int) -> dict[str, Any] | None:
    """The run's test confusion matrix ({"labels", "matrix"}), if it recorded one."""
    if not any(a.kind == "confusion_matrix" for a in artifacts(run_id)):
        return None
    try:
        return json.loads(
            artifact_path(run_id, "confusion_matrix.json").read_text(encoding="utf-8")
        )
    except (UserError, ValueError):
        return None


# Test outputs a run may write, by artifact kind: file name and reader.
_OUTPUT_FILES = {
    "translations": ("translations.jsonl", lambda path: pd.read_json(path, lines=True)),
    "predictions": ("predictions.csv", pd.read_csv),
    "samples": ("samples.txt", lambda path: path.read_text(encoding="utf-8")),
}


def test_outputs(run_id: int) -> tuple[str, pd.DataFrame | str] | None:
    """What the model produced on the test set, if the run recorded it: ``("translations",
    table)`` for seq2seq, ``("predictions", table)`` for regression, ``("samples", text)``
    for language models."""
    kinds = {a.kind for a in artifacts(run_id)}
    for kind, (name, read) in _OUTPUT_FILES.items():
        if kind in kinds:
            try:
                return kind, read(artifact_path(run_id, name))
            except (UserError, ValueError):
                return None
    return None


def log_tail(run_id: int, lines: int = 200) -> str:
    """The last lines of the run's output (background runs) or training log."""
    run_dir = settings.run_dir(run_id)
    for name in ("output.log", "train.log"):
        path = run_dir / name
        if path.is_file():
            with open(path, "rb") as fh:
                fh.seek(max(0, path.stat().st_size - 200_000))
                text = fh.read().decode("utf-8", errors="replace")
            return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])
    return ""


def wandb_folder(run_id: int) -> Path | None:
    """The run's offline W&B folder, if it has one."""
    found = sorted((settings.run_dir(run_id) / "wandb").glob("offline-run-*"))
    return found[-1] if found else None


def statuses() -> tuple[str, ...]:
    return STATUSES
