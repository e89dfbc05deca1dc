"""Lightning's learning-rate and batch-size finders on a run config.

    echo '<config JSON>' | python -m lightning_modules.tune --what lr|batch_size

Prints one JSON line: ``{"lr": …, "curve": {"lr": […], "loss": […]}}`` or
``{"batch_size": …}``. The dashboard runs it as a subprocess (it takes seconds to
minutes) and offers the suggestion in the launch form.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.tuner import Tuner

from lightning_modules.data import build_data_module
from lightning_modules.run.trainers import resolve_accelerator
from lightning_modules.tasks import build_task
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.errors import UserError


def suggest(config: RunConfig, what: str, work_dir: Path) -> dict[str, Any]:
    """Run the learning-rate (``lr``) or batch-size (``batch_size``) finder on ``config``."""
    pl.seed_everything(config.trainer.seed, verbose=False)
    data = build_data_module(config, work_dir)
    data.setup("fit")
    task = build_task(config, data)
    trainer = pl.Trainer(
        accelerator=resolve_accelerator(config),
        devices=1,
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=work_dir,
    )
    tuner = Tuner(trainer)
    if what == "lr":
        finder = tuner.lr_find(
            task, datamodule=data, min_lr=1e-6, max_lr=1.0, num_training=60, update_attr=False
        )
        suggestion = finder.suggestion() if finder is not None else None
        if suggestion is None or not math.isfinite(suggestion):
            raise UserError(
                "the learning-rate finder found no clear minimum; keep your learning rate"
            )
        curve = {k: [float(v) for v in finder.results[k]] for k in ("lr", "loss")}
        return {"lr": float(suggestion), "curve": curve}
    if what == "batch_size":
        size = tuner.scale_batch_size(
            task,
            datamodule=data,
            mode="power",
            steps_per_trial=2,
            init_val=config.data.batch_size,
            max_trials=5,
        )
        return {"batch_size": int(size)}
    raise ValueError(f"unknown finder {what!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lightning_modules.tune")
    parser.add_argument("--what", choices=["lr", "batch_size"], required=True)
    args = parser.parse_args(argv)
    try:
        config = parse_config(json.loads(sys.stdin.read()))
        with tempfile.TemporaryDirectory(prefix="paretolab-tune-") as tmp:
            result = suggest(config, args.what, Path(tmp))
    except UserError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
