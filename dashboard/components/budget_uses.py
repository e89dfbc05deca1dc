"""A launch's share of each budget that covers it, drawn (the Launch and Sweeps pages)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from paretolab.budget_guard import BudgetUse


def show_budget_uses(uses: Sequence[BudgetUse]) -> None:
    """Each budget this launch falls under: spent, what the run adds, and over or not."""
    for use in uses:
        line = use.describe()
        if use.over and use.status.budget.hard:
            st.error(f"{line}: a hard budget, the launch will be refused", icon=":material/block:")
        elif use.over:
            st.warning(f"{line}: confirm below to launch anyway", icon=":material/warning:")
        else:
            st.caption(line)
