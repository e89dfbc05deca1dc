"""Look inside a trained run: attention of every layer and head, rollout, saliency.

    from lightning_modules.inspection import load_run, text_example, extract, save_npz
    run = load_run(3, "best")
    maps = extract(run, text_example(run, "the match ended in a draw"))
    save_npz(maps, "attention.npz")

``loading`` (run + checkpoint → model and tokenizers), ``inputs`` (samples, text,
images), ``extract`` (the explicit-path pass), ``rollout``, ``saliency``, ``maps``
(the result and its ``.npz`` arrays), ``cli`` (``paretolab attention``).
"""

from lightning_modules.inspection.extract import extract, extract_batch
from lightning_modules.inspection.inputs import (
    SPLITS,
    DatasetSamples,
    Example,
    image_example,
    text_example,
)
from lightning_modules.inspection.loading import CHECKPOINTS, LoadedRun, load_run
from lightning_modules.inspection.maps import AttentionMaps, load_npz, save_npz
from lightning_modules.inspection.rollout import attention_rollout

__all__ = [
    "CHECKPOINTS",
    "SPLITS",
    "AttentionMaps",
    "DatasetSamples",
    "Example",
    "LoadedRun",
    "attention_rollout",
    "extract",
    "extract_batch",
    "image_example",
    "load_npz",
    "load_run",
    "save_npz",
    "text_example",
]
