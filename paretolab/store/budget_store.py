"""Budgets in the store (``RunStore`` inherits these calls). What a budget may hold is
checked before it gets here (``paretolab.budgets.check_budget``); who may change one is
checked by the services (admins only)."""

from __future__ import annotations

import dataclasses
import time

import sqlalchemy as sa

from paretolab.errors import UserError
from paretolab.store.entities import Budget
from paretolab.store.schema import budgets, run_costs

_FIELDS = [f.name for f in dataclasses.fields(Budget) if f.name != "id"]


class BudgetCalls:
    """Budget calls of ``RunStore`` (which provides ``engine``)."""

    engine: sa.Engine

    def list_budgets(self) -> list[Budget]:
        """Every budget, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(budgets).order_by(budgets.c.name)).mappings()
            return [Budget(**{k: row[k] for k in (*_FIELDS, "id")}) for row in rows]

    def get_budget(self, name: str) -> Budget:
        """The budget called ``name``.

        Raises:
            UserError: there is none (the message lists the budgets there are).
        """
        found = [b for b in self.list_budgets() if b.name == name]
        if not found:
            names = ", ".join(b.name for b in self.list_budgets()) or "none yet"
            raise UserError(f"no budget called {name!r} (budgets: {names})")
        return found[0]

    def add_budget(self, budget: Budget) -> Budget:
        """Store a new budget.

        Raises:
            UserError: a budget with that name exists.
        """
        values = {k: getattr(budget, k) for k in _FIELDS} | {"updated_at": time.time()}
        try:
            with self.engine.begin() as conn:
                conn.execute(budgets.insert().values(**values))
        except sa.exc.IntegrityError:
            raise UserError(
                f"a budget called {budget.name!r} exists: change it with `budgets set`"
            ) from None
        return self.get_budget(budget.name)

    def replace_budget(self, budget: Budget) -> Budget:
        """Store ``budget`` over the one of the same name.

        Raises:
            UserError: there is no budget of that name.
        """
        values = {k: getattr(budget, k) for k in _FIELDS} | {"updated_at": time.time()}
        with self.engine.begin() as conn:
            changed = conn.execute(
                budgets.update().where(budgets.c.name == budget.name).values(**values)
            ).rowcount
        if not changed:
            self.get_budget(budget.name)  # raises, naming the budgets there are
        return self.get_budget(budget.name)

    def remove_budget(self, name: str) -> None:
        """Delete the budget called ``name``.

        Raises:
            UserError: there is none.
        """
        with self.engine.begin() as conn:
            removed = conn.execute(budgets.delete().where(budgets.c.name == name)).rowcount
        if not removed:
            self.get_budget(name)

    def over_budget_note(self, run_id: int) -> str | None:
        """The confirmation a run was launched with past a budget (None: within budgets)."""
        query = sa.select(run_costs.c.over_budget).where(run_costs.c.run_id == run_id)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()
