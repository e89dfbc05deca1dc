"""A sweep's stop/resume state, as a worker holding another handle on the study sees it."""

import optuna

from sweeps.study import is_stopped, resume, stop


def test_a_stop_is_seen_by_a_worker_that_loaded_the_study_earlier(store) -> None:
    storage = optuna.storages.InMemoryStorage()  # the CLI's and a worker's handles
    mine = optuna.create_study(study_name="s", storage=storage)
    workers = optuna.load_study(study_name="s", storage=storage)
    assert not is_stopped(workers)
    assert stop(mine, store, cancel_running=True) == []  # no running trial to cancel
    assert is_stopped(workers)
    resume(mine)
    assert not is_stopped(workers)
