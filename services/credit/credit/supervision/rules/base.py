"""A supervision rule: a small named object that judges facts and states what it found.

`judge(facts, limits, now)` is pure: the facts a rule needs about one subject (an occurrence, a
record, a task, a person's month…) go in as plain dicts, a Judged comes out: the findings, and the
keys of earlier findings that these facts show to be over (a late report closes "report missing").
The engine (usecases/engine.py) gathers the facts and turns the result into warnings; a sweep
calls the same judge on the same kept facts, so both give the same answer.
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from emss_common.clock import SHANGHAI
from emss_common.forms import form

from ..findings import Evidence

CATEGORIES = ("done", "quality")
SUBJECTS = ("institution", "task", "outlet", "record", "person")
SEVERITIES = ("low", "medium", "high")
MARKS = ("P", "S", "D")


@dataclass(frozen=True)
class Judged:
    findings: tuple = ()
    cleared: tuple = ()     # keys of this rule's earlier findings that a later fact resolves
    reason: str = ""        # why they are cleared (Chinese, kept in the warning's trail)


NOTHING = Judged()


@dataclass(frozen=True)
class Rule(ABC):
    code: str
    name: str               # Chinese
    category: str           # done (做没做) | quality (好不好)
    applies_to: str         # institution | task | outlet | record | person
    severity: str           # low | medium | high
    source: str             # P | S | D, as in DOMAIN.md
    citation: str           # the standard or seed behind it
    limits: tuple = ()      # names in supervision.limits
    note: str = ""          # what the rule cannot judge, said plainly
    feeds: tuple = field(default=(), compare=False)   # fact kinds the rule is judged on (engine)

    def __post_init__(self):
        assert self.category in CATEGORIES and self.applies_to in SUBJECTS
        assert self.severity in SEVERITIES and self.source in MARKS

    @abstractmethod
    def judge(self, facts, limits, now):
        """Facts in, a Judged out; each kind of rule states its own."""

    def describe(self, limits=None):
        """The rule as the catalogue page shows it, with the limits in force (defaults if not given)."""
        if limits is None:
            from ..limits import Limits
            limits = Limits()
        return {"code": self.code, "name": self.name, "category": self.category,
                "applies_to": self.applies_to, "severity": self.severity, "source": self.source,
                "citation": self.citation, "note": self.note, "limits": limits.describe(self.limits)}


# ----- helpers the rules share -----

def utc(text):
    """An ISO time (or datetime) as an aware UTC datetime; None stays None."""
    if text is None or text == "":
        return None
    at = text if isinstance(text, datetime) else datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc)


def local_day(text):
    """The Shanghai calendar day of a time: every business day boundary is local."""
    at = utc(text)
    return None if at is None else at.astimezone(SHANGHAI).date()


def as_day(text):
    if text is None or isinstance(text, date) and not isinstance(text, datetime):
        return text
    return date.fromisoformat(str(text)[:10])


def hours(delta: timedelta):
    return round(delta.total_seconds() / 3600, 2)


def fmt(x):
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def form_name(kind):
    spec = form(kind) if kind else None
    return spec["name"] if spec else (kind or "")


def record_evidence(r, label=None):
    number = r.get("number") or r["id"]
    return Evidence("record", r["id"], label or f"运维记录 {number}（{form_name(r.get('form_kind'))}）",
                    at=r.get("performed_at"), link=f"/records/{r['id']}")


def task_evidence(task_id, name=None):
    return Evidence("task", task_id, f"运维任务 {name or task_id}", link=f"/tasks/{task_id}")


def person_of(r):
    filer = r.get("filer") or {}
    return filer.get("staff_id") or filer.get("account_id")


def month_of(day):
    return str(day)[:7]


def month_bounds(month):
    start = date.fromisoformat(f"{month}-01")
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


@dataclass(frozen=True)
class JudgedElsewhere(Rule):
    """A rule whose findings a use case raises itself (an order's deadline, an inspector's verdict):
    catalogued so its warnings carry a name and a severity; no fact feeds it here."""

    def judge(self, facts, limits, now):
        return NOTHING
