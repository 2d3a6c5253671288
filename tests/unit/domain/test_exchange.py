"""The legal exchange rate for a payment (CFF art. 20): the FIX the DOF published the day
before the payment, or the last one published before it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from postventa.domain.exchange import RateUnavailableError, dof_fix_for_payment

# FIX by determination date around the Revolution holiday (Monday 16 November 2026, no banking).
FIX = {
    date(2026, 11, 12): Decimal("18.1012"),
    date(2026, 11, 13): Decimal("18.1313"),
    date(2026, 11, 17): Decimal("18.1717"),
    date(2026, 11, 18): Decimal("18.1818"),
    date(2026, 11, 19): Decimal("18.1919"),
    date(2026, 11, 20): Decimal("18.2020"),
}


@pytest.mark.parametrize(
    ("paid_on", "fix_of"),
    [
        # Wednesday: Tuesday's DOF carries the FIX of the banking day before it (Friday 13).
        (date(2026, 11, 18), date(2026, 11, 13)),
        # Tuesday after the holiday: no DOF on Monday, so Friday 13's, with Thursday 12's FIX.
        (date(2026, 11, 17), date(2026, 11, 12)),
        # Saturday and Monday: Friday 20's DOF, with Thursday 19's FIX.
        (date(2026, 11, 21), date(2026, 11, 19)),
        (date(2026, 11, 23), date(2026, 11, 19)),
        # Friday: Thursday's DOF, with Wednesday's FIX.
        (date(2026, 11, 20), date(2026, 11, 18)),
    ],
)
def test_the_rate_is_the_fix_published_in_the_dof_the_day_before_the_payment(
    paid_on: date, fix_of: date
) -> None:
    assert dof_fix_for_payment(FIX, paid_on) == FIX[fix_of]


def test_without_two_banking_days_before_the_payment_the_rate_is_not_available_yet() -> None:
    with pytest.raises(RateUnavailableError):
        dof_fix_for_payment({date(2026, 11, 12): Decimal("18")}, date(2026, 11, 14))
