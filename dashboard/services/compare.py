"""Comparing runs: final metrics, config diff, parameters, groups."""

from __future__ import annotations

import pandas as pd

from dashboard.services.common import store
from dashboard.services.run_detail import _metric_order, metric_keys
from paretolab import monitoring
from paretolab.costing.energy_methods import parse_part_key

# The system figures worth a column: the run's peaks and means, and its measured energy,
# in all and by part (each part's key names its method); each sampled reading's last value
# is not.
_SYSTEM_FIGURES = {k.removeprefix(monitoring.PREFIX) for k in monitoring.SUMMARY_KEYS} | {
    monitoring.ENERGY_KWH.removeprefix(monitoring.PREFIX)
}


def _in_table(key: str) -> bool:
    parsed = monitoring.parse_key(key)
    if parse_part_key(key) is not None:
        return True
    if parsed is not None:
        return parsed[1] is None and parsed[2] in _SYSTEM_FIGURES
    return not key.startswith(("trainer/", "lr", "epoch"))


def compare_table(run_ids: list[int]) -> pd.DataFrame:
    """Final (latest) value of every metric the runs logged, one row per run."""
    s = store()
    runs = [s.get_run(r) for r in run_ids]
    latest = s.latest_metrics_of(run_ids)
    keys = sorted({k for m in latest.values() for k in m if _in_table(k)})
    rows = [
        {
            "id": r.id,
            "name": r.name,
            "status": r.status,
            **{
                k: latest.get(r.id, {}).get(k).value if k in latest.get(r.id, {}) else None
                for k in keys
            },
        }
        for r in runs
    ]
    return pd.DataFrame(rows, columns=["id", "name", "status", *keys])


def headline_first(run_ids: list[int], keys: list[str]) -> list[str]:
    """``keys`` with the runs' monitored metric first (``trainer.monitor`` of the first run),
    then its test counterpart, other validation and test metrics, then the rest (cost,
    system): the figure people compare runs for, not ``cost/co2_kg``."""
    monitor = store().get_run(run_ids[0]).config.get("trainer", {}).get("monitor", "")
    test = "test_" + monitor.removeprefix("val_")

    def rank(key: str) -> tuple[int, str]:
        if key in (monitor, test):
            return (0 if key == monitor else 1), key
        return 2 + _metric_order(key)[0] + (2 if "/" in key else 0), key

    return sorted(keys, key=rank)


def shared_metric_keys(run_ids: list[int]) -> list[str]:
    """Metrics logged by any of the runs, validation and test first."""
    keys = {k for r in run_ids for k in metric_keys(r)}
    return sorted(keys, key=_metric_order)


def _flat_configs(run_ids: list[int]) -> pd.DataFrame:
    s = store()
    flat = pd.json_normalize([s.get_run(r).config for r in run_ids], sep=".")
    flat.index = run_ids
    return flat


def config_fields(run_ids: list[int]) -> list[str]:
    """Config fields on which the runs differ (candidates to group by)."""
    flat = _flat_configs(run_ids).astype(str)
    return [c for c in flat.columns if flat[c].nunique() > 1 and c not in ("name", "notes")]


def config_diff(run_ids: list[int], only_different: bool = True) -> pd.DataFrame:
    """Fields × runs; by default only the fields whose values differ."""
    flat = _flat_configs(run_ids)
    table = flat.T.astype(str)
    table.columns = [f"run {r}" for r in run_ids]
    if only_different:
        table = table[table.nunique(axis=1) > 1]
    return table


def numeric_params(run_ids: list[int]) -> pd.DataFrame:
    """Numeric config fields per run (for parallel coordinates), with an ``id`` column."""
    flat = _flat_configs(run_ids)
    numeric = flat.select_dtypes(include="number").drop(
        columns=["data.split_seed"], errors="ignore"
    )
    return numeric.reset_index(names="id")


def group_labels(run_ids: list[int], field: str) -> dict[int, str]:
    """Each run's value of ``field`` (e.g. trainer.seed), to group runs by."""
    flat = _flat_configs(run_ids)
    return {r: f"{field}={flat.loc[r, field]}" for r in run_ids}
