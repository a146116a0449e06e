"""Self-monitoring sampling tasks (自行监测): the six stages of seed 002."""
from emss_common.access import load_editable, load_visible
from emss_common.errors import Forbidden, ValidationFailed
from emss_common.outbox import pending
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain import sampling as rules
from ..domain.access import may_edit, may_view, scope_query
from ..domain.sampling import Stage
from ..schemas import CommissionSchema, SchemeSchema, SamplingPlanSchema
from ..storage import audit, insert, new_id, next_number
from . import replica

TESTING_TYPES = {"testing", "testing_om", "self_testing_enterprise", "self_testing_om_enterprise"}


def view(task):
    out = to_wire(task)
    out["stage_label"] = rules.STAGE_LABELS[task["stage"]]
    out["missing"] = [{"field": f, "message": m} for f, m in rules.missing_inputs(task)] \
        if task["stage"] != Stage.FINISHED.value else []
    return out


def _load(ctx, actor, task_id):
    return load_visible(ctx.db["sampling_tasks"], task_id, actor, may_view, "采样任务")


def _editable(ctx, actor, task_id, *stages):
    task = load_editable(ctx.db["sampling_tasks"], task_id, actor, may_view, may_edit, "采样任务",
                         "只有本机构主账户可以办理采样任务")
    if stages:
        rules.ensure_stage(task, *stages)
    return task


def _set(ctx, actor, task, action, event=None, **updates):
    """event(new task) -> (type, data): an event written with the change."""
    updates["updated_at"] = ctx.now
    new = {**task, **to_document(updates)}
    who = actor.to_dict() if hasattr(actor, "to_dict") else actor
    update = {"$set": to_document(updates)}
    evs = []
    if event is not None:
        type_, data = event(new)
        evs = [ctx.events.new(type_, task["id"], data, actor=who)]
        update = pending(update, *evs)
    ctx.db["sampling_tasks"].update_one({"id": task["id"]}, update)
    if evs:
        ctx.events.flush("sampling_tasks", task["id"], *evs)
    audit(ctx.db, task["id"], action, who, ctx.now)
    return new


def commission(ctx, actor, payload):
    """委托任务申请: the object comes from the enterprise directory; a contract unless self-monitoring."""
    if not actor.has("institution_admin"):
        raise Forbidden("只有机构主账户可以申请采样任务")
    data = load(CommissionSchema(), payload)
    inst = replica.institution(ctx, actor.institution_id)
    if inst["type"] not in TESTING_TYPES:
        raise Forbidden("只有检测机构或自主检测排污单位可以承接自行监测采样")
    replica.ensure_may_take_tasks(inst, ctx.today)
    ent = replica.enterprise(ctx, data["enterprise_id"])
    self_monitoring = bool(inst.get("self_operating"))
    if self_monitoring and inst.get("enterprise_id") != ent["id"]:
        raise ValidationFailed("自主检测排污单位只能为本单位建立采样任务", field="enterprise_id")
    if not self_monitoring:
        contract = ctx.db["contracts"].find_one({"id": data.get("contract_id") or "", "institution_id": inst["id"]},
                                                {"_id": 0})
        if contract is None or contract["status"] != "submitted" or contract["nature"] != "monitoring":
            raise ValidationFailed("委托监测必须绑定本机构已提交的监测合同", field="contract_id")
        if contract["enterprise_id"] != ent["id"]:
            raise ValidationFailed("合同甲方与监测对象不一致", field="contract_id")
    task = {"id": new_id(), **data, "institution_id": inst["id"], "institution_name": inst["name"],
            "enterprise_id": ent["id"], "enterprise_name": ent["name"], "district": ent.get("district"),
            "self_monitoring": self_monitoring, "stage": Stage.COMMISSION.value, "scheme": None,
            "plan": None, "trips": [], "report_number": None, "report_file_id": None,
            "created_at": ctx.now, "updated_at": ctx.now}
    insert(ctx.db["sampling_tasks"], task)
    audit(ctx.db, task["id"], "commission", actor.to_dict(), ctx.now)
    return view(to_document(task))


def set_scheme(ctx, actor, task_id, payload):
    """方案编制: points and factors from the enterprise's registered list; a new point only when the
    list has none of that kind."""
    task = _editable(ctx, actor, task_id, Stage.SCHEME)
    data = load(SchemeSchema(), payload)
    outlets = replica.outlets_of(ctx, task["enterprise_id"])
    for i, point in enumerate(data["points"]):
        if point.get("outlet_id") and point["outlet_id"] not in outlets:
            raise ValidationFailed("点位不是该排污单位登记的排口", field=f"points[{i}].outlet_id")
        if point.get("new_point") and not rules.new_point_allowed(outlets.values(), point["new_point"]["kind"]):
            raise ValidationFailed("名录中已有该类型排口，请从名录中选择", field=f"points[{i}].new_point")
    task = _set(ctx, actor, task, "scheme", scheme=data)
    return view(task)


def set_plan(ctx, actor, task_id, payload):
    """采样计划: dates, staff and equipment of the institution's filing."""
    task = _editable(ctx, actor, task_id, Stage.PLAN)
    data = load(SamplingPlanSchema(), payload)
    inst = replica.institution(ctx, task["institution_id"])
    staff = {s["id"]: s for s in inst.get("staff", []) if not s.get("resigned")}
    equipment = {e["id"] for e in inst.get("equipment", [])}
    for i, sid in enumerate(data["staff_ids"]):
        if sid not in staff:
            raise ValidationFailed("采样人员不是本机构在职备案人员", field=f"staff_ids[{i}]")
    for i, eid in enumerate(data["equipment_ids"]):
        if eid not in equipment:
            raise ValidationFailed("采样设备不是本机构备案设备", field=f"equipment_ids[{i}]")
    task = _set(ctx, actor, task, "plan", plan=data)
    return view(task)


def advance(ctx, actor, task_id):
    task = _editable(ctx, actor, task_id)
    target = rules.advance(task)
    updates = {"stage": target.value}
    if target == Stage.REPORT:
        number = next_number(ctx.db, f"report-{ctx.today.year}")
        updates["report_number"] = f"EMSS-ZX-{ctx.today.year}-{number:06d}"  # 系统报告编号
    task = _set(ctx, actor, task, f"advance_to_{target.value}", **updates,
                event=lambda new: ("sampling_task.stage_changed", {"sampling_task": view(new), "stage": target.value}))
    return view(task)


def get_task(ctx, actor, task_id):
    return view(_load(ctx, actor, task_id))


def list_tasks(ctx, actor, query=None):
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看采样任务")
    mongo = dict(scope)
    stage = (query or {}).get("stage")
    if stage:
        if stage not in rules.STAGE_LABELS:
            raise ValidationFailed("未知的阶段", field="stage")
        mongo["stage"] = stage
    rows = ctx.db["sampling_tasks"].find(mongo, {"_id": 0}).sort([("created_at", -1), ("id", 1)]).limit(500)
    return [view(r) for r in rows]


def trip_departed(ctx, event):
    """A sampling trip left the site (fieldrecords, 离场签到)."""
    _update_trip(ctx, event["data"]["trip"], departed=True)


def trip_confirmed(ctx, event):
    """The enterprise confirmed a trip before the team left (confirmation)."""
    _update_trip(ctx, event["data"]["trip"], confirmed=True)


def _update_trip(ctx, trip, **flags):
    task = ctx.db["sampling_tasks"].find_one({"id": trip["sampling_task_id"]})
    if task is None:
        return
    previous = next((t for t in task.get("trips", []) if t["id"] == trip["id"]), {})
    merged = {"id": trip["id"], "departed": previous.get("departed", False),
              "confirmed": previous.get("confirmed", False), **flags}
    trips = [t for t in task.get("trips", []) if t["id"] != trip["id"]] + [merged]
    ctx.db["sampling_tasks"].update_one({"id": task["id"]}, {"$set": {"trips": trips, "updated_at": ctx.now}})


def attach_report(ctx, task_id, file_id):
    ctx.db["sampling_tasks"].update_one({"id": task_id}, {"$set": {"report_file_id": file_id, "updated_at": ctx.now}})


