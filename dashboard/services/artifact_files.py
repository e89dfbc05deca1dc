"""A run's artifact files, served only when they are the run folder's own.

A path is served when the store recorded it, it resolves (symlinks followed) inside the
run's folder, and the file there is no hard link: a hard link made inside the folder to a
file elsewhere resolves inside the folder yet is the other file, so a file with more than one
link, or one on another device than the folder, is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from dashboard.services.common import store
from paretolab import settings
from paretolab.errors import UserError


def artifact_path(run_id: int, relative: str) -> Path:
    """The file of a recorded artifact, only if it is the run folder's own.

    Raises:
        UserError: the path is not a recorded artifact, escapes the run folder, or is a hard
            link (or on another device than the folder).
    """
    refused = _refused(run_id, relative)
    if relative not in {a.path for a in store().list_artifacts(run_id)}:
        raise refused
    root = settings.run_dir(run_id).resolve()
    try:
        # resolve() follows symlinks, so a link inside the folder to a file outside is
        # judged by where it points.
        target = (root / relative).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise refused
        _check_own_file(os.stat(target), os.stat(root), refused)
    except (OSError, ValueError) as exc:  # a NUL byte, a symlink loop, a file gone
        raise refused from exc
    return target


def read_artifact(run_id: int, relative: str, limit: int | None = None) -> bytes:
    """The bytes of a recorded artifact (see ``artifact_path``; its first ``limit`` bytes
    when given), checked again on the open file, so a file swapped for a link after the
    check is refused too.

    Raises:
        UserError: as ``artifact_path``.
    """
    path = artifact_path(run_id, relative)
    refused = _refused(run_id, relative)
    root = os.stat(settings.run_dir(run_id))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:  # swapped for a symlink, or gone
        raise refused from exc
    with os.fdopen(fd, "rb") as fh:
        _check_own_file(os.fstat(fh.fileno()), root, refused)
        return fh.read() if limit is None else fh.read(limit)


def _refused(run_id: int, relative: str) -> UserError:
    return UserError(f"{relative!r} is not a file of run {run_id}")


def _check_own_file(file: os.stat_result, root: os.stat_result, refused: UserError) -> None:
    # One link only: a second name means the same inode lives elsewhere too. The device
    # check keeps out a file bind-mounted into the folder from another file system.
    if file.st_nlink > 1 or file.st_dev != root.st_dev:
        raise refused
