"""A pretrained run's model, checked before the run is stored (see ``check_process``).

``python -m lightning_modules.pretrained.check`` finds the checkpoint (offline first), reads
its config.json, refuses remote code that is not trusted and a model that does not fit the
task, and builds the model's shape with its head and adapters on the meta device.
"""

from __future__ import annotations

from paretolab.check_process import run_check
from paretolab.config import RunConfig

CHECK_MODULE = "lightning_modules.pretrained.check"


def check_pretrained(config: RunConfig, timeout: float = 300.0) -> str | None:
    """A one-line summary of the config's pretrained model; None when it has none.

    Raises:
        UserError: the model's problem, in one line.
    """
    if not config.model.is_pretrained():
        return None
    return run_check(
        CHECK_MODULE,
        config,
        timeout,
        f"model.pretrained={config.model.pretrained}",
        "is its folder on a slow network disk?",
    )
