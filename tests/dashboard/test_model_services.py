"""The registry's dashboard services refuse viewers (and write nothing) and let members in."""

from __future__ import annotations

import pytest

from dashboard.services import models as model_services
from paretolab import model_registry
from paretolab.auth import AccessDenied
from paretolab.store import RunStore
from tests.dashboard.test_access import as_user, users_file  # noqa: F401 - a fixture
from tests.paretolab.test_model_registry import run_with_checkpoints


def test_a_viewer_cannot_change_the_registry(users_file, store: RunStore) -> None:  # noqa: F811
    run_id = run_with_checkpoints(store)
    model_registry.register_run(run_id, "m", store=store)
    as_user("vic")
    for action in (
        lambda: model_services.register(run_id, "m"),
        lambda: model_services.set_alias("m", 1, "production"),
        lambda: model_services.set_archived("m", 1),
    ):
        with pytest.raises(AccessDenied, match="vic is a viewer and cannot"):
            action()
    [version] = model_services.versions("m")  # reading is fine
    assert (version.aliases, version.archived) == ((), False)
    assert [a.action for a in model_services.audit("m")] == ["register"]


def test_a_member_registers_and_is_named_in_the_audit(users_file, store: RunStore) -> None:  # noqa: F811
    as_user("mia")
    version = model_services.register(run_with_checkpoints(store), "m", description="first")
    assert model_services.set_alias("m", version.version, "candidate") is None
    assert [(a.who, a.action) for a in model_services.audit("m")] == [
        ("mia", "register"),
        ("mia", "alias"),
    ]
