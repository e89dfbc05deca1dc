"""Named views of a page, saved in the store: what the page's URL holds (its query
parameters), under a name the team can pick from. Saving and deleting are changes to the
store: a read-only demo and viewers are refused, as for runs."""

from __future__ import annotations

from collections.abc import Mapping

from dashboard.services.access import owner_name, require
from dashboard.services.common import store
from paretolab.store import SavedView


def views(page: str) -> list[SavedView]:
    """The views saved for ``page`` (its URL path: ``""`` for Runs, ``"compare"``)."""
    return store().list_views(page)


def save(page: str, name: str, query: Mapping[str, list[str]]) -> SavedView:
    """Save ``query`` (parameter → values) as view ``name`` of ``page``, replacing one of the
    same name.

    Raises:
        UserError: the name is empty or too long.
        DemoModeError, AccessDenied: the dashboard is a demo, or the user a viewer.
    """
    user = require("save a view")
    return store().save_view(page, name, dict(query), owner_name(user))


def delete(page: str, name: str) -> None:
    """Delete view ``name`` of ``page``.

    Raises:
        UserError: there is no such view.
        DemoModeError, AccessDenied: as ``save``.
    """
    require("delete a view")
    store().delete_view(page, name)
