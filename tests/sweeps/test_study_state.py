"""A sweep's stop/resume state, as a worker holding another handle on the study sees it."""

from pathlib import Path

import optuna

from sweeps.study import is_stopped, resume, stop


def test_a_stop_is_seen_by_a_worker_that_loaded_the_study_earlier(store, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    mine = optuna.create_study(study_name="s", storage=url)
    workers = optuna.load_study(study_name="s", storage=url)
    assert not is_stopped(workers)
    assert stop(mine, store, cancel_running=True) == []  # no running trial to cancel
    assert is_stopped(workers)
    resume(mine)
    assert not is_stopped(workers)
