"""The institution portal (机构门户): filing overview and submission, basic information, the 二审
items (staff, equipment, vehicles, spare parts), change requests after approval, sub-accounts and
the audit trail. Sub-accounts (运维人员 / 运维审核) see the information read-only."""
from flask import abort, flash, redirect, request, url_for

from emss_common.errors import NotFound

from . import bp, page, render, services, attempt, form_payload
from .labels import SECTIONS, TARGET_TO_SECTION

ADMIN = ["institution_admin"]
MEMBERS = ["institution_admin", "reviewer", "field_staff"]
SECTION_RULE = '<any(staff, equipment, vehicles, "spare-parts"):section>'


def institution_of(actor):
    institution_id = actor.get("institution_id")
    if not institution_id:
        raise NotFound("当前账户未关联机构", field="institution_id")
    return services().registry.get_institution(actor, institution_id)


def is_admin(actor):
    return "institution_admin" in actor.get("roles", [])


# ----- turning forms into the registry's payloads -----

def item_payload(target, form=None, prefix=""):
    """One 二审 item (or the basic information) from a form whose fields start with `prefix`."""
    p = prefix
    if target == "staff":
        data = form_payload(form, booleans=(p + "is_professional", p + "resigned"))
    elif target == "spare_parts":
        data = form_payload(form, numbers=(p + "quantity",))
    elif target == "basic":
        data = form_payload(form, lists=(p + "capabilities",))
    else:
        data = form_payload(form)
    if prefix:
        for part in prefix.strip(".").split("."):
            data = data.get(part) or {}
    data = dict(data)
    if target == "staff":
        cert = data.get("certificate") or {}
        if not any(v not in (None, "") for v in cert.values()):
            data["certificate"] = None  # no certificate at all, rather than five empty fields
    if target == "vehicles" and data.get("ownership") != "leased":
        data.update(lessor=None, lease_start=None, lease_end=None)
    return data


def _section(section):
    if section not in SECTIONS:
        abort(404)
    return SECTIONS[section]


def find_item(inst, target, item_id):
    for item in inst.get(target, []):
        if item["id"] == item_id:
            return item
    raise NotFound("条目不存在", field="item_id")


def editable_form(item):
    """A stored item as form values (without the computed flags)."""
    return {k: v for k, v in item.items() if not k.endswith(("_status", "_label"))}


# ----- overview and transitions -----

@bp.get("/portal/institution")
@page(MEMBERS)
def institution_home(actor):
    inst = institution_of(actor)
    return render("institution/overview.html", inst=inst, tab="overview", error=None)


@bp.post("/portal/institution/transition")
@page(ADMIN)
def institution_transition(actor):
    action = request.form.get("action", "")
    inst_id = actor.get("institution_id")
    result, error = attempt(services().registry.transition_institution, actor, inst_id,
                            {"action": action})
    if error:
        return render("institution/overview.html", inst=institution_of(actor), tab="overview",
                      error=error)
    flash(f"已{_action_done(action)}，当前状态：{result['status_label']}")
    return redirect(url_for("pages.institution_home"))


def _action_done(action):
    return {"submit": "提交备案", "submit_second": "提交二审"}.get(action, "提交")


# ----- basic information -----

@bp.route("/portal/institution/basic", methods=["GET", "POST"])
@page(MEMBERS)
def institution_basic(actor):
    inst = institution_of(actor)
    values, error = inst, None
    if request.method == "POST":
        if not is_admin(actor):
            abort(403)
        values = item_payload("basic")
        result, error = attempt(services().registry.update_institution_basic, actor, inst["id"], values)
        if result:
            flash("基本信息已保存")
            return redirect(url_for("pages.institution_basic"))
    return render("institution/basic.html", inst=inst, values=values, error=error, tab="basic")


# ----- 二审 items -----

@bp.get(f"/portal/institution/{SECTION_RULE}")
@page(MEMBERS)
def institution_items(actor, section):
    target, title = _section(section)
    inst = institution_of(actor)
    return render("institution/items.html", inst=inst, section=section, target=target, title=title,
                  tab=section)


@bp.route(f"/portal/institution/{SECTION_RULE}/new", methods=["GET", "POST"])
@page(ADMIN)
def institution_item_new(actor, section):
    target, title = _section(section)
    inst = institution_of(actor)
    values, error = {}, None
    if target == "vehicles":
        values = {"ownership": "owned"}
    if request.method == "POST":
        values = item_payload(target)
        result, error = attempt(services().registry.add_institution_item, actor, inst["id"], target,
                                values)
        if result:
            flash(f"已新增{title}")
            return redirect(url_for("pages.institution_items", section=section))
    return render("institution/item_form.html", inst=inst, section=section, target=target,
                  title=title, values=values, error=error, item=None, tab=section)


@bp.route(f"/portal/institution/{SECTION_RULE}/<item_id>/edit", methods=["GET", "POST"])
@page(ADMIN)
def institution_item_edit(actor, section, item_id):
    target, title = _section(section)
    inst = institution_of(actor)
    item = find_item(inst, target, item_id)
    values, error = editable_form(item), None
    if request.method == "POST":
        values = item_payload(target)
        result, error = attempt(services().registry.update_institution_item, actor, inst["id"],
                                target, item_id, values)
        if result:
            flash(f"{title}信息已保存")
            return redirect(url_for("pages.institution_items", section=section))
    return render("institution/item_form.html", inst=inst, section=section, target=target,
                  title=title, values=values, error=error, item=item, tab=section)


@bp.post(f"/portal/institution/{SECTION_RULE}/<item_id>/delete")
@page(ADMIN)
def institution_item_delete(actor, section, item_id):
    target, title = _section(section)
    inst_id = actor.get("institution_id")
    result, error = attempt(services().registry.remove_institution_item, actor, inst_id, target,
                            item_id)
    flash(f"已删除该{title}条目" if result else error.message, "ok" if result else "error")
    return redirect(url_for("pages.institution_items", section=section))


# ----- change requests (after approval) -----

@bp.get("/portal/institution/changes")
@page(ADMIN)
def institution_changes(actor):
    inst = institution_of(actor)
    rows = services().registry.list_change_requests(actor, {})
    return render("institution/changes.html", inst=inst, rows=rows, tab="changes",
                  target_sections=TARGET_TO_SECTION)


@bp.route("/portal/institution/changes/new", methods=["GET", "POST"])
@page(ADMIN)
def institution_change_new(actor):
    inst = institution_of(actor)
    source = request.form if request.method == "POST" else request.args
    target = source.get("target") or ""
    op = source.get("op") or ("update" if target == "basic" else "")
    item_id = source.get("item_id") or None
    choose_error = None
    if target and target not in inst_targets():
        target = ""
    item = None
    if target and target != "basic" and op in ("update", "remove"):
        if not item_id:
            choose_error = "修改或删除须选择一个已备案的条目"
        else:
            item = next((i for i in inst.get(target, []) if i["id"] == item_id), None)
            if item is None:
                choose_error = "所选条目不属于该类别，请重新选择"
    ready = bool(target and op) and choose_error is None
    if target == "basic":
        values = {k: inst.get(k) for k in ("name", "type", "credit_code", "legal_representative",
                                           "contact_person", "contact_phone", "email", "website",
                                           "address", "lab_address", "district",
                                           "registered_capital", "capabilities")}
    elif item is not None:
        values = editable_form(item)
        values.pop("id", None)
    else:
        values = {"ownership": "owned"} if target == "vehicles" else {}
    form = {"changed_on": None, "note": None}
    error = None
    if request.method == "POST" and ready:
        payload = item_payload(target, prefix="payload.") if op != "remove" else {}
        form = {"changed_on": (request.form.get("changed_on") or "").strip() or None,
                "note": (request.form.get("note") or "").strip() or None}
        body = {"target": target, "op": op, "item_id": item_id if op != "add" else None,
                "payload": payload, **form}
        result, error = attempt(services().registry.submit_change_request, actor, inst["id"], body)
        if result:
            flash(f"信息变更申请已提交（应于{result['due']}前提交，{'已逾期' if result['late'] else '未逾期'}），等待监管方审核")
            return redirect(url_for("pages.institution_changes"))
        values = payload
    return render("institution/change_form.html", inst=inst, target=target, op=op, item_id=item_id,
                  item=item, values=values, form=form, error=error, ready=ready,
                  choose_error=choose_error, tab="changes")


def inst_targets():
    return ("basic", "staff", "equipment", "vehicles", "spare_parts")


# ----- sub-accounts -----

@bp.route("/portal/institution/accounts", methods=["GET", "POST"])
@page(ADMIN)
def institution_accounts(actor):
    inst = institution_of(actor)
    values, error = {"roles": []}, None
    if request.method == "POST":
        values = form_payload(lists=("roles",))
        again = values.pop("password_confirm", None)
        if values.get("password") and again != values.get("password"):
            from emss_common.errors import ValidationFailed
            error = ValidationFailed("两次输入的密码不一致", field="password_confirm")
        else:
            result, error = attempt(services().registry.create_sub_account, actor, values)
            if result:
                flash(f"子账户 {result['username']} 已创建")
                return redirect(url_for("pages.institution_accounts"))
    accounts = services().registry.list_sub_accounts(actor)
    staff = {s["id"]: s for s in inst.get("staff", [])}
    staff_options = [(s["id"], f"{s['name']}（{s.get('technical_role_label') or ''}）")
                     for s in inst.get("staff", []) if not s.get("resigned")]
    return render("institution/accounts.html", inst=inst, accounts=accounts, staff=staff,
                  staff_options=staff_options, values=values, error=error, tab="accounts")


@bp.post("/portal/institution/accounts/<account_id>/active")
@page(ADMIN)
def institution_account_active(actor, account_id):
    active = request.form.get("active") == "1"
    result, error = attempt(services().registry.set_sub_account_active, actor, account_id, active)
    if result:
        flash(f"子账户 {result['username']} 已{'启用' if active else '停用'}")
    else:
        flash(error.message, "error")
    return redirect(url_for("pages.institution_accounts"))


# ----- audit trail -----

@bp.get("/portal/institution/audit")
@page(MEMBERS)
def institution_audit(actor):
    inst = institution_of(actor)
    trail = services().registry.institution_audit_trail(actor, inst["id"])
    return render("institution/audit.html", inst=inst, trail=list(reversed(trail)), tab="audit")
