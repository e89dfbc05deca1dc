"""What the runs table shows (dashboard Runs page, store benchmark): config fields and the
latest-metric figures of each run, read in two queries by ``store.run_table``."""

from __future__ import annotations

from collections.abc import Sequence

from paretolab import monitoring, tasks
from paretolab.store import MetricColumn, RunFilter, RunStore

TOTAL_STEPS_KEY = "trainer/total_steps"
# What the runs table shows of each run besides its own fields: config fields by path…
RUN_TABLE_PARAMS = {
    "dataset": ("data.dataset", str),
    "layers": ("model.n_layers", int),
    "d_model": ("model.d_model", int),
    "lr": ("optim.lr", float),
    "monitor": ("trainer.monitor", str),
}


def run_table_metrics() -> tuple[MetricColumn, ...]:
    """…and figures from its latest metrics: every task's headline values (read from
    ``paretolab.tasks`` at each call, so a task registered later shows too), how far the
    run got, system peaks."""
    return (
        *(MetricColumn(key, key) for key in tasks.headline_metrics()),
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
        RUN_TABLE_PARAMS, run_table_metrics(), statuses, limit, offset, archived, search
    )
