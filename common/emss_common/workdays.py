"""China's official working days (调休 included), from the maintained chinese_calendar package."""
from datetime import date, timedelta

import chinese_calendar

from .errors import ValidationFailed


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # The package only knows years the State Council has announced; guessing would be wrong.
        raise ValidationFailed(
            f"官方工作日历尚未覆盖 {day.year} 年，无法计算工作日期限", field="date")


def add_working_days(start: date, days: int) -> date:
    """The date that is `days` working days after `start` (start itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


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
