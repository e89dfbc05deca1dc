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

A bare Streamlit page (benchmarks/pages/streamlit_floor.py: a title and a table; with a
Plotly chart for Compare) is timed the same way in the same run, and each page's ratio to
it says how much of its time is ours rather than Streamlit's and the browser's.

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
from dashboard.services.business.report import CHROMIUM_ARGS  # noqa: E402

GOAL_S = 1.5
# Streamlit marks its app root with the script's state; "notRunning" = the run has finished.
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
VIEWPORT = {"width": 1440, "height": 1000}
TABLE_READY = "[data-testid='stDataFrame'] canvas"  # the data grid has drawn
CHART_READY = ".js-plotly-plot svg.main-svg"  # a Plotly chart has drawn
# A bare Streamlit page (a table; with ?chart=1 also a Plotly chart), timed the same way in
# the same run: the part of a page's time that is Streamlit's and the browser's, not ours.
FLOOR_SCRIPT = "benchmarks/pages/streamlit_floor.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(
    home: Path, log_path: Path, script: str = "dashboard/app.py"
) -> tuple[subprocess.Popen, str]:
    """A Streamlit server of ``script`` for ``home`` on 127.0.0.1, once it answers its health
    check."""
    env = dict(
        os.environ,
        PARETOLAB_HOME=str(home),
        PARETOLAB_EXECUTOR_IDLE_EXIT="30",
        WANDB_SILENT="true",
    )
    env.pop("PARETOLAB_DB_URL", None)
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script]
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


def measure_server(
    chromium: str, home: Path, script: str, pages: dict[str, tuple[str, str]], loads: int
) -> dict[str, dict[str, list[float]]]:
    """Serve ``script`` and time each of ``pages`` (name → path and the selector that shows
    its content) as first and return visits."""
    from playwright.sync_api import sync_playwright

    proc, url = start_dashboard(home, home / "streamlit.log", script)
    times: dict[str, dict[str, list[float]]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                for name, (path, ready) in pages.items():
                    first_visit(browser, url + path, ready)  # warm the server
                    times[name] = {
                        "first": [first_visit(browser, url + path, ready) for _ in range(loads)],
                        "return": return_visits(browser, url + path, ready, loads),
                    }
            finally:
                browser.close()
    finally:
        stop_dashboard(proc, home)
    return times


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
    remember_commit()
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
        home = Path(tmp)
        os.environ["PARETOLAB_HOME"] = tmp
        os.environ.pop("PARETOLAB_DB_URL", None)
        from paretolab.store import RunStore

        long_ids = populate(RunStore(), args.runs, args.long_runs, args.steps)
        pages = {
            "Runs": ("/", TABLE_READY),
            "Compare": (f"/compare?runs={','.join(map(str, long_ids))}", CHART_READY),
        }
        times = measure_server(chromium, home, "dashboard/app.py", pages, args.loads)
        floor = {"table": ("/", TABLE_READY), "table + chart": ("/?chart=1", CHART_READY)}
        times |= {
            f"Streamlit floor: {name}": samples
            for name, samples in measure_server(
                chromium, home, FLOOR_SCRIPT, floor, args.loads
            ).items()
        }
    header = [
        "page",
        "data",
        "visit",
        "interactive, median (s)",
        "best (s)",
        "÷ floor",
        "goal",
        "met",
    ]
    data = {
        "Runs": f"{args.runs:,} runs (first page of the table)",
        "Compare": f"{args.long_runs} runs × {args.steps:,} steps",
        "Streamlit floor: table": "a title and a 20-row table",
        "Streamlit floor: table + chart": "the same and one 600-point Plotly line",
    }
    floors = {"Runs": "Streamlit floor: table", "Compare": "Streamlit floor: table + chart"}
    visits = {"first": "first (empty cache)", "return": "return (cached scripts)"}
    rows = []
    for name, by_visit in times.items():
        for visit, samples in by_visit.items():
            med = statistics.median(samples)
            floor_med = statistics.median(times[floors[name]][visit]) if name in floors else None
            ratio = f"{med / floor_med:.2f}×" if floor_med else "—"
            goal, met = (
                (f"≤ {GOAL_S} s", "yes" if med <= GOAL_S else "NO")
                if name in floors
                else ("—", "—")
            )
            rows.append(
                [
                    name,
                    data[name],
                    visits[visit],
                    f"{med:.2f}",
                    f"{min(samples):.2f}",
                    ratio,
                    goal,
                    met,
                ]
            )
    table = markdown_table(header, rows)
    notes = (
        f"Headless Chromium via Playwright, {args.loads} loads per page and visit kind after "
        "one untimed load; a first visit opens a fresh browser context (nothing cached), a "
        "return visit a new tab in a context that loaded the page before (a new Streamlit "
        "session, cached scripts). Interactive = content present and the script run "
        "finished. ÷ floor: the page's median over a bare Streamlit page's (same visit kind, "
        f"same run). OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}."
    )
    publish("browser", table, notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
