"""Scheduled rules: parse rate()/cron() expressions and fire them from a (speedable) clock.

moto stores scheduled rules but never fires them. Here a thread computes each rule's next fire
time in *virtual* time (real time since start multiplied by `LocalCloud(speedup=)`) and delivers
an "aws.events" Scheduled Event (or the target's Input) to the rule's targets.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localcloud.events import envelope
from localcloud.specs import ScheduleSpec

log = logging.getLogger(__name__)


class ScheduleExpressionError(ValueError):
    """A rate()/cron() expression this runtime cannot parse."""


@dataclass(frozen=True)
class Rate:
    seconds: int


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: "?" (day-of-week decides)
    months: frozenset[int]
    weekdays: frozenset[int] | None  # AWS numbering 1=SUN..7=SAT; None: "?"
    years: frozenset[int] | None  # None: every year
    last_day: bool = False  # day-of-month "L"
    nearest_weekday: int | None = None  # day-of-month "15W"
    nth_weekday: tuple[int, int] | None = None  # day-of-week "2#1" (weekday, nth)
    last_weekday: int | None = None  # day-of-week "6L"


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.I)
_CRON = re.compile(r"^cron\((.+)\)$", re.I)
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_WEEKDAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    def value(token: str) -> int:
        token = token.upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleExpressionError(f"valor inválido: {token}")
        number = int(token)
        if not low <= number <= high:
            raise ScheduleExpressionError(f"{number} fuera de rango {low}-{high}")
        return number

    out: set[int] = set()
    for item in text.split(","):
        step = 1
        if "/" in item:
            item, step_text = item.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleExpressionError(f"paso inválido: {step_text}")
            step = int(step_text)
        if item == "*":
            start, end = low, high
        elif "-" in item:
            a, b = item.split("-", 1)
            start, end = value(a), value(b)
        else:
            start = value(item)
            end = high if step > 1 else start
        if end < start:
            raise ScheduleExpressionError(f"rango inválido: {item}")
        out.update(range(start, end + 1, step))
    return frozenset(out)


def parse_schedule(expression: str) -> Rate | Cron:
    """Parse an EventBridge schedule expression: rate(N unit[s]) or cron(6 fields)."""
    expression = expression.strip()
    m = _RATE.match(expression)
    if m:
        amount, unit = int(m.group(1)), m.group(2).lower().rstrip("s")
        if amount <= 0:
            raise ScheduleExpressionError("la tasa debe ser positiva")
        if (amount == 1) != (not m.group(2).lower().endswith("s")):
            raise ScheduleExpressionError("use singular solo con 1 (rate(1 minute))")
        return Rate(amount * _UNIT[unit])
    m = _CRON.match(expression)
    if not m:
        raise ScheduleExpressionError(f"expresión de calendario inválida: {expression}")
    fields = m.group(1).split()
    if len(fields) != 6:
        raise ScheduleExpressionError("cron() necesita 6 campos: min hora día mes díasem año")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError("uno (y solo uno) de día-del-mes o día-de-semana debe ser ?")
    kwargs: dict[str, Any] = {}
    days: frozenset[int] | None = None
    if dom != "?":
        if dom.upper() == "L":
            kwargs["last_day"] = True
            days = frozenset()
        elif dom.upper().endswith("W"):
            kwargs["nearest_weekday"] = int(_field(dom[:-1], 1, 31).__iter__().__next__())
            days = frozenset()
        else:
            days = _field(dom, 1, 31)
    weekdays: frozenset[int] | None = None
    if dow != "?":
        if "#" in dow:
            wd, nth = dow.split("#", 1)
            kwargs["nth_weekday"] = (next(iter(_field(wd, 1, 7, _WEEKDAYS))), int(nth))
            weekdays = frozenset()
        elif dow.upper().endswith("L") and len(dow) > 1:
            kwargs["last_weekday"] = next(iter(_field(dow[:-1], 1, 7, _WEEKDAYS)))
            weekdays = frozenset()
        else:
            weekdays = _field(dow, 1, 7, _WEEKDAYS)
    return Cron(
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days=days,
        months=_field(month, 1, 12, _MONTHS),
        weekdays=weekdays,
        years=None if year == "*" else _field(year, 1970, 2199),
        **kwargs,
    )


def _aws_weekday(day: dt.date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday=0 in Python -> 2 in AWS; Sunday -> 1


def _day_matches(cron: Cron, day: dt.date) -> bool:
    if day.month not in cron.months or (cron.years is not None and day.year not in cron.years):
        return False
    last = calendar.monthrange(day.year, day.month)[1]
    if cron.days is not None:
        if cron.last_day:
            return day.day == last
        if cron.nearest_weekday is not None:
            target = dt.date(day.year, day.month, min(cron.nearest_weekday, last))
            if target.weekday() == 5:  # Saturday -> Friday, or Monday if the 1st
                target = target - dt.timedelta(1) if target.day > 1 else target + dt.timedelta(2)
            elif target.weekday() == 6:  # Sunday -> Monday, or Friday if the last day
                target = target + dt.timedelta(1) if target.day < last else target - dt.timedelta(2)
            return day == target
        return day.day in cron.days
    if cron.nth_weekday is not None:
        weekday, nth = cron.nth_weekday
        return _aws_weekday(day) == weekday and (day.day - 1) // 7 + 1 == nth
    if cron.last_weekday is not None:
        return _aws_weekday(day) == cron.last_weekday and day.day + 7 > last
    return cron.weekdays is not None and _aws_weekday(day) in cron.weekdays


def next_fire(
    schedule: Rate | Cron, after: dt.datetime, start: dt.datetime | None = None
) -> dt.datetime | None:
    """First fire time strictly after `after` (UTC). Rates count from `start` (rule creation)."""
    if isinstance(schedule, Rate):
        origin = start or after
        periods = int((after - origin).total_seconds() // schedule.seconds) + 1
        candidate = origin + dt.timedelta(seconds=periods * schedule.seconds)
        while candidate <= after:
            candidate += dt.timedelta(seconds=schedule.seconds)
        return candidate
    minutes, hours = sorted(schedule.minutes), sorted(schedule.hours)
    day = after.date()
    tz = after.tzinfo
    for _ in range(366 * 5):
        if _day_matches(schedule, day):
            for hour in hours:
                for minute in minutes:
                    candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
                    if candidate > after:
                        return candidate
        day += dt.timedelta(days=1)
    return None


# ---------------------------------------------------------------------- clock and thread
class Clock:
    """Virtual UTC time that runs `speedup` times faster than the wall clock from creation."""

    def __init__(self, speedup: float = 1.0, origin: dt.datetime | None = None) -> None:
        if speedup <= 0:
            raise ValueError("speedup debe ser positivo")
        self.speedup = speedup
        self.origin = origin or dt.datetime.now(dt.UTC)
        self._real0 = time.monotonic()

    def now(self) -> dt.datetime:
        elapsed = (time.monotonic() - self._real0) * self.speedup
        return self.origin + dt.timedelta(seconds=elapsed)

    def real_seconds_until(self, when: dt.datetime) -> float:
        return max(0.0, (when - self.now()).total_seconds() / self.speedup)


def scheduled_event(
    spec: ScheduleSpec, when: dt.datetime, region: str, account: str
) -> dict[str, Any]:
    return envelope(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        account=account,
        region=region,
        time=when,
        resources=[spec.arn],
    )


Deliver = Callable[[str, Any], Any]  # (target arn, payload) -> result


class Scheduler:
    """Fires the stack's schedules by the clock, and on demand with `fire`."""

    def __init__(
        self,
        schedules: dict[str, ScheduleSpec],
        deliver: Deliver,
        clock: Clock,
        *,
        region: str,
        account: str,
    ) -> None:
        self.schedules = schedules
        self.deliver = deliver
        self.clock = clock
        self.region = region
        self.account = account
        self.parsed = {k: parse_schedule(s.expression) for k, s in schedules.items()}
        self.fired: list[tuple[str, dt.datetime]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def find(self, name: str) -> ScheduleSpec:
        for spec in self.schedules.values():
            if name in (spec.name, spec.logical_id, spec.arn):
                return spec
        raise KeyError(name)

    def fire(self, name: str, when: dt.datetime | None = None) -> list[Any]:
        """Fire one schedule now (enabled or not); returns what each target delivery returned."""
        spec = self.find(name)
        when = when or self.clock.now()
        event = scheduled_event(spec, when, self.region, self.account)
        self.fired.append((spec.logical_id, when))
        results = []
        for target in spec.targets:
            payload = json.loads(target.input) if target.input is not None else event
            results.append(self.deliver(target.arn, payload))
        return results

    def start(self) -> None:
        if self._thread is None and self.schedules:
            self._thread = threading.Thread(target=self._run, name="local-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        start = self.clock.now()
        upcoming = {
            key: next_fire(self.parsed[key], start, start)
            for key, spec in self.schedules.items()
            if spec.enabled
        }
        while not self._stop.is_set():
            now = self.clock.now()
            for key, when in list(upcoming.items()):
                if when is not None and when <= now:
                    try:
                        self.fire(key, when)
                    except Exception:
                        log.exception("falló el disparo de la regla %s", key)
                    upcoming[key] = next_fire(self.parsed[key], max(when, now), start)
            pending = [w for w in upcoming.values() if w is not None]
            wait = min((self.clock.real_seconds_until(w) for w in pending), default=1.0)
            self._stop.wait(min(max(wait, 0.005), 0.5))
