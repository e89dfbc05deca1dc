"""Artifact downloads come only from inside the run's folder, whatever path is asked for."""

from __future__ import annotations

import os

import pytest

from dashboard.services import artifact_files
from lightning_modules.run.lifecycle import record_artifacts
from paretolab import settings
from paretolab.errors import UserError
from tests.conftest import queue_run, tiny_config

CANARY = "canary: must never be served or changed\n"

TRAVERSALS = [
    "../secret.txt",
    "../../secret.txt",
    "./../secret.txt",
    "checkpoints/../../secret.txt",
    "..%2fsecret.txt",
    "%2e%2e%2fsecret.txt",
    "%2e%2e/secret.txt",
    "%252e%252e%252fsecret.txt",
    "..%252fsecret.txt",
    "..\\secret.txt",
    "..\\..\\secret.txt",
    "checkpoints\\..\\..\\secret.txt",
    "....//secret.txt",
    "..;/secret.txt",
    "~/secret.txt",
    "/etc/passwd",
    "/etc/shadow",
    "ABSOLUTE_CANARY",
    "link-to-canary.log",
    "linked-dir/secret.txt",
    "config.yaml\x00.png",
    "",
    ".",
    "checkpoints",
]


@pytest.fixture
def run_with_canaries(store, home, tmp_path):
    """A run with one genuine artifact, canaries outside its folder, and symlinks to them."""
    run_id = queue_run(store, tiny_config())
    run_dir = settings.run_dir(run_id)
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "config.yaml").write_text("model: {}\n")
    canaries = [home / "runs" / "secret.txt", home / "secret.txt", tmp_path / "secret.txt"]
    for canary in canaries:
        canary.write_text(CANARY)
    os.symlink(tmp_path / "secret.txt", run_dir / "link-to-canary.log")
    os.symlink(tmp_path, run_dir / "linked-dir")
    record_artifacts(store, run_id, run_dir)
    return run_id, canaries


def test_a_recorded_file_inside_the_folder_is_served(run_with_canaries) -> None:
    run_id, _ = run_with_canaries
    assert artifact_files.artifact_path(run_id, "config.yaml").read_text() == "model: {}\n"


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_is_refused_even_when_recorded(run_with_canaries, store, tmp_path, path) -> None:
    run_id, canaries = run_with_canaries
    if path == "ABSOLUTE_CANARY":
        path = str(tmp_path / "secret.txt")
    with pytest.raises(UserError, match="is not a file of run"):
        artifact_files.artifact_path(run_id, path)  # not recorded: refused
    # A tampered store that records the path anyway is refused too.
    store.add_artifact(run_id, path, "log", 1)
    with pytest.raises(UserError, match="is not a file of run"):
        artifact_files.artifact_path(run_id, path)
    assert all(c.read_text() == CANARY for c in canaries)


@pytest.fixture
def run_with_hardlink(store, home, tmp_path):
    """A run whose folder holds a hard link to a canary outside it, recorded as a log."""
    run_id = queue_run(store, tiny_config())
    run_dir = settings.run_dir(run_id)
    run_dir.mkdir(parents=True)
    canary = home / "secret.txt"
    canary.write_text(CANARY)
    os.link(canary, run_dir / "hardlinked.log")
    (run_dir / "train.log").write_text("epoch 1\n")
    record_artifacts(store, run_id, run_dir)
    return run_id


@pytest.mark.parametrize("read", [artifact_files.artifact_path, artifact_files.read_artifact])
def test_a_hard_link_inside_the_folder_is_refused(run_with_hardlink, read) -> None:
    with pytest.raises(UserError, match="is not a file of run"):
        read(run_with_hardlink, "hardlinked.log")


def test_a_file_of_the_folder_itself_is_read(run_with_hardlink) -> None:
    assert artifact_files.read_artifact(run_with_hardlink, "train.log") == b"epoch 1\n"


def test_a_file_swapped_for_a_hard_link_after_the_check_is_refused(
    run_with_hardlink, home, monkeypatch
) -> None:
    """The open file is checked again: a link made between the check and the read fails."""
    run_dir = settings.run_dir(run_with_hardlink)
    checked = artifact_files.artifact_path

    def check_then_swap(run_id: int, relative: str):
        path = checked(run_id, relative)
        path.unlink()
        os.link(home / "secret.txt", path)
        return path

    monkeypatch.setattr("dashboard.services.artifact_files.artifact_path", check_then_swap)
    with pytest.raises(UserError, match="is not a file of run"):
        artifact_files.read_artifact(run_with_hardlink, "train.log")
    assert (run_dir / "train.log").read_text() == CANARY  # the swap happened; not served
