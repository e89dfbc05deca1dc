"""Faults benchmark: provoke each failure the issue names and print scenario → expected → observed.

    python benchmarks/faults.py [--quick]

Runs the scenarios of benchmarks/fault_scenarios.py (the tests run the same code at test
size) in a fresh temporary home, PostgreSQL ones against a throwaway server on loopback
(tests/postgres.py; Debian's postgresql must be installed):

- 8 processes × 1,000 metric writes, one point per transaction, on SQLite and PostgreSQL;
- 8 sweep workers × 20 trials on one PostgreSQL study;
- a training process killed with SIGKILL, then the reaper;
- SIGTERM, then `paretolab runs resume` (tests/lightning_modules/test_resume.py also checks
  in-process that the optimiser, scheduler and RNG states are the saved ones);
- SIGKILL during checkpoint writes, 20 times;
- the database unreachable for 30 s while a run logs metrics (a proxy cuts the line);
- a run deleted while its process is still exiting, under the local executor;
- the command lines of sweep workers, executor and training process, for a database URL
  with a password (benchmarks/hardening_scenarios.py holds these two).

`--quick` shrinks every scenario (2 processes, fewer writes and kills, a 3 s outage): a
smoke check, about a minute. Exits 1 if any scenario failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import fault_scenarios as faults  # noqa: E402
from benchmarks.common import markdown_table, remember_commit, write_result  # noqa: E402


def run_all(home: Path, quick: bool) -> list[faults.Outcome]:
    """Every scenario, full size or quick."""
    import sqlalchemy as sa

    from benchmarks import hardening_scenarios as hardening
    from benchmarks.sweep_scenario import parallel_sweep_workers
    from paretolab.store import RunStore
    from tests.postgres import TestPostgres

    procs, writes = (2, 100) if quick else (8, 1000)
    server = TestPostgres().start()
    try:
        outcomes = [
            faults.concurrent_metric_writes(f"sqlite:///{home / 'writes.db'}", procs, writes),
            faults.concurrent_metric_writes(server.new_database(), procs, writes),
            parallel_sweep_workers(
                server.new_database() + "?options=-csearch_path%3Doptuna",
                *((2, 5) if quick else (8, 20)),
            ),
        ]
        store = RunStore()
        outcomes.append(faults.sigkill_training(store, faults.queue_endless_tiny_run(store)))
        outcomes.append(faults.sigterm_then_resume(store, *((30, 5) if quick else (60, 10))))
        outcomes.append(faults.sigkill_during_checkpoint_writes(home, repeats=5 if quick else 20))
        url = server.new_database()
        RunStore(url)
        outcomes.append(faults.database_outage(server.port, url, 3.0 if quick else 30.0))
        outcomes.append(hardening.delete_while_exiting(store))
        # The loopback server trusts every connection: the password is taken, never checked.
        with_password = sa.make_url(server.new_database()).set(password="s3cret-Pw0rd")
        outcomes.append(hardening.password_in_argv(RunStore(with_password.render_as_string(False))))
    finally:
        server.stop()
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small versions: a smoke check")
    args = parser.parse_args()
    remember_commit()
    with tempfile.TemporaryDirectory(prefix="paretolab-faults-") as tmp:
        os.environ["PARETOLAB_HOME"] = tmp
        os.environ.pop("PARETOLAB_DB_URL", None)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        outcomes = run_all(Path(tmp), args.quick)
    table = markdown_table(
        ["scenario", "expected", "observed", "held"],
        [[o.scenario, o.expected, o.observed, "yes" if o.ok else "NO"] for o in outcomes],
    )
    print(table)
    name = "faults-quick" if args.quick else "faults"
    print(f"\nwritten to {write_result(name, table)}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
