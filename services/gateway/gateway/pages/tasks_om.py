"""O&M task pages (运维任务): lists (进行中 / 已完结 / 超期 / 待审核 / 草稿), the plan editor (create,
edit, change request), the task's detail and trail, the maintenance view (运维管理) and report
uploads (上传报告)."""
import base64

from flask import flash, redirect, request, url_for

from emss_common.errors import NotFound
from emss_common.forms import forms_for
from emss_common.vocabulary import FREQUENCY_KINDS as KINDS, REPORT_FOR_FORM, REPORT_KINDS

from ..lookups import plan_defaults

from . import attempt, bp, page, reference, render, services
from .field import occurrence_records
from .tasks_pages import (ADMIN, READERS, field_errors, id_names, is_admin, message_for,
                          query_args, today)

LIST_STATES = {
    "in_progress": ("进行中的任务", {"state": "in_progress"}),
    "overdue": ("超期任务", {"state": "overdue"}),
    "finished": ("已完结的任务", {"state": "finished"}),
    "applied": ("待审核", {"status": "applied"}),
    "draft": ("草稿", {"status": "draft"}),
    "returned": ("已退回", {"status": "returned"}),
    "all": ("全部", {}),
}
MAINTENANCE_VIEWS = {"week": "本周", "month": "本月", "all": "全部", "overdue": "超期"}
PAGE_SIZE = 50


# ----- lists -----

@bp.get("/portal/tasks/om")
@page(READERS)
def tasks_om(actor):
    state = request.args.get("state", "in_progress")
    if state not in LIST_STATES:
        state = "in_progress"
    query = query_args(("keyword", "enterprise_id"))
    rows, error = attempt(services().tasks.list_tasks, actor, {**LIST_STATES[state][1], **query})
    return render("tasks/om_list.html", tab="om", rows=rows or [], error=error, state=state,
                  states=LIST_STATES, query=query)


# ----- the plan editor -----

def _institution(actor):
    if not actor.get("institution_id"):
        raise NotFound("当前账户未关联机构", field="institution_id")
    return services().registry.get_institution(actor, actor["institution_id"])


def _om_contracts(actor):
    rows = attempt(services().tasks.list_contracts, actor, {"status": "submitted"})[0] or []
    return [c for c in rows if c["nature"] == "om"]


def plan_rows(ent, chosen=None):
    """One row per outlet × applicable form kind, prefilled with the default the tasks service checks
    plans against (its configured overrides applied).
    `chosen`: {(outlet_id, form_kind): plan item} of an existing plan or the posted form."""
    rows = []
    defaults = plan_defaults()
    for outlet in (ent or {}).get("outlets", []):
        for kind, spec in forms_for(outlet["kind"]).items():
            default = defaults[kind]
            item = (chosen or {}).get((outlet["id"], kind))
            freq = (item or {}).get("frequency") or {k: v for k, v in default.items() if k != "label"}
            rows.append({
                "index": len(rows), "outlet_id": outlet["id"], "outlet_name": outlet["name"],
                "outlet_kind": outlet["kind"], "form_kind": kind, "form_name": spec["name"],
                "default_label": default["label"], "default_kind": default["kind"],
                "default_n": default.get("n"),
                "included": item is not None if chosen is not None else True,
                "id": (item or {}).get("id") or "", "title": (item or {}).get("title") or "",
                "kind": freq.get("kind"), "n": freq.get("n"), "needs_report": bool(spec.get("needs_report")),
                "basis": spec.get("basis", ""), "message": None,
            })
    return rows


def _posted_plan(form):
    """{(outlet_id, form_kind): item} of the rows ticked in the posted editor."""
    chosen = {}
    for i in range(int(form.get("plan_rows") or 0)):
        p = f"plan-{i}-"
        outlet_id, kind = form.get(p + "outlet_id"), form.get(p + "form_kind")
        if not outlet_id or not kind or not form.get(p + "include"):
            continue
        freq_kind = form.get(p + "kind") or ""
        n = (form.get(p + "n") or "").strip()
        freq = {"kind": freq_kind}
        if freq_kind == "every_n_days":
            freq["n"] = int(n) if n.isdigit() else (n or None)
        chosen[(outlet_id, kind)] = {"id": form.get(p + "id") or None, "title": (form.get(p + "title") or "").strip() or None,
                                     "outlet_id": outlet_id, "form_kind": kind, "frequency": freq}
    return chosen


def _task_values(task):
    keys = ("name", "contract_id", "start", "end", "outlet_ids", "staff_ids", "device_ids", "description")
    return {k: task.get(k) for k in keys}


def _payload(values, rows, enterprise_id):
    """The service's payload, and where each plan item came from (payload index → row)."""
    outlets = values["outlet_ids"]
    plan, where = [], {}
    for row in rows:
        if row["included"] and row["outlet_id"] in outlets:
            where[len(plan)] = row
            freq = {"kind": row["kind"]}
            if row["kind"] == "every_n_days":
                freq["n"] = row["n"]
            item = {"outlet_id": row["outlet_id"], "form_kind": row["form_kind"], "frequency": freq}
            if row.get("id"):
                item["id"] = row["id"]
            if row.get("title"):
                item["title"] = row["title"]
            plan.append(item)
    payload = {"name": values.get("name"), "enterprise_id": enterprise_id,
               "contract_id": values.get("contract_id") or None, "start": values.get("start"),
               "end": values.get("end"), "outlet_ids": outlets, "staff_ids": values["staff_ids"],
               "device_ids": values["device_ids"], "plan": plan,
               "description": values.get("description") or None}
    return payload, where


class Editor:
    """Everything the plan editor shows, for a new task, a draft being edited, or a change request."""

    def __init__(self, actor, mode, task=None):
        self.actor, self.mode, self.task = actor, mode, task
        self.inst = _institution(actor)
        self.self_operating = self.inst["type"] in reference().get("self_operating_types", [])
        self.contracts = [] if self.self_operating else _om_contracts(actor)
        self.error, self.where, self.reason = None, {}, ""

    def load(self, form=None):
        task = self.task or {}
        source = form if form is not None else request.args
        if self.self_operating:
            contract_id = None
            enterprise_id = self.inst.get("enterprise_id")
        else:
            contract_id = source.get("contract_id") or task.get("contract_id") or ""
            if not contract_id and len(self.contracts) == 1:
                contract_id = self.contracts[0]["id"]
            contract = next((c for c in self.contracts if c["id"] == contract_id), None)
            enterprise_id = contract["enterprise_id"] if contract else task.get("enterprise_id")
            if self.mode == "change":
                enterprise_id = task["enterprise_id"]
        self.contract_id = contract_id
        self.contract = next((c for c in self.contracts if c["id"] == contract_id), None)
        self.enterprise_id = enterprise_id
        self.ent = None
        if enterprise_id:
            self.ent, _ = attempt(services().registry.get_enterprise, self.actor, enterprise_id)
        outlets = (self.ent or {}).get("outlets", [])
        same_enterprise = enterprise_id and enterprise_id == task.get("enterprise_id")
        if form is not None and form.get("loaded_enterprise") == (enterprise_id or ""):
            values = {
                "name": (form.get("name") or "").strip(), "contract_id": contract_id,
                "start": form.get("start") or None, "end": form.get("end") or None,
                "description": (form.get("description") or "").strip(),
                "outlet_ids": form.getlist("outlet_ids"), "staff_ids": form.getlist("staff_ids"),
                "device_ids": form.getlist("device_ids"),
            }
            rows = plan_rows(self.ent, _posted_plan(form))
        elif task and same_enterprise:
            values = _task_values(task)
            values["contract_id"] = contract_id
            rows = plan_rows(self.ent, {(p["outlet_id"], p["form_kind"]): p for p in task.get("plan", [])})
        else:
            # A fresh start (or another contract's enterprise): everything of the enterprise,
            # the contract's period, the catalogue's default plan.
            values = {"name": (form.get("name") if form else None) or task.get("name") or
                      (f"{self.ent['name']}自动监控设施运维" if self.ent else ""),
                      "contract_id": contract_id,
                      "start": (self.contract or {}).get("start") or task.get("start"),
                      "end": (self.contract or {}).get("end") or task.get("end"),
                      "description": (form.get("description") if form else None) or task.get("description") or "",
                      "outlet_ids": [o["id"] for o in outlets],
                      "staff_ids": form.getlist("staff_ids") if form else list(task.get("staff_ids") or []),
                      "device_ids": [d["id"] for o in outlets for d in o.get("devices", [])]}
            rows = plan_rows(self.ent)
        # Devices and plan rows only count for the outlets chosen.
        chosen_devices = {d["id"] for o in outlets if o["id"] in values["outlet_ids"] for d in o.get("devices", [])}
        values["device_ids"] = [d for d in values["device_ids"] if d in chosen_devices]
        self.values, self.rows = values, rows
        return self

    def payload(self):
        payload, self.where = _payload(self.values, self.rows, self.enterprise_id)
        return payload

    def fail(self, error):
        self.error = error
        errors = field_errors(error, ("task.",))
        self.errors = errors
        for pos, row in self.where.items():
            row["message"] = message_for(errors, f"plan[{pos}]")
        return self

    def staff_options(self):
        out = []
        for s in self.inst.get("staff", []):
            if s.get("technical_role") != "om_staff" or s.get("resigned"):
                continue
            status = s.get("certificate_status")
            cert = s.get("certificate") or {}
            out.append({"id": s["id"], "name": s["name"], "status": status,
                        "status_label": s.get("certificate_status_label") or "",
                        "valid_until": cert.get("valid_until"), "usable": status in ("valid", "expiring")})
        return out

    def item_message(self, name, value):
        """The message for a chosen id (staff_ids[i] names the i-th chosen one)."""
        errors = getattr(self, "errors", {})
        chosen = self.values.get(name) or []
        if value in chosen:
            return errors.get(f"{name}[{chosen.index(value)}]")
        return None

    def render(self):
        errors = getattr(self, "errors", {})
        return render("tasks/om_form.html", tab="om", ed=self, values=self.values, rows=self.rows,
                      error=self.error, errors=errors, frequency_kinds=list(KINDS.items()),
                      staff=self.staff_options(), plan_error=errors.get("plan"))


def _save(actor, editor, task_id=None):
    then = request.form.get("then", "save")
    if then == "refresh" or request.form.get("loaded_enterprise") != (editor.enterprise_id or ""):
        return editor.render()  # the contract (and so the enterprise) changed: show its outlets
    payload = editor.payload()
    tasks = services().tasks
    if editor.mode == "change":
        editor.reason = (request.form.get("reason") or "").strip()
        result, error = attempt(tasks.request_task_change, actor, task_id,
                                {"task": payload, "reason": editor.reason or None})
        if error:
            return editor.fail(error).render()
        flash(f"信息变更申请已提交，共 {len(result['changes'])} 项变更，待监管方审核")
        return redirect(url_for("pages.tasks_om_task", task_id=task_id))
    if task_id:
        result, error = attempt(tasks.update_task, actor, task_id, payload)
    else:
        result, error = attempt(tasks.create_task, actor, payload)
    if error:
        return editor.fail(error).render()
    if then == "apply":
        _, error = attempt(tasks.transition_task, actor, result["id"], {"action": "apply"})
        if error:
            flash(f"任务已保存为草稿，但提交申请失败：{error.message}", "error")
        else:
            flash(f"运维任务已提交申请，待监管方审核：{result['name']}")
    else:
        flash(f"运维任务已保存为草稿：{result['name']}")
    return redirect(url_for("pages.tasks_om_task", task_id=result["id"]))


@bp.route("/portal/tasks/om/new", methods=["GET", "POST"])
@page(ADMIN)
def tasks_om_new(actor):
    editor = Editor(actor, "new")
    if request.method == "POST":
        return _save(actor, editor.load(request.form))
    return editor.load().render()


@bp.route("/portal/tasks/om/<task_id>/edit", methods=["GET", "POST"])
@page(ADMIN)
def tasks_om_edit(actor, task_id):
    task = services().tasks.get_task(actor, task_id)
    if task["status"] not in ("draft", "returned"):
        flash("任务已提交，只能通过信息变更申请修改", "error")
        return redirect(url_for("pages.tasks_om_task", task_id=task_id))
    editor = Editor(actor, "edit", task)
    if request.method == "POST":
        return _save(actor, editor.load(request.form), task_id)
    return editor.load().render()


@bp.route("/portal/tasks/om/<task_id>/change", methods=["GET", "POST"])
@page(ADMIN)
def tasks_om_change(actor, task_id):
    task = services().tasks.get_task(actor, task_id)
    editor = Editor(actor, "change", task)
    if request.method == "POST":
        return _save(actor, editor.load(request.form), task_id)
    return editor.load().render()


# ----- one task -----

def _task_page(actor, task_id, error=None, reason=""):
    tasks = services().tasks
    task = tasks.get_task(actor, task_id)
    names = id_names(actor, task["enterprise_id"], task["institution_id"])
    contract = None
    if task.get("contract_id"):
        contract, _ = attempt(tasks.get_contract, actor, task["contract_id"])
    changes = [c for c in attempt(tasks.list_change_requests, actor, "task")[0] or []
               if c["subject_id"] == task_id]
    mine = is_admin(actor) and actor.get("institution_id") == task["institution_id"]
    return render("tasks/om_task.html", tab="om", task=task, names=names, contract=contract,
                  changes=changes, mine=mine, error=error, reason=reason)


@bp.get("/portal/tasks/om/<task_id>")
@page(READERS)
def tasks_om_task(actor, task_id):
    return _task_page(actor, task_id)


ACTION_DONE = {"apply": "已提交申请，待监管方审核", "approve": "审核通过，任务进行中", "return": "已退回",
               "finish": "任务已完结"}


@bp.post("/portal/tasks/om/<task_id>/transition")
@page(ADMIN + ["regulator"])
def tasks_om_transition(actor, task_id):
    action = request.form.get("action", "")
    reason = (request.form.get("reason") or "").strip()
    result, error = attempt(services().tasks.transition_task, actor, task_id,
                            {"action": action, "reason": reason or None})
    if error:
        return _task_page(actor, task_id, error, reason)
    flash(f"{result['name']}：{ACTION_DONE.get(action, '已处理')}")
    return redirect(url_for("pages.tasks_om_task", task_id=task_id))


@bp.get("/portal/tasks/om/<task_id>/trail")
@page(READERS)
def tasks_om_trail(actor, task_id):
    tasks = services().tasks
    task = tasks.get_task(actor, task_id)
    trail = tasks.task_trail(actor, task_id)
    terms = ("name", "contract_id", "start", "end", "outlet_ids", "staff_ids", "device_ids", "plan", "description")
    versions = trail["versions"]
    for i, v in enumerate(versions):
        before = versions[i - 1]["data"] if i else {}
        v["changed"] = [k for k in terms if i and before.get(k) != v["data"].get(k)]
        v["previous_plan"] = before.get("plan") if i else None
    return render("tasks/trail.html", tab="om", kind="task", subject=task, trail=trail, terms=terms,
                  names=id_names(actor, task["enterprise_id"], task["institution_id"]))


# ----- the maintenance view (运维管理) -----

@bp.get("/portal/tasks/om/<task_id>/maintenance")
@page(READERS)
def tasks_om_maintenance(actor, task_id):
    view = request.args.get("view", "all")
    if view not in MAINTENANCE_VIEWS:
        view = "all"
    query = {"view": view, **query_args(("plan_item_id", "start", "end"))}
    tasks = services().tasks
    result, error = attempt(tasks.maintenance, actor, task_id, query)
    if error:
        result = tasks.maintenance(actor, task_id, {"view": view})
    items = result["items"]
    try:
        number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        number = 1
    pages = {"total": len(items), "page": number, "size": PAGE_SIZE}
    shown = occurrence_records(actor, task_id, items[(number - 1) * PAGE_SIZE: number * PAGE_SIZE])
    obligations, _ = attempt(tasks.report_obligations, actor, task_id)
    mine = is_admin(actor) and actor.get("institution_id") == result["task"]["institution_id"]
    return render("tasks/maintenance.html", tab="om", mv=result, task=result["task"], items=shown,
                  offset=(number - 1) * PAGE_SIZE, pages=pages, query=query, view=view,
                  views=MAINTENANCE_VIEWS, error=error, obligations=obligations or [], mine=mine,
                  report_for_form=REPORT_FOR_FORM, today=today().isoformat())


# ----- reports (上传报告 / 报告清单) -----

def _report_tasks(actor):
    """Tasks a report can belong to: O&M tasks under way or finished, sampling tasks in 数据报告."""
    tasks = services().tasks
    om = [t for t in attempt(tasks.list_tasks, actor, {})[0] or []
          if t["status"] in ("in_progress", "finished")]
    sampling = [t for t in attempt(tasks.list_sampling_tasks, actor, {})[0] or []
                if t["stage"] in ("report", "finished")]
    out = [{"id": t["id"], "label": f"{t['name']}（{t['enterprise_name']}）", "kind": "om"} for t in om]
    out += [{"id": t["id"], "label": f"采样：{t['title']}（{t['enterprise_name']}）", "kind": "sampling"}
            for t in sampling]
    return out


@bp.get("/portal/tasks/reports")
@page(READERS)
def tasks_reports(actor):
    query = query_args(("task_id",))
    rows, error = attempt(services().tasks.list_reports, actor, query)
    names = {}
    for r in rows or []:
        names.setdefault(r["task_id"], r.get("task_name"))
    return render("tasks/reports.html", tab="reports", rows=rows or [], error=error, query=query,
                  task_options=sorted(names.items(), key=lambda kv: kv[1] or ""))


@bp.route("/portal/tasks/reports/new", methods=["GET", "POST"])
@page(ADMIN)
def tasks_report_new(actor):
    source = request.form if request.method == "POST" else request.args
    task_id = source.get("task_id") or ""
    choices = _report_tasks(actor)
    chosen = next((c for c in choices if c["id"] == task_id), None)
    plan_items = []
    if chosen and chosen["kind"] == "om":
        task = services().tasks.get_task(actor, task_id)
        plan_items = [(p["id"], f"{p['outlet_name'] or ''} · {p.get('title') or p['form_name']}（{p['frequency_label']}）")
                      for p in task["plan"]]
    values = {k: source.get(k) for k in ("task_id", "plan_item_id", "kind", "number", "performed_on",
                                          "issued_on", "record_ids", "description")}
    if not values.get("kind"):
        values["kind"] = "monitoring" if chosen and chosen["kind"] == "sampling" else None
    error = None
    if request.method == "POST" and request.form.get("then") != "refresh":
        payload = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in values.items()
                   if k != "record_ids"}
        payload["record_ids"] = [r.strip() for r in (values.get("record_ids") or "").replace("，", ",").split(",")
                                 if r.strip()]
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            payload["file"] = {"name": upload.filename,
                               "content_base64": base64.b64encode(upload.read()).decode()}
        result, error = attempt(services().tasks.upload_report, actor, payload)
        if result:
            flash(f"报告 {result['number']} 已上传（{result['status_label']}，上传截止 {result['due']}）")
            return redirect(url_for("pages.tasks_reports", task_id=result["task_id"]))
    return render("tasks/report_form.html", tab="reports", values=values, error=error,
                  errors=field_errors(error), task_choices=choices, plan_items=plan_items,
                  kind_options=list(REPORT_KINDS.items()), today=today().isoformat())
