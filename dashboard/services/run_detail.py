"""One run's page: its metrics and series, artifacts, test outputs, logs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard.services.artifact_files import artifact_path
from dashboard.services.common import store
from paretolab import monitoring, settings
from paretolab.downsample import downsample_indices, points_per_series
from paretolab.errors import UserError
from paretolab.store import Artifact, MetricHistory

_COST_KEY = re.compile(r"(^|/)cost/")


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


def is_single_point(key: str) -> bool:
    """A test metric: logged once, at the end, so a table shows it, not a line chart."""
    return key.startswith("test_")


def test_metrics(run_id: int) -> pd.DataFrame:
    """The run's test metrics as one table row (empty before its test phase)."""
    latest = store().latest_metrics(run_id)
    return pd.DataFrame([{k: m.value for k, m in sorted(latest.items()) if is_single_point(k)}])


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


PRETRAINED_FILE = "pretrained.json"
# What the training process records of its checkpoint: a few hundred bytes per weight file.
_MAX_PRETRAINED_BYTES = 1_000_000
_PRETRAINED_KEYS = (
    "name",
    "kind",
    "folder",
    "commit",
    "revision",
    "weights",
    "trust_remote_code",
    "model_type",
    "architecture",
    "params_total",
    "params_trainable",
    "finetune",
)


def pretrained_model(run_id: int) -> dict[str, Any] | None:
    """What a pretrained run started from: its ``pretrained.json`` (written when training
    starts: the checkpoint's folder, commit, weight hashes, parameters) with ``recorded``
    True; before that, the config's own fields with ``recorded`` False. None for a model
    trained from scratch. A file that cannot be read adds ``problem``."""
    model = store().get_run(run_id).config.get("model") or {}
    if not model.get("pretrained"):
        return None
    facts: dict[str, Any] = {
        "name": model["pretrained"],
        "revision": model.get("revision"),
        "trust_remote_code": bool(model.get("trust_remote_code")),
        "finetune": model.get("finetune", "full"),
        "recorded": False,
    }
    path = settings.run_dir(run_id) / PRETRAINED_FILE
    if not path.is_file():
        return facts
    try:
        if path.stat().st_size > _MAX_PRETRAINED_BYTES:
            raise ValueError(f"over {_MAX_PRETRAINED_BYTES:,} bytes")
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(recorded, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        return {**facts, "problem": f"{PRETRAINED_FILE} cannot be read ({exc})"}
    facts.update({k: recorded[k] for k in _PRETRAINED_KEYS if k in recorded})
    # The config's word stands if the file says less: a warning is never hidden by it.
    facts["trust_remote_code"] = bool(recorded.get("trust_remote_code")) or bool(
        model.get("trust_remote_code")
    )
    weights = facts.get("weights")
    facts["weights"] = weights if isinstance(weights, dict) else {}
    facts["recorded"] = True
    return facts
