"""Training on several processes: which process this is, and what Lightning needs for DDP.

A run with ``hardware.devices × hardware.num_nodes`` above 1 trains with DDP, one process
per device, and every process runs the train entry from the top. On one machine the
process an executor started is global rank 0, and Lightning's script launcher starts the
others when fit begins (``LOCAL_RANK`` set); under Slurm, ``srun`` starts all of them at
once (``SLURM_PROCID``); under torchrun, ``RANK``. Only rank 0 records the run's life in
the store and writes its files; the other ranks train, and leave testing to rank 0.
"""

from __future__ import annotations

import os
from typing import Any

import torch.distributed as dist
from lightning.fabric.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

from paretolab.config import HardwareConfig
from paretolab.errors import UserError
from paretolab.executors.slurm_script import is_job_of, multi_node_refusal


def launch_rank(devices_per_node: int) -> int:
    """This process's global rank, as its launcher set it before Lightning starts (0 for a
    process started by a user or an executor)."""
    env = os.environ
    if "RANK" in env:  # torchrun
        return int(env["RANK"])
    # Lightning's script launcher; checked before SLURM_PROCID, which an allocation sets
    # even when Slurm does not start the processes (Lightning's rule too).
    if "LOCAL_RANK" in env:
        return int(env.get("NODE_RANK", 0)) * devices_per_node + int(env["LOCAL_RANK"])
    return int(env.get("SLURM_PROCID", 0))


def run_rank(config: dict[str, Any]) -> int:
    """This process's global rank in a run with this (stored) config: 0 for a one-process
    run whatever the environment says (a sweep worker that ``srun -n 8`` started is rank 0
    of its own trials), else ``launch_rank``."""
    hardware = config.get("hardware") or {}
    devices = hardware.get("devices", 1)
    return launch_rank(devices) if devices * hardware.get("num_nodes", 1) > 1 else 0


def under_slurm() -> bool:
    """True when ``srun`` started this process in a Slurm job: Lightning's rule (an
    allocation whose job is named ``bash`` or ``interactive`` starts its own processes),
    without its warning when ``srun`` exists but did not start us."""
    return "SLURM_NTASKS" in os.environ and os.environ.get("SLURM_JOB_NAME") not in (
        "bash",
        "interactive",
    )


def slurm_job_id(run_id: int) -> str | None:
    """The Slurm job paretolab submitted for the run, if this process trains in it; None
    outside Slurm or in a job of someone else's making (sweep workers ``srun`` started)."""
    if under_slurm() and is_job_of(os.environ.get("SLURM_JOB_NAME", ""), run_id):
        return os.environ.get("SLURM_JOB_ID")
    return None


def check_launcher(hardware: HardwareConfig) -> None:
    """Refuse a multi-node run that no cluster launcher started.

    Raises:
        UserError: ``hardware.num_nodes`` is above 1 outside Slurm and torchrun.
    """
    if hardware.num_nodes > 1 and not (under_slurm() or TorchElasticEnvironment.detect()):
        raise UserError(multi_node_refusal(hardware.num_nodes))


def parallel_kwargs(hardware: HardwareConfig) -> dict[str, Any]:
    """The Trainer arguments for the run's processes: devices, nodes, strategy and, under
    Slurm, its environment.

    Lightning's own Slurm auto-requeue is off: it checkpoints inside the SIGUSR1 handler,
    wherever the step happens to be (and our store logger's flush may hold its lock
    there); ``stop_signals.StopSignals`` does it at the next step boundary instead.
    """
    kwargs: dict[str, Any] = {
        "devices": hardware.devices,
        "num_nodes": hardware.num_nodes,
        "strategy": hardware.strategy,
    }
    if under_slurm():
        kwargs["plugins"] = [SLURMEnvironment(auto_requeue=False)]
    return kwargs


def end_process_group() -> None:
    """Leave the DDP process group after fit (every rank), so that rank 0 can test alone:
    with the group still up, torchmetrics would wait for the other ranks at ``compute``."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
