"""Self-monitoring sampling task pages (监测任务管理, seed 002): the list by stage, the commission
form (委托任务申请), and one page per task showing the six stages as steps with the current stage's
form (方案编制: points and items; 采样计划: dates, staff, equipment), what is still missing, and
the button that moves the task forward."""
import base64
import uuid

from flask import flash, redirect, request, url_for

from emss_common.vocabulary import OUTLET_KIND_SHORT as OUTLET_KINDS, SAMPLING_STAGES as STAGE_LABELS

from . import attempt, bp, form_payload, page, reference, render, services
from .tasks_pages import ADMIN, READERS, enterprise_options, field_errors, is_admin, message_for

STEPS = ("commission", "scheme", "plan", "sampling", "management", "report")
EXTRA_ITEM_ROWS = 2
PLAN_DATE_ROWS = 3


@bp.get("/portal/tasks/sampling")
@page(READERS)
def tasks_sampling(actor):
    stage = request.args.get("stage", "")
    query = {"stage": stage} if stage in STAGE_LABELS else {}
    rows, error = attempt(services().tasks.list_sampling_tasks, actor, query)
    everything = attempt(services().tasks.list_sampling_tasks, actor, {})[0] or [] if query else rows or []
    counts = {}
    for r in everything:
        counts[r["stage"]] = counts.get(r["stage"], 0) + 1
    return render("sampling/list.html", tab="sampling", rows=rows or [], error=error,
                  stage=query.get("stage", ""), counts=counts, total=len(everything))


@bp.route("/portal/tasks/sampling/new", methods=["GET", "POST"])
@page(ADMIN)
def tasks_sampling_new(actor):
    values, error = {"enterprise_id": request.args.get("enterprise_id")}, None
    if request.method == "POST":
        values = {k: (request.form.get(k) or "").strip() or None
                  for k in ("title", "enterprise_id", "contract_id", "description")}
        result, error = attempt(services().tasks.commission_sampling, actor, values)
        if result:
            flash(f"委托任务已登记：{result['title']}")
            return redirect(url_for("pages.tasks_sampling_task", task_id=result["id"]))
    keyword = request.args.get("ent_keyword", "").strip() or None
    contracts = [c for c in attempt(services().tasks.list_contracts, actor, {"status": "submitted"})[0] or []
                 if c["nature"] == "monitoring"]
    inst, _ = attempt(services().registry.get_institution, actor, actor.get("institution_id"))
    self_monitoring = (inst or {}).get("type") in reference().get("self_operating_types", [])
    return render("sampling/commission.html", tab="sampling", values=values, error=error,
                  errors=field_errors(error), ent_keyword=keyword or "", self_monitoring=self_monitoring,
                  enterprise_options=enterprise_options(actor, keyword, keep=[values.get("enterprise_id")],
                                                        extra=[(c["enterprise_id"], c["enterprise_name"]) for c in contracts]),
                  contracts=contracts)


# ----- one sampling task -----

def _scheme_points(task, ent, form=None):
    """The scheme editor's points: every registered outlet (ticked when in the scheme), and a new
    point for each outlet kind the enterprise has not registered (the only case it is allowed)."""
    scheme = (task.get("scheme") or {}).get("points") or []
    by_outlet = {p["outlet_id"]: p for p in scheme if p.get("outlet_id")}
    new_by_kind = {p["new_point"]["kind"]: p for p in scheme if p.get("new_point")}
    factors = reference().get("factors", {})
    points = []
    outlets = (ent or {}).get("outlets", [])
    for o in outlets:
        stored = by_outlet.get(o["id"])
        names = [d.get("factor_name") for d in o.get("devices", []) if d.get("factor_name")]
        names += [f["name"] for f in factors.get(o["kind"], {}).values() if f["name"] not in names]
        points.append({"key": o["id"], "outlet_id": o["id"], "name": o["name"], "kind": o["kind"],
                       "kind_label": OUTLET_KINDS.get(o["kind"], o["kind"]), "new": False,
                       "included": stored is not None if scheme else True,
                       "items": list((stored or {}).get("items") or []), "factors": names,
                       "registered": [d.get("factor_name") for d in o.get("devices", []) if d.get("factor_name")]})
    for kind, label in OUTLET_KINDS.items():
        if any(o["kind"] == kind for o in outlets):
            continue
        stored = new_by_kind.get(kind)
        np = (stored or {}).get("new_point") or {}
        points.append({"key": "new-" + kind, "outlet_id": None, "name": np.get("name") or "", "kind": kind,
                       "kind_label": label, "new": True, "included": stored is not None,
                       "longitude": np.get("longitude"), "latitude": np.get("latitude"),
                       "items": list((stored or {}).get("items") or []),
                       "factors": [f["name"] for f in factors.get(kind, {}).values()], "registered": []})
    if form is not None:
        for i, p in enumerate(points):
            pre = f"points-{i}-"
            p["included"] = bool(form.get(pre + "include"))
            if p["new"]:
                p["name"] = (form.get(pre + "name") or "").strip()
                p["longitude"], p["latitude"] = form.get(pre + "longitude"), form.get(pre + "latitude")
            items = []
            for j in range(int(form.get(pre + "rows") or 0)):
                item = {k: (form.get(f"{pre}items-{j}-{k}") or "").strip() for k in ("factor", "method", "frequency")}
                if any(item.values()):
                    items.append(item)
            p["items"] = items
    for p in points:
        p["rows"] = p["items"] + [{"factor": "", "method": "", "frequency": ""}] * EXTRA_ITEM_ROWS
        p["message"] = None
    return points


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value or None


def _scheme_payload(points):
    out, where = [], {}
    for p in points:
        if not p["included"]:
            continue
        where[len(out)] = p
        items = [{k: v or None for k, v in item.items()} for item in p["items"]]
        if p["new"]:
            out.append({"new_point": {"name": p["name"] or None, "kind": p["kind"],
                                      "longitude": _number(p.get("longitude")),
                                      "latitude": _number(p.get("latitude"))}, "items": items})
        else:
            out.append({"outlet_id": p["outlet_id"], "items": items})
    return {"points": out}, where


def _institution_resources(actor, task):
    inst, _ = attempt(services().registry.get_institution, actor, task["institution_id"])
    inst = inst or {}
    staff = [s for s in inst.get("staff", []) if not s.get("resigned")]
    return staff, inst.get("equipment", [])


def _task_page(actor, task_id, error=None, points=None, plan_values=None, form_kind=None, receipt_values=None):
    task = services().tasks.get_sampling_task(actor, task_id)
    ent, _ = attempt(services().registry.get_enterprise, actor, task["enterprise_id"])
    mine = is_admin(actor) and actor.get("institution_id") == task["institution_id"]
    errors = field_errors(error)
    if points is None:
        points = _scheme_points(task, ent)
    staff, equipment = _institution_resources(actor, task)
    plan = plan_values or task.get("plan") or {}
    dates = list(plan.get("dates") or [])
    dates += [""] * max(PLAN_DATE_ROWS - len(dates), 1)
    contract = None
    if task.get("contract_id"):
        contract, _ = attempt(services().tasks.get_contract, actor, task["contract_id"])
    at = STEPS.index(task["stage"]) if task["stage"] in STEPS else len(STEPS)
    names = {s["id"]: s["name"] for s in staff}
    names.update({e["id"]: f"{e.get('name')} {e.get('model') or ''}".strip() for e in equipment})
    outlet_names = {o["id"]: o["name"] for o in (ent or {}).get("outlets", [])}
    trips = (attempt(services().fieldrecords.list_trips, actor,
                     {"sampling_task_id": task_id, "size": 200})[0] or {}).get("items", [])
    receipts = attempt(services().fieldrecords.list_receipts, actor, task_id)[0] or []
    member = actor.get("institution_id") == task["institution_id"]
    return render("sampling/task.html", tab="sampling", task=task, ent=ent, mine=mine, error=error,
                  errors=errors, form_kind=form_kind, points=points, staff=staff, equipment=equipment,
                  plan=plan, dates=dates, contract=contract, steps=STEPS, at=at, names=names,
                  outlet_names=outlet_names, trips=trips, receipts=receipts, may_receive=member,
                  receipt=receipt_values or {"submission_id": uuid.uuid4().hex})


@bp.get("/portal/tasks/sampling/<task_id>")
@page(READERS)
def tasks_sampling_task(actor, task_id):
    return _task_page(actor, task_id)


@bp.post("/portal/tasks/sampling/<task_id>/scheme")
@page(ADMIN)
def tasks_sampling_scheme(actor, task_id):
    task = services().tasks.get_sampling_task(actor, task_id)
    ent, _ = attempt(services().registry.get_enterprise, actor, task["enterprise_id"])
    points = _scheme_points(task, ent, request.form)
    payload, where = _scheme_payload(points)
    result, error = attempt(services().tasks.set_sampling_scheme, actor, task_id, payload)
    if error:
        errors = field_errors(error)
        for pos, p in where.items():
            p["message"] = message_for(errors, f"points[{pos}]")
        return _task_page(actor, task_id, error, points=points, form_kind="scheme")
    flash(f"监测方案已保存：{len(payload['points'])} 个点位")
    return redirect(url_for("pages.tasks_sampling_task", task_id=task_id))


@bp.post("/portal/tasks/sampling/<task_id>/plan")
@page(ADMIN)
def tasks_sampling_plan(actor, task_id):
    values = {"dates": [d for d in request.form.getlist("dates") if d.strip()],
              "staff_ids": request.form.getlist("staff_ids"),
              "equipment_ids": request.form.getlist("equipment_ids")}
    result, error = attempt(services().tasks.set_sampling_plan, actor, task_id, values)
    if error:
        return _task_page(actor, task_id, error, plan_values=values, form_kind="plan")
    flash(f"采样计划已保存：{len(values['dates'])} 个采样日期")
    return redirect(url_for("pages.tasks_sampling_task", task_id=task_id))


@bp.post("/portal/tasks/sampling/<task_id>/advance")
@page(ADMIN)
def tasks_sampling_advance(actor, task_id):
    result, error = attempt(services().tasks.advance_sampling, actor, task_id)
    if error:
        return _task_page(actor, task_id, error, form_kind="advance")
    flash(f"已进入“{result['stage_label']}”阶段")
    return redirect(url_for("pages.tasks_sampling_task", task_id=task_id))


@bp.post("/portal/tasks/sampling/<task_id>/receipts")
@page(READERS)
def tasks_sampling_receipt(actor, task_id):
    """来样检查: a sample the enterprise brought in, checked on receipt and photographed."""
    values = form_payload(booleans=("intact", "storage_ok", "label_ok"))
    values.pop("photos", None)
    for key in ("collected_at", "received_at"):
        if values.get(key):
            values[key] = values[key] + ":00" if len(values[key]) == 16 else values[key]  # datetime-local
    values["sampling_task_id"] = task_id
    values["photos"] = [{"name": f.filename or "sample.jpg", "content_base64": base64.b64encode(f.read()).decode()}
                        for f in request.files.getlist("photos") if f and f.filename]
    result, error = attempt(services().fieldrecords.record_receipt, actor, values)
    if error:
        values.pop("photos", None)
        return _task_page(actor, task_id, error, form_kind="receipt", receipt_values=values)
    flash(f"来样检查已记录：样品 {result['sample_code']}" + ("，发现问题：" + "；".join(result["problems"])
                                                       if result["problems"] else "，未发现问题"))
    return redirect(url_for("pages.tasks_sampling_task", task_id=task_id) + "#receipts")
