"""A loaded run as ONNX (``torch.onnx.export``, dynamo), checked against PyTorch.

The graph is the task's forward pass (``graph.TaskGraph``) with the batch size and sequence
lengths left free. After export, ONNX Runtime runs real val batches of the run's own data
(one of 1, 2 and 4 examples) and every logit must match PyTorch's within ``TOLERANCE``;
otherwise the file is not written. A model ONNX cannot express fails with one line naming
the op and the format that works.
"""

from __future__ import annotations

import re
import sys
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import torch

from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.serving.graph import TaskGraph, dynamic_shapes, input_names, real_batches
from paretolab.errors import UserError

ONNX_FILE = "model.onnx"
TOLERANCE = 1e-4
"""Largest absolute difference allowed between ONNX Runtime's and PyTorch's logits."""
_OP = re.compile(r"(aten[.:]{1,2}[A-Za-z_0-9.]+|torch\.ops\.[A-Za-z_0-9.]+)")


def export_onnx(run: LoadedRun, folder: Path) -> dict[str, object]:
    """Write ``folder/model.onnx`` for the run and check it; returns the parity figures.

    Raises:
        UserError: the model has an op ONNX lacks (named), or ONNX Runtime disagrees with
            PyTorch by more than ``TOLERANCE``.
    """
    graph = TaskGraph(run)
    batches = real_batches(run)
    path = folder / ONNX_FILE
    try:
        # The exporter reports its steps on stdout, where predictions go: send them to stderr.
        with warnings.catch_warnings(), torch.no_grad(), redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                graph,
                batches[0],
                input_names=list(input_names(run)),
                output_names=["logits"],
                dynamic_shapes=(dynamic_shapes(run),),  # forward(*tensors): one varargs
                dynamo=True,
                verbose=False,
            )
            program.save(str(path))
    except Exception as exc:  # noqa: BLE001 - the exporter raises many kinds; all mean "cannot"
        raise UserError(unsupported_message(run, exc)) from None
    worst = max(_difference(graph, path, batch) for batch in batches)
    if worst > TOLERANCE:
        path.unlink()
        raise UserError(
            f"{run.describe()}: ONNX Runtime's logits differ from PyTorch's by {worst:.2e} "
            f"(more than {TOLERANCE:g}); export --format safetensors instead"
        )
    return {"max_abs_diff": worst, "tolerance": TOLERANCE, "batches_checked": len(batches)}


def unsupported_message(run: LoadedRun, exc: Exception) -> str:
    """One line: the op the exporter stopped at (when it says) and the format that works."""
    text = " ".join(str(exc).split())
    found = _OP.search(text)
    what = f"the op {found.group(1)}" if found else f"{type(exc).__name__}: {text[:160]}"
    return (
        f"{run.describe()} cannot be exported to ONNX ({what}); "
        "export --format safetensors, which every model supports"
    )


def ort_session(path: Path, threads: int | None = None):  # noqa: ANN201 - onnxruntime's type
    """An ONNX Runtime CPU session for ``path`` (``threads``: intra-op threads, None: all)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Threads wait passively, as PyTorch's OpenMP does in the benchmark: spinning ones burn
    # cores that a server shares with its HTTP workers (and, measured, lose on a busy box).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _difference(graph: TaskGraph, path: Path, batch: tuple[torch.Tensor, ...]) -> float:
    session = ort_session(path)
    feeds = {i.name: t.numpy() for i, t in zip(session.get_inputs(), batch, strict=True)}
    (ours,) = session.run(["logits"], feeds)
    with torch.no_grad():
        theirs = graph(*batch).float().numpy()
    return float(np.abs(ours - theirs).max())
