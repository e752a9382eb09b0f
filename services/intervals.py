"""Verification intervals as the law sets them on a given day.

Circular 03/2024/TT-BKHCN (in force 15/10/2024) lengthened some intervals: the taximeter from 12
to 18 months, the traffic speed meter from 12 to 24. A verification made before that day keeps the
interval in force when it was made.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

INTERVALS_CHANGED_ON = date(2024, 10, 15)


def interval_in_force(current_months: int | None, before_change_months: int | None, day: date) -> int | None:
    """Months between verifications for a verification made on ``day`` (None: no periodic interval)."""
    if before_change_months is not None and day < INTERVALS_CHANGED_ON:
        return before_change_months
    return current_months


def verification_due_on(
    current_months: int | None, before_change_months: int | None, verified_on: date
) -> date | None:
    """When an instrument verified on ``verified_on`` is due again (None: verified once, never due)."""
    months = interval_in_force(current_months, before_change_months, verified_on)
    return verified_on + relativedelta(months=months) if months else None
