"""What a task owes, and when its owing is settled: the facts credit judges (issue 11: the tasks
service says when an occurrence window closed unfulfilled or a report became late).

Occurrence obligations: every window of every plan item (occurrences.py), and, for each form a
registered device at one of the task's outlets needs on a schedule but the plan has no item for,
the standard's default frequency (forms.yaml `default_frequency`, overridable by configuration).
A window [first, last] closes at Shanghai midnight after `last`; it is decided `grace` later
(records filled on the last evening may still be on their way), once: fulfilled when a submitted
record of an accepted form kind at that outlet was performed inside the window, else missed.

Report obligations: a record of a form that needs a report (comparison 实际水样比对, periodic check
定期校验) expects a report of the kind `report_for_form` names, uploaded within 5 working days of
issue ([P] seed 000; reports.UploadDeadline, EMSS_REPORT_UPLOAD_WORKING_DAYS). Until a report is uploaded its issue date is
unknown; the earliest it can be is the day the work was done, so the obligation counts from the
record's performed date. A later report still resolves it: report.uploaded names the obligation.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from emss_common.clock import to_shanghai
from emss_common.forms import catalogue, forms
from emss_common.vocabulary import REPORT_FOR_FORM

from .frequency import Frequency
from .occurrences import occurrences
from .plan import default_frequency
from .reports import UploadDeadline

PLAN, STANDARD_DEFAULT = "plan", "standard_default"
FULFILLED, MISSED = "occurrence.fulfilled", "occurrence.missed"
REPORT_MISSING = "report.missing"

# Devices not in service (在建, 停用) need no O&M; a device without a status is taken as built.
IN_SERVICE = {None, "已建成"}


@dataclass(frozen=True)
class Obligation:
    """One window owed: a plan item's, or the standard default's where the plan has none."""
    task_id: str
    plan_item_id: str | None
    outlet_id: str
    form_kind: str
    window_start: date
    window_end: date
    source: str
    frequency: dict
    # Form kinds whose record fulfils it: a plan item's own (as the maintenance view counts it); a
    # default's, any of its interchangeable forms (the plan chose none of them).
    accepted: tuple = field(default=())

    @property
    def id(self):
        if self.plan_item_id:  # as the maintenance view names it (occurrences.Occurrence.id)
            return f"{self.plan_item_id}:{self.window_start.isoformat()}"
        return f"std:{self.task_id}:{self.outlet_id}:{self.form_kind}:{self.window_start.isoformat()}"


# ---------- which forms an outlet's devices need ----------

def interchangeable(form_kind):
    """The forms that stand in for `form_kind` (forms.yaml `interchangeable`), itself first."""
    for group in catalogue().get("interchangeable") or ():
        if form_kind in group:
            return (form_kind, *[k for k in group if k != form_kind])
    return (form_kind,)


def fits(spec, device):
    """Whether a form is filed for a device: its kind, and its factor where the form names factors
    (the same test fieldrecords applies to a record's blocks)."""
    if device.get("kind") not in spec["device_kinds"]:
        return False
    codes = spec.get("factor_codes")
    return not codes or device.get("factor_code") in codes


def needed_forms(outlet, devices, overrides=None):
    """Form kinds with a recurring default that the outlet's in-service devices need, one per group
    of interchangeable forms (its first member), in catalogue order."""
    out, covered = [], set()
    live = [d for d in devices if d.get("construction_status") in IN_SERVICE]
    for kind, spec in forms().items():
        if spec["outlet_kind"] != outlet.get("kind") or kind in covered:
            continue
        if default_frequency(kind, overrides).kind == "on_demand":
            continue
        if any(fits(spec, d) for d in live):
            group = interchangeable(kind)
            out.append(kind)
            covered.update(group)
    return out


def default_items(task, outlets, devices, overrides=None):
    """The standard's defaults owed where the plan is silent: [{outlet_id, form_kind, frequency,
    accepted}]. outlets: {id: outlet}; devices: [device] (registry copies)."""
    planned = {(p["outlet_id"], p["form_kind"]) for p in task["plan"]}
    items = []
    for outlet_id in task["outlet_ids"]:
        outlet = outlets.get(outlet_id)
        if outlet is None:
            continue
        mine = [d for d in devices if d.get("outlet_id") == outlet_id]
        for kind in needed_forms(outlet, mine, overrides):
            group = interchangeable(kind)
            if any((outlet_id, k) in planned for k in group):
                continue
            items.append({"outlet_id": outlet_id, "form_kind": kind, "accepted": group,
                          "frequency": default_frequency(kind, overrides).to_dict()})
    return items


# ---------- the windows owed ----------

def due(task, start: date, end: date, outlets, devices, overrides=None):
    """Every obligation of a task whose window meets [start, end] (clipped to it and the task's
    period, as the maintenance view clips): plan items first, then the standard's defaults."""
    plan = {p["id"]: p for p in task["plan"]}
    out = [Obligation(task["id"], o.plan_item_id, o.outlet_id, o.form_kind, o.window_start, o.window_end,
                      PLAN, plan[o.plan_item_id]["frequency"], (o.form_kind,))
           for o in occurrences(task, start, end)]
    lo, hi = max(start, task["start"]), min(end, task["end"])
    for item in default_items(task, outlets, devices, overrides):
        for first, last in Frequency.of(item["frequency"]).windows(lo, hi, anchor=task["start"]):
            out.append(Obligation(task["id"], None, item["outlet_id"], item["form_kind"], first, last,
                                  STANDARD_DEFAULT, item["frequency"], item["accepted"]))
    return sorted(out, key=lambda o: (o.window_start, o.outlet_id, o.form_kind, o.source))


def closed_through(now: datetime, grace: timedelta) -> date:
    """The last day whose windows are decided now: a window ending on day D closes at Shanghai
    midnight after D and is decided `grace` later."""
    return to_shanghai(now - grace).date() - timedelta(days=1)


def closed_between(task, after: date | None, through: date, outlets, devices, overrides=None,
                   effective: date | None = None, finished: date | None = None):
    """The obligations whose window ended in (after, through]: those to decide in this round.
    effective: the day the task took effect (approval): a window that ended before it was never
    owed. finished: the day the task was finished: a window that had not ended by then is not."""
    start = task["start"]
    # Windows ending after `through` are clipped at through + 1, so they never look closed.
    hi = min(task["end"], through + timedelta(days=1))
    if hi < start:
        return []
    out = []
    for ob in due(task, start, hi, outlets, devices, overrides):
        if ob.window_end > through or (after is not None and ob.window_end <= after):
            continue
        if effective is not None and ob.window_end < effective:
            continue
        if finished is not None and ob.window_end > finished:
            continue
        out.append(ob)
    return out


def decide(ob: Obligation, performed):
    """(outcome type, record ids) of a closed window. performed: [(record_id, form_kind, date)] of
    submitted records at its outlet."""
    ids = sorted(rid for rid, kind, day in performed
                 if kind in ob.accepted and ob.window_start <= day <= ob.window_end)
    return (FULFILLED, ids) if ids else (MISSED, [])


# ---------- reports ----------

@dataclass(frozen=True)
class ReportObligation:
    record_id: str
    form_kind: str
    report_kind: str
    issued_on: date          # the earliest the report can be issued: the day of the work
    due_date: date
    due_provisional: bool

    @property
    def id(self):
        return f"report:{self.record_id}"


def report_obligation(record_id, form_kind, performed_on: date, rule: UploadDeadline = UploadDeadline()):
    """The report a record expects, or None when its form needs none."""
    kind = REPORT_FOR_FORM.get(form_kind)
    if kind is None:
        return None
    deadline = rule.due(performed_on)
    return ReportObligation(record_id, form_kind, kind, performed_on, deadline.date, deadline.provisional)


def report_missing(due_date: date, today: date) -> bool:
    """The upload deadline is the whole due day (Shanghai); missing from the next day on."""
    return today > due_date


def covers(report, record_id, report_kind, performed_on: date):
    """Whether an uploaded report answers a record's obligation: of its kind, and naming the record
    (关联表单) or, naming none, reporting work performed on the record's day."""
    if report.get("kind") != report_kind:
        return False
    linked = report.get("record_ids") or []
    if linked:
        return record_id in linked
    return str(report.get("performed_on"))[:10] == performed_on.isoformat()
