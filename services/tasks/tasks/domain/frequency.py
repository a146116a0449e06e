"""How often a form must be filed, and the windows (due occurrences) that follows from it.

Windows follow the calendar: continuous monitoring does not stop for public holidays, so an
inspection due every week is due in the National Day week too (HJ 75 counts calendar days).
Working days matter only for paperwork deadlines (report uploads, filing updates).
"""
import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from emss_common.vocabulary import FREQUENCY_KINDS, frequency_label

KINDS = FREQUENCY_KINDS

# The longest gap each kind allows; a plan may shorten it, never lengthen it.
_MAX_INTERVAL_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92, "every_3_months": 92}


@dataclass(frozen=True)
class Frequency:
    kind: str
    n: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"未知的频次：{self.kind}")
        if self.kind == "every_n_days" and (not isinstance(self.n, int) or self.n < 1):
            raise ValueError("每N天的N应为正整数")

    @classmethod
    def of(cls, data):
        return cls(data["kind"], data.get("n") if data["kind"] == "every_n_days" else None)

    def to_dict(self):
        return {"kind": self.kind, "n": self.n} if self.kind == "every_n_days" else {"kind": self.kind}

    @property
    def label(self):
        return frequency_label(self.to_dict())

    @property
    def max_interval_days(self):
        if self.kind == "on_demand":
            return float("inf")
        if self.kind == "every_n_days":
            return self.n
        return _MAX_INTERVAL_DAYS[self.kind]

    def at_least_as_strict_as(self, other: "Frequency") -> bool:
        return self.max_interval_days <= other.max_interval_days

    def windows(self, start: date, end: date, anchor: date):
        """The due windows [first, last] (inclusive) that intersect [start, end], clipped to it.
        `anchor` is where rolling kinds (every N days, every 3 months) begin counting."""
        if self.kind == "on_demand" or end < start:
            return []
        out = []
        for first, last in self._raw_windows(start, end, anchor):
            if last < start or first > end:
                continue
            out.append((max(first, start), min(last, end)))
        return out

    def _raw_windows(self, start, end, anchor):
        if self.kind == "daily":
            day = start
            while day <= end:
                yield day, day
                day += timedelta(days=1)
        elif self.kind == "weekly":
            monday = start - timedelta(days=start.weekday())
            while monday <= end:
                yield monday, monday + timedelta(days=6)
                monday += timedelta(days=7)
        elif self.kind == "every_n_days":
            offset = (start - anchor).days // self.n if start > anchor else 0
            first = anchor + timedelta(days=offset * self.n)
            while first <= end:
                yield first, first + timedelta(days=self.n - 1)
                first += timedelta(days=self.n)
        elif self.kind == "monthly":
            first = start.replace(day=1)
            while first <= end:
                yield first, _add_months(first, 1) - timedelta(days=1)
                first = _add_months(first, 1)
        elif self.kind == "quarterly":
            first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
            while first <= end:
                yield first, _add_months(first, 3) - timedelta(days=1)
                first = _add_months(first, 3)
        elif self.kind == "every_3_months":
            k = 0
            while True:
                first, nxt = _add_months(anchor, 3 * k), _add_months(anchor, 3 * (k + 1))
                if first > end:
                    break
                if nxt > start:
                    yield first, nxt - timedelta(days=1)
                k += 1


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
