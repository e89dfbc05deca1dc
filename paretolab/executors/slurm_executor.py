"""The executor for ``PARETOLAB_EXECUTOR=slurm``: queued runs become Slurm jobs.

Slurm schedules, so this daemon only hands over and watches: each tick it submits the
queued runs no one has submitted yet, fails a queued run whose job ended without ever
starting it (its ``slurm-JOBID.out`` says why), and turns cancel requests — from the
dashboard or another host — into ``scancel``. A run's process, on the compute node,
records its own start, heartbeat and end in the store as it does anywhere.
"""

from __future__ import annotations

import logging

from paretolab.errors import RunNotFound, UserError
from paretolab.executors import slurm, slurm_script
from paretolab.executors.base import Executor
from paretolab.store import CANCELLED, QUEUED, RUNNING, RunStore

log = logging.getLogger(__name__)

RECENT_CANCELS = 20  # cancelled runs looked at per tick for a job still to cancel


class SlurmExecutor(Executor):
    """Submits queued runs to Slurm and forwards cancels.

    Args:
        store: the run store.
        options: partition, account, time (default: from the environment).
    """

    def __init__(self, store: RunStore, options: slurm_script.SlurmOptions | None = None):
        self.store = store
        self.options = options or slurm_script.SlurmOptions.from_env()

    def tick(self) -> list[int]:
        """Submit, check, cancel; returns the ids of the runs submitted."""
        submitted = []
        queued = [r for r in self.store.list_runs([QUEUED]) if r.study is None]
        for run in sorted(queued, key=lambda r: r.id):
            try:
                if not slurm.submission_claimed(run.id):
                    if self._submit(run.id):
                        submitted.append(run.id)
                else:
                    self._fail_if_job_ended(run.id)
            except RunNotFound:  # deleted since we listed it: the other runs still go
                log.info("run %s was deleted meanwhile", run.id)
        self._forward_cancels()
        return submitted

    def _submit(self, run_id: int) -> bool:
        try:
            job_id = slurm.submit(self.store, run_id, self.options)
        except UserError as exc:  # the run is failed with the reason
            log.warning("run %s: %s", run_id, exc)
            return False
        if job_id:
            log.info("run %s: submitted as Slurm job %s", run_id, job_id)
        return job_id is not None

    def _fail_if_job_ended(self, run_id: int) -> None:
        job = slurm.job_of(run_id)
        if job is None:  # being submitted right now
            return
        state = slurm.job_state(job.job_id)
        if state is None or state in slurm.ALIVE_STATES:  # alive, or Slurm did not answer
            return
        # Only a run still queued: one its job started records its own end.
        if self.store.get_run(run_id).status == QUEUED:
            self.store.mark_failed(
                run_id,
                f"Slurm job {job.job_id} ended ({state}) without starting the run; see "
                f"slurm-{job.job_id}.out in the run's folder",
            )

    def _forward_cancels(self) -> None:
        asked = [r for r in self.store.list_runs([RUNNING]) if r.cancel_requested_at is not None]
        # A queued run is cancelled in the store at once (request_cancel); its pending job
        # still has to go.
        recent = self.store.list_runs([CANCELLED], limit=RECENT_CANCELS)
        for run in asked + recent:
            job = slurm.job_of(run.id)
            if job is not None and job.cancel_sent_at is None:
                slurm.scancel(run.id)
