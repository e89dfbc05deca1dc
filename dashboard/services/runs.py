"""The runs table and what changes runs: the table frame, tags, notes, cancel, archive, delete."""

from __future__ import annotations

import time

import pandas as pd

from dashboard.services.access import require
from dashboard.services.common import store
from paretolab import limits, monitoring, run_table_spec, tasks
from paretolab.errors import UserError
from paretolab.run_table_spec import RUN_TABLE_PARAMS
from paretolab.store import QUEUED, RUNNING, STATUSES, Run, RunFilter, RunStore

# The runs table's system columns (figures stored once per run when fit ends).
SYSTEM_COLUMNS = ("peak_rss_mb", "peak_gpu_mem_mb", "mean_gpu_util", "util_flag")


def runs_frame(
    statuses: list[str] | None = None,
    search: RunFilter | None = None,
    archived: bool = False,
    limit: int = 500,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """One page of the runs table (params, headline metrics, progress) and the total matching.

    Filtering, config fields and metric figures are all SQL (``run_table_spec.run_table``), so
    the page stays fast however many runs the store holds.
    """
    s = store()
    table = run_table_spec.run_table(s, statuses or None, limit, offset, archived, search)
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
    headline = tasks.headline_metrics()
    frame = frame.astype({c: float for c in headline})
    frame["monitored"] = _metric_of_row(frame, frame["monitor"])
    frame["test"] = _metric_of_row(frame, frame["task"].map(_test_metric))
    frame["status"] = _with_queue_reasons(s, frame)
    return frame[[*_COLUMNS_BEFORE, *headline, *_COLUMNS_AFTER]], total


def _with_queue_reasons(s: RunStore, frame: pd.DataFrame) -> list[str]:
    """Each row's status, a waiting run's with why it waits (the GPU queue)."""
    if not (frame["status"] == QUEUED).any():
        return list(frame["status"])
    waiting = {r.id: r.status_text for r in s.list_runs([QUEUED])}
    return [waiting.get(i, status) for i, status in zip(frame["id"], frame["status"], strict=True)]


def _test_metric(task: str) -> str | None:
    spec = tasks.TASKS.get(task)
    return spec.test_metric() if spec else None


def _metric_of_row(frame: pd.DataFrame, keys: pd.Series) -> list[float]:
    """Each row's value of the metric column its ``keys`` entry names (NaN where none)."""
    return [
        float(frame.at[i, k]) if isinstance(k, str) and k in frame.columns else float("nan")
        for i, k in zip(frame.index, keys, strict=True)
    ]


# What the table shows before anyone picks columns: the headline first, no scrolling.
DEFAULT_COLUMNS = (
    "id", "name", "status", "owner", "progress", "task", "monitor", "monitored", "test",
    "cost/usd", "duration_s", "created", "tags",
)  # fmt: skip


# The table's columns around the tasks' headline metrics (``paretolab.tasks``).
_COLUMNS_BEFORE = [
    "id", "name", "status", "owner", "progress", "eta_s", "task", "monitored", "test",
    *RUN_TABLE_PARAMS,
]  # fmt: skip
_COLUMNS_AFTER = [*SYSTEM_COLUMNS, "duration_s", "created", "tags"]


def table_columns() -> list[str]:
    """Every column the table can show, for the chooser (every task's headline metrics,
    read at each call like ``runs_frame``'s)."""
    return [*_COLUMNS_BEFORE, *tasks.headline_metrics(), *_COLUMNS_AFTER]


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


def statuses() -> tuple[str, ...]:
    return STATUSES
