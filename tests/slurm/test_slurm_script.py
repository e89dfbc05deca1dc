"""The sbatch script of a run: what it asks Slurm for, and what never gets into it."""

from __future__ import annotations

import re
import sys

import pytest

from paretolab import settings
from paretolab.cli import main
from paretolab.errors import UserError
from paretolab.executors import slurm_script
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config


def test_the_script_asks_for_nodes_tasks_gpus_time_and_requeue(
    store: RunStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv(slurm_script.PARTITION_ENV, "gpu")
    monkeypatch.setenv(slurm_script.ACCOUNT_ENV, "my-lab")
    config = tiny_config(
        "hardware.accelerator=gpu",
        "hardware.devices=4",
        "hardware.num_nodes=2",
        "hardware.num_threads=8",
        "trainer.max_time_minutes=30.5",
    )
    run_id = queue_run(store, config)
    assert main(["slurm", "script", str(run_id)]) == 0
    script = capsys.readouterr().out
    folder = settings.run_dir(run_id)
    for line in (
        "#!/bin/bash",
        f"#SBATCH --job-name=pl-{run_id}-tiny-bbc",
        "#SBATCH --nodes=2",
        "#SBATCH --ntasks-per-node=4",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --gres=gpu:4",
        "#SBATCH --time=46",  # 31 minutes of training, 15 for start-up and test
        "#SBATCH --partition=gpu",
        "#SBATCH --account=my-lab",
        f"#SBATCH --output={folder}/slurm-%j.out",
        "#SBATCH --open-mode=append",
        "#SBATCH --signal=USR1@90",
        "#SBATCH --requeue",
        f"#SBATCH --chdir={folder}",
        "#SBATCH --export=ALL",
        f"srun --kill-on-bad-exit=1 {sys.executable} -m lightning_modules.run.train --run-id {run_id}",
    ):
        assert line in script.splitlines(), line
    # The store URL (and its password) travels in the job's environment, not the script.
    assert "PARETOLAB_DB_URL" not in script and "sqlite" not in script

    monkeypatch.setenv(slurm_script.TIME_ENV, "2-00:00:00")
    assert "#SBATCH --time=2-00:00:00" in slurm_script.script_for(store, run_id)


def test_a_cpu_run_asks_for_no_gpu_and_no_time_without_a_limit(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("hardware.accelerator=cpu", "hardware.devices=2"))
    script = slurm_script.script_for(store, run_id)
    assert "#SBATCH --ntasks-per-node=2" in script
    assert "--gres" not in script and "--time" not in script and "--partition" not in script


def test_no_user_string_reaches_the_script_unchecked(store: RunStore) -> None:
    config = tiny_config("hardware.accelerator=cpu", "name='x; rm -rf ~ $(id) `id`\nnext'")
    run_id = queue_run(store, config)
    script = slurm_script.script_for(store, run_id)
    [name] = [line for line in script.splitlines() if line.startswith("#SBATCH --job-name=")]
    assert re.fullmatch(rf"#SBATCH --job-name=pl-{run_id}-x-rm-+rf-id-id-+next", name), name
    assert "rm -rf" not in script and "$(" not in script and "`" not in script


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        (slurm_script.PARTITION_ENV, "gpu --wrap=id", "PARETOLAB_SLURM_PARTITION='gpu --wrap=id'"),
        (slurm_script.ACCOUNT_ENV, "a\nb", "is not a Slurm account"),
        (slurm_script.TIME_ENV, "forever", "PARETOLAB_SLURM_TIME='forever' is not a Slurm time"),
    ],
)
def test_bad_options_are_refused(
    env: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(UserError, match=message):
        slurm_script.SlurmOptions.from_env()


def test_a_job_must_say_which_devices_it_wants(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())  # accelerator: auto
    with pytest.raises(UserError, match="hardware.accelerator=auto: a Slurm job asks"):
        slurm_script.script_for(store, run_id)


def test_a_home_slurm_cannot_read_is_refused(
    store: RunStore, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    run_id = queue_run(store, tiny_config("hardware.accelerator=cpu"))
    monkeypatch.setenv("PARETOLAB_HOME", str(tmp_path / "my home"))
    with pytest.raises(UserError, match="cannot go into an sbatch script"):
        slurm_script.script_for(store, run_id)


def test_the_executor_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARETOLAB_EXECUTOR", "kubernetes")
    with pytest.raises(UserError, match="PARETOLAB_EXECUTOR='kubernetes': choose local or slurm"):
        settings.executor()


def test_many_nodes_without_slurm_are_refused_before_a_run_is_stored(
    store: RunStore, capsys: pytest.CaptureFixture
) -> None:
    code = main(["train", "configs/tiny.yaml", "--set", "hardware.num_nodes=2"])
    assert code == 2
    assert "hardware.num_nodes=2: a multi-node run is started" in capsys.readouterr().err
    assert store.list_runs() == []
