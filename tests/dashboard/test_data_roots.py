"""Server files: with sign-in on, ``data.path`` must lie inside the data roots (resolved
after symlinks), checked by the services before anything of the file is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboard.services import launch as launch_services
from dashboard.services import sweeps as sweep_services
from paretolab.config.io import load_config
from paretolab.data_roots import ROOTS_ENV, data_roots, is_inside
from paretolab.errors import UserError
from paretolab.store import RunStore
from sweeps.spec import load_spec
from tests.conftest import REPO
from tests.dashboard.test_access import as_user, users_file  # noqa: F401 (a fixture)
from tests.sweeps.conftest import TINY_SPEC

FILE_CONFIG = REPO / "configs" / "file_csv_tiny.yaml"
PRIVATE = "secret_ssn,secret_name\n" + "".join(f"{i},n{i}\n" for i in range(20))


def test_the_default_roots_are_the_working_directory_and_the_home_folders(home) -> None:
    home = home.resolve()
    assert data_roots() == [Path.cwd().resolve(), home / "data", home / "uploads"]


def test_roots_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(ROOTS_ENV, f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}{os.pathsep}")
    assert data_roots() == [(tmp_path / "a").resolve(), (tmp_path / "b").resolve()]


def test_inside_outside_dot_dot_and_a_symlink_escape(tmp_path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "private.csv").write_text(PRIVATE)
    (root / "ok.csv").write_text("text,label\n")
    (root / "link").symlink_to(outside, target_is_directory=True)
    roots = [root.resolve()]
    assert is_inside("ok.csv", roots, root)
    assert is_inside(root / "ok.csv", roots, tmp_path)
    assert not is_inside(outside / "private.csv", roots, tmp_path)
    assert not is_inside("../outside/private.csv", roots, root)
    assert not is_inside(root / "link" / "private.csv", roots, tmp_path)  # the link escapes
    assert not is_inside(f"{root}-twin/x.csv", roots, tmp_path)  # a prefix is not a folder


def private_file(tmp_path, name: str = "private.csv") -> str:
    path = tmp_path / name
    path.write_text(PRIVATE if name.endswith(".csv") else "some private text\n" * 40)
    return str(path)


def file_values(path: str, *overrides: str) -> dict:
    config = load_config(FILE_CONFIG, ["wandb.mode=disabled", f"data.path={path}", *overrides])
    return config.model_dump(mode="json")


def test_a_member_may_not_read_a_file_outside_the_roots(
    users_file,  # noqa: F811
    tmp_path,
    store: RunStore,
) -> None:
    as_user("mia")
    config, problems = launch_services.validate(file_values(private_file(tmp_path)))
    assert config is None and len(problems) == 1, problems
    assert ROOTS_ENV in problems[0] and "secret_ssn" not in problems[0], problems
    txt = private_file(tmp_path, "notes.txt")
    values = file_values(txt, "task=masked_lm", "trainer.monitor=val_loss")
    config, problems = launch_services.validate(values)
    assert config is None and ROOTS_ENV in problems[0], problems
    good, _ = launch_services.validate(
        file_values(str(REPO / "examples/data/number_languages.csv"))
    )
    # The server checks at launch too, whatever the form sent.
    good.data.path = private_file(tmp_path)
    with pytest.raises(UserError, match=ROOTS_ENV):
        launch_services.launch(good, "key")
    assert store.list_runs() == []


def test_a_file_inside_a_configured_root_is_read(
    users_file,  # noqa: F811
    tmp_path,
    monkeypatch,
    store: RunStore,
) -> None:
    monkeypatch.setenv(ROOTS_ENV, str(tmp_path))
    as_user("mia")
    path = tmp_path / "mine.csv"
    path.write_text((REPO / "examples/data/number_languages.csv").read_text())
    config, problems = launch_services.validate(file_values(str(path)))
    assert problems == [] and config is not None


def test_with_sign_in_off_any_path_is_read(tmp_path, store: RunStore) -> None:
    config, problems = launch_services.validate(file_values(private_file(tmp_path)))
    assert config is None and "no column 'text'" in problems[0], problems


def test_a_sweep_on_a_file_outside_the_roots_is_refused(
    users_file,  # noqa: F811
    tmp_path,
    store: RunStore,
) -> None:
    as_user("mia")
    spec = load_spec(TINY_SPEC, study="peek")
    spec = spec.model_copy(update={"fixed": {**spec.fixed, "data.path": private_file(tmp_path)}})
    with pytest.raises(UserError, match="fixed: data.path"):
        sweep_services.launch(spec, workers=0)
    assert "peek" not in sweep_services.sweep_names()  # no study was made
