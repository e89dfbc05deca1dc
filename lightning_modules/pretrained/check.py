"""Check a pretrained run's model before the run is stored.

``paretolab.pretrained_check`` runs ``python -m lightning_modules.pretrained.check`` with the
run config as JSON on stdin (the core never imports this package): exit 0 and a one-line
summary on stdout when the model fits, exit 2 and ``paretolab: error: …`` on stderr when not.
The model is built on the meta device — its shape, its head and its adapters, no weights —
so a wrong LoRA target or too many frozen layers is found in seconds, whatever its size.
"""

from __future__ import annotations

import sys

import torch

from lightning_modules.pretrained.finetune import parameter_counts
from lightning_modules.pretrained.loading import build_model
from paretolab import model_sources
from paretolab.check_process import child_main
from paretolab.config import RunConfig


def check_pretrained(config: RunConfig) -> str:
    """Check that ``config``'s checkpoint can be fine-tuned as it says; a one-line summary.

    Raises:
        UserError: not found (offline), no model folder, bad config.json, needs remote code
            that is not trusted, does not fit the task, a LoRA target it lacks, more frozen
            layers than it has.
    """
    m = config.model
    source = model_sources.locate(m.pretrained or "", m.revision)
    if source.folder is None:  # downloaded by the training process
        return f"{m.pretrained}: on the Hugging Face hub (downloaded when the run starts)"
    classes = ["a", "b"] if config.task.endswith("classification") else None
    with torch.device("meta"):
        model = build_model(config, source.folder, classes, weights=False)
    total, trainable = parameter_counts(model)
    where = source.commit or str(source.folder)
    return (
        f"{m.pretrained}: {model.config.model_type}, {total / 1e6:,.1f}M parameters, "
        f"{trainable / 1e6:,.2f}M trained ({m.finetune}); from {source.kind} {where}"
    )


def main() -> int:
    """Read a run config (JSON) from stdin, check its pretrained model, print a summary."""
    return child_main(check_pretrained)


if __name__ == "__main__":
    sys.exit(main())
