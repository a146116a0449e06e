"""Task pages (任务管理, issue 3): the hub (/portal/tasks), contracts (合同管理) with change requests
and their trail, and the regulator's review of change requests. O&M tasks and reports live in
tasks_om.py, sampling tasks in tasks_sampling.py; all share the helpers here.

Institution members and regulators see the same pages; the tasks service decides what each may
see and do (an institution only its own records, a regulator only its jurisdiction), the pages
only hide buttons that would be refused anyway.
"""
import re

from flask import flash, redirect, request, url_for

from emss_common.clock import SystemClock
from emss_common.forms import forms
from emss_common.vocabulary import (CHANGE_STATUSES as CHANGE_STATUS_LABELS, CONTRACT_NATURES as NATURES,
                                    CONTRACT_STATUSES as CONTRACT_STATUS_LABELS, FREQUENCY_KINDS as KINDS,
                                    REPORT_KINDS, SAMPLING_STAGES as STAGE_LABELS,
                                    TASK_STATUSES as TASK_STATUS_LABELS, frequency_label)

from . import attempt, bp, form_payload, page, render, services
from .labels import FIELD_LABELS

ADMIN = ["institution_admin"]
MEMBERS = ["institution_admin", "reviewer", "field_staff"]
REGULATOR = ["regulator"]
READERS = MEMBERS + ["regulator", "sysadmin", "enterprise_user"]

# Chinese names for the tasks service's field names (trail diffs, error summaries).
TASK_FIELD_LABELS = {
    "title": "合同标题", "nature": "合同性质", "enterprise_id": "甲方（排污单位）", "amount": "合同金额（元）",
    "start": "开始日期", "end": "结束日期", "party_a_contact": "甲方联系人", "party_b_contact": "乙方联系人",
    "note": "备注", "reason": "原因", "name": "任务名称", "contract_id": "绑定合同",
    "outlet_ids": "运维点位", "staff_ids": "运维人员", "device_ids": "运维设备", "plan": "运维计划",
    "description": "描述", "number": "报告编号", "kind": "报告类别", "task_id": "所属任务",
    "plan_item_id": "关联运维计划", "performed_on": "实施日期", "issued_on": "报告出具日期",
    "record_ids": "关联表单", "file": "附件", "frequency": "频次", "form_kind": "运维内容",
    "points": "监测点位", "dates": "采样日期", "equipment_ids": "采样设备", "status": "状态",
    "stage": "阶段", "trips": "现场采样", "report": "监测报告", "scheme": "方案",
    "decision": "审核结论", "items": "监测项目", "factor": "监测项目", "method": "监测方法",
    "new_point": "新增点位", "outlet_id": "点位", "longitude": "经度", "latitude": "纬度",
}

AUDIT_LABELS = {
    "create": "登记", "update": "修改", "submit": "提交", "change_requested": "提交信息变更申请",
    "change_approved": "变更申请通过", "change_rejected": "变更申请驳回", "apply": "提交申请",
    "approve": "审核通过", "return": "退回", "finish": "完结", "report_uploaded": "上传报告",
    "commission": "委托任务申请", "scheme": "方案编制", "plan": "采样计划",
}


# ----- small helpers shared by the task pages -----

def today():
    return SystemClock().today()


def query_args(keys):
    return {k: request.args.get(k).strip() for k in keys if (request.args.get(k) or "").strip()}


def is_admin(actor):
    return "institution_admin" in actor.get("roles", [])


def is_regulator(actor):
    return "regulator" in actor.get("roles", [])


def normal_path(path):
    """Marshmallow's "plan.2.frequency.n" and the domain's "plan[2].frequency" read alike."""
    return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", str(path or ""))


def field_errors(error, strip=()):
    """Every field an error names (indices kept, "plan[2].frequency") → its message. `strip`
    drops a wrapper prefix ("task.", "contract.") of change-request payloads."""
    out = {}
    if error is None:
        return out

    def put(path, message):
        path = normal_path(path)
        for prefix in strip:
            if path.startswith(prefix):
                path = path[len(prefix):]
        out.setdefault(path, message)

    def walk(node, path):
        if isinstance(node, dict):
            if set(node) >= {"field", "message"} and isinstance(node.get("message"), str):
                put(node.get("field") or "", node["message"])
                return
            for key, value in node.items():
                key = str(key)
                walk(value, path if key == "_schema" else (f"{path}.{key}" if path else key))
        elif isinstance(node, (list, tuple)):
            if node and all(isinstance(x, str) for x in node):
                put(path, "；".join(node))
            else:
                for item in node:
                    walk(item, path)
        elif node is not None:
            put(path, str(node))

    if getattr(error, "field", None):
        put(error.field, error.message)
    walk(getattr(error, "details", None), "")
    return out


def message_for(errors, *names):
    """The first message for any of these field names (or names below them)."""
    for name in names:
        for path, message in errors.items():
            if path == name or path.startswith(name + ".") or path.startswith(name + "["):
                return message
    return None


def describe_field(path):
    """"plan[2].frequency" → "运维计划第3行 · 频次", for an error summary."""
    path = normal_path(path)
    parts = []
    for piece in path.split("."):
        m = re.fullmatch(r"(\w+)\[(\d+)\]", piece)
        if m:
            parts.append(f"{TASK_FIELD_LABELS.get(m.group(1), m.group(1))}第{int(m.group(2)) + 1}项")
        elif piece:
            parts.append(TASK_FIELD_LABELS.get(piece) or FIELD_LABELS.get(piece) or piece)
    return " · ".join(parts)


def money(value):
    if value in (None, ""):
        return "—"
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


def file_size(n):
    n = n or 0
    return f"{n} B" if n < 1024 else (f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB")


def who(person):
    if not person:
        return "—"
    if isinstance(person, dict):
        return person.get("name") or person.get("username") or "—"
    return str(person)


def show(value, field=None, names=None):
    """A stored value as a person reads it (ids turned into names where `names` knows them)."""
    names = names or {}
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field == "nature":
        return NATURES.get(value, value)
    if field == "amount":
        return money(value)
    if field == "plan" and isinstance(value, list):
        return "；".join(plan_line(p, names) for p in value)
    if isinstance(value, list):
        return "、".join(str(names.get(v, v)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{TASK_FIELD_LABELS.get(k, k)}：{show(v, k, names)}" for k, v in value.items())
    return str(names.get(value, value)) if isinstance(value, str) else str(value)


def plan_line(item, names=None):
    names = names or {}
    spec = forms().get(item.get("form_kind")) or {}
    freq = frequency_label(item.get("frequency") or {}) or "—"
    outlet = names.get(item.get("outlet_id"), item.get("outlet_name") or "")
    return f"{outlet} · {item.get('title') or spec.get('name', item.get('form_kind'))} · {freq}".strip(" ·")


def plan_delta(old, new, names=None):
    """The plan lines a change removed and added (the rest stayed as they were)."""
    before = [plan_line(p, names) for p in old or []]
    after = [plan_line(p, names) for p in new or []]
    return [line for line in before if line not in after], [line for line in after if line not in before]


@bp.record_once
def _task_globals(state):
    state.app.jinja_env.globals.update(
        t_money=money, t_who=who, t_size=file_size, t_msg=message_for, t_show=show, t_plan_line=plan_line, t_plan_delta=plan_delta, t_describe=describe_field,
        t_field_label=lambda f: TASK_FIELD_LABELS.get(f) or FIELD_LABELS.get(f) or f,
        t_audit_label=lambda a: AUDIT_LABELS.get(a, a), t_task_status=TASK_STATUS_LABELS,
        t_stage_labels=STAGE_LABELS, t_report_kinds=REPORT_KINDS, t_natures=NATURES,
        t_frequency_kinds=KINDS, t_change_status=CHANGE_STATUS_LABELS,
        t_contract_status=CONTRACT_STATUS_LABELS)


def directory(actor, keyword=None, size=100):
    """The enterprise directory (排污单位名录) the actor may choose from."""
    query = {"size": size}
    if keyword:
        query["keyword"] = keyword
    result, error = attempt(services().registry.list_enterprises, actor, query)
    return (result or {}).get("items", [])


def enterprise_options(actor, keyword=None, keep=(), extra=()):
    """(id, label) for a select: the directory, plus ids that must stay choosable."""
    rows = {e["id"]: f"{e['name']}（{e.get('district') or ''}）" for e in directory(actor, keyword)}
    for ent_id, name in extra:
        rows.setdefault(ent_id, name)
    for ent_id in keep:
        if ent_id and ent_id not in rows:
            ent, _ = attempt(services().registry.get_enterprise, actor, ent_id)
            if ent:
                rows[ent_id] = f"{ent['name']}（{ent.get('district') or ''}）"
    return sorted(rows.items(), key=lambda kv: kv[1])


# ----- the hub -----

@bp.get("/portal/tasks")
@page(READERS)
def tasks_home(actor):
    tasks = services().tasks
    contracts, _ = attempt(tasks.list_contracts, actor, {})
    om, _ = attempt(tasks.list_tasks, actor, {})
    changes, _ = attempt(tasks.list_change_requests, actor, None)
    sampling, _ = attempt(tasks.list_sampling_tasks, actor, {})
    reports, _ = attempt(tasks.list_reports, actor, {})
    om = om or []
    counts = {
        "contracts": len(contracts or []),
        "contract_drafts": sum(1 for c in contracts or [] if c["status"] == "draft"),
        "in_progress": sum(1 for t in om if t["status"] == "in_progress"),
        "applied": sum(1 for t in om if t["status"] == "applied"),
        "drafts": sum(1 for t in om if t["status"] in ("draft", "returned")),
        "finished": sum(1 for t in om if t["status"] == "finished"),
        "overdue_tasks": sum(1 for t in om if t.get("overdue")),
        "overdue_items": sum(t.get("overdue") or 0 for t in om),
        "pending_changes": sum(1 for c in changes or [] if c["status"] == "pending"),
        "sampling": len(sampling or []),
        "reports": len(reports or []),
        "late_reports": sum(1 for r in reports or [] if r.get("late")),
    }
    stages = {}
    for s in sampling or []:
        stages[s["stage"]] = stages.get(s["stage"], 0) + 1
    return render("tasks/home.html", tab="home", counts=counts, stages=stages,
                  recent=[t for t in om if t["status"] == "in_progress"][:5])


# ----- contracts -----

def contract_values(form=None):
    return form_payload(form)


@bp.get("/portal/tasks/contracts")
@page(READERS)
def tasks_contracts(actor):
    query = query_args(("enterprise_id", "status", "keyword"))
    tasks = services().tasks
    rows, error = attempt(tasks.list_contracts, actor, query)
    everything = rows if not query else (attempt(tasks.list_contracts, actor, {})[0] or [])
    parties = {(c["enterprise_id"], c["enterprise_name"]) for c in everything or []}
    options = enterprise_options(actor, extra=parties) if is_regulator(actor) or "sysadmin" in actor["roles"] \
        else sorted({k: v for k, v in parties}.items(), key=lambda kv: kv[1])
    return render("tasks/contracts.html", tab="contracts", rows=rows or [], error=error, query=query,
                  party_options=options)


def _contract_form(actor, values, error, contract=None, mode="new"):
    keyword = request.args.get("ent_keyword", "").strip() or None
    keep = [values.get("enterprise_id")] if values.get("enterprise_id") else []
    return render("tasks/contract_form.html", tab="contracts", values=values, error=error,
                  contract=contract, mode=mode, ent_keyword=keyword or "",
                  enterprise_options=enterprise_options(actor, keyword, keep=keep),
                  nature_options=list(NATURES.items()), errors=field_errors(error, ("contract.",)))


@bp.route("/portal/tasks/contracts/new", methods=["GET", "POST"])
@page(ADMIN)
def tasks_contract_new(actor):
    values, error = {"nature": request.args.get("nature", "om")}, None
    if request.args.get("enterprise_id"):
        values["enterprise_id"] = request.args["enterprise_id"]
    if request.method == "POST":
        values = contract_values()
        submit = request.form.get("then") == "submit"
        values.pop("then", None)
        result, error = attempt(services().tasks.create_contract, actor, values)
        if result:
            if submit:
                done, error = attempt(services().tasks.submit_contract, actor, result["id"])
                if error:
                    flash(f"合同草稿已保存，但提交失败：{error.message}", "error")
                    return redirect(url_for("pages.tasks_contract", contract_id=result["id"]))
                flash(f"合同已提交：{result['title']}")
            else:
                flash(f"合同草稿已保存：{result['title']}")
            return redirect(url_for("pages.tasks_contract", contract_id=result["id"]))
    return _contract_form(actor, values, error)


@bp.get("/portal/tasks/contracts/<contract_id>")
@page(READERS)
def tasks_contract(actor, contract_id):
    tasks = services().tasks
    contract = tasks.get_contract(actor, contract_id)
    changes = [c for c in (attempt(tasks.list_change_requests, actor, "contract")[0] or [])
               if c["subject_id"] == contract_id]
    bound = [t for t in (attempt(tasks.list_tasks, actor, {"enterprise_id": contract["enterprise_id"]})[0] or [])
             if t.get("contract_id") == contract_id]
    mine = is_admin(actor) and actor.get("institution_id") == contract["institution_id"]
    return render("tasks/contract.html", tab="contracts", contract=contract, changes=changes,
                  bound=bound, mine=mine, error=None)


@bp.route("/portal/tasks/contracts/<contract_id>/edit", methods=["GET", "POST"])
@page(ADMIN)
def tasks_contract_edit(actor, contract_id):
    contract = services().tasks.get_contract(actor, contract_id)
    if contract["status"] != "draft":
        flash("合同已提交，只能通过信息变更申请修改", "error")
        return redirect(url_for("pages.tasks_contract_change", contract_id=contract_id))
    values, error = contract, None
    if request.method == "POST":
        values = contract_values()
        submit = request.form.get("then") == "submit"
        values.pop("then", None)
        result, error = attempt(services().tasks.update_contract, actor, contract_id, values)
        if result:
            if submit:
                _, error = attempt(services().tasks.submit_contract, actor, contract_id)
                if error:
                    flash(f"合同草稿已保存，但提交失败：{error.message}", "error")
                else:
                    flash(f"合同已提交：{result['title']}")
            else:
                flash(f"合同草稿已保存：{result['title']}")
            return redirect(url_for("pages.tasks_contract", contract_id=contract_id))
    return _contract_form(actor, values, error, contract, mode="edit")


@bp.post("/portal/tasks/contracts/<contract_id>/submit")
@page(ADMIN)
def tasks_contract_submit(actor, contract_id):
    result, error = attempt(services().tasks.submit_contract, actor, contract_id)
    if error:
        flash(f"提交失败：{error.message}", "error")
    else:
        flash(f"合同已提交：{result['title']}。此后修改须通过信息变更申请")
    return redirect(url_for("pages.tasks_contract", contract_id=contract_id))


CONTRACT_TERMS = ("title", "nature", "enterprise_id", "amount", "start", "end", "party_a_contact",
                  "party_b_contact", "note")


@bp.route("/portal/tasks/contracts/<contract_id>/change", methods=["GET", "POST"])
@page(ADMIN)
def tasks_contract_change(actor, contract_id):
    contract = services().tasks.get_contract(actor, contract_id)
    values = {k: contract.get(k) for k in CONTRACT_TERMS}
    reason, error = "", None
    if request.method == "POST":
        values = contract_values()
        reason = values.pop("reason", None) or ""
        values["enterprise_id"] = contract["enterprise_id"]  # the party cannot change
        result, error = attempt(services().tasks.request_contract_change, actor, contract_id,
                                {"contract": values, "reason": reason or None})
        if result:
            flash(f"信息变更申请已提交，共 {len(result['changes'])} 项变更，待监管方审核")
            return redirect(url_for("pages.tasks_contract", contract_id=contract_id))
    return render("tasks/contract_change.html", tab="contracts", contract=contract, values=values,
                  reason=reason, error=error, nature_options=list(NATURES.items()),
                  errors=field_errors(error, ("contract.",)))


@bp.get("/portal/tasks/contracts/<contract_id>/trail")
@page(READERS)
def tasks_contract_trail(actor, contract_id):
    tasks = services().tasks
    contract = tasks.get_contract(actor, contract_id)
    trail = tasks.contract_trail(actor, contract_id)
    versions = trail["versions"]
    for i, v in enumerate(versions):
        before = versions[i - 1]["data"] if i else {}
        v["changed"] = [k for k in CONTRACT_TERMS if i and before.get(k) != v["data"].get(k)]
        v["previous_plan"] = None
    return render("tasks/trail.html", tab="contracts", kind="contract", subject=contract, trail=trail,
                  terms=CONTRACT_TERMS, names={contract["enterprise_id"]: contract["enterprise_name"]})


# ----- change requests (信息变更申请 / 变更审核) -----

def _change_rows(actor, status, kind):
    tasks = services().tasks
    rows = attempt(tasks.list_change_requests, actor, kind or None)[0] or []
    if status:
        rows = [r for r in rows if r["status"] == status]
    contracts = {c["id"]: c for c in attempt(tasks.list_contracts, actor, {})[0] or []}
    for r in rows:
        if r["kind"] == "contract":
            subject = contracts.get(r["subject_id"], {})
            r["subject_name"] = subject.get("title") or r["proposed"].get("title")
            r["institution_name"] = subject.get("institution_name")
            r["enterprise_name"] = subject.get("enterprise_name")
            r["link"] = url_for("pages.tasks_contract", contract_id=r["subject_id"])
        else:
            r["subject_name"] = r["proposed"].get("name")
            bound = contracts.get(r["proposed"].get("contract_id") or "", {})
            r["institution_name"] = bound.get("institution_name")
            r["enterprise_name"] = bound.get("enterprise_name")
            r["link"] = url_for("pages.tasks_om_task", task_id=r["subject_id"])
    return rows


@bp.get("/portal/tasks/changes")
@page(READERS)
def tasks_changes(actor):
    status = request.args.get("status", "pending" if is_regulator(actor) else "")
    kind = request.args.get("kind", "")
    return render("tasks/changes.html", tab="changes", rows=_change_rows(actor, status, kind),
                  status=status, kind=kind, failed_id=None, error=None, reason="")


@bp.get("/portal/tasks/changes/<change_request_id>")
@page(READERS)
def tasks_change(actor, change_request_id):
    return _change_page(actor, change_request_id, None, "")


def _change_page(actor, change_request_id, error, reason):
    rows = _change_rows(actor, "", "")
    cr = next((r for r in rows if r["id"] == change_request_id), None)
    if cr is None:
        from emss_common.errors import NotFound
        raise NotFound("变更申请不存在", field="id")
    names = {}
    if cr["kind"] == "task":
        names = id_names(actor, cr["enterprise_id"], cr["institution_id"])
        for c in cr["changes"]:
            if c["field"] == "plan":
                old = [plan_line(p, names) for p in c.get("old") or []]
                new = [plan_line(p, names) for p in c.get("new") or []]
                c["old_lines"] = [(line, line not in new) for line in old]
                c["new_lines"] = [(line, line not in old) for line in new]
    return render("tasks/change.html", tab="changes", cr=cr, names=names, error=error, reason=reason)


def id_names(actor, enterprise_id, institution_id=None):
    """Names for the ids a task binds (outlets, devices, staff, contracts), as far as visible."""
    names = {}
    ent, _ = attempt(services().registry.get_enterprise, actor, enterprise_id)
    if ent:
        names[ent["id"]] = ent["name"]
        for o in ent.get("outlets", []):
            names[o["id"]] = o["name"]
            for d in o.get("devices", []):
                names[d["id"]] = device_label(d)
    if institution_id:
        inst, _ = attempt(services().registry.get_institution, actor, institution_id)
        for s in (inst or {}).get("staff", []):
            names[s["id"]] = s["name"]
    for c in attempt(services().tasks.list_contracts, actor, {"enterprise_id": enterprise_id})[0] or []:
        names[c["id"]] = c["title"]
    return names


def device_label(d):
    factor = d.get("factor_name") or d.get("name") or ""
    return " ".join(x for x in (d.get("kind_label"), factor, d.get("model"), d.get("serial_number")) if x)


@bp.post("/portal/tasks/changes/<change_request_id>/decision")
@page(REGULATOR)
def tasks_change_decision(actor, change_request_id):
    decision = request.form.get("decision", "")
    reason = (request.form.get("reason") or "").strip()
    back = request.form.get("back", "list")
    result, error = attempt(services().tasks.decide_change_request, actor, change_request_id,
                            {"decision": decision, "reason": reason or None})
    if error:
        if back == "detail":
            return _change_page(actor, change_request_id, error, reason)
        status = request.form.get("status", "pending")
        return render("tasks/changes.html", tab="changes", rows=_change_rows(actor, status, ""),
                      status=status, kind="", failed_id=change_request_id, error=error, reason=reason)
    flash("变更申请已通过，新版本已生效" if result["status"] == "approved" else "变更申请已驳回")
    if back == "detail":
        return redirect(url_for("pages.tasks_change", change_request_id=change_request_id))
    return redirect(url_for("pages.tasks_changes"))

