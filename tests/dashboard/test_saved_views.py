"""Named views (issue 22, newcomer need 6): a page's URL saved in the store under a name,
replaced when saved again, opened by name; viewers cannot save or delete them."""

from __future__ import annotations

import pytest

from dashboard.services import saved_views
from paretolab.auth import AccessDenied
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page
from tests.dashboard.test_access import as_user, users_file  # noqa: F401 - the fixture

QUERY = {"status": ["finished", "failed"], "columns": ["lr"]}


def test_views_are_kept_per_page_and_replaced_by_name(any_store: RunStore) -> None:
    any_store.save_view("", "mine", {"q": ["bbc"]}, "ada")
    any_store.save_view("", "mine", QUERY, "bob")  # the same name again: replaced
    any_store.save_view("compare", "mine", {"runs": ["1,2"]}, None)
    (view,) = any_store.list_views("")
    assert (view.name, view.query, view.owner) == ("mine", QUERY, "bob")
    assert any_store.list_views("compare")[0].query == {"runs": ["1,2"]}
    any_store.delete_view("", "mine")
    assert any_store.list_views("") == [] and len(any_store.list_views("compare")) == 1
    with pytest.raises(UserError, match="no saved view called 'mine'"):
        any_store.delete_view("", "mine")
    with pytest.raises(UserError, match="1 to 100 characters"):
        any_store.save_view("", "  ", QUERY, None)


def test_a_viewer_cannot_save_or_delete_a_view(users_file, store: RunStore) -> None:  # noqa: F811
    as_user("mia")  # a member saves one
    saved_views.save("", "team view", QUERY)
    as_user("vic")
    with pytest.raises(AccessDenied, match="vic is a viewer and cannot save a view"):
        saved_views.save("", "mine", QUERY)
    with pytest.raises(AccessDenied, match="cannot delete a view"):
        saved_views.delete("", "team view")
    assert [v.name for v in saved_views.views("")] == ["team view"]  # but sees it


def test_save_the_runs_view_then_open_it_by_name(store: RunStore) -> None:
    queue_run(store, tiny_config())
    at = open_page("views/runs.py", status="queued", columns="lr")
    at.text_input(key="views__name").input("queued with lr").run()
    at.button(key="views__save").click().run()
    assert not at.exception
    (view,) = store.list_views("")
    assert view.query["status"] == ["queued"] and view.query["columns"] == ["lr"]
    fresh = open_page("views/runs.py")  # a new session, a plain link
    assert fresh.multiselect(key="runs_status").value == []
    fresh.selectbox(key="views__pick").set_value("queued with lr").run()
    fresh.button(key="views__open").click().run()
    assert not fresh.exception
    assert fresh.multiselect(key="runs_status").value == ["queued"]
    assert "lr" in fresh.dataframe[0].proto.column_order
