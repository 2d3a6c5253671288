"""rate()/cron() parsing and next fire times (UTC, AWS day-of-week numbering 1=SUN)."""

from __future__ import annotations

import datetime as dt

import pytest

from localcloud.scheduler import (
    Clock,
    Cron,
    Rate,
    ScheduleExpressionError,
    next_fire,
    parse_schedule,
)

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expr", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
    ],
)
def test_rates_parse_to_seconds(expr: str, seconds: int) -> None:
    assert parse_schedule(expr) == Rate(seconds)


@pytest.mark.parametrize(
    "expr",
    [
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(1 week)",
        "cron(0 12 * * ? )x",
        "cron(0 12 * *)",
        "cron(0 12 * * * *)",  # both day fields set
        "cron(0 12 ? * ? *)",  # neither
        "cron(61 12 * * ? *)",
        "every day",
    ],
)
def test_invalid_expressions_are_rejected(expr: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_schedule(expr)


def test_rate_counts_from_the_rule_start() -> None:
    start = at(2025, 1, 1, 10, 0, 30)
    rate = parse_schedule("rate(5 minutes)")
    assert next_fire(rate, start, start) == at(2025, 1, 1, 10, 5, 30)
    assert next_fire(rate, at(2025, 1, 1, 10, 12), start) == at(2025, 1, 1, 10, 15, 30)


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("cron(0 12 * * ? *)", at(2025, 3, 10, 12, 0), at(2025, 3, 11, 12, 0)),
        ("cron(0 12 * * ? *)", at(2025, 3, 10, 11, 59), at(2025, 3, 10, 12, 0)),
        ("cron(0/15 * * * ? *)", at(2025, 3, 10, 9, 16), at(2025, 3, 10, 9, 30)),
        ("cron(0 18 ? * MON-FRI *)", at(2025, 3, 14, 19, 0), at(2025, 3, 17, 18, 0)),  # Fri->Mon
        ("cron(0 8 ? * 1 *)", at(2025, 3, 10, 0, 0), at(2025, 3, 16, 8, 0)),  # 1 = Sunday
        ("cron(0 0 1 * ? *)", at(2025, 1, 31, 0, 0), at(2025, 2, 1, 0, 0)),
        ("cron(30 23 L * ? *)", at(2024, 2, 1, 0, 0), at(2024, 2, 29, 23, 30)),  # leap year
        ("cron(0 10 ? * 6#3 *)", at(2025, 3, 1, 0, 0), at(2025, 3, 21, 10, 0)),  # 3rd Friday
        ("cron(0 10 ? * 2L *)", at(2025, 3, 1, 0, 0), at(2025, 3, 31, 10, 0)),  # last Monday
        ("cron(0 9 15W * ? *)", at(2025, 3, 1, 0, 0), at(2025, 3, 14, 9, 0)),  # 15th is Saturday
        ("cron(0 6 1 JAN,JUL ? 2026)", at(2025, 3, 1, 0, 0), at(2026, 1, 1, 6, 0)),
    ],
)
def test_cron_next_fire(expr: str, after: dt.datetime, expected: dt.datetime) -> None:
    assert next_fire(parse_schedule(expr), after) == expected


def test_cron_with_only_past_years_never_fires() -> None:
    cron = parse_schedule("cron(0 6 1 1 ? 2020)")
    assert isinstance(cron, Cron)
    assert next_fire(cron, at(2025, 1, 1)) is None


def test_clock_runs_faster_with_speedup() -> None:
    origin = at(2025, 1, 1)
    clock = Clock(speedup=3600, origin=origin)
    assert clock.real_seconds_until(origin + dt.timedelta(hours=1)) <= 1.0
    assert clock.now() >= origin
    with pytest.raises(ValueError):
        Clock(speedup=0)
