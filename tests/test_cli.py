"""The `paretolab` command line, as a user runs it (subprocesses, real files)."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest
import torch

from paretolab import auth, settings
from paretolab.cli import main
from paretolab.store import RunStore
from tests.conftest import REPO, TINY, queue_run, tiny_config


def paretolab(*args: str, env_home) -> subprocess.CompletedProcess:
    env = dict(os.environ, PARETOLAB_HOME=str(env_home), WANDB_SILENT="true")
    env.pop("PARETOLAB_DB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "paretolab.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_train_end_to_end_leaves_a_finished_run_with_metrics_checkpoint_and_wandb(home) -> None:
    done = paretolab("train", str(TINY), "--set", "trainer.max_epochs=3", env_home=home)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "run 1 finished: test_acc=" in done.stderr
    store = RunStore()
    run = store.get_run(1)
    assert run.status == "finished" and run.config["trainer"]["max_epochs"] == 3
    assert run.owner == auth.os_user()  # no --owner: the OS user launched it
    assert store.metric_history(1, "val_acc").steps, "no validation metrics recorded"
    run_dir = settings.run_dir(1)
    torch.load(run_dir / "checkpoints" / "best.ckpt", weights_only=True)
    assert list((run_dir / "wandb").glob("offline-run-*/run-*.wandb")), "no offline W&B files"
    assert {a.kind for a in store.list_artifacts(1)} >= {
        "checkpoint",
        "tokenizer",
        "config",
        "log",
        "wandb",
    }

    listed = paretolab("runs", "list", env_home=home)
    assert listed.returncode == 0 and "finished" in listed.stdout and "tiny-bbc" in listed.stdout
    shown = paretolab("runs", "show", "1", env_home=home)
    assert "latest metrics:" in shown.stdout and "checkpoints/best.ckpt" in shown.stdout
    assert "max_epochs: 3" in shown.stdout


def test_bad_config_exits_2_with_one_line_and_stores_nothing(home, capsys) -> None:
    assert main(["train", str(TINY), "--set", "model.n_heads=3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "model.n_heads=3 must divide model.d_model=32" in err
    assert RunStore().list_runs() == []


def test_usage_errors_exit_2_with_one_line(home, capsys) -> None:
    for argv in (["runs", "show", "abc"], ["nonsense"], ["runs", "export", "1", "--format", "xml"]):
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == 2
        err = capsys.readouterr().err
        assert err.startswith("paretolab: error:") and err.count("\n") == 1, err


def test_unknown_run_exits_2(home, capsys) -> None:
    assert main(["runs", "show", "42"]) == 2
    assert "no run with id 42" in capsys.readouterr().err


def test_config_command_prints_the_resolved_config(home, capsys) -> None:
    assert main(["config", str(TINY), "--set", "optim.lr=0.01"]) == 0
    out = capsys.readouterr().out
    assert "lr: 0.01" in out and "d_ff: null" in out


def test_export_csv_and_json_keep_every_point(store, capsys, tmp_path) -> None:
    run_id = queue_run(store, tiny_config())
    store.log_metrics(
        run_id,
        [("loss", 1, 2.0, 1.0), ("loss", 2, float("nan"), 2.0), ("acc", 2, float("inf"), 2.0)],
    )
    assert main(["runs", "export", str(run_id), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["key"], r["step"], r["value"]) for r in rows] == [
        ("acc", "2", "inf"),
        ("loss", "1", "2.0"),
        ("loss", "2", "nan"),
    ]
    out = tmp_path / "run.json"
    assert main(["runs", "export", str(run_id), "--format", "json", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["run"]["config"]["model"]["d_model"] == 32
    assert [p["value"] for p in doc["metrics"]["loss"]] == [2.0, "NaN"]
    assert doc["metrics"]["acc"][0]["value"] == "Infinity"


def test_runs_list_reaps_dead_processes(store, capsys) -> None:
    run_id = queue_run(store, tiny_config())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.mark_running(run_id, pid=dead.pid)
    assert main(["runs", "list"]) == 0
    assert "failed" in capsys.readouterr().out


def test_db_check_reports_the_revision(store, capsys) -> None:
    from paretolab.store import database

    head = database.head_revision()  # 0005 (run owners) at the time of writing
    assert main(["db", "check"]) == 0
    assert f"schema revision {head}, this paretolab needs {head}" in capsys.readouterr().out


def test_train_records_the_owner_it_is_given(home, monkeypatch) -> None:
    from paretolab.executors import local

    monkeypatch.setattr(local, "ensure_executor", lambda store: None)  # queue, train nothing
    assert main(["train", str(TINY), "--detach", "--owner", "alice"]) == 0
    run = RunStore().get_run(1)
    assert (run.status, run.owner) == ("queued", "alice")


def test_an_unreachable_or_malformed_database_url_is_one_clear_line(
    home, monkeypatch, capsys
) -> None:
    for url in (
        "postgresql+psycopg://someone:secret@127.0.0.1:9/nowhere",
        "not a url",
        "mysql+nodriver://x/y",
    ):
        monkeypatch.setenv("PARETOLAB_DB_URL", url)
        assert main(["runs", "list"]) == 2
        err = capsys.readouterr().err
        assert (
            err.startswith("paretolab: error: cannot open the run store") and err.count("\n") == 1
        ), err
        assert "secret" not in err
