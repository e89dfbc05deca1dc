"""``paretolab bench all|<name> [--quick] [-- ARGS]``: run the benchmarks, one or all.

Registered through the ``paretolab.commands`` entry point: the core never imports
``benchmarks``. Each benchmark is a script with a ``main()``; it runs in its own Python process
(the interpreter running this command), so one benchmark's imports, threads and memory never
colour the next one's figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Name on the command line → script, in the order `bench all` runs them (cheap and
# machine-level first). A script another branch has not landed yet is simply absent.
BENCHMARKS = {
    "overhead": "overhead.py",
    "gpu": "gpu.py",
    "store": "store_vs_mlflow.py",
    "dashboard": "dashboard_queries.py",
    "spend": "spend.py",
    "browser": "browser.py",
    "system-metrics": "system_metrics.py",
    "faults": "faults.py",
    "attention": "attention.py",
    "sweeps": "sweeps.py",
    "quality": "quality.py",
    "pretraining": "pretraining.py",
    "serve": "serving.py",  # `bench serve MODEL`: a registered model's serving figures
}


def available() -> dict[str, Path]:
    """The benchmarks whose scripts exist in this checkout."""
    return {name: HERE / f for name, f in BENCHMARKS.items() if (HERE / f).is_file()}


def has_quick_mode(script: Path) -> bool:
    """Whether the script takes ``--quick`` (its argparse declares it)."""
    return '"--quick"' in script.read_text(encoding="utf-8")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` command."""
    names = ["all", *available()]
    bench = subparsers.add_parser(
        "bench",
        help="run benchmarks: measured figures and side-by-side ratios",
        description="Run one benchmark or all of them; each prints its table and writes "
        "benchmarks/results/<name>-<date>.md. Arguments after `--` go to the script.",
    )
    bench.add_argument("name", choices=names, help="a benchmark, or `all` to run every one")
    bench.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke check, not a figure to quote"
    )
    bench.add_argument("script_args", nargs="*", metavar="-- ARGS", help="arguments for the script")
    bench.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    """Run the chosen benchmark(s) in sequence; the exit code is the first failure's, or 0."""
    from paretolab.errors import UserError

    scripts = available()
    extra = [a for a in args.script_args if a != "--"]
    if args.name == "all" and extra:
        raise UserError("arguments after `--` go to one benchmark; name it instead of `all`")
    chosen = list(scripts) if args.name == "all" else [args.name]
    failed: list[str] = []
    for name in chosen:
        script = scripts[name]
        if args.quick and not has_quick_mode(script):
            if args.name != "all":
                raise UserError(f"benchmark {name!r} has no --quick mode; run it without --quick")
            print(f"== {name}: skipped (no --quick mode)", flush=True)
            continue
        cmd = [sys.executable, str(script), *(["--quick"] if args.quick else []), *extra]
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.run(cmd, cwd=HERE.parent).returncode
        print(f"== {name}: exit {code} after {time.perf_counter() - start:.0f} s\n", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
