"""The one way in for a run (``paretolab.admission``): each check refuses, nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from paretolab import admission, devices
from paretolab.config import RunConfig
from paretolab.config.io import load_config
from paretolab.data_roots import ROOTS_ENV
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import REPO, tiny_config

CPU_ONLY = devices.Machine("Test CPU", 4, 2, 16.0)
FILE_CONFIG = REPO / "configs" / "file_csv_tiny.yaml"


def file_config(path: str) -> RunConfig:
    return load_config(FILE_CONFIG, ["wandb.mode=disabled", f"data.path={path}"])


def refuse_file(config: RunConfig) -> str:
    raise UserError(f"{config.data.path}, line 2: no column 'text'; name it in data.text_column")


# (what is refused, the config, the checks' arguments, its stage, the message's start)
REFUSALS = [
    (
        "unknown hardware profile",
        lambda tmp: tiny_config("hardware.profile=no-such-gpu"),
        {},
        admission.PROFILE,
        "hardware.profile",
    ),
    (
        "a GPU this machine lacks",
        lambda tmp: tiny_config("hardware.accelerator=gpu"),
        {},
        admission.HARDWARE,
        "hardware.accelerator=gpu: this machine has no CUDA device",
    ),
    (
        "more memory than there is",
        lambda tmp: tiny_config("model.d_model=4096", "model.n_layers=48"),
        {},
        admission.HARDWARE,
        "training this model needs about",
    ),
    (
        "several nodes without Slurm",
        lambda tmp: tiny_config("hardware.num_nodes=2"),
        {},
        admission.HARDWARE,
        "hardware.num_nodes=2: a multi-node run is started on every node by Slurm",
    ),
    (
        "what a Slurm job cannot ask for",
        lambda tmp: tiny_config(),  # accelerator: auto
        {"on_slurm": True},
        admission.HARDWARE,
        "hardware.accelerator=auto: a Slurm job asks for its devices",
    ),
    (
        "init_from a run that is not there",
        lambda tmp: tiny_config("model.init_from=99"),
        {},
        admission.INIT_FROM,
        "model.init_from=99: no run 99 in the store",
    ),
    (
        "a data file training could not read",
        lambda tmp: file_config("reviews.csv"),
        {"read_data": refuse_file},
        admission.DATA,
        "",  # the reader's message, with the path made absolute first (below)
    ),
    (
        "a signed-in user's file outside the data roots",
        lambda tmp: file_config(str(tmp / "private.csv")),
        {"data_roots": True, "read_data": lambda c: "read"},
        admission.DATA,
        "data.path=",
    ),
]


@pytest.mark.parametrize(
    ("config_of", "checks", "stage", "start"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_each_check_refuses_and_nothing_is_stored(
    store: RunStore, tmp_path: Path, monkeypatch, config_of, checks, stage, start
) -> None:
    monkeypatch.setenv(ROOTS_ENV, str(tmp_path / "roots"))
    config = config_of(tmp_path)
    found = admission.admission_problems(
        config, store=store, machine=CPU_ONLY, data_base=tmp_path, **checks
    )
    assert found.stage == stage
    assert len(found.problems) == 1 and found.problems[0].startswith(start), found.problems
    with pytest.raises(UserError) as refused:
        admission.admit(
            config, store=store, owner="ana", machine=CPU_ONLY, data_base=tmp_path, **checks
        )
    assert str(refused.value) == found.problems[0]
    assert store.list_runs() == []


def test_a_relative_data_path_is_read_and_stored_absolute(store: RunStore, tmp_path: Path) -> None:
    config = file_config("reviews.csv")
    with pytest.raises(UserError, match=f"^{tmp_path / 'reviews.csv'}, line 2"):
        admission.admit(config, store=store, owner="ana", data_base=tmp_path, read_data=refuse_file)
    seen: list[str] = []
    run = admission.admit(
        config,
        store=store,
        owner="ana",
        machine=CPU_ONLY,
        data_base=tmp_path,
        read_data=lambda c: f"{Path(c.data.path).name}: 3 rows",
        on_data=seen.append,
    )
    assert seen == ["reviews.csv: 3 rows"]
    assert run.config["data"]["path"] == str(tmp_path / "reviews.csv")
    assert (run.owner, run.status, run.name) == ("ana", "queued", config.display_name())


def test_the_same_launch_key_stores_one_run(store: RunStore) -> None:
    config = tiny_config()
    first = admission.admit(
        config, store=store, owner="ana", launch_key="session-abc", machine=CPU_ONLY
    )
    again = admission.admit(
        config, store=store, owner="ana", launch_key="session-abc", machine=CPU_ONLY
    )
    other = admission.admit(
        config, store=store, owner="ana", launch_key="session-xyz", machine=CPU_ONLY
    )
    assert again.id == first.id != other.id
    assert [r.id for r in store.list_runs()] == [other.id, first.id]


def test_a_good_config_is_admitted_without_storing_when_only_checked(store: RunStore) -> None:
    found = admission.admission_problems(tiny_config(), store=store, machine=CPU_ONLY)
    assert (found.problems, found.stage, found.data_summary) == ([], None, None)
    assert store.list_runs() == []


def test_fsdp_resolving_to_the_cpu_is_refused_at_admission() -> None:
    """auto on a machine without CUDA: refused before the run is stored, not at train time."""
    from paretolab.admission import hardware_problems as admission_problems
    from paretolab.config.io import parse_config
    from paretolab.devices import Machine

    cfg = parse_config(
        {
            "task": "language_modeling",
            "data": {"dataset": "shakespeare"},
            "model": {"family": "pretrained", "pretrained": "gpt2"},
            "hardware": {"strategy": "fsdp", "accelerator": "auto"},
        }
    )
    [problem] = admission_problems(cfg, Machine("cpu", 4, 2, 16.0), on_slurm=False)
    assert problem.startswith("hardware.strategy=fsdp needs NVIDIA GPUs, and this run would")
    assert "train on cpu here (hardware.accelerator=auto); use ddp here" in problem
