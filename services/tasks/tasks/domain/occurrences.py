"""Due occurrences: what should be done by when, and whether it was done.

An occurrence is one window of one plan item. It is done when a submitted field record of that
form kind, at that outlet, was performed inside the window; overdue when the window has ended
without one; otherwise pending.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from emss_common.forms import form

from .frequency import Frequency

STATUS_LABELS = {"done": "已完成", "pending": "待完成", "overdue": "超期"}


@dataclass(frozen=True)
class Occurrence:
    plan_item_id: str
    outlet_id: str
    form_kind: str
    window_start: date
    window_end: date

    @property
    def id(self):
        return f"{self.plan_item_id}:{self.window_start.isoformat()}"


def occurrences(task, start: date, end: date):
    """Every due occurrence of a task's plan that falls in [start, end], within the task period."""
    lo, hi = max(start, task["start"]), min(end, task["end"])
    out = []
    for item in task["plan"]:
        freq = Frequency.of(item["frequency"])
        for first, last in freq.windows(lo, hi, anchor=task["start"]):
            out.append(Occurrence(item["id"], item["outlet_id"], item["form_kind"], first, last))
    return sorted(out, key=lambda o: (o.window_start, o.outlet_id, o.form_kind))


def status_of(occ: Occurrence, performed_dates, today: date):
    """performed_dates: dates (Shanghai) of submitted records of this outlet and form kind."""
    if any(occ.window_start <= d <= occ.window_end for d in performed_dates):
        return "done"
    return "overdue" if occ.window_end < today else "pending"


def period_for(view: str, today: date):
    """The maintenance view's quick filters: 本周 / 本月 / 全部 / 超期."""
    if view == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    if view == "month":
        first = today.replace(day=1)
        nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first, nxt - timedelta(days=1)
    return None


def needs_report(form_kind):
    spec = form(form_kind)
    return bool(spec and spec.get("needs_report"))
