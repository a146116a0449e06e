"""China's official working days (调休 included), from the maintained chinese_calendar package.

The package knows only the years the State Council has announced. A deadline that runs into a
year not yet announced is still needed (a certificate expiring on 28 December), so
`working_deadline` then counts Monday to Friday for the unknown days and says it is provisional.
"""
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from .errors import ValidationFailed


def _official(day: date):
    """The official calendar's answer, or None for a year it does not cover yet (chinese_calendar
    raises NotImplementedError for years the State Council has not announced)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def _uncovered(day: date):
    # Guessing would be wrong where a rule needs the official answer.
    return ValidationFailed(f"官方工作日历尚未覆盖 {day.year} 年，无法计算工作日期限", field="date")


def is_working_day(day: date) -> bool:
    working = _official(day)
    if working is None:
        raise _uncovered(day)
    return working


@dataclass(frozen=True)
class Deadline:
    date: date
    provisional: bool  # some counted days fell in a year the official calendar does not cover yet


def working_deadline(start: date, days: int) -> Deadline:
    current, remaining, provisional = start, days, False
    while remaining > 0:
        current += timedelta(days=1)
        working = _official(current)
        if working is None:
            provisional, working = True, current.weekday() < 5
        if working:
            remaining -= 1
    return Deadline(current, provisional)


def add_working_days(start: date, days: int) -> date:
    """The date that is `days` working days after `start` (start itself not counted); refused,
    not guessed, when it runs into a year the official calendar does not cover."""
    deadline = working_deadline(start, days)
    if deadline.provisional:
        raise _uncovered(deadline.date)
    return deadline.date


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`."""
    if end <= start:
        return 0
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
