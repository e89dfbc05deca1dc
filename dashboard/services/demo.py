"""Demo mode (``PARETOLAB_DEMO=1``): a read-only dashboard for showing results to others.

Pages hide what changes anything (launch, cancel, delete, archive, tags and notes, finders,
baseline training), and the services refuse it too — a hidden button is not a guard.
"""

from __future__ import annotations

from paretolab import settings
from paretolab.errors import UserError


class DemoModeError(UserError):
    """An action that changes something, asked of a read-only (demo) dashboard."""


def demo_mode() -> bool:
    """True when this dashboard is read-only."""
    return settings.demo_mode()


def refuse_in_demo(action: str) -> None:
    """Raise ``DemoModeError`` when the dashboard is read-only.

    Args:
        action: what was asked, for the message (e.g. "launch a run").
    """
    if settings.demo_mode():
        raise DemoModeError(
            f"this dashboard is a read-only demo ({settings.DEMO_ENV}=1): it cannot {action}"
        )
