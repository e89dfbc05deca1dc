"""``paretolab spend``: the table and JSON of the store's spend, and one-line bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from paretolab.cli import main
from paretolab.store import RunStore
from paretolab.store.schema import runs


def _billed_run(store: RunStore, tags: list[str], usd: float, day: str, status: str) -> None:
    run = store.create_run({"hardware": {"profile": "cpu"}}, "r", "classification", tags)
    store.log_metrics(run.id, [("cost/usd", 1, usd, 0.0), ("cost/device_hours", 1, 2.0, 0.0)])
    when = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
    with store.engine.begin() as conn:
        conn.execute(
            runs.update().where(runs.c.id == run.id).values(status=status, started_at=when)
        )


def test_spend_by_tag_as_json_and_table(store: RunStore, capsys: pytest.CaptureFixture) -> None:
    _billed_run(store, ["nlp"], 10.0, "2026-10-05", "finished")
    _billed_run(store, ["nlp"], 2.5, "2026-11-02", "failed")
    _billed_run(store, ["vision"], 4.0, "2026-11-20", "finished")
    assert main(["spend", "--by", "tag", "--since", "2026-11", "--until", "2026-11", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["period"], r["group"]): (r["usd"], r["usd_waste"]) for r in rows} == {
        ("2026-11", "nlp"): (2.5, 2.5),
        ("2026-11", "vision"): (4.0, 0.0),
    }
    assert main(["spend", "--period", "day", "--until", "2026-10-05"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["PERIOD", "ALL", "USD"]
    assert table[1].split()[:3] == ["2026-10-05", "(none)", "10.00"]


def test_the_table_says_how_its_energy_was_obtained(
    store: RunStore, capsys: pytest.CaptureFixture
) -> None:
    run = store.create_run({"hardware": {"profile": "cpu"}}, "r", "classification", [])
    store.log_metrics(
        run.id, [("cost/energy_kwh", 1, 0.5, 0.0), ("cost/device_hours", 1, 1.0, 0.0)]
    )
    other = store.create_run({"hardware": {"profile": "cpu"}}, "r", "classification", [])
    store.log_metrics(
        other.id,
        [("cost/device_hours", 1, 1.0, 0.0), ("system/energy_cpu_rapl_kwh", 1, 1.0, 0.0)],
    )
    assert main(["spend"]) == 0
    # The RAPL run's 1 kWh at the device × PUE 1.1; the other run's TDP estimate.
    assert "energy 1.6 kWh: 1.1 measured (NVML or RAPL) × PUE, 0.5 estimate: TDP × PUE" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["spend", "--since", "last week"], "--since 'last week' is not a date"),
        (["spend", "--until", "2026-02-30"], "--until '2026-02-30' is not a date"),
    ],
)
def test_bad_dates_get_one_line(
    store: RunStore, capsys: pytest.CaptureFixture, argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
