"""The markers `make test-fast` leaves out are set from what a test uses, not by memory."""

from types import SimpleNamespace

import pytest

from tests.conftest import REPO, _service_markers


def item(path: str, fixtures: tuple[str, ...] = (), **params: str) -> SimpleNamespace:
    callspec = SimpleNamespace(params=params) if params else None
    return SimpleNamespace(path=REPO / path, fixturenames=fixtures, callspec=callspec)


@pytest.mark.parametrize(
    ("test", "markers"),
    [
        (item("tests/paretolab/test_store.py", ("home",)), set()),
        (item("tests/paretolab/test_store.py", ("any_store",), any_store="sqlite"), set()),
        (
            item("tests/paretolab/test_store.py", ("any_store",), any_store="postgresql"),
            {"postgres"},
        ),
        (item("tests/faults/test_faults.py", ("home",), backend="postgresql"), {"postgres"}),
        (item("tests/sweeps/test_storage.py", ("postgres", "home")), {"postgres"}),
        (item("tests/slurm/test_requeue.py", ("on_slurm", "slurm_cluster")), {"slurm"}),
        (item("tests/slurm/test_slurm_script.py", ("store",)), set()),  # no cluster needed
        (item("tests/e2e/test_browser.py"), {"browser"}),
        (item("tests/lightning_modules/test_ddp.py"), {"ddp"}),
        (item("benchmarks/quality.py"), set()),  # outside tests/: folders mean nothing
    ],
)
def test_each_test_is_marked_by_the_service_it_uses(test: SimpleNamespace, markers: set) -> None:
    assert _service_markers(test) == markers
