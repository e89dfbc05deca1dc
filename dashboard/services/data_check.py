"""The user's own data file on the launch page: resolved, read once, remembered while unchanged.

A config with ``data.dataset: file`` is only launchable once its file has been read and
found fit for the task (``lightning_modules.data.data_check``), so a bad file is a message
beside ``data.path``, never a queued run that fails. Relative paths are read from the
repository folder (where presets' example files live), and the run stores the absolute path.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard.services.access import sign_in_mode
from dashboard.services.common import REPO
from lightning_modules.data.data_check import UserData, check_user_data
from paretolab import auth
from paretolab.config import RunConfig
from paretolab.data_check import with_absolute_data_path
from paretolab.data_roots import check_data_root
from paretolab.errors import UserError

# Data fields that change what reading the file gives (batch size and the like do not).
_READ_FIELDS = {
    "path",
    "text_column",
    "label_column",
    "source_column",
    "target_column",
    "max_file_mb",
    "val_fraction",
    "test_fraction",
    "limit_samples",
    "max_length",
}
# The preview's stand-ins while the file cannot be read (the launch is refused anyway).
_FALLBACK_CLASSES, _FALLBACK_IMAGE = 2, (3, 32, 32)


def read_summary(config: RunConfig) -> str:
    """What the config's own data file holds, in one line (``paretolab.admission``'s data
    reader: it checks the data roots and makes ``data.path`` absolute first).

    Raises:
        UserError: the file's problem, naming the file, the line and how to fix it.
    """
    return _inspect_file(config).summary


def inspect(config: RunConfig) -> UserData:
    """What the config's own data file holds (read again only when it or the config's
    reading fields change).

    Raises:
        UserError: the path is outside the data roots, or as ``read_summary``.
    """
    if config.data.dataset != "file":
        return UserData(f"built-in dataset {config.data.dataset}")
    check_roots(config.data.path)  # before anything of the file is read
    return _inspect_file(config)


def _inspect_file(config: RunConfig) -> UserData:
    try:
        stat = os.stat(config.data.path)
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None
    key = (
        config.task,
        config.data.model_dump_json(include=_READ_FIELDS),
        config.clean.model_dump_json(),
        stamp,
    )
    data, problem = _read(config, key)
    if problem is not None:
        raise UserError(problem)
    return data


def check_roots(path: str | None, field: str = "data.path") -> None:
    """With sign-in on, refuse a path outside the data roots (``paretolab.data_roots``):
    the server reads it as itself, whoever asked.

    Raises:
        UserError: the path lies outside every root (symlinks resolved).
    """
    if sign_in_mode() != auth.OFF:
        check_data_root(path, Path.cwd(), field)


def shape(config: RunConfig) -> tuple[int, tuple[int, int, int] | None]:
    """Classes and image shape of the config's own file, for the model preview (stand-ins
    when the file cannot be read)."""
    try:
        data = inspect(with_absolute_data_path(config, REPO))
    except UserError:
        image = _FALLBACK_IMAGE if config.task == "image_classification" else None
        return _FALLBACK_CLASSES, image
    return data.num_classes, data.image_shape


@st.cache_data(max_entries=16, show_spinner="Reading your data file…")
def _read(_config: RunConfig, key: tuple) -> tuple[UserData | None, str | None]:
    # The outcome is cached, errors included (st.cache_data does not keep exceptions), so a
    # bad file is not read again on every rerun of the page.
    try:
        return check_user_data(_config), None
    except UserError as exc:
        return None, str(exc)
