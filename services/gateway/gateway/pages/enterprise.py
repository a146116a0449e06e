"""The enterprise portal (排污单位): its information, outlets (排口) and the monitoring devices at
each outlet (seed 003's 仪器备案 forms). A device change needs the day it happened and makes a new
version."""
from flask import flash, redirect, request, url_for

from emss_common.errors import NotFound

from . import bp, page, render, services, attempt, form_payload

ENTERPRISE = ["enterprise_user"]

# Which parts of the device form apply to which kind (the form shows them all without JavaScript;
# the fields of the other kinds are dropped here).
DEVICE_SECTIONS = {
    "common": ("kind", "model", "construction_status", "manufacturer"),
    "analyzer": ("factor_code", "brand", "origin", "method_principle", "unit", "serial_number",
                 "range_lower", "range_upper", "current_maintainer", "previous_maintainer",
                 "production_licence_no", "test_report_no", "install_point_name",
                 "install_point_code", "system_producer", "system_installer"),
    "cems": ("reference_o2_pct", "velocity_field_coefficient", "cross_section_m2",
             "detection_limit", "pitot_coefficient"),
    "sampler": ("name", "functions", "mixed_sample_ready", "refrigerated"),
}
SECTIONS_BY_KIND = {
    "water_analyzer": ("common", "analyzer"),
    "cems": ("common", "analyzer", "cems"),
    "water_sampler": ("common", "sampler"),
}
DEVICE_NUMBERS = ("range_lower", "range_upper", "reference_o2_pct", "velocity_field_coefficient",
                  "cross_section_m2", "detection_limit", "pitot_coefficient")
DEVICE_BOOLEANS = ("mixed_sample_ready", "refrigerated")
OUTLET_NUMBERS = ("longitude", "latitude")


def enterprise_of(actor):
    enterprise_id = actor.get("enterprise_id")
    if not enterprise_id:
        raise NotFound("当前账户未关联排污单位", field="enterprise_id")
    return services().registry.get_enterprise(actor, enterprise_id)


def _outlet(ent, outlet_id):
    for o in ent["outlets"]:
        if o["id"] == outlet_id:
            return o
    raise NotFound("排口不存在", field="outlet_id")


def _device(ent, device_id):
    for o in ent["outlets"]:
        for d in o["devices"]:
            if d["id"] == device_id:
                return o, d
    raise NotFound("设备不存在", field="device_id")


def device_payload(form=None):
    """(what the form said, what goes to the registry): the device's fields for its kind only."""
    raw = form_payload(form, numbers=tuple("device." + k for k in DEVICE_NUMBERS))
    device = dict(raw.get("device") or {})
    for key in DEVICE_BOOLEANS:
        if key in device:
            device[key] = {"true": True, "false": False}.get(str(device[key]).lower())
    keep = [k for s in SECTIONS_BY_KIND.get(device.get("kind"), ("common",)) for k in DEVICE_SECTIONS[s]]
    body = {"device": {k: device.get(k) for k in keep if k in device},
            "changed_on": raw.get("changed_on"), "reason": raw.get("reason")}
    return {**raw, "device": device}, body


# ----- the enterprise -----

@bp.get("/portal/enterprise")
@page(ENTERPRISE)
def enterprise_home(actor):
    return render("enterprise/home.html", ent=enterprise_of(actor))


@bp.route("/portal/enterprise/edit", methods=["GET", "POST"])
@page(ENTERPRISE)
def enterprise_edit(actor):
    ent = enterprise_of(actor)
    values, error = ent, None
    if request.method == "POST":
        values = form_payload()
        result, error = attempt(services().registry.update_enterprise, actor, ent["id"], values)
        if result:
            flash("单位信息已保存")
            return redirect(url_for("pages.enterprise_home"))
    return render("enterprise/edit.html", ent=ent, values=values, error=error)


# ----- outlets -----

@bp.route("/portal/enterprise/outlets/new", methods=["GET", "POST"])
@page(ENTERPRISE)
def enterprise_outlet_new(actor):
    ent = enterprise_of(actor)
    values, error = {"crs": "WGS-84"}, None
    if request.method == "POST":
        values = form_payload(numbers=OUTLET_NUMBERS)
        result, error = attempt(services().registry.add_outlet, actor, ent["id"], values)
        if result:
            flash(f"已登记排口：{result['name']}")
            return redirect(url_for("pages.enterprise_home") + f"#outlet-{result['id']}")
    return render("enterprise/outlet_form.html", ent=ent, outlet=None, values=values, error=error)


@bp.route("/portal/enterprise/outlets/<outlet_id>/edit", methods=["GET", "POST"])
@page(ENTERPRISE)
def enterprise_outlet_edit(actor, outlet_id):
    ent = enterprise_of(actor)
    outlet = _outlet(ent, outlet_id)
    values, error = outlet, None
    if request.method == "POST":
        values = form_payload(numbers=OUTLET_NUMBERS)
        result, error = attempt(services().registry.update_outlet, actor, outlet_id, values)
        if result:
            flash(f"排口信息已保存：{result['name']}")
            return redirect(url_for("pages.enterprise_home") + f"#outlet-{outlet_id}")
    return render("enterprise/outlet_form.html", ent=ent, outlet=outlet, values=values, error=error)


# ----- devices -----

def _device_form(ent, outlet, device, values, error):
    ref = _reference()
    kinds = [(k, ref["device_kinds"][k]) for k in sorted(ref["allowed_device_kinds"][outlet["kind"]])]
    factors = [(code, f"{f['name']}（{code}）") for code, f in ref["factors"].get(outlet["kind"], {}).items()]
    from emss_common.clock import SystemClock
    return render("enterprise/device_form.html", ent=ent, outlet=outlet, device=device,
                  values=values, error=error, kind_options=kinds, factor_options=factors,
                  today=SystemClock().today().isoformat())


def _reference():
    from . import reference
    return reference()


@bp.route("/portal/enterprise/outlets/<outlet_id>/devices/new", methods=["GET", "POST"])
@page(ENTERPRISE)
def enterprise_device_new(actor, outlet_id):
    ent = enterprise_of(actor)
    outlet = _outlet(ent, outlet_id)
    kind = request.args.get("kind") or sorted(_reference()["allowed_device_kinds"][outlet["kind"]])[0]
    values = {"device": {"kind": kind, "construction_status": "已建成",
                         "install_point_code": outlet.get("permit_point_code")}}
    error = None
    if request.method == "POST":
        values, body = device_payload()
        result, error = attempt(services().registry.add_device, actor, outlet_id, body)
        if result:
            flash(f"已新增{result['kind_label']}（{result['model']}）")
            return redirect(url_for("pages.enterprise_home") + f"#outlet-{outlet_id}")
    return _device_form(ent, outlet, None, values, error)


@bp.route("/portal/enterprise/devices/<device_id>/edit", methods=["GET", "POST"])
@page(ENTERPRISE)
def enterprise_device_edit(actor, device_id):
    ent = enterprise_of(actor)
    outlet, device = _device(ent, device_id)
    values, error = {"device": device}, None
    if request.method == "POST":
        values, body = device_payload()
        body["device"]["kind"] = device["kind"]  # the kind cannot change; the form shows it fixed
        result, error = attempt(services().registry.update_device, actor, device_id, body)
        if result:
            flash(f"设备信息已变更，当前为第 {result['version']} 版")
            return redirect(url_for("pages.device_history", device_id=device_id))
    return _device_form(ent, outlet, device, values, error)
