"""What pages ask for. Pages render; this module talks to the store, the launcher and the
executor, and shapes results into frames and figures' data."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from paretolab import executor, launcher, settings
from paretolab.config import RunConfig, load_config, load_yaml_text, parse_config
from paretolab.cost import encoder_classifier_params
from paretolab.errors import ConfigError, UserError
from paretolab.store import (
    RUNNING,
    STATUSES,
    Artifact,
    MetricHistory,
    Run,
    RunFilter,
    RunStore,
)

REPO = Path(__file__).resolve().parents[1]
PRESETS_DIR = REPO / "configs"
HEADLINE_METRICS = ("val_loss", "val_acc", "val_f1", "test_acc", "test_f1")
TOTAL_STEPS_KEY = "trainer/total_steps"


@st.cache_resource
def get_store() -> RunStore:
    """One store (and connection pool) per server process."""
    return RunStore()


def store() -> RunStore:
    """The store, with a background executor running for this home."""
    s = get_store()
    _executor_for(str(settings.home_dir()))
    return s


@st.cache_resource(ttl=10)
def _executor_for(home: str) -> bool:
    # Checked at most every 10 s per server: start the executor if none serves this home.
    executor.ensure_executor(get_store())
    return True


# ------------------------------------------------------------------ launching


def preset_names() -> list[str]:
    """Config files shipped in configs/, by file stem."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def preset_config(name: str) -> dict[str, Any]:
    """A shipped preset, validated, as a plain dict."""
    return load_config(PRESETS_DIR / f"{name}.yaml").model_dump(mode="json")


def yaml_config(text: str) -> dict[str, Any]:
    """Pasted or uploaded YAML, validated (raises ConfigError with every problem)."""
    return parse_config(load_yaml_text(text, "uploaded YAML")).model_dump(mode="json")


def run_config(run_id: int) -> dict[str, Any]:
    """An earlier run's config, to clone and edit."""
    return parse_config(store().get_run(run_id).config).model_dump(mode="json")


def validate(values: dict[str, Any]) -> tuple[RunConfig | None, list[str]]:
    """The config, or the problems that stop it (one message per field)."""
    try:
        return parse_config(values), []
    except ConfigError as exc:
        return None, exc.problems


def launch_key(session_key: str, config: RunConfig) -> str:
    """Idempotency key of a launch: the browser session's key and the config's content."""
    digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:24]
    return f"{session_key[:32]}-{digest}"


def launch(config: RunConfig, launch_key: str) -> Run:
    """Queue a run (once per ``launch_key``) and make sure the executor will start it."""
    return store().create_run(
        config.model_dump(mode="json"),
        config.display_name(),
        config.task,
        config.tags,
        config.notes,
        launch_key=launch_key,
    )


def model_summary(config: RunConfig) -> tuple[dict[str, int], str]:
    """Parameter counts per block (vocabulary at its configured maximum) and a DOT diagram."""
    from dashboard.components.model_diagram import encoder_classifier_dot
    from lightning_modules.data.registry import get_dataset

    classes = get_dataset(config.data.dataset).num_classes
    m = config.model
    counts = encoder_classifier_params(
        m, config.tokenizer.vocab_size, config.data.max_length, classes
    )
    dot = encoder_classifier_dot(
        counts, m.n_layers, m.n_heads, m.d_model, m.ff_dim(), m.pooling, classes
    )
    return counts, dot


def suggest(config: RunConfig, what: str, timeout: float = 600) -> dict[str, Any]:
    """Run Lightning's learning-rate (``lr``) or batch-size (``batch_size``) finder on the
    config, in its own process; returns its JSON result.

    Raises:
        UserError: the finder failed or found nothing to suggest.
    """
    try:
        done = _run_finder(config, what, timeout)
    except subprocess.TimeoutExpired:
        raise UserError(
            f"the {what} finder took longer than {timeout:.0f} s and was stopped"
        ) from None
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    if "error" in result or done.returncode != 0 or not result:
        raise UserError(
            result.get("error") or f"the {what} finder failed: {done.stderr.strip()[-500:]}"
        )
    return result


def _run_finder(config: RunConfig, what: str, timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "lightning_modules.tune", "--what", what],
        input=config.model_dump_json(),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=launcher.child_env(store()),
        cwd=REPO,
    )
    return done


def run_label(run_id: int) -> str:
    """``"id · name · status"`` of one run (raises RunNotFound)."""
    r = store().get_run(run_id)
    return f"{r.id} · {r.name} · {r.status}"


def run_choices(limit: int = 200) -> dict[int, str]:
    """Recent runs as ``{id: "id · name · status"}``, for pickers."""
    return {r.id: f"{r.id} · {r.name} · {r.status}" for r in store().list_runs(limit=limit)}


# ------------------------------------------------------------------ runs table


def runs_frame(
    statuses: list[str] | None = None,
    search: RunFilter | None = None,
    archived: bool = False,
    limit: int = 500,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """One page of the runs table (params, headline metrics, progress) and the total matching.

    Filtering happens in SQL, so the page stays fast however many runs the store holds.
    """
    s = store()
    runs = s.list_runs(
        statuses or None, limit=limit, offset=offset, archived=archived, search=search
    )
    total = s.count_runs(statuses or None, archived=archived, search=search)
    latest = s.latest_metrics_of([r.id for r in runs])
    now = time.time()
    rows = []
    for r in runs:
        m = latest.get(r.id, {})
        model, optim, data = (r.config.get(k, {}) for k in ("model", "optim", "data"))
        step = max((v.step for k, v in m.items() if not k.startswith("trainer/")), default=0)
        total_steps = m[TOTAL_STEPS_KEY].value if TOTAL_STEPS_KEY in m else None
        rows.append(
            {
                "id": r.id,
                "name": r.name,
                "status": r.status,
                "progress": min(step / total_steps, 1.0) if total_steps else None,
                "eta_s": _eta(r, step, total_steps, now),
                "task": r.task,
                "dataset": data.get("dataset"),
                "layers": model.get("n_layers"),
                "d_model": model.get("d_model"),
                "lr": optim.get("lr"),
                **{k: (m[k].value if k in m else None) for k in HEADLINE_METRICS},
                "duration_s": r.duration(now),
                "created": pd.Timestamp(r.created_at, unit="s"),
                "tags": ", ".join(r.tags),
            }
        )
    return pd.DataFrame(rows, columns=_RUN_COLUMNS), total


_RUN_COLUMNS = [
    "id",
    "name",
    "status",
    "progress",
    "eta_s",
    "task",
    "dataset",
    "layers",
    "d_model",
    "lr",
    *HEADLINE_METRICS,
    "duration_s",
    "created",
    "tags",
]


def _eta(run: Run, step: int, total: float | None, now: float) -> float | None:
    if run.status != RUNNING or not total or not step or run.started_at is None:
        return None
    return (now - run.started_at) / step * max(total - step, 0)


def all_tags() -> list[str]:
    """Every tag in use."""
    return store().all_tags()


def cancel(run_id: int) -> str:
    """Ask the run to stop (SIGTERM via the executor, SIGKILL after the grace period)."""
    s = store()
    try:
        requested = s.request_cancel(run_id)
    except UserError as exc:  # deleted in another tab
        return str(exc)
    if not requested:
        return f"run {run_id} had already ended"
    return f"run {run_id}: cancel requested"


def delete_runs(run_ids: list[int]) -> None:
    """Delete runs that are not running (cancel those first)."""
    s = store()
    for run_id in run_ids:
        if s.get_run(run_id).status == RUNNING:
            raise UserError(f"run {run_id} is running: cancel it before deleting")
    for run_id in run_ids:
        s.delete_run(run_id)


def archive_runs(run_ids: list[int], archived: bool = True) -> None:
    """Hide runs from the default table (or show them again)."""
    for run_id in run_ids:
        store().set_archived(run_id, archived)


def add_tag(run_ids: list[int], tag: str) -> None:
    """Add ``tag`` to each run."""
    s = store()
    for run_id in run_ids:
        s.set_tags(run_id, [*s.get_run(run_id).tags, tag])


def set_tags(run_id: int, tags: list[str]) -> None:
    store().set_tags(run_id, tags)


def set_notes(run_id: int, notes: str) -> None:
    store().set_notes(run_id, notes)


# ------------------------------------------------------------------ one run


def get_run(run_id: int) -> Run:
    return store().get_run(run_id)


def metric_keys(run_id: int) -> list[str]:
    """The run's metrics, in reading order: validation, training, test, then the rest."""
    keys = [k for k in store().metric_keys(run_id) if not k.startswith("trainer/")]
    return sorted(keys, key=_metric_order)


def _metric_order(key: str) -> tuple[int, str]:
    for rank, prefix in enumerate(("val_", "train_", "test_")):
        if key.startswith(prefix):
            return rank, key
    return 3, key


def metric_series(run_ids: list[int], key: str, x_axis: str = "step") -> pd.DataFrame:
    """One metric for several runs, each at most ~2,000 points (the store's chart previews).

    Columns: run, x, value. ``x_axis`` is ``step``, ``wall`` (timestamp) or ``relative``
    (seconds since the run's first point).
    """
    s = store()
    parts = []
    for run_id in run_ids:
        h = s.metric_preview(run_id, key)
        if not len(h):
            continue
        x = _x_values(h, x_axis)
        parts.append(pd.DataFrame({"run": run_id, "x": x, "value": h.values}))
    if not parts:
        return pd.DataFrame(columns=["run", "x", "value"])
    return pd.concat(parts, ignore_index=True)


def _x_values(history: MetricHistory, x_axis: str) -> Any:
    if x_axis == "step":
        return np.asarray(history.steps, dtype=np.int64)
    walls = np.asarray(history.wall_times, dtype=np.float64)
    if x_axis == "wall":
        return pd.to_datetime(walls, unit="s")
    return walls - walls.min()


def metric_csv(run_id: int, key: str) -> str:
    """The full, not downsampled, series as CSV."""
    h = store().metric_history(run_id, key)
    return pd.DataFrame({"step": h.steps, "value": h.values, "wall_time": h.wall_times}).to_csv(
        index=False
    )


def artifacts(run_id: int) -> list[Artifact]:
    return store().list_artifacts(run_id)


def artifact_path(run_id: int, relative: str) -> Path:
    """The file of a recorded artifact, only if it lies inside the run's folder.

    Raises:
        UserError: the path is not a recorded artifact or escapes the run folder.
    """
    recorded = {a.path for a in artifacts(run_id)}
    root = settings.run_dir(run_id).resolve()
    target = (root / relative).resolve()
    if relative not in recorded or not target.is_relative_to(root) or not target.is_file():
        raise UserError(f"{relative!r} is not a file of run {run_id}")
    return target


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


# ------------------------------------------------------------------ comparing


def compare_table(run_ids: list[int]) -> pd.DataFrame:
    """Final (latest) value of every metric the runs logged, one row per run."""
    s = store()
    runs = [s.get_run(r) for r in run_ids]
    latest = s.latest_metrics_of(run_ids)
    keys = sorted(
        {k for m in latest.values() for k in m if not k.startswith(("trainer/", "lr", "epoch"))}
    )
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
