"""A throwaway one-node Slurm cluster for tests: munged, slurmctld and slurmd on loopback.

Uses Debian's ``slurm-wlm`` and ``munge`` packages (``make system-deps`` and CI install
them). Everything lives in a temporary folder: a fresh MUNGE key and socket, the
``slurm.conf`` (two free ports, daemons bound to 127.0.0.1 only), state and spool
folders and logs. Clients find it through ``SLURM_CONF``. ``stop()`` ends what
``start()`` began.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CPUS = 2
CONF = """\
ClusterName=paretolabtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.sock
CredType=cred/munge
# Bind to 127.0.0.1 (NodeAddr, SlurmctldHost), not to every address of the machine.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
KillWait=20
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
# Jobs submitted here wait forever: tests of pending jobs.
PartitionName=closed Nodes=localhost MaxTime=INFINITE State=DOWN
"""


def _require(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise RuntimeError(
            f"Slurm is not installed ({', '.join(missing)} missing): "
            "apt-get install slurm-wlm munge (or `make system-deps`)"
        )


class TestSlurm:
    """Start with ``start()``; ``env`` holds what a client needs (``SLURM_CONF``)."""

    __test__ = False  # a helper, not a test class

    def __init__(self) -> None:
        _require("munged", "slurmctld", "slurmd", "sbatch", "sinfo", "scontrol")
        self.root = Path(tempfile.mkdtemp(prefix="paretolab-slurm-"))
        self.conf = self.root / "slurm.conf"
        self.env = {"SLURM_CONF": str(self.conf)}
        self._procs: list[subprocess.Popen] = []

    def start(self, timeout: float = 60.0) -> TestSlurm:
        for sub in ("munge", "state", "spool", "log"):
            (self.root / sub).mkdir()
        key = self.root / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        user = "root" if os.geteuid() == 0 else os.environ.get("USER", "root")
        ports = _free_ports(2)
        self.conf.write_text(
            CONF.format(
                root=self.root, ctld_port=ports[0], slurmd_port=ports[1], user=user, cpus=CPUS
            )
        )
        munge = self.root / "munge"
        self._spawn(
            "munged",
            "--foreground",
            "--force",  # as root, and in a folder that is not /run/munge
            f"--socket={munge}/munge.sock",
            f"--key-file={key}",
            f"--pid-file={munge}/munged.pid",
            f"--seed-file={munge}/seed",
            f"--log-file={self.root}/log/munged.log",
        )
        _wait(lambda: (munge / "munge.sock").exists(), timeout, "munged did not start")
        self._spawn("slurmctld", "-D", "-f", str(self.conf))
        self._spawn("slurmd", "-D", "-N", "localhost", "-f", str(self.conf))
        _wait(self._node_idle, timeout, f"the Slurm node is not idle: see {self.root}/log")
        return self

    def _spawn(self, *argv: str) -> None:
        log = open(self.root / "log" / f"{argv[0]}.out", "ab")  # noqa: SIM115 (kept by Popen)
        self._procs.append(
            subprocess.Popen(
                list(argv), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
            )
        )
        log.close()

    def _node_idle(self) -> bool:
        if any(p.poll() is not None for p in self._procs):
            raise RuntimeError(f"a Slurm daemon exited: see {self.root}/log")
        return self.run("sinfo", "--noheader", "--format=%T").stdout.strip() == "idle"

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        """A Slurm client command against this cluster."""
        return subprocess.run(
            list(argv),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=30,
        )

    def stop(self) -> None:
        """Cancel every job and wait for them to end, then end the daemons (slurmd first)
        and remove the folder."""
        try:
            for partition in ("debug", "closed"):
                self.run("scancel", f"--partition={partition}")
            _wait(
                lambda: not self.run("squeue", "--noheader").stdout.strip(),
                60.0,
                "Slurm jobs did not end",
            )
        except (RuntimeError, subprocess.TimeoutExpired):
            pass  # stop the daemons all the same
        try:
            for proc in reversed(self._procs):
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _wait(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise RuntimeError(message)
