"""Calendar periods in UTC: dates people type, and the month or quarter around a moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from paretolab.errors import UserError


def parse_day(text: str, flag: str, end: bool = False) -> float:
    """``YYYY-MM-DD`` or ``YYYY-MM`` as an epoch time: its start, or with ``end`` the start of
    the next day or month (so an end date counts its whole day).

    Raises:
        UserError: not such a date (the message names ``flag``).
    """
    try:
        if len(text) == 7:
            first = datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC)
            return (_next_month(first.date()) if end else first).timestamp()
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UserError(f"{flag} {text!r} is not a date: give YYYY-MM-DD or YYYY-MM") from None
    return (day + timedelta(days=1) if end else day).timestamp()


def _next_month(day: date) -> datetime:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def period_bounds(period: str, at: float) -> tuple[float, float]:
    """[start, end) of the calendar ``month`` or ``quarter`` holding the epoch time ``at``."""
    day = datetime.fromtimestamp(at, UTC).date()
    first_month = day.month if period == "month" else 3 * ((day.month - 1) // 3) + 1
    start = datetime(day.year, first_month, 1, tzinfo=UTC)
    end = start
    for _ in range(1 if period == "month" else 3):
        end = _next_month(end.date())
    return start.timestamp(), end.timestamp()


def day_label(ts: float) -> str:
    """An epoch time as its UTC date."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def previous_month(at: float) -> tuple[float, float]:
    """[start, end) of the calendar month before the one holding ``at``, UTC."""
    start, _ = period_bounds("month", at)
    return period_bounds("month", start - 1)[0], start
