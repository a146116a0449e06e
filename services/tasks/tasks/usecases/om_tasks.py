"""O&M tasks (运维任务): bindings checked against the registry copy, the lifecycle, change
requests, due occurrences and the maintenance view."""
import re

from emss_common.clock import to_shanghai, as_utc
from emss_common.access import load_editable, load_visible
from emss_common.errors import Forbidden, ValidationFailed
from emss_common.outbox import pending
from emss_common.serial import as_date, to_document, to_wire
from emss_common.forms import form
from emss_common.validation import load

from ..domain import om_tasks as rules
from ..domain.access import may_edit, may_review, may_view, scope_query
from ..domain.frequency import Frequency
from ..domain.plan import default_frequencies, overrides_from
from ..domain.occurrences import STATUS_LABELS, occurrences, period_for, status_of
from ..schemas import (TaskSchema, TaskChangeSchema, TransitionSchema, TaskQuerySchema,
                       MaintenanceQuerySchema, OccurrenceQuerySchema)
from emss_common.schema import DecisionSchema
from ..storage import audit, insert, new_id
from . import changes, replica
from .obligations import report_fields


def _overrides(ctx):
    return overrides_from(ctx.config)


def plan_defaults(ctx):
    """Each form kind's default frequency as this service checks plans against it (overrides applied)."""
    return default_frequencies(_overrides(ctx))


def _load(ctx, actor, task_id):
    return load_visible(ctx.db["tasks"], task_id, actor, may_view, "运维任务")


def _editable(ctx, actor, task_id):
    return load_editable(ctx.db["tasks"], task_id, actor, may_view, may_edit, "运维任务",
                         "只有本机构主账户可以修改运维任务")


def _dated(task):
    return {**task, "start": as_date(task["start"]), "end": as_date(task["end"])}


def _validated(ctx, actor, data, inst):
    """Check a task's bindings against the registry copy; raise naming the first bad field."""
    ent = replica.enterprise(ctx, data["enterprise_id"])
    contract = None
    if data.get("contract_id"):
        contract = ctx.db["contracts"].find_one({"id": data["contract_id"]}, {"_id": 0})
        if contract is not None and contract["institution_id"] != inst["id"]:
            contract = None
    problems = rules.binding_problems(
        data, institution=inst, enterprise=ent, outlets=replica.outlets_of(ctx, ent["id"]),
        devices=replica.devices_of(ctx, ent["id"]), contract=contract, today=ctx.today,
        overrides=_overrides(ctx))
    if problems:
        field, message = problems[0]
        raise ValidationFailed(message, field=field, details=[{"field": f, "message": m} for f, m in problems])
    return ent


def _with_plan_ids(data, previous=None):
    known = {(p["outlet_id"], p["form_kind"]): p["id"] for p in (previous or {}).get("plan", [])}
    for item in data["plan"]:
        item["id"] = item.get("id") or known.get((item["outlet_id"], item["form_kind"])) or new_id()
        item["title"] = item.get("title") or form(item["form_kind"])["name"]
    return data


def view(ctx, task):
    out = to_wire(task)
    out.pop("_event_at", None)
    out["status_label"] = rules.TASK_STATUS_LABELS[task["status"]]
    outlets = {o["id"]: o for o in ctx.db["outlets"].find({"id": {"$in": task["outlet_ids"]}}, {"_id": 0})}
    for item in out["plan"]:
        item["form_name"] = form(item["form_kind"])["name"]
        item["frequency_label"] = Frequency.of(item["frequency"]).label
        item["outlet_name"] = outlets.get(item["outlet_id"], {}).get("name")
    out["outlets"] = [to_wire(outlets[o]) for o in task["outlet_ids"] if o in outlets]
    return out


def snapshot(ctx, task):
    """What other services keep of a task (fieldrecords validates filings against it)."""
    keys = ("id", "name", "institution_id", "enterprise_id", "contract_id", "district", "status",
            "start", "end", "outlet_ids", "staff_ids", "device_ids", "plan", "version")
    return to_wire({k: task.get(k) for k in keys})


def create(ctx, actor, payload):
    if not actor.has("institution_admin"):
        raise Forbidden("只有机构主账户可以申请运维任务")
    data = _with_plan_ids(load(TaskSchema(), payload))
    inst = replica.institution(ctx, actor.institution_id)
    ent = _validated(ctx, actor, data, inst)
    task = {"id": new_id(), **data, "institution_id": inst["id"], "institution_name": inst["name"],
            "enterprise_name": ent["name"], "district": ent.get("district"),
            "status": rules.TaskStatus.DRAFT.value, "version": 1, "created_at": ctx.now, "updated_at": ctx.now}
    insert(ctx.db["tasks"], task)
    audit(ctx.db, task["id"], "create", actor.to_dict(), ctx.now)
    return view(ctx, to_document(task))


def update(ctx, actor, task_id, payload):
    task = _editable(ctx, actor, task_id)
    if rules.TaskStatus(task["status"]) not in rules.EDITABLE:
        raise ValidationFailed("任务已提交，只能通过信息变更申请修改", field="status")
    data = _with_plan_ids(load(TaskSchema(), payload), task)
    ent = _validated(ctx, actor, data, replica.institution(ctx, task["institution_id"]))
    updates = to_document({**data, "enterprise_name": ent["name"], "district": ent.get("district"),
                           "updated_at": ctx.now})
    ctx.db["tasks"].update_one({"id": task_id}, {"$set": updates})
    audit(ctx.db, task_id, "update", actor.to_dict(), ctx.now)
    return view(ctx, {**task, **updates})


def transition(ctx, actor, task_id, payload):
    data = load(TransitionSchema(), payload)
    task = _load(ctx, actor, task_id)
    if may_edit(actor, task):
        party = "institution"
    elif may_review(actor, task):
        party = "regulator"
    else:
        raise Forbidden("无权操作该运维任务")
    target = rules.next_status(task["status"], data["action"], party, data.get("reason"))
    if data["action"] in ("apply", "approve"):
        inst = replica.institution(ctx, task["institution_id"])
        replica.ensure_may_take_tasks(inst, ctx.today)
        _validated(ctx, actor, _dated(task), inst)
    updates = {"status": target.value, "updated_at": ctx.now}
    if data["action"] == "apply":
        updates["applied_by"] = actor.to_dict()
    if data["action"] == "return":
        updates["return_reason"] = data["reason"]
    if data["action"] in ("approve", "finish"):
        # From the approval a task owes its windows, until it is finished (usecases/obligations.py).
        updates["approved_at" if data["action"] == "approve" else "finished_at"] = ctx.now
    before = task["status"]
    task = {**task, **to_document(updates)}
    event = {"apply": "task.applied", "approve": "task.approved", "return": "task.returned",
             "finish": "task.finished"}[data["action"]]
    ev = ctx.events.new(event, task_id, {"task": snapshot(ctx, task)}, actor=actor.to_dict())
    result = ctx.db["tasks"].update_one({"id": task_id, "status": before},
                                        pending({"$set": to_document(updates)}, ev))
    if result.matched_count != 1:
        from emss_common.errors import Conflict
        raise Conflict("任务状态已被他人更新，请刷新后重试", field="status")
    ctx.events.flush("tasks", task_id, ev)
    if data["action"] == "approve":
        changes.save_version(ctx, "task", task, task.get("applied_by"), approved_by=actor.to_dict())
    audit(ctx.db, task_id, data["action"], actor.to_dict(), ctx.now, to_status=target.value,
          reason=data.get("reason"))
    return view(ctx, task)


def request_change(ctx, actor, task_id, payload):
    task = _editable(ctx, actor, task_id)
    if task["status"] != rules.TaskStatus.IN_PROGRESS.value:
        raise ValidationFailed("只有进行中的任务需要信息变更申请", field="status")
    data = load(TaskChangeSchema(), payload)
    proposed = _with_plan_ids(data["task"], task)
    if proposed["enterprise_id"] != task["enterprise_id"]:
        raise ValidationFailed("任务的排污单位不能变更", field="task.enterprise_id")
    _validated(ctx, actor, proposed, replica.institution(ctx, task["institution_id"]))
    return changes.request_change(ctx, actor, "task", task, to_document(proposed), data["reason"])


def decide_change(ctx, actor, cr_id, payload):
    data = load(DecisionSchema(), payload)

    def apply(cr, also):
        def events(new):
            return [ctx.events.new("task.changed", new["id"], {"task": snapshot(ctx, new)}, actor=actor.to_dict()),
                    *also(snapshot(ctx, new))]
        return snapshot(ctx, changes.apply_new_version(ctx, actor, "task", cr, events))
    return changes.decide(ctx, actor, cr_id, data["decision"], data.get("reason"), apply)


def get_task(ctx, actor, task_id):
    return view(ctx, _load(ctx, actor, task_id))


def trail(ctx, actor, task_id):
    _load(ctx, actor, task_id)
    return changes.trail(ctx, "task", task_id)


# ---------- occurrences ----------

def _performed(ctx, task):
    """Dates (Shanghai) of submitted records, by (outlet, form kind)."""
    out = {}
    for c in ctx.db["completions"].find({"task_id": task["id"]}, {"_id": 0}):
        if c.get("voided"):
            continue
        out.setdefault((c["outlet_id"], c["form_kind"]), []).append(as_date(c["performed_on"]))
    return out


def _rows(ctx, task, start, end):
    performed = _performed(ctx, task)
    plan = {p["id"]: p for p in task["plan"]}
    outlets = {o["id"]: o["name"] for o in ctx.db["outlets"].find({"id": {"$in": task["outlet_ids"]}}, {"_id": 0})}
    rows = []
    for occ in occurrences(_dated(task), start, end):
        dates = performed.get((occ.outlet_id, occ.form_kind), [])
        status = status_of(occ, dates, ctx.today)
        item = plan[occ.plan_item_id]
        rows.append({"id": occ.id, "task_id": task["id"], "task_name": task["name"],
                     "plan_item_id": occ.plan_item_id, "plan_title": item.get("title"),
                     "frequency_label": Frequency.of(item["frequency"]).label,
                     "outlet_id": occ.outlet_id, "outlet_name": outlets.get(occ.outlet_id),
                     "form_kind": occ.form_kind, "form_name": form(occ.form_kind)["name"],
                     "window_start": occ.window_start.isoformat(), "window_end": occ.window_end.isoformat(),
                     "status": status, "status_label": STATUS_LABELS[status],
                     "performed_on": sorted(d.isoformat() for d in dates
                                            if occ.window_start <= d <= occ.window_end)})
    return rows


def task_occurrences(ctx, actor, task_id, query):
    q = load(OccurrenceQuerySchema(), query or {})
    if (q["end"] - q["start"]).days > 400:
        raise ValidationFailed("查询区间不能超过400天", field="end")
    return _rows(ctx, _load(ctx, actor, task_id), q["start"], q["end"])


def maintenance(ctx, actor, task_id, query):
    """The task's maintenance view (运维管理): 本周 / 本月 / 全部 / 超期, by plan, by date range."""
    q = load(MaintenanceQuerySchema(), query or {})
    task = _dated(_load(ctx, actor, task_id))
    start, end = task["start"], task["end"]
    quick = period_for(q["view"], ctx.today)
    if quick:
        start, end = max(start, quick[0]), min(end, quick[1])
    if q["view"] == "overdue":
        end = min(end, ctx.today)
    if q.get("start"):
        start = max(start, q["start"])
    if q.get("end"):
        end = min(end, q["end"])
    rows = _rows(ctx, task, start, end) if start <= end else []
    if q.get("plan_item_id"):
        rows = [r for r in rows if r["plan_item_id"] == q["plan_item_id"]]
    if q["view"] == "overdue":
        rows = [r for r in rows if r["status"] == "overdue"]
    return {"task": view(ctx, task | {"start": task["start"].isoformat(), "end": task["end"].isoformat()}),
            "view": q["view"], "start": start.isoformat(), "end": end.isoformat(), "items": rows,
            "counts": {s: sum(1 for r in rows if r["status"] == s) for s in STATUS_LABELS}}


def overdue_count(ctx, task):
    task = _dated(task)
    end = min(task["end"], ctx.today)
    if end < task["start"]:
        return 0
    return sum(1 for r in _rows(ctx, task, task["start"], end) if r["status"] == "overdue")


def list_tasks(ctx, actor, query):
    q = load(TaskQuerySchema(), query or {})
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看运维任务")
    mongo = dict(scope)
    if q.get("state") in ("in_progress", "overdue"):
        mongo["status"] = "in_progress"
    elif q.get("state") == "finished":
        mongo["status"] = "finished"
    elif q.get("status"):
        mongo["status"] = q["status"]
    if q.get("enterprise_id"):
        if mongo.get("enterprise_id", q["enterprise_id"]) != q["enterprise_id"]:
            return []
        mongo["enterprise_id"] = q["enterprise_id"]
    if q.get("keyword"):
        mongo["name"] = {"$regex": re.escape(q["keyword"])}
    out = []
    for task in ctx.db["tasks"].find(mongo, {"_id": 0}).sort([("created_at", -1), ("id", 1)]).limit(500):
        row = {k: task.get(k) for k in ("id", "name", "institution_id", "institution_name", "enterprise_id",
                                        "enterprise_name", "contract_id", "status", "start", "end", "district")}
        row["status_label"] = rules.TASK_STATUS_LABELS[task["status"]]
        row["overdue"] = overdue_count(ctx, task) if task["status"] == "in_progress" else 0
        if q.get("state") == "overdue" and not row["overdue"]:
            continue
        out.append(to_wire(row))
    return out


def record_completion(ctx, event):
    """A field record was submitted (fieldrecords, or its export on reconciliation): it completes
    the occurrence it falls in and, for a comparison or periodic check, expects a report. Kept
    once: a redelivery, or a record voided before its copy arrived, changes nothing."""
    record = event["data"]["record"]
    performed = to_shanghai(as_utc(record["performed_at"])).date()
    doc = {"record_id": record["id"], "task_id": record["task_id"], "outlet_id": record["outlet_id"],
           "form_kind": record["form_kind"], "performed_on": performed.isoformat(),
           "institution_id": record.get("institution_id"), "enterprise_id": record.get("enterprise_id"),
           "district": record.get("district"), "kept_at": ctx.now,
           **report_fields(ctx, record["id"], record["form_kind"], performed)}
    try:
        ctx.db["completions"].insert_one(doc)
        return True
    except Exception as exc:  # a redelivered record is already counted
        if type(exc).__name__ != "DuplicateKeyError":
            raise
        return False


def record_voided(ctx, event):
    """A voided record (作废) no longer counts as the work having been done, nor owes a report. Kept
    as a mark, so a reconciliation re-reading the submitted record does not bring it back."""
    ctx.db["completions"].update_one({"record_id": event["subject"]},
                                     {"$set": {"voided": True, "report_state": "voided"}}, upsert=True)
