"""Attention explorer: which runs can be inspected, their loaded models (one per run and
checkpoint, kept per server) and the maps of a sample, typed text or an uploaded image.

torch and the models load on first use, so the other pages never pay for them. A
checkpoint is identified with its modification time, so a running run's ``last``
checkpoint is reloaded when training has written a newer one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from dashboard.services.common import store
from paretolab import settings

if TYPE_CHECKING:
    from lightning_modules.inspection import AttentionMaps, DatasetSamples, LoadedRun


def inspectable_runs(limit: int = 200) -> dict[int, str]:
    """Recent runs that have a checkpoint, as ``{id: "id · name · status"}``."""
    return {
        r.id: f"{r.id} · {r.name} · {r.status}"
        for r in store().list_runs(limit=limit)
        if checkpoints(r.id)
    }


def checkpoints(run_id: int) -> list[str]:
    """Which of ``best`` and ``last`` the run has (fold 0's, for a cross-validated run)."""
    from lightning_modules.inspection.loading import available_checkpoints

    return available_checkpoints(run_id)


def loaded_run(run_id: int, checkpoint: str) -> LoadedRun:
    """The run's model at ``checkpoint`` (raises UserError)."""
    return _loaded(run_id, checkpoint, _stamp(run_id, checkpoint))


@st.cache_resource(max_entries=4, show_spinner="Loading the checkpoint…")
def _loaded(run_id: int, checkpoint: str, stamp: float) -> LoadedRun:
    from lightning_modules.inspection import load_run

    return load_run(run_id, checkpoint, store())


def _stamp(run_id: int, checkpoint: str) -> float:
    """The checkpoint file's modification time (0 when it is missing: loading says so)."""
    folder = settings.run_dir(run_id)
    candidates = [folder / "checkpoints", folder / "folds" / "fold_0" / "checkpoints"]
    for directory in candidates:
        path = directory / f"{checkpoint}.ckpt"
        if path.is_file():
            return path.stat().st_mtime
    return 0.0


def _samples(run_id: int, run: LoadedRun) -> DatasetSamples:
    """The run's val and test examples, prepared once per run folder and checkpoint file (a
    run id alone could name another run: another home, or an id reused after a delete)."""
    folder = str(settings.run_dir(run_id))
    return _prepared_samples(folder, _stamp(run_id, run.checkpoint), run)


@st.cache_resource(max_entries=4, show_spinner="Preparing the run's val and test data…")
def _prepared_samples(folder: str, stamp: float, _run: LoadedRun) -> DatasetSamples:
    from lightning_modules.inspection import DatasetSamples

    return DatasetSamples(_run)


def sample_count(run_id: int, checkpoint: str, split: str) -> int:
    """How many examples the run's ``split`` holds."""
    return _samples(run_id, loaded_run(run_id, checkpoint)).count(split)


def sample_maps(run_id: int, checkpoint: str, split: str, index: int) -> AttentionMaps:
    """The maps of sample ``index`` of ``split`` (raises UserError)."""
    return _sample_maps(run_id, checkpoint, _stamp(run_id, checkpoint), split, index)


def text_maps(run_id: int, checkpoint: str, text: str) -> AttentionMaps:
    """The maps of typed text (raises UserError)."""
    return _text_maps(run_id, checkpoint, _stamp(run_id, checkpoint), text)


def image_maps(run_id: int, checkpoint: str, image: bytes, invert: bool) -> AttentionMaps:
    """The maps of an uploaded image file's bytes (raises UserError)."""
    return _image_maps(run_id, checkpoint, _stamp(run_id, checkpoint), image, invert)


_EXTRACTING = "Running the explicit attention path…"


@st.cache_data(max_entries=32, show_spinner=_EXTRACTING)
def _sample_maps(run_id: int, checkpoint: str, stamp: float, split: str, index: int):
    from lightning_modules.inspection import extract

    run = loaded_run(run_id, checkpoint)
    return extract(run, _samples(run_id, run).example(split, index))


@st.cache_data(max_entries=32, show_spinner=_EXTRACTING)
def _text_maps(run_id: int, checkpoint: str, stamp: float, text: str):
    from lightning_modules.inspection import extract, text_example

    run = loaded_run(run_id, checkpoint)
    return extract(run, text_example(run, text))


@st.cache_data(max_entries=8, show_spinner=_EXTRACTING)
def _image_maps(run_id: int, checkpoint: str, stamp: float, image: bytes, invert: bool):
    from lightning_modules.inspection import extract, image_example

    run = loaded_run(run_id, checkpoint)
    return extract(run, image_example(run, image, invert))


def npz_file(maps: AttentionMaps) -> bytes:
    """The maps as an ``.npz`` file (the arrays ``paretolab attention`` writes)."""
    from lightning_modules.inspection.maps import npz_bytes

    return npz_bytes(maps)
