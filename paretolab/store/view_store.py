"""Saved views in the store (``RunStore`` inherits these calls): a page's query parameters
under a name, one per (page, name); saving a name again replaces it."""

from __future__ import annotations

import time

import sqlalchemy as sa

from paretolab import limits
from paretolab.errors import UserError
from paretolab.store.entities import SavedView
from paretolab.store.schema import saved_views

MAX_VIEW_NAME = 100


class ViewCalls:
    """Saved-view calls of ``RunStore`` (which provides ``engine``)."""

    engine: sa.Engine

    def save_view(
        self, page: str, name: str, query: dict[str, list[str]], owner: str | None
    ) -> SavedView:
        """Store ``query`` as view ``name`` of ``page`` (replacing a view of that name).

        Raises:
            UserError: the name is empty or longer than 100 characters.
        """
        name = name.strip()
        if not name or len(name) > MAX_VIEW_NAME:
            raise UserError(f"a view's name needs 1 to {MAX_VIEW_NAME} characters, got {len(name)}")
        values = {"query": query, "owner": owner, "saved_at": time.time()}
        with self.engine.begin() as conn:
            where = (saved_views.c.page == page) & (saved_views.c.name == name)
            if not conn.execute(saved_views.update().where(where).values(**values)).rowcount:
                conn.execute(saved_views.insert().values(page=page, name=name, **values))
        return next(v for v in self.list_views(page) if v.name == name)

    def list_views(self, page: str) -> list[SavedView]:
        """The views saved for ``page``, by name."""
        query = sa.select(saved_views).where(saved_views.c.page == page)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(saved_views.c.name)).mappings()
            return [
                SavedView(r["page"], r["name"], dict(r["query"]), r["owner"], r["saved_at"])
                for r in rows
            ]

    def delete_view(self, page: str, name: str) -> None:
        """Remove view ``name`` of ``page``.

        Raises:
            UserError: there is none.
        """
        where = (saved_views.c.page == page) & (saved_views.c.name == name)
        with self.engine.begin() as conn:
            if not conn.execute(saved_views.delete().where(where)).rowcount:
                raise UserError(f"no saved view called {limits.clip(name, 100)!r} on this page")
