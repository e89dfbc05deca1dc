"""Shared by benchmarks: describe the machine and write a result table with its provenance."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Where results files go; PARETOLAB_BENCH_RESULTS moves them (tests, rehearsals).
RESULTS = Path(os.environ.get("PARETOLAB_BENCH_RESULTS") or REPO / "benchmarks" / "results")


def machine() -> str:
    """One line: CPU model, cores, memory, torch build, OpenMP wait policy."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import torch

    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"
    )


def git_commit() -> str:
    """The short commit hash, with ``+uncommitted changes`` when the code differs from it
    (earlier results files do not count). ``PARETOLAB_BENCH_COMMIT``, when set, names the
    commit instead: a copy of the tree on a lent GPU machine carries no reliable git state."""
    if os.environ.get("PARETOLAB_BENCH_COMMIT"):
        return os.environ["PARETOLAB_BENCH_COMMIT"]
    try:

        def git(*args: str) -> str:
            return subprocess.run(
                ["git", *args], capture_output=True, text=True, check=True
            ).stdout.strip()

        dirty = (
            " +uncommitted changes"
            if git(
                "status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks/results"
            )
            else ""
        )
        return git("rev-parse", "--short", "HEAD") + dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def home_store(home: Path):
    """The run store (SQLite) of a paretolab home made by ``train_with_cli``."""
    from paretolab.store import RunStore

    return RunStore(f"sqlite:///{Path(home) / 'paretolab.db'}")


def train_with_cli(home: Path, config: str, overrides: list[str]) -> tuple[int, float]:
    """Run ``paretolab train CONFIG --set …`` with ``PARETOLAB_HOME=home``, the path a user
    takes; return the new run's id and the command's wall time in seconds.

    Raises:
        RuntimeError: the command failed (with the end of its stderr).
    """
    env = dict(os.environ, PARETOLAB_HOME=str(home), WANDB_SILENT="true")
    env.pop("PARETOLAB_DB_URL", None)
    cmd = [sys.executable, "-m", "paretolab.cli", "train", str(REPO / config)]
    for item in overrides:
        cmd += ["--set", item]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{config} {' '.join(overrides)} failed:\n{done.stderr[-4000:]}")
    return home_store(home).list_runs(limit=1)[0].id, wall


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


_COMMIT_AT_START = None


def remember_commit() -> None:
    """Read the commit when the benchmark starts: the code that runs is the code then."""
    global _COMMIT_AT_START
    _COMMIT_AT_START = git_commit()


def write_result(name: str, table: str, notes: str = "") -> Path:
    """Write ``results/<name>-<date>.md`` with date, machine, command and commit, and return it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    path = RESULTS / f"{name}-{now:%Y-%m-%d}.md"
    command = " ".join([Path(sys.executable).name, *sys.argv])
    text = (
        f"# {name}\n\n- date: {now:%Y-%m-%d %H:%M} UTC\n- machine: {machine()}\n"
        f"- command: `{command}`\n- commit: {_COMMIT_AT_START or git_commit()}\n\n{table}\n"
    )
    if notes:
        text += f"\n{notes}\n"
    path.write_text(text, encoding="utf-8")
    return path


def publish(name: str, table: str, notes: str = "", quick: bool = False) -> Path:
    """Print the machine, ``table`` and ``notes``, and write them to results/ as ``name``
    (``name-quick`` for a smoke run, so a quick run never replaces the figures README quotes)."""
    print(f"machine: {machine()}\n\n{table}" + (f"\n\n{notes}" if notes else ""))
    path = write_result(f"{name}-quick" if quick else name, table, notes)
    print(f"\nwritten to {path}")
    return path
