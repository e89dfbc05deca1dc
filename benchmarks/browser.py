"""Dashboard in a browser: time until the Runs and Compare pages are interactive.

    python benchmarks/browser.py [--quick] [--runs 10000] [--long-runs 20] [--steps 100000]
                                 [--loads 5]

Builds the store of benchmarks/dashboard_queries.py (10,000 finished runs; 20 of them with
100,000-step histories) in a temporary home, serves the dashboard on 127.0.0.1, and loads
each page in headless Chromium (Debian's package, driven by Playwright) as a first visit (a
fresh browser context: nothing cached) and as a return visit (a new tab of a context that
loaded it before: Streamlit's scripts cached); the server is warm after one untimed load. A page counts as
interactive when Streamlit's script run has finished and its content is there:

- Runs: the runs table (the data grid's canvas);
- Compare (``?runs=`` the 20 long runs): the metric chart's SVG.

Prints the median and best of ``--loads`` loads. Goal (issue 9): ≤ 1.5 s each. Writes its
table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402
from benchmarks.dashboard_queries import populate  # noqa: E402
from dashboard.services.report import CHROMIUM_ARGS  # noqa: E402

GOAL_S = 1.5
# Streamlit marks its app root with the script's state; "notRunning" = the run has finished.
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
VIEWPORT = {"width": 1440, "height": 1000}
READY = {
    "Runs": "[data-testid='stDataFrame'] canvas",
    "Compare": ".js-plotly-plot svg.main-svg",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(home: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """A Streamlit server for ``home`` on 127.0.0.1, once it answers its health check."""
    env = dict(
        os.environ,
        PARETOLAB_HOME=str(home),
        PARETOLAB_EXECUTOR_IDLE_EXIT="30",
        WANDB_SILENT="true",
    )
    env.pop("PARETOLAB_DB_URL", None)
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py"]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_dashboard(proc, home)
            raise RuntimeError(f"dashboard did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)


def stop_dashboard(proc: subprocess.Popen, home: Path) -> None:
    """Stop the server's process group and the executor it may have started."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    pid_file = home / "executor.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)


def time_to_interactive(context, url: str, ready: str) -> float:
    """Seconds from navigation to the page's content being there and its script finished,
    in a new tab of ``context`` (a new Streamlit session either way)."""
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(ready, state="visible", timeout=120_000)
        page.wait_for_selector(APP_IDLE, state="attached", timeout=120_000)
        return time.perf_counter() - start
    finally:
        page.close()


def first_visit(browser, url: str, ready: str) -> float:
    """A first visit: a fresh browser context, so nothing is cached (scripts, styles, fonts)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        return time_to_interactive(context, url, ready)
    finally:
        context.close()


def return_visits(browser, url: str, ready: str, loads: int) -> list[float]:
    """Visits after the first in one context: the browser's cache holds Streamlit's scripts,
    as it does for a user who had the dashboard open before."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        time_to_interactive(context, url, ready)  # fills the cache; not timed
        return [time_to_interactive(context, url, ready) for _ in range(loads)]
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="500 runs, 2 loads: a smoke check")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--long-runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    if args.quick:
        args.runs, args.long_runs, args.steps, args.loads = 500, 3, 2000, 2
    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("browser benchmark: Debian's chromium is needed (make system-deps)")
    from playwright.sync_api import sync_playwright

    remember_commit()
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
        home = Path(tmp)
        os.environ["PARETOLAB_HOME"] = tmp
        os.environ.pop("PARETOLAB_DB_URL", None)
        from paretolab.store import RunStore

        long_ids = populate(RunStore(), args.runs, args.long_runs, args.steps)
        pages = {
            "Runs": "/",
            "Compare": f"/compare?runs={','.join(map(str, long_ids))}",
        }
        proc, url = start_dashboard(home, home / "streamlit.log")
        times: dict[str, dict[str, list[float]]] = {}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium, args=CHROMIUM_ARGS, headless=True
                )
                try:
                    for name, path in pages.items():
                        first_visit(browser, url + path, READY[name])  # warm the server
                        times[name] = {
                            "first": [
                                first_visit(browser, url + path, READY[name])
                                for _ in range(args.loads)
                            ],
                            "return": return_visits(browser, url + path, READY[name], args.loads),
                        }
                finally:
                    browser.close()
        finally:
            stop_dashboard(proc, home)
    header = ["page", "data", "visit", "interactive, median (s)", "best (s)", "goal", "met"]
    data = {
        "Runs": f"{args.runs:,} runs (first page of the table)",
        "Compare": f"{args.long_runs} runs × {args.steps:,} steps",
    }
    visits = {"first": "first (empty cache)", "return": "return (cached scripts)"}
    rows = []
    for name, by_visit in times.items():
        for visit, samples in by_visit.items():
            med = statistics.median(samples)
            met = "yes" if med <= GOAL_S else "NO"
            rows.append(
                [
                    name,
                    data[name],
                    visits[visit],
                    f"{med:.2f}",
                    f"{min(samples):.2f}",
                    f"≤ {GOAL_S} s",
                    met,
                ]
            )
    table = markdown_table(header, rows)
    notes = (
        f"Headless Chromium via Playwright, {args.loads} loads per page and visit kind after "
        "one untimed load; a first visit opens a fresh browser context (nothing cached), a "
        "return visit a new tab in a context that loaded the page before (a new Streamlit "
        "session, cached scripts). Interactive = content present and the script run "
        f"finished. OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}."
    )
    publish("browser", table, notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
