"""Institution registration, 二审 information, the filing lifecycle, change requests, listings."""
from datetime import timedelta

from emss_common import access
from emss_common.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed, Conflict
from emss_common.outbox import pending, staged
from emss_common.serial import as_date, to_document, to_wire
from emss_common.validation import load

from ..domain import filing
from ..domain.changes import (UpdateDeadline, ChangeStatus, CHANGE_TARGETS, CHANGE_OPS,
                              CHANGE_STATUS_LABELS, pending_obligations)
from ..domain.filing import FilingStatus, STATUS_LABELS, TRANSITIONS
from ..domain.institution import (INSTITUTION_TYPES, CAPABILITIES, TECHNICAL_ROLES,
                                  VALIDITY_LABELS, is_self_operating, second_stage_problems,
                                  staff_flags, equipment_flags, vehicle_flags, task_ineligibility,
                                  mask_id_number)
from ..domain.roles import (INSTITUTION_ADMIN, ENTERPRISE_USER, SYSADMIN, REGULATOR,
                            may_view_institution, may_edit_institution, may_review_institution,
                            WHOLE_CITY)
from ..schemas import (InstitutionRegistrationSchema, InstitutionBasicSchema, SECOND_STAGE_SCHEMAS,
                       TransitionSchema, ChangeRequestSchema, ChangeDecisionSchema,
                       PublicQuerySchema, InstitutionQuerySchema, ChangeRequestQuerySchema)
from ..storage import Audit, get, insert, new_id, keyword_filter, page
from .accounts import create_account, public_account

SECOND_STAGE = tuple(SECOND_STAGE_SCHEMAS)
PUBLIC_FIELDS = ("id", "name", "type", "address", "contact_person", "contact_phone", "email",
                 "website", "capabilities", "district", "published_at", "valid_until",
                 "credit_grade", "status")
EVENT_FOR_ACTION = {
    "submit": "institution.submitted", "approve_first": "institution.first_approved",
    "return_first": "institution.first_returned", "submit_second": "institution.second_submitted",
    "approve_second": "institution.second_approved", "return_second": "institution.second_returned",
    "publish": "institution.published",
}


def deadline(ctx):
    return UpdateDeadline(int(ctx.config.get("EMSS_FILING_UPDATE_WORKING_DAYS", 5)))


def filing_years(ctx):
    return int(ctx.config.get("EMSS_FILING_VALID_YEARS", 3))


# ---------- registration ----------

def register(ctx, payload):
    data = load(InstitutionRegistrationSchema(), payload)
    basic, account = data["institution"], data["account"]
    if ctx.db["accounts"].find_one({"username": account["username"]}):
        raise Conflict("用户名已被登记", field="account.username")
    inst = {"id": new_id(), **basic, "status": FilingStatus.DRAFT.value,
            "self_operating": is_self_operating(basic["type"]),
            "staff": [], "equipment": [], "vehicles": [], "spare_parts": [],
            "created_at": ctx.now, "updated_at": ctx.now, "version": 1, "credit_grade": None}
    if ctx.db["institutions"].find_one({"credit_code": basic["credit_code"]}):
        # Checked before anything is written: a refused registration leaves nothing behind.
        raise Conflict("统一社会信用代码已被登记", field="institution.credit_code")
    roles = [INSTITUTION_ADMIN]
    enterprise_id = None
    account_id = new_id()  # chosen now: the event (written with the institution) names it as actor
    if inst["self_operating"]:
        # A self-operating enterprise is both: it runs O&M on its own outlets.
        enterprise_id = _ensure_enterprise_for(ctx, basic)
        inst["enterprise_id"] = enterprise_id
        roles.append(ENTERPRISE_USER)
    by = {"account_id": account_id, "username": account["username"], "roles": sorted(roles),
          "name": account["name"]}
    ev = ctx.events.new("institution.registered", inst["id"], {"institution": snapshot(inst)}, actor=by)
    try:
        insert(ctx.db["institutions"], staged(inst, ev), unique_field="credit_code")
    except Conflict as exc:
        raise Conflict(exc.message, field="institution.credit_code") from None
    ctx.events.flush("institutions", inst["id"], ev)
    acc = create_account(ctx, account, roles, id_=account_id, institution_id=inst["id"],
                         enterprise_id=enterprise_id, district=basic["district"], staff_id=None)
    Audit(ctx.db).record("institution", inst["id"], "register", _actor_dict(acc), ctx.now,
                         to_status=inst["status"])
    return {"institution": view(ctx, inst, None), "account": public_account(acc)}


def _ensure_enterprise_for(ctx, basic):
    if ctx.db["enterprises"].find_one({"credit_code": basic["credit_code"]}):
        # Linking would hand that enterprise's outlets and devices to whoever knows its (public)
        # credit code: refuse instead.
        raise Conflict("该统一社会信用代码已登记为排污单位，不能再注册为自运维排污企业",
                       field="institution.credit_code")
    ent = {"id": new_id(), "name": basic["name"], "credit_code": basic["credit_code"],
           "district": basic["district"], "address": basic["address"],
           "legal_representative": basic["legal_representative"],
           "contact_person": basic["contact_person"], "contact_phone": basic["contact_phone"],
           "industry": None, "self_operating": True, "created_at": ctx.now, "updated_at": ctx.now, "version": 1}
    ev = ctx.events.new("enterprise.registered", ent["id"], {"enterprise": to_wire(ent)})
    insert(ctx.db["enterprises"], staged(ent, ev), unique_field="credit_code")
    ctx.events.flush("enterprises", ent["id"], ev)
    return ent["id"]


def _actor_dict(account):
    return {"account_id": account["id"], "username": account["username"],
            "roles": account["roles"], "name": account.get("name")}


# ---------- reading ----------

def load_visible(ctx, actor, institution_id):
    return access.load_visible(ctx.db["institutions"], institution_id, actor, may_view_institution, "机构")


def view(ctx, inst, actor):
    """The institution as its own staff and regulators see it, with every flag computed."""
    today = ctx.today
    out = to_wire(inst)
    out["type_label"] = INSTITUTION_TYPES[inst["type"]]
    out["status_label"] = STATUS_LABELS[FilingStatus(inst["status"])]
    out["capability_labels"] = [CAPABILITIES[c] for c in inst.get("capabilities", [])]
    for s, w in zip(inst.get("staff", []), out.get("staff", [])):
        flags = staff_flags(_dated(s), today)
        w.update(flags, certificate_status_label=VALIDITY_LABELS[flags["certificate_status"]],
                 technical_role_label=TECHNICAL_ROLES.get(s.get("technical_role")))
    for e, w in zip(inst.get("equipment", []), out.get("equipment", [])):
        flags = equipment_flags({"calibration_valid_until": as_date(e.get("calibration_valid_until"))}, today)
        w.update(flags, calibration_status_label=VALIDITY_LABELS[flags["calibration_status"]])
    for v, w in zip(inst.get("vehicles", []), out.get("vehicles", [])):
        flags = vehicle_flags({**v, "lease_end": as_date(v.get("lease_end"))}, today)
        w.update(flags, lease_status_label=VALIDITY_LABELS.get(flags["lease_status"], "自有"))
    out["second_stage_problems"] = [p.to_dict() for p in second_stage_problems(_dated_inst(inst), today)]
    out["update_obligations"] = to_wire(pending_obligations(_dated_inst(inst), today, deadline(ctx)))
    reasons = task_ineligibility(_dated_inst(inst), today)
    out["may_take_tasks"] = not reasons
    out["task_ineligibility"] = reasons
    if actor is None or not _sees_personal_data(actor, inst):
        for w in out.get("staff", []):
            w["id_number"] = mask_id_number(w.get("id_number"))
    if actor is not None:
        out["allowed_actions"] = [
            {"action": a, "label": TRANSITIONS[a].label, "needs_reason": TRANSITIONS[a].needs_reason}
            for a in filing.allowed_actions(inst["status"], actor)
            if a.startswith("submit") and may_edit_institution(actor, inst)
            or not a.startswith("submit") and may_review_institution(actor, inst)]
        out["editable"] = {
            "basic": may_edit_institution(actor, inst) and FilingStatus(inst["status"]) in filing.BASIC_EDITABLE,
            "second_stage": may_edit_institution(actor, inst)
            and FilingStatus(inst["status"]) in filing.SECOND_STAGE_EDITABLE,
            "change_requests": may_edit_institution(actor, inst)
            and FilingStatus(inst["status"]) in filing.APPROVED,
        }
    return out


def _sees_personal_data(actor, inst):
    return may_edit_institution(actor, inst) or may_review_institution(actor, inst) or actor.has(SYSADMIN)


def _dated(staff):
    cert = staff.get("certificate") or {}
    return {**staff, "certificate": {**cert, "valid_until": as_date(cert.get("valid_until"))} if cert else None}


def _dated_inst(inst):
    return {**inst,
            "valid_until": as_date(inst.get("valid_until")),
            "staff": [_dated(s) for s in inst.get("staff", [])],
            "equipment": [{**e, "calibration_valid_until": as_date(e.get("calibration_valid_until"))}
                          for e in inst.get("equipment", [])],
            "vehicles": [{**v, "lease_start": as_date(v.get("lease_start")),
                          "lease_end": as_date(v.get("lease_end"))} for v in inst.get("vehicles", [])]}


def snapshot(inst):
    """What other services keep of an institution (state transfer in events)."""
    keys = ("id", "name", "type", "credit_code", "district", "status", "self_operating",
            "enterprise_id", "capabilities", "equipment", "vehicles", "valid_until", "version")
    out = to_wire({k: inst.get(k) for k in keys})
    # Personal ID numbers stay in the registry; consumers key staff by their id.
    out["staff"] = [to_wire({k: v for k, v in s.items() if k != "id_number"}) for s in inst.get("staff", [])]
    return out


def get_institution(ctx, actor, institution_id):
    return view(ctx, load_visible(ctx, actor, institution_id), actor)


def list_institutions(ctx, actor, query):
    q = load(InstitutionQuerySchema(), query or {})
    mongo = keyword_filter(q.get("keyword"), ["name", "address", "credit_code"])
    if actor.has(SYSADMIN):
        pass
    elif actor.has(REGULATOR):
        if actor.district != WHOLE_CITY:
            mongo["district"] = actor.district
    elif actor.institution_id:
        mongo["id"] = actor.institution_id
    else:
        raise Forbidden("无权查看机构列表")
    for key in ("type", "status", "district"):
        if q.get(key):
            if key == "district" and "district" in mongo and mongo["district"] != q["district"]:
                return {"items": [], "size": q["size"], "next": None, "prev": None, "total": 0,
                        "total_capped": False}
            mongo[key] = q[key]
    if q.get("capability"):
        mongo["capabilities"] = q["capability"]
    result = page(ctx.db["institutions"], mongo, q, [("updated_at", -1)])
    result["items"] = [_row(r) for r in result["items"]]
    return result


def _row(inst):
    out = {k: inst.get(k) for k in ("id", "name", "type", "credit_code", "district", "status",
                                    "contact_person", "contact_phone", "updated_at", "published_at")}
    out["type_label"] = INSTITUTION_TYPES[inst["type"]]
    out["status_label"] = STATUS_LABELS[FilingStatus(inst["status"])]
    return to_wire(out)


def public_institutions(ctx, query):
    """The 一网通办-style public listing: published institutions only, public fields only."""
    q = load(PublicQuerySchema(), query or {})
    mongo = {"status": FilingStatus.PUBLISHED.value,
             **keyword_filter(q.get("keyword"), ["name", "address"])}
    if q.get("type"):
        mongo["type"] = q["type"]
    if q.get("capability"):
        mongo["capabilities"] = q["capability"]
    today = ctx.today.isoformat()
    if q.get("status") == "valid":
        mongo["valid_until"] = {"$gte": today}
    elif q.get("status") == "expired":
        mongo["valid_until"] = {"$lt": today}
    result = page(ctx.db["institutions"], mongo, q, [("published_at", -1)])
    items = []
    for r in result["items"]:
        row = to_wire({k: r.get(k) for k in PUBLIC_FIELDS})
        row["type_label"] = INSTITUTION_TYPES[r["type"]]
        row["capability_labels"] = [CAPABILITIES[c] for c in r.get("capabilities", [])]
        row["filing_valid"] = (r.get("valid_until") or "") >= today
        items.append(row)
    result["items"] = items
    return result


# ---------- editing before approval ----------

def _editable(ctx, actor, institution_id, stage):
    inst = load_visible(ctx, actor, institution_id)
    if not may_edit_institution(actor, inst):
        raise Forbidden("只有本机构主账户可以修改备案信息")
    allowed = filing.BASIC_EDITABLE if stage == "basic" else filing.SECOND_STAGE_EDITABLE
    if FilingStatus(inst["status"]) not in allowed:
        hint = "请通过信息变更申请修改" if FilingStatus(inst["status"]) in filing.APPROVED else "审核期间不能修改"
        raise InvalidTransition(f"当前状态“{STATUS_LABELS[FilingStatus(inst['status'])]}”不能直接修改，{hint}",
                                field="status")
    return inst


def _save(ctx, inst, updates, actor, action, event=None, **audit):
    """Optimistic write: two editors at once cannot silently overwrite each other. event(new) gives
    the (type, data) of the event written with the change (institution.updated by default)."""
    updates = to_document({**updates, "updated_at": ctx.now})
    new = {**inst, **updates, "version": inst["version"] + 1}
    type_, data = (event or (lambda saved: ("institution.updated", {"institution": snapshot(saved)})))(new)
    ev = ctx.events.new(type_, inst["id"], data, actor=actor.to_dict())
    result = ctx.db["institutions"].update_one(
        {"id": inst["id"], "version": inst["version"]},
        pending({"$set": updates, "$inc": {"version": 1}}, ev))
    if result.matched_count != 1:
        raise Conflict("机构信息已被他人修改，请刷新后重试", field="version")
    ctx.events.flush("institutions", inst["id"], ev)
    Audit(ctx.db).record("institution", inst["id"], action, actor.to_dict(), ctx.now, **to_document(audit))
    return new


def update_basic(ctx, actor, institution_id, payload):
    inst = _editable(ctx, actor, institution_id, "basic")
    data = load(InstitutionBasicSchema(), payload)
    if data["type"] != inst["type"] and is_self_operating(data["type"]) != inst["self_operating"]:
        raise ValidationFailed("不能在自运维排污企业与第三方机构类型之间变更", field="type")
    if data["credit_code"] != inst["credit_code"] and ctx.db["institutions"].find_one(
            {"credit_code": data["credit_code"]}):
        raise Conflict("统一社会信用代码已被登记", field="credit_code")
    diff = _diff({k: inst.get(k) for k in data}, to_document(data))
    inst = _save(ctx, inst, data, actor, "update_basic", changes=diff,
                 event=lambda saved: ("institution.updated", {"institution": snapshot(saved), "changes": diff}))
    return view(ctx, inst, actor)


def add_item(ctx, actor, institution_id, target, payload):
    _check_target(target)
    inst = _editable(ctx, actor, institution_id, "second")
    item = {"id": new_id(), **load(SECOND_STAGE_SCHEMAS[target](), payload)}
    inst = _save(ctx, inst, {target: inst.get(target, []) + [to_document(item)]}, actor,
                 f"add_{target}", item_id=item["id"], changes=_diff({}, to_document(item)))
    return view(ctx, inst, actor)


def update_item(ctx, actor, institution_id, target, item_id, payload):
    _check_target(target)
    inst = _editable(ctx, actor, institution_id, "second")
    items = inst.get(target, [])
    old = _find_item(items, item_id)
    new = to_document({"id": item_id, **load(SECOND_STAGE_SCHEMAS[target](), payload)})
    inst = _save(ctx, inst, {target: [new if i["id"] == item_id else i for i in items]}, actor,
                 f"update_{target}", item_id=item_id, changes=_diff(old, new))
    return view(ctx, inst, actor)


def remove_item(ctx, actor, institution_id, target, item_id):
    _check_target(target)
    inst = _editable(ctx, actor, institution_id, "second")
    items = inst.get(target, [])
    old = _find_item(items, item_id)
    inst = _save(ctx, inst, {target: [i for i in items if i["id"] != item_id]}, actor,
                 f"remove_{target}", item_id=item_id, changes=_diff(old, {}))
    return view(ctx, inst, actor)


def _check_target(target):
    if target not in SECOND_STAGE:
        raise NotFound(f"未知的二审信息类别：{target}", field="target")


def _find_item(items, item_id):
    for i in items:
        if i["id"] == item_id:
            return i
    raise NotFound("条目不存在", field="item_id")


def _diff(old, new):
    keys = sorted(set(old) | set(new))
    return [{"field": k, "old": old.get(k), "new": new.get(k)}
            for k in keys if k != "id" and old.get(k) != new.get(k)]


# ---------- the lifecycle ----------

def transition(ctx, actor, institution_id, payload):
    data = load(TransitionSchema(), payload)
    inst = load_visible(ctx, actor, institution_id)
    action = data["action"]
    if action.startswith("submit") and not may_edit_institution(actor, inst):
        raise Forbidden("只有本机构主账户可以提交备案")
    if not action.startswith("submit") and action in TRANSITIONS and not may_review_institution(actor, inst):
        raise Forbidden("只有辖区监管方可以审核备案")
    target = filing.next_status(inst["status"], action, actor, data.get("reason"),
                                self_operating=inst.get("self_operating", False))
    if action == "submit_second":
        problems = second_stage_problems(_dated_inst(inst), ctx.today)
        if problems:
            raise ValidationFailed(problems[0].message, field=problems[0].field,
                                   details=[p.to_dict() for p in problems])
    changes = {"status": target.value}
    reason = (data.get("reason") or "").strip() or None
    if TRANSITIONS[action].needs_reason:
        changes["return_reason"] = reason
    if action in ("submit", "submit_second"):
        changes["submitted_at"] = ctx.now
        changes["return_reason"] = None
    if action == "publish":
        changes["published_at"] = ctx.now
        try:
            valid_until = ctx.today.replace(year=ctx.today.year + filing_years(ctx))
        except ValueError:  # 29 February
            valid_until = (ctx.today + timedelta(days=1)).replace(year=ctx.today.year + filing_years(ctx))
        changes["valid_until"] = valid_until
    previous = inst["status"]
    new = {**inst, **to_document(changes), "version": inst["version"] + 1}
    ev = ctx.events.new(EVENT_FOR_ACTION[action], inst["id"],
                        {"from": previous, "to": target.value, "reason": reason,
                         "institution": snapshot(new)}, actor=actor.to_dict())
    # Condition on the current status too: two reviewers cannot both approve.
    result = ctx.db["institutions"].update_one(
        {"id": inst["id"], "status": inst["status"]},
        pending({"$set": to_document({**changes, "updated_at": ctx.now}), "$inc": {"version": 1}}, ev))
    if result.matched_count != 1:
        raise Conflict("备案状态已被他人更新，请刷新后重试", field="status")
    ctx.events.flush("institutions", inst["id"], ev)
    Audit(ctx.db).record("institution", inst["id"], action, actor.to_dict(), ctx.now,
                         from_status=inst["status"], to_status=target.value, reason=reason)
    inst = new
    return view(ctx, inst, actor)


def audit_trail(ctx, actor, institution_id):
    load_visible(ctx, actor, institution_id)
    return to_wire(Audit(ctx.db).trail("institution", institution_id))


# ---------- change requests after approval ----------

def submit_change_request(ctx, actor, institution_id, payload):
    inst = load_visible(ctx, actor, institution_id)
    if not may_edit_institution(actor, inst):
        raise Forbidden("只有本机构主账户可以提交信息变更申请")
    if FilingStatus(inst["status"]) not in filing.APPROVED:
        raise InvalidTransition("备案通过后才需要信息变更申请，当前可直接修改", field="status")
    data = load(ChangeRequestSchema(), payload)
    if data["changed_on"] > ctx.today:
        raise ValidationFailed("变更发生日期不能晚于今天", field="changed_on")
    target, op = data["target"], data["op"]
    payload_schema = InstitutionBasicSchema() if target == "basic" else (
        SECOND_STAGE_SCHEMAS[target]() if op != "remove" else None)
    clean = None
    if payload_schema is not None:
        try:
            clean = load(payload_schema, data["payload"])
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field=f"payload.{exc.field}" if exc.field else "payload",
                                   details=exc.details) from None
    if target == "basic" and clean["credit_code"] != inst["credit_code"]:
        raise ValidationFailed("统一社会信用代码不能通过变更申请修改", field="payload.credit_code")
    if target == "basic" and clean["type"] != inst["type"]:
        raise ValidationFailed("机构类型不能通过变更申请修改", field="payload.type")
    if target != "basic" and op in ("update", "remove"):
        _find_item(inst.get(target, []), data["item_id"])
    rule = deadline(ctx)
    deadline_ = rule.deadline(data["changed_on"])
    due = deadline_.date
    cr = {"id": new_id(), "institution_id": inst["id"], "institution_name": inst["name"],
          "district": inst.get("district"), "target": target, "op": op,
          "item_id": data.get("item_id"), "payload": clean, "changed_on": data["changed_on"],
          "due": due, "due_provisional": deadline_.provisional, "late": ctx.today > due, "note": data.get("note"),
          "status": ChangeStatus.PENDING.value, "submitted_at": ctx.now,
          "submitted_by": actor.to_dict()}
    ev = ctx.events.new("institution.change_requested", inst["id"], {"change_request": change_view(cr)},
                        actor=actor.to_dict())
    insert(ctx.db["change_requests"], staged(cr, ev))
    ctx.events.flush("change_requests", cr["id"], ev)
    Audit(ctx.db).record("institution", inst["id"], "change_requested", actor.to_dict(), ctx.now,
                         change_request_id=cr["id"], late=cr["late"])
    return change_view(cr)


def change_view(cr):
    out = to_wire(cr)
    out["target_label"] = CHANGE_TARGETS[cr["target"]]
    out["op_label"] = CHANGE_OPS[cr["op"]]
    out["status_label"] = CHANGE_STATUS_LABELS[cr["status"]]
    return out


def list_change_requests(ctx, actor, query):
    query = load(ChangeRequestQuerySchema(), query or {})
    mongo = {}
    if actor.has(SYSADMIN):
        pass
    elif actor.has(REGULATOR):
        if actor.district != WHOLE_CITY:
            mongo["district"] = actor.district
    elif actor.has(INSTITUTION_ADMIN):
        mongo["institution_id"] = actor.institution_id
    else:
        raise Forbidden("无权查看信息变更申请")
    if query.get("status"):
        mongo["status"] = query["status"]
    if query.get("institution_id"):
        if mongo.get("institution_id", query["institution_id"]) != query["institution_id"]:
            return []
        mongo["institution_id"] = query["institution_id"]
    rows = ctx.db["change_requests"].find(mongo, {"_id": 0}).sort([("submitted_at", -1)]).limit(500)
    return [change_view(r) for r in rows]


def decide_change_request(ctx, actor, cr_id, payload):
    data = load(ChangeDecisionSchema(), payload)
    cr = get(ctx.db["change_requests"], cr_id, "变更申请")
    inst = ctx.db["institutions"].find_one({"id": cr["institution_id"]}, {"_id": 0})
    if inst is None or not may_review_institution(actor, inst):
        raise NotFound("变更申请不存在", field="id")
    if cr["status"] != ChangeStatus.PENDING.value:
        raise InvalidTransition("该变更申请已处理", field="status")
    approve = data["decision"] == "approve"
    status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    decision = to_document({"status": status.value, "decided_at": ctx.now,
                            "decided_by": actor.to_dict(), "reason": data.get("reason")})
    decided = {**cr, **decision}
    type_ = f"institution.change_{status.value}"
    # The event goes with the write that completes the decision: the institution's change when
    # approved, the request's status when rejected.
    ev = None if approve else ctx.events.new(
        type_, inst["id"], {"change_request": change_view(decided), "institution": snapshot(inst)},
        actor=actor.to_dict())
    update = {"$set": decision}
    result = ctx.db["change_requests"].update_one(
        {"id": cr_id, "status": ChangeStatus.PENDING.value}, pending(update, ev) if ev else update)
    if result.matched_count != 1:
        raise Conflict("该变更申请已被他人处理", field="status")
    if ev:
        ctx.events.flush("change_requests", cr_id, ev)
    else:
        inst = _apply_change(ctx, inst, cr, actor, event=lambda saved: (
            type_, {"change_request": change_view(decided), "institution": snapshot(saved)}))
    Audit(ctx.db).record("institution", inst["id"], f"change_{status.value}", actor.to_dict(), ctx.now,
                         change_request_id=cr_id, reason=data.get("reason"))
    return change_view(decided)


def _apply_change(ctx, inst, cr, actor, event):
    target, op = cr["target"], cr["op"]
    if target == "basic":
        changes = dict(cr["payload"])
        diff = _diff({k: inst.get(k) for k in changes}, changes)
    else:
        items = inst.get(target, [])
        if op == "add":
            new = {"id": new_id(), **cr["payload"]}
            changes = {target: items + [new]}
            diff = _diff({}, new)
        elif op == "update":
            old = _find_item(items, cr["item_id"])
            new = {"id": cr["item_id"], **cr["payload"]}
            changes = {target: [new if i["id"] == cr["item_id"] else i for i in items]}
            diff = _diff(old, new)
        else:
            old = _find_item(items, cr["item_id"])
            changes = {target: [i for i in items if i["id"] != cr["item_id"]]}
            diff = _diff(old, {})
    return _save(ctx, inst, changes, actor, "change_applied", event=event, change_request_id=cr["id"],
                 changes=diff)


