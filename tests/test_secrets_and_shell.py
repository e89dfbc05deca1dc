"""No user string reaches a shell; database passwords never reach output or logs."""

from __future__ import annotations

import re

import pytest

from paretolab.cli import main
from tests.conftest import REPO

SECRET = "s3cret-Pa55word"


def test_no_code_runs_a_shell() -> None:
    shell = re.compile(r"shell\s*=\s*True|os\.system\(|os\.popen\(|commands\.getoutput")
    for package in ("paretolab", "lightning_modules", "sweeps", "dashboard", "benchmarks"):
        # Our code only: not the benchmark's own MLflow environment under benchmarks/.
        for path in (REPO / package).rglob("*.py"):
            if "site-packages" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                assert not shell.search(line), f"{path}:{number}: {line.strip()}"


@pytest.mark.parametrize("argv", [["db", "check"], ["runs", "list"], ["sweep", "list"]])
def test_an_unreachable_database_is_reported_without_its_password(
    home, monkeypatch, capsys, argv
) -> None:
    monkeypatch.setenv("PARETOLAB_DB_URL", f"postgresql+psycopg://team:{SECRET}@127.0.0.1:1/db")
    monkeypatch.setenv("PARETOLAB_SWEEP_STORAGE", "")
    try:
        code = main(argv)
    except Exception as exc:  # a bug, but the password must not be in it either
        assert SECRET not in str(exc)
        raise
    out = capsys.readouterr()
    assert code != 0
    assert SECRET not in out.out + out.err
    assert "***" in out.err or "team@" in out.err, out.err
