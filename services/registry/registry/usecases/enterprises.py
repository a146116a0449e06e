"""Enterprises (排污单位), their outlets (排口) and monitoring devices, versioned."""
from emss_common.access import load_editable, load_visible
from emss_common.clock import as_utc
from emss_common.errors import Forbidden, NotFound, ValidationFailed
from emss_common.outbox import pending, staged
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain.changes import UpdateDeadline
from ..domain.devices import (OUTLET_KINDS, DEVICE_KINDS, device_kind_problem, factor,
                              changed_fields)
from ..domain.roles import (ENTERPRISE_USER, SYSADMIN, REGULATOR, WHOLE_CITY,
                            may_view_enterprise, may_edit_enterprise)
from ..schemas import (EnterpriseRegistrationSchema, EnterpriseSchema, OutletSchema,
                       DeviceChangeSchema, DeviceAsOfSchema, EnterpriseQuerySchema)
from ..storage import Audit, get, insert, new_id, keyword_filter, page
from .accounts import create_account, public_account


def register(ctx, payload):
    data = load(EnterpriseRegistrationSchema(), payload)
    ent, account = data["enterprise"], data["account"]
    if ctx.db["accounts"].find_one({"username": account["username"]}):
        from emss_common.errors import Conflict
        raise Conflict("用户名已被登记", field="account.username")
    doc = {"id": new_id(), **ent, "self_operating": False, "created_at": ctx.now, "updated_at": ctx.now,
           "version": 1}
    # The account's id is chosen now: the event (written with the enterprise) names it as actor.
    by = {"account_id": new_id(), "username": account["username"], "roles": [ENTERPRISE_USER]}
    ev = ctx.events.new("enterprise.registered", doc["id"], {"enterprise": to_wire(doc)}, actor=by)
    try:
        insert(ctx.db["enterprises"], staged(doc, ev), unique_field="credit_code")
    except Exception as exc:  # Conflict: name the nested field
        exc.field = "enterprise.credit_code"
        raise
    ctx.events.flush("enterprises", doc["id"], ev)
    acc = create_account(ctx, account, [ENTERPRISE_USER], id_=by["account_id"], enterprise_id=doc["id"],
                         institution_id=None, district=ent["district"], staff_id=None)
    Audit(ctx.db).record("enterprise", doc["id"], "register", {"account_id": acc["id"],
                         "username": acc["username"], "roles": acc["roles"]}, ctx.now)
    return {"enterprise": to_wire(doc), "account": public_account(acc)}


def _visible(ctx, actor, enterprise_id):
    return load_visible(ctx.db["enterprises"], enterprise_id, actor, may_view_enterprise, "排污单位")


def _editable(ctx, actor, enterprise_id):
    return load_editable(ctx.db["enterprises"], enterprise_id, actor, may_view_enterprise,
                         may_edit_enterprise, "排污单位", "只有本排污单位账户可以修改排口和设备信息")


def get_enterprise(ctx, actor, enterprise_id):
    ent = _visible(ctx, actor, enterprise_id)
    outlets = list(ctx.db["outlets"].find({"enterprise_id": enterprise_id}, {"_id": 0}).sort([("created_at", 1)]))
    devices = list(ctx.db["devices"].find({"enterprise_id": enterprise_id}, {"_id": 0}).sort([("created_at", 1)]))
    out = to_wire(ent)
    out["outlets"] = []
    for o in outlets:
        ov = outlet_view(o)
        ov["devices"] = [device_view(d) for d in devices if d["outlet_id"] == o["id"]]
        out["outlets"].append(ov)
    out["editable"] = may_edit_enterprise(actor, ent)
    return out


def update_enterprise(ctx, actor, enterprise_id, payload):
    ent = _editable(ctx, actor, enterprise_id)
    data = load(EnterpriseSchema(), payload)
    if data["credit_code"] != ent["credit_code"]:
        raise ValidationFailed("统一社会信用代码不能修改", field="credit_code")
    diff = changed_fields({k: ent.get(k) for k in data}, to_document(data))
    ent = {**ent, **to_document(data), "version": ent.get("version", 1) + 1}
    ev = ctx.events.new("enterprise.updated", enterprise_id, {"enterprise": to_wire(ent), "changes": diff},
                        actor=actor.to_dict())
    ctx.db["enterprises"].update_one({"id": enterprise_id}, pending(
        {"$set": to_document({**data, "updated_at": ctx.now}), "$inc": {"version": 1}}, ev))
    ctx.events.flush("enterprises", enterprise_id, ev)
    Audit(ctx.db).record("enterprise", enterprise_id, "update", actor.to_dict(), ctx.now, changes=diff)
    return get_enterprise(ctx, actor, enterprise_id)


def list_enterprises(ctx, actor, query):
    query = load(EnterpriseQuerySchema(), query or {})
    mongo = keyword_filter(query.get("keyword"), ["name", "address", "credit_code"])
    if actor.has(SYSADMIN) or actor.institution_id:
        pass
    elif actor.has(REGULATOR):
        if actor.district != WHOLE_CITY:
            mongo["district"] = actor.district
    elif actor.enterprise_id:
        mongo["id"] = actor.enterprise_id
    else:
        raise Forbidden("无权查看排污单位名录")
    result = page(ctx.db["enterprises"], mongo, query, [("created_at", -1)])
    result["items"] = [to_wire(r) for r in result["items"]]
    return result


def outlet_view(o):
    out = to_wire(o)
    out["kind_label"] = OUTLET_KINDS[o["kind"]]
    return out


def add_outlet(ctx, actor, enterprise_id, payload):
    _editable(ctx, actor, enterprise_id)
    data = load(OutletSchema(), payload)
    doc = {"id": new_id(), "enterprise_id": enterprise_id, **data, "created_at": ctx.now, "updated_at": ctx.now,
           "version": 1}
    ev = ctx.events.new("outlet.added", doc["id"], {"outlet": to_wire(doc)}, actor=actor.to_dict())
    insert(ctx.db["outlets"], staged(doc, ev))
    ctx.events.flush("outlets", doc["id"], ev)
    Audit(ctx.db).record("outlet", doc["id"], "add", actor.to_dict(), ctx.now)
    return outlet_view(doc)


def update_outlet(ctx, actor, outlet_id, payload):
    outlet = get(ctx.db["outlets"], outlet_id, "排口")
    _editable(ctx, actor, outlet["enterprise_id"])
    data = load(OutletSchema(), payload)
    if data["kind"] != outlet["kind"] and ctx.db["devices"].count_documents({"outlet_id": outlet_id}):
        raise ValidationFailed("排口已登记设备，不能更改排口类型", field="kind")
    diff = changed_fields({k: outlet.get(k) for k in data}, to_document(data))
    outlet = {**outlet, **to_document(data), "version": outlet.get("version", 1) + 1}
    ev = ctx.events.new("outlet.updated", outlet_id, {"outlet": to_wire(outlet), "changes": diff},
                        actor=actor.to_dict())
    ctx.db["outlets"].update_one({"id": outlet_id}, pending(
        {"$set": to_document({**data, "updated_at": ctx.now}), "$inc": {"version": 1}}, ev))
    ctx.events.flush("outlets", outlet_id, ev)
    Audit(ctx.db).record("outlet", outlet_id, "update", actor.to_dict(), ctx.now, changes=diff)
    return outlet_view(outlet)


def device_view(d):
    out = to_wire(d)
    out["kind_label"] = DEVICE_KINDS[d["kind"]]
    f = factor(d.get("outlet_kind"), d.get("factor_code")) if d.get("factor_code") else None
    out["factor_name"] = f["name"] if f else None
    return out


def _device_params(data, outlet):
    problem = device_kind_problem(outlet["kind"], data["kind"], data.get("factor_code"))
    if problem:
        raise ValidationFailed(problem[1], field=f"device.{problem[0]}")
    if data["kind"] == "water_sampler":
        data["factor_code"] = None
    return data


def add_device(ctx, actor, outlet_id, payload):
    outlet = get(ctx.db["outlets"], outlet_id, "排口")
    _editable(ctx, actor, outlet["enterprise_id"])
    data = load(DeviceChangeSchema(), payload)
    params = _device_params(data["device"], outlet)
    device = {"id": new_id(), "outlet_id": outlet_id, "enterprise_id": outlet["enterprise_id"],
              "outlet_kind": outlet["kind"], **params, "version": 1, "created_at": ctx.now,
              "updated_at": ctx.now}
    ev = ctx.events.new("device.registered", device["id"], {"device": device_view(device)}, actor=actor.to_dict())
    insert(ctx.db["devices"], staged(device, ev))
    ctx.events.flush("devices", device["id"], ev)
    _record_version(ctx, device, _version(ctx, device, params, data["changed_on"], actor,
                                          data.get("reason") or "新增设备"))
    Audit(ctx.db).record("device", device["id"], "add", actor.to_dict(), ctx.now)
    return device_view(device)


def update_device(ctx, actor, device_id, payload):
    device = get(ctx.db["devices"], device_id, "设备")
    outlet = get(ctx.db["outlets"], device["outlet_id"], "排口")
    _editable(ctx, actor, device["enterprise_id"])
    data = load(DeviceChangeSchema(), payload)
    if data["changed_on"] > ctx.today:
        raise ValidationFailed("变更发生日期不能晚于今天", field="changed_on")
    params = _device_params(data["device"], outlet)
    if params["kind"] != device["kind"]:
        raise ValidationFailed("设备类型不能修改，请新增设备", field="device.kind")
    before = {k: device.get(k) for k in params}
    diff = changed_fields(before, to_document(params))
    if not diff:
        raise ValidationFailed("没有任何变更", field="device")
    version = device["version"] + 1
    before_version = device["version"]
    device = {**device, **to_document(params), "version": version}
    ver = _version(ctx, device, params, data["changed_on"], actor, data.get("reason"))
    ev = ctx.events.new("device.changed", device_id,
                        {"device": device_view(device), "changes": diff, "version": version,
                         "valid_from": ver["valid_from"].isoformat(), "changed_on": ver["changed_on"],
                         "late": ver["late"]}, actor=actor.to_dict())
    result = ctx.db["devices"].update_one(
        {"id": device_id, "version": before_version},
        pending({"$set": to_document({**params, "version": version, "updated_at": ctx.now})}, ev))
    if result.matched_count != 1:
        from emss_common.errors import Conflict
        raise Conflict("设备信息已被他人修改，请刷新后重试", field="version")
    ctx.events.flush("devices", device_id, ev)
    _record_version(ctx, device, ver)
    Audit(ctx.db).record("device", device_id, "update", actor.to_dict(), ctx.now, changes=diff,
                         late=ver["late"])
    return device_view(device)


def _version(ctx, device, params, changed_on, actor, reason):
    """The device's new version record (written by _record_version)."""
    rule = UpdateDeadline(int(ctx.config.get("EMSS_DEVICE_UPDATE_WORKING_DAYS", 5)))
    deadline_ = rule.deadline(changed_on)
    due = deadline_.date
    return {"device_id": device["id"], "version": device["version"], "params": to_document(params),
            "valid_from": ctx.now, "valid_to": None, "changed_on": changed_on.isoformat(),
            "due": due.isoformat(), "due_provisional": deadline_.provisional, "late": ctx.today > due,
            "reason": reason, "recorded_by": actor.to_dict(), "recorded_at": ctx.now}


def _record_version(ctx, device, ver):
    versions = ctx.db["device_versions"]
    versions.update_many({"device_id": device["id"], "valid_to": None}, {"$set": {"valid_to": ctx.now}})
    versions.insert_one(dict(ver))
    return ver


def device_history(ctx, actor, device_id):
    device = get(ctx.db["devices"], device_id, "设备")
    _visible(ctx, actor, device["enterprise_id"])
    rows = ctx.db["device_versions"].find({"device_id": device_id}, {"_id": 0}).sort([("version", 1)])
    return to_wire(list(rows))


def device_as_of(ctx, actor, payload):
    """A device's parameters as they were recorded at a moment (other services check records
    against what was registered then, not now)."""
    data = load(DeviceAsOfSchema(), payload)
    device = get(ctx.db["devices"], data["device_id"], "设备")
    _visible(ctx, actor, device["enterprise_id"])
    at = as_utc(data["at"])
    for ver in ctx.db["device_versions"].find({"device_id": device["id"]}, {"_id": 0}).sort([("version", -1)]):
        if _aware(ver["valid_from"]) <= at:
            return to_wire(ver)
    raise NotFound("该时间点设备尚未登记", field="at")


def _aware(dt):
    from datetime import timezone
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
