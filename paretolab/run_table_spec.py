"""What the runs table shows (dashboard Runs page, store benchmark): config fields and the
latest-metric figures of each run, read in two queries by ``store.run_table``."""

from __future__ import annotations

from collections.abc import Sequence

from paretolab import monitoring, tasks
from paretolab.store import MetricColumn, RunFilter, RunStore

# Every task's headline metrics (``paretolab.tasks``) and what the run cost.
HEADLINE_METRICS = tasks.headline_metrics()
TOTAL_STEPS_KEY = "trainer/total_steps"
# What the runs table shows of each run besides its own fields: config fields by path…
RUN_TABLE_PARAMS = {
    "dataset": ("data.dataset", str),
    "layers": ("model.n_layers", int),
    "d_model": ("model.d_model", int),
    "lr": ("optim.lr", float),
}
# …and figures from its latest metrics: headline values, how far it got, system peaks.
RUN_TABLE_METRICS = (
    *(MetricColumn(key, key) for key in HEADLINE_METRICS),
    MetricColumn("total_steps", TOTAL_STEPS_KEY),
    MetricColumn("last_step", "*", of="step", skip_prefix="trainer/"),
    *monitoring.SYSTEM_TABLE_COLUMNS,
)


def run_table(
    store: RunStore,
    statuses: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
    archived: bool | None = None,
    search: RunFilter | None = None,
) -> dict[str, list]:
    """The runs table (dashboard Runs page, store benchmark) as columns, in two queries."""
    return store.run_table(
        RUN_TABLE_PARAMS, RUN_TABLE_METRICS, statuses, limit, offset, archived, search
    )
