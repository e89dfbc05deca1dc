"""Run a registered version's forward pass on PyTorch (eager) or ONNX Runtime.

Both take the same tensors (``graph.input_names``) and return the logits as a NumPy
array, so predictions, serving and the serving benchmark run one code path on either.
ONNX Runtime reads the version's ONNX export, made once and kept under the paretolab home
(``exports/NAME/vN-<checkpoint SHA>``), where later calls find it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.serving.graph import TaskGraph, input_names
from lightning_modules.serving.onnx_export import ONNX_FILE, ort_session
from paretolab import settings
from paretolab.errors import UserError
from paretolab.store import RunStore
from paretolab.store.registry_entities import ModelVersion

RUNTIMES = ("pytorch", "onnx")


@dataclass
class Runtime:
    """One way to run the model: ``name`` is ``pytorch`` or ``onnx``."""

    name: str
    names: tuple[str, ...]
    graph: TaskGraph | None = None
    session: object | None = None

    def logits(self, tensors: tuple[torch.Tensor, ...]) -> np.ndarray:
        """The model's output for one batch (inputs in ``names`` order)."""
        if self.session is not None:
            feeds = {name: t.numpy() for name, t in zip(self.names, tensors, strict=True)}
            return self.session.run(None, feeds)[0]
        with torch.inference_mode():
            return self.graph(*tensors).float().numpy()


def open_runtime(
    name: str,
    run: LoadedRun,
    version: ModelVersion,
    store: RunStore,
    threads: int | None = None,
) -> Runtime:
    """The runtime ``name`` for the loaded version (``threads``: CPU threads, None: all).

    Raises:
        UserError: an unknown runtime, or a model ONNX cannot express (for ``onnx``).
    """
    if name not in RUNTIMES:
        raise UserError(f"--runtime must be one of {', '.join(RUNTIMES)}, not {name!r}")
    names = input_names(run)
    if name == "pytorch":
        if threads:
            torch.set_num_threads(threads)
        return Runtime(name, names, graph=TaskGraph(run))
    return Runtime(name, names, session=ort_session(onnx_file(version, store), threads))


def onnx_file(version: ModelVersion, store: RunStore) -> Path:
    """The version's ``model.onnx``, exported (and checked) on first use."""
    from lightning_modules.serving.export import export_version

    folder = export_cache(version)
    if not (folder / ONNX_FILE).is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        export_version(version.ref, "onnx", folder, store)
    return folder / ONNX_FILE


def export_cache(version: ModelVersion) -> Path:
    """Where the version's ONNX export is kept: a new checkpoint means a new folder."""
    short = version.checkpoint_sha256[:12]
    return settings.home_dir() / "exports" / version.model / f"v{version.version}-{short}"
