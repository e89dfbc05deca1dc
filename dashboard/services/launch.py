"""Launching: presets, cloning, YAML, validation, idempotent launch, model summary, finders."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashboard.services import access, data_check
from dashboard.services.access import owner_name, require, sign_in_mode
from dashboard.services.common import REPO, run_config_job, store
from dashboard.services.system import machine
from paretolab import auth, model_catalog, settings
from paretolab import budget_guard as guard
from paretolab.admission import DATA, admission_problems, admit
from paretolab.budget_guard import BudgetUse, Projected
from paretolab.config import RunConfig
from paretolab.config.io import load_config, load_yaml_text, parse_config
from paretolab.costing.params import model_params
from paretolab.costing.shape_sources import config_shape
from paretolab.costing.shapes import ModelShape
from paretolab.errors import ConfigError, RunNotFound, UserError
from paretolab.model_catalog import ModelEntry
from paretolab.model_sources import CONFIG_FILE, FOLDER, HUB
from paretolab.store import Run

if TYPE_CHECKING:  # the cost model loads only when a preview is asked for
    from paretolab.costing.launch_cost import CostPreview

PRESETS_DIR = REPO / "configs"


def preset_names() -> list[str]:
    """Config files shipped in configs/, by file stem."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def preset_config(name: str) -> dict[str, Any]:
    """A shipped preset, validated, as a plain dict."""
    return load_config(PRESETS_DIR / f"{name}.yaml").model_dump(mode="json")


# A run config is a few hundred bytes; anything far bigger is the wrong file (Streamlit's
# own upload limit, 50 MB, is for data files).
MAX_CONFIG_BYTES = 100_000


def yaml_config(text: str) -> dict[str, Any]:
    """Pasted or uploaded YAML, validated (raises ConfigError with every problem)."""
    size = len(text.encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            [f"the YAML is {size:,} bytes; a run config is at most {MAX_CONFIG_BYTES:,} bytes"],
            "uploaded YAML",
        )
    return parse_config(load_yaml_text(text, "uploaded YAML")).model_dump(mode="json")


def run_config(run_id: int) -> dict[str, Any]:
    """An earlier run's config, to clone and edit."""
    return parse_config(store().get_run(run_id).config).model_dump(mode="json")


def validate(values: dict[str, Any]) -> tuple[RunConfig | None, list[str]]:
    """The config, or the problems that stop it (one message per field). A config that
    reads the user's own file comes back with ``data.path`` absolute, once the file has
    been read and found good (else the file's problem is a ``data.path`` message)."""
    try:
        config = parse_config(values)
    except ConfigError as exc:
        return None, exc.problems
    found = admission_problems(config, store=store(), **_checks())
    if found.stage == DATA:
        return None, [f"data.path: {p}" for p in found.problems]
    if found.problems:
        return None, found.problems
    return found.config, []


def _checks() -> dict[str, Any]:
    """The dashboard's side of the admission checks: the local executor trains on this
    machine; relative data paths are read from the repository; signed-in users' data
    paths stay inside the data roots."""
    return {
        "machine": None if settings.executor() == "slurm" else machine(),
        "data_base": REPO,
        "read_data": data_check.read_summary,
        "data_roots": sign_in_mode() != auth.OFF,
    }


def launch_key(session_key: str, config: RunConfig) -> str:
    """Idempotency key of a launch: the browser session's key and the config's content."""
    digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:24]
    return f"{session_key[:32]}-{digest}"


CONFIRM_BOX = "the 'Launch past a soft budget' box"


def budget_uses(config: RunConfig) -> list[BudgetUse]:
    """Each budget that covers this launch by the signed-in user: spent so far, and what the
    run's projected cost would add (nothing when it cannot be priced)."""
    user = access.current_user()
    return guard.budget_uses(store(), owner_name(user), config.tags, _projection(config))


def _projection(config: RunConfig) -> Projected | None:
    from paretolab.costing.launch_cost import projected

    try:
        return projected(cost_preview(config))
    except UserError:  # no price or peak for its hardware: the check sees no projection
        return None


def launch(config: RunConfig, launch_key: str, confirm_over_budget: bool = False) -> Run:
    """Queue a run (once per ``launch_key``) and make sure the executor will start it.
    Past a soft budget it needs ``confirm_over_budget`` (recorded with the run); past a hard
    one it is refused (``paretolab.budget_guard``).

    Raises:
        UserError: the config is refused by the admission checks (``paretolab.admission``;
            checked again: its data file or this machine may have changed).
        DemoModeError: the dashboard is a read-only demo.
        AccessDenied: the signed-in user may not launch runs (a viewer).
    """
    user = require("launch a run")
    return admit(
        config,
        store=store(),
        owner=owner_name(user),
        launch_key=launch_key,
        projected=_projection(config),
        confirm_over_budget=confirm_over_budget,
        confirm_flag=CONFIRM_BOX,
        **_checks(),
    )


def model_shape(config: RunConfig) -> ModelShape:
    """The config's model shape, vocabulary at its configured maximum."""
    from lightning_modules.data.builtin.registry import get_dataset

    if config.data.dataset == "file":
        num_classes, image_shape = data_check.shape(config)
    else:
        info = get_dataset(config.data.dataset)
        num_classes, image_shape = info.num_classes, info.image_shape
    if config.task == "regression":
        num_classes = 1
    return config_shape(config, num_classes=num_classes, image_shape=image_shape)


def model_summary(config: RunConfig) -> tuple[dict[str, int], str]:
    """Parameter counts per block (vocabulary at its configured maximum) and a DOT diagram."""
    from dashboard.components.model_diagram import model_dot

    shape = model_shape(config)
    counts = model_params(shape)
    return counts, model_dot(counts, config.model, shape.num_classes)


def pretrained_choices() -> list[ModelEntry]:
    """The pretrained models on this machine that ``model.pretrained`` can name (a copy
    hidden by another of the same name is left out: the other one would be used)."""
    return [e for e in model_catalog.list_models() if not e.shadowed]


def pretrained_entry(name: str, revision: str | None = None) -> ModelEntry:
    """What is known of ``model.pretrained`` here: its catalog entry, a typed folder's facts,
    or just the name (a hub id to download, or a path that is not there: validation and
    the run say why)."""
    for entry in pretrained_choices():
        if entry.name == name and entry.revision in (None, revision):
            return entry
    folder = Path(name).expanduser()
    if (folder / CONFIG_FILE).is_file():
        return model_catalog.describe(ModelEntry(name, folder.resolve(), FOLDER))
    return ModelEntry(name, folder, HUB)


def cost_preview(config: RunConfig, steps_if_unset: int = 1000) -> CostPreview:
    """What the config's training costs on its hardware profile at an assumed MFU
    (``paretolab.costing.launch_cost``): ``trainer.max_steps`` full-length batches, or
    ``steps_if_unset`` when it trains by epochs.

    Raises:
        UserError: the hardware profile is not in the catalog, or has no peak for the precision.
    """
    from paretolab.costing import launch_cost

    return launch_cost.cost_preview(config, model_shape(config), machine(), steps_if_unset)


def suggest(config: RunConfig, what: str, timeout: float = 600) -> dict[str, Any]:
    """Run Lightning's learning-rate (``lr``) or batch-size (``batch_size``) finder on the
    config, in its own process; returns its JSON result.

    Raises:
        UserError: the finder failed or found nothing to suggest.
    """
    require("run a finder")
    return run_config_job(
        "lightning_modules.tune", config, f"{what} finder", timeout, "--what", what
    )


def run_label(run_id: int) -> str:
    """``"id · name · status"`` of one run (raises RunNotFound)."""
    r = store().get_run(run_id)
    return f"{r.id} · {r.name} · {r.status}"


def run_choices(limit: int = 200, include: Iterable[int] = ()) -> dict[int, str]:
    """The ``limit`` most recent runs as ``{id: "id · name · status"}``, for pickers, plus
    the runs in ``include`` however old (a link's ``?runs=``); unknown ids are left out."""
    s = store()
    runs = s.list_runs(limit=limit)
    listed = {r.id for r in runs}
    for run_id in dict.fromkeys(include):
        if run_id not in listed:
            with contextlib.suppress(RunNotFound):
                runs.append(s.get_run(run_id))
    return {r.id: f"{r.id} · {r.name} · {r.status}" for r in runs}
