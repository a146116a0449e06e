"""Deciding what tasks owed, once per fact (domain/obligations.py says what is owed and when it is
settled): occurrence.missed / occurrence.fulfilled for closed windows, report.missing for reports
past their deadline.

Each outcome is one document of `outcomes` whose id names the obligation (one decision per
occurrence, one per report obligation), inserted together with its event (outbox.staged): a
second sweep, a restart or another replica finds the id taken and announces nothing. A record
arriving after its window was decided does not change the decision (facts are facts); a report
uploaded after report.missing is announced by report.uploaded naming the obligation.

The sweep stays on indexes: tasks by status, each task's watermark (`obligation_marks`: the last
day whose windows it decided), records by outlet, form kind and day, report obligations by state
and due day.
"""
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from emss_common.clock import to_shanghai
from emss_common.errors import ValidationFailed
from emss_common.outbox import staged
from emss_common.paging import strict_bounds
from emss_common.serial import as_date, to_document, to_wire
from emss_common.workdays import working_days_between

from ..domain import obligations as rules
from ..domain.plan import overrides_from
from ..domain.reports import UploadDeadline

OUTCOMES, MARKS = "outcomes", "obligation_marks"
# A finished task's last windows are decided within days of its finishing; looking a month back
# covers a sweep that was down that long without reading every task ever finished.
FINISHED_TAIL = timedelta(days=31)
REPORT_BATCH = 500


def grace(ctx):
    """Hours after a window closes before it is decided: records filled on its last evening may
    still be on their way [D]."""
    return timedelta(hours=ctx.setting("EMSS_OBLIGATION_GRACE_HOURS", 2, float))


def upload_rule(ctx):
    """Reports are uploaded within N working days of issue ([P] seed 000; configurable)."""
    return UploadDeadline(ctx.setting("EMSS_REPORT_UPLOAD_WORKING_DAYS", UploadDeadline.working_days))


def sweep(ctx):
    """One round: every active task's closed windows, then every report obligation past due.
    Returns how many outcomes of each type this round announced."""
    counts = {rules.FULFILLED: 0, rules.MISSED: 0, rules.REPORT_MISSING: 0}
    for task in _active_tasks(ctx):
        for type_ in sweep_task(ctx, task):
            counts[type_] += 1
    for type_ in sweep_reports(ctx):
        counts[type_] += 1
    return counts


def _active_tasks(ctx):
    fields = {"_id": 0, "_outbox": 0}
    yield from ctx.db["tasks"].find({"status": "in_progress"}, fields)
    yield from ctx.db["tasks"].find(strict_bounds({"status": "finished", "finished_at": {"$gte": ctx.now - FINISHED_TAIL}}),
                                    fields)


def _day(at):
    return None if at is None else to_shanghai(at).date()


def sweep_task(ctx, task):
    """Decide the task's windows closed since its watermark; the types announced."""
    through = rules.closed_through(ctx.now, grace(ctx))
    mark = ctx.db[MARKS].find_one({"task_id": task["id"]}, {"_id": 0})
    after = as_date(mark["through"]) if mark else None
    if after is not None and after >= through:
        return []
    task = {**task, "start": as_date(task["start"]), "end": as_date(task["end"])}
    outlets = {o["id"]: o for o in ctx.db["outlets"].find({"id": {"$in": task["outlet_ids"]}}, {"_id": 0})}
    devices = list(ctx.db["devices"].find({"outlet_id": {"$in": task["outlet_ids"]}}, {"_id": 0}))
    closed = rules.closed_between(task, after, through, outlets, devices, overrides_from(ctx.config),
                                  effective=_day(task.get("approved_at")), finished=_day(task.get("finished_at")))
    performed = _performed(ctx, closed)
    announced = []
    for ob in closed:
        type_, record_ids = rules.decide(ob, performed.get(ob.outlet_id, []))
        if _announce(ctx, type_, f"occurrence:{ob.id}", ob.id, "occurrence",
                     occurrence_data(task, ob, record_ids, outlets)):
            announced.append(type_)
    ctx.db[MARKS].update_one({"task_id": task["id"]},
                             {"$set": {"through": through.isoformat(), "updated_at": ctx.now}}, upsert=True)
    return announced


def _performed(ctx, closed):
    """{outlet: [(record_id, form_kind, day)]} of submitted, not voided records over the windows:
    one range of days per outlet and form kind, on the (outlet, form kind, day) index."""
    spans = {}
    for ob in closed:
        for kind in ob.accepted:
            lo, hi = spans.get((ob.outlet_id, kind), (ob.window_start, ob.window_end))
            spans[(ob.outlet_id, kind)] = (min(lo, ob.window_start), max(hi, ob.window_end))
    out = {}
    for (outlet_id, kind), (lo, hi) in sorted(spans.items()):
        rows = ctx.db["completions"].find(
            strict_bounds({"outlet_id": outlet_id, "form_kind": kind,
                           "performed_on": {"$gte": lo.isoformat(), "$lte": hi.isoformat()}}),
            {"_id": 0, "record_id": 1, "form_kind": 1, "performed_on": 1, "voided": 1})
        out.setdefault(outlet_id, []).extend(
            (r["record_id"], r["form_kind"], as_date(r["performed_on"])) for r in rows if not r.get("voided"))
    return out


def occurrence_data(task, ob, record_ids, outlets):
    outlet = outlets.get(ob.outlet_id) or {}
    return {"id": ob.id, "task_id": task["id"], "plan_item_id": ob.plan_item_id,
            "institution_id": task.get("institution_id"), "enterprise_id": task.get("enterprise_id"),
            "outlet_id": ob.outlet_id, "outlet_name": outlet.get("name"),
            "district": task.get("district") or outlet.get("district"),
            "form_kind": ob.form_kind, "accepted_form_kinds": list(ob.accepted), "frequency": ob.frequency,
            "window_start": ob.window_start.isoformat(), "window_end": ob.window_end.isoformat(),
            "due_date": ob.window_end.isoformat(), "source": ob.source, "record_ids": record_ids}


def _announce(ctx, type_, outcome_id, subject, key, data):
    """Store the outcome with its event in one write; False when it was decided before."""
    ev = ctx.events.new(type_, subject, {key: data})
    doc = {"id": outcome_id, "type": type_, "subject": subject, "decided_at": ctx.now, key: data}
    try:
        ctx.db[OUTCOMES].insert_one(to_document(staged(doc, ev)))
    except DuplicateKeyError:
        return False
    ctx.events.flush(OUTCOMES, outcome_id, ev)
    return True


# ---------- reports ----------

def report_fields(ctx, record_id, form_kind, performed_on):
    """What a completion keeps of the report its record expects (none for most forms)."""
    ob = rules.report_obligation(record_id, form_kind, performed_on, upload_rule(ctx))
    if ob is None:
        return {}
    return {"report_kind": ob.report_kind, "report_due_on": ob.due_date.isoformat(),
            "report_due_provisional": ob.due_provisional, "report_state": "open"}


def sweep_reports(ctx):
    """Report obligations whose deadline has passed: answered by an uploaded report, or missing."""
    today = ctx.today
    announced = []
    rows = list(ctx.db["completions"].find({"report_state": "open", "report_due_on": {"$lt": today.isoformat()}},
                                           {"_id": 0}).limit(REPORT_BATCH))
    for c in rows:
        performed_on = as_date(c["performed_on"])
        due = as_date(c["report_due_on"])
        if not rules.report_missing(due, today):
            continue
        reports = ctx.db["reports"].find({"task_id": c["task_id"]}, {"_id": 0, "id": 1, "kind": 1, "record_ids": 1,
                                                                     "performed_on": 1})
        answer = next((r for r in reports if rules.covers(r, c["record_id"], c["report_kind"], performed_on)), None)
        if answer is not None:
            _settle(ctx, c["record_id"], "uploaded", answer["id"])
            continue
        ob_id = f"report:{c['record_id']}"
        data = {"id": ob_id, "task_id": c["task_id"], "institution_id": c.get("institution_id"),
                "enterprise_id": c.get("enterprise_id"), "outlet_id": c["outlet_id"], "district": c.get("district"),
                "report_kind": c["report_kind"], "form_kind": c["form_kind"], "record_id": c["record_id"],
                "issued_on": performed_on.isoformat(), "due_date": due.isoformat(),
                "due_provisional": c.get("report_due_provisional", False)}
        if _announce(ctx, rules.REPORT_MISSING, ob_id, ob_id, "report_obligation", data):
            announced.append(rules.REPORT_MISSING)
        _settle(ctx, c["record_id"], "missing")
    return announced


def _settle(ctx, record_id, state, report_id=None):
    ctx.db["completions"].update_one({"record_id": record_id, "report_state": "open"},
                                     {"$set": {"report_state": state, "report_id": report_id}})


def _answered(ctx, task_id, report):
    """The record ids whose report obligation a report answers: of its kind, among the records it
    names (关联表单), or, naming none, the work of the day it reports. A voided record owes nothing."""
    rows = ctx.db["completions"].find({"task_id": task_id}, {"_id": 0, "record_id": 1, "report_kind": 1,
                                                             "performed_on": 1, "voided": 1})
    return sorted(r["record_id"] for r in rows if r.get("report_kind") and not r.get("voided")
                  and rules.covers(report, r["record_id"], r["report_kind"], as_date(r["performed_on"])))


def upload_facts(ctx, task_id, report, due):
    """What report.uploaded adds for credit: the report obligations it answers, its deadline from
    its issue date, and how many working days after that deadline it came (0 when on time)."""
    ids = [f"report:{rid}" for rid in _answered(ctx, task_id, report)]
    today, late = ctx.today, 0
    if today > due:
        try:
            late = working_days_between(due, today)
        except ValidationFailed:  # a year the official calendar does not cover yet: not guessed
            late = None
    return {"obligation_id": ids[0] if ids else None, "obligation_ids": ids, "due_date": due.isoformat(),
            "late_working_days": late}


def close_answered(ctx, task_id, report):
    """After the report is stored: the obligations it answers leave the sweep (a missing one stays
    as decided; report.uploaded told credit)."""
    for record_id in _answered(ctx, task_id, report):
        _settle(ctx, record_id, "uploaded", report["id"])


def export_view(outcome):
    """An outcome as credit keeps it (reconciliation): its type and the data its event carried."""
    return to_wire(outcome)
