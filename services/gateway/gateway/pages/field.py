"""Field work pages: the WeChat H5 pages of field staff (污染源运维: task list → outlet → form →
the record with check-in, device blocks, photos and signature; drafts; my records; 采样任务 and the
sampling trip) and the institution portal's record views (运维记录 of a task, 表单详情).

The H5 pages are rendered here and write through the JSON API from static/field.js (geolocation,
camera files and the signature pad only exist in the browser); the session cookie and the
X-CSRF-Token header authenticate those calls. The fieldrecords service decides who sees what: an
enterprise or a regulator opens the same detail page an institution does.

A form is rendered from the description the fieldrecords service gives (form_description, by
RPC, kept briefly): one generic renderer for all 15 kinds, each device's block narrowed to what
applies to that device.
"""
import json

from flask import jsonify, request, url_for
from markupsafe import Markup

from emss_common.clock import as_utc, to_shanghai
from emss_common.errors import NotFound, ValidationFailed
from emss_common.forms import fmt, forms
from emss_common.vocabulary import (ALLOWED_DEVICE_KINDS, DEVICE_KINDS, OUTLET_KINDS, PHOTO_KINDS, PRODUCTION_STATUSES,
                                    TREATMENT_STATUSES, factor)

from ..lookups import describe

from . import attempt, bp, cursor_args, empty_page, page, render, services
from .tasks_pages import MEMBERS, READERS, query_args
from .wx import render_wx

FIELD_STAFF = ["field_staff"]
RECORD_READERS = MEMBERS + ["regulator", "sysadmin", "enterprise_user"]
PAGE_SIZE = 20
PORTAL_PAGE_SIZE = 50

FLAG_HINTS = {  # what a reviewer should look at, beside the service's own label
    "far_from_outlet": "签到位置与排口登记坐标的距离超过允许范围",
    "impossible_speed": "与上一次签到相比，移动速度超出可能",
    "duplicate_photo": "照片与另一条记录的照片几乎相同，可能重复使用",
    "photo_far_from_outlet": "照片拍摄地点（EXIF）远离排口",
    "photo_time_mismatch": "照片拍摄时间（EXIF）与签到时间不符",
    "off_plan_date": "采样日期不在采样计划内",
    "long_visit": "开始签到与结束签到相隔过久，表单可能并非在现场填写",
}
STAGES = {"start": "开始签到", "end": "结束签到", "arrival": "进场签到", "departure": "离场签到"}
PRODUCTION = PRODUCTION_STATUSES
TREATMENT = TREATMENT_STATUSES
# Device facts a form's preview may read (units, full scale, conditions on kind/factor/method).
DEVICE_FACTS = ("id", "kind", "factor_code", "factor_name", "unit", "range_lower", "range_upper",
                "method_principle", "name", "model")


def as_json(value):
    """Data for a page's script, in a <script type="application/json"> (no HTML can close it)."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026")
    return Markup(text)


def with_names(device):
    """A device with its factor's and kind's names (a record keeps only codes of its devices)."""
    device = dict(device or {})
    kind = device.get("kind")
    if not device.get("factor_name") and device.get("factor_code"):
        outlet_kind = next((o for o, kinds in ALLOWED_DEVICE_KINDS.items() if kind in kinds), None)
        known = factor(outlet_kind, device["factor_code"]) if outlet_kind else None
        device["factor_name"] = known["name"] if known else device["factor_code"]
    if not device.get("kind_label") and kind in DEVICE_KINDS:
        device["kind_label"] = DEVICE_KINDS[kind]
    return device


def device_label(device):
    device = with_names(device)
    head = " ".join(p for p in (device.get("factor_name"), device.get("kind_label")) if p) \
        or device.get("name") or device.get("model") or device.get("id")
    tail = " · ".join(str(device[k]) for k in ("model", "serial_number") if device.get(k))
    return f"{head}（{tail}）" if tail else head


def device_short(device):
    """For a table cell: factor (or kind) and serial number."""
    device = with_names(device)
    return " ".join(str(p) for p in (device.get("factor_name") or device.get("kind_label"),
                                     device.get("serial_number") or device.get("model")) if p) or device.get("id")


def flag_lines(flags):
    """Flags as a reviewer reads them: label, what it means, and its numbers."""
    out = []
    for f in flags or []:
        code = f.get("code")
        detail = [STAGES.get(f["stage"], f["stage"])] if f.get("stage") else []
        if code == "impossible_speed":
            if f.get("distance_m") is not None:
                detail.append(f"距上一次签到 {f['distance_m']:.0f} 米")
            if f.get("minutes") is not None:
                detail.append(f"间隔 {fmt(f['minutes'])} 分钟")
            detail.append(f"速度约 {f['speed_kmh']:.0f} km/h" if f.get("speed_kmh") is not None else "同一时刻出现在两地")
            if f.get("max_kmh") is not None:
                detail.append(f"上限 {fmt(f['max_kmh'])} km/h")
        else:
            if f.get("distance_m") is not None:
                detail.append(f"距离 {f['distance_m']:.0f} 米")
            if f.get("radius_m") is not None:
                detail.append(f"允许 {f['radius_m']:.0f} 米")
            if f.get("accuracy_m") is not None:
                detail.append(f"定位精度 {f['accuracy_m']:.0f} 米")
            if f.get("minutes") is not None:
                detail.append(f"相差 {fmt(f['minutes'])} 分钟")
        if f.get("hours") is not None:
            detail.append(f"相隔 {fmt(f['hours'])} 小时（上限 {fmt(f['max_hours'])} 小时）")
        if f.get("other_number"):
            detail.append(f"雷同记录 {f['other_number']}")
        elif f.get("elsewhere"):  # the service names only what this viewer may see
            detail.append("雷同照片属于其他单位或地区的记录")
        if f.get("day"):
            detail.append(f["day"])
        out.append({"code": code, "label": f.get("label") or code, "hint": FLAG_HINTS.get(code, ""),
                    "detail": "，".join(detail)})
    return out


@bp.record_once
def _field_globals(state):
    state.app.jinja_env.globals.update(fr_device_label=device_label, fr_device_short=device_short,
                                       fr_flags=flag_lines,
                                       fr_outlet_kinds=OUTLET_KINDS, fr_photo_kinds=PHOTO_KINDS,
                                       fr_production=PRODUCTION, fr_treatment=TREATMENT)
    state.app.jinja_env.filters["fr_json"] = as_json


# ----- a record as the detail pages show it -----

def _show(field, value, device=None):
    """One stored answer as a person reads it."""
    if value is None or value == "":
        return "—"
    kind = field.get("type")
    if kind == "boolean":
        return "是" if value else "否"
    if kind == "choice":
        return next((o["label"] for o in field.get("options") or [] if o["value"] == value), value)
    if kind == "datetime":
        return to_shanghai(as_utc(value)).strftime("%Y-%m-%d %H:%M")
    if kind == "number":
        return fmt(value)
    return str(value)


def _unit(thing, device):
    if thing.get("unit_from_device"):
        return (device or {}).get("unit") or ""
    return thing.get("unit") or ""


def _section_view(section, values, computed, prefix, computed_prefix, checks, device):
    """What one section of a record holds: answered items, answered fields, computed values."""
    items, fields, results = [], [], []
    for f in section["fields"]:
        value = values.get(f["key"])
        if f["type"] == "check":
            if not value:
                continue
            result = value.get("result")
            items.append({"label": f["label"], "group": f.get("group_label") or "", "result": result,
                          "group_key": f.get("group"),
                          "result_label": {"normal": "正常", "abnormal": "不正常"}.get(result, "未填"),
                          "note": value.get("note") or "", "path": f"{prefix}.{f['key']}"})
        elif f["type"] == "rows":
            if not value:
                continue
            columns = f.get("columns") or []
            fields.append({"label": f["label"], "rows": [[_show(c, row.get(c["key"]), device) for c in columns]
                                                          for row in value],
                           "columns": [c["label"] + (f"（{_unit(c, device)}）" if _unit(c, device) else "")
                                       for c in columns], "path": f"{prefix}.{f['key']}"})
        elif value is not None:
            fields.append({"label": f["label"], "text": _show(f, value, device), "unit": _unit(f, device),
                           "path": f"{prefix}.{f['key']}",
                           "checks": checks.get(f"{prefix}.{f['key']}", [])})
    for c in section["computed"]:
        if computed.get(c["key"]) is None:
            continue
        path = f"{computed_prefix}.{c['key']}"
        results.append({"label": c["label"], "text": fmt(computed[c["key"]]), "unit": _unit(c, device),
                        "formula": c.get("formula_label") or "", "path": path, "checks": checks.get(path, [])})
    if not (items or fields or results):
        return None
    return {"key": section["key"], "label": section["label"], "items": items, "fields": fields,
            "computed": results}


def record_view(record, description):
    """Form-level parts, then one block per device with its facts, answers, computed values and the
    verdict's outcome beside each judged value."""
    content = record.get("content") or {}
    computed = record.get("computed") or {}
    verdict = record.get("verdict") or {}
    checks = {}
    for c in verdict.get("checks") or []:
        checks.setdefault(c.get("field"), []).append(c)
    devices = {d["id"]: d for d in record.get("devices") or []}
    groups = {g["key"]: g["label"] for g in description.get("groups") or []}
    form_part = []
    for s in _form_sections(description):
        part = _section_view(s, content.get("values") or {}, computed.get("values") or {}, "values",
                             "computed.values", checks, None)
        if part:
            form_part.append({**part, "late": s["late"]})
    computed_blocks = computed.get("blocks") or []
    blocks = []
    for i, b in enumerate(content.get("blocks") or []):
        device = with_names(devices.get(b.get("device_id")) or {"id": b.get("device_id")})
        cvalues = computed_blocks[i].get("values", {}) if i < len(computed_blocks) else {}
        sections = [v for v in (_section_view(s, b.get("values") or {}, cvalues, f"blocks[{i}].values",
                                              f"computed.blocks[{i}].values", checks, device)
                                for s in description["sections"] if s["scope"] == "block") if v]
        header = [(h["label"], fmt(device[h["key"]])) for h in description.get("block_header") or []
                  if device.get(h["key"]) not in (None, "")]
        blocks.append({"device_id": b.get("device_id"), "label": device_label(device), "header": header,
                       "groups": [groups.get(g, g) for g in b.get("groups") or []], "sections": sections})
    failures = [c for c in verdict.get("checks") or [] if not c.get("passed")]
    device_names = {i: device_label(d) for i, d in devices.items()}
    abnormal = [{**a, "device": device_names.get(a.get("device_id"), "")} for a in verdict.get("abnormal_items") or []]
    return {"form": form_part, "blocks": blocks, "verdict": verdict if record.get("verdict") else None,
            "failures": failures, "abnormal": abnormal,
            "groups": [groups.get(g, g) for g in sorted({g for b in content.get("blocks") or []
                                                        for g in b.get("groups") or []},
                                                       key=lambda g: list(groups).index(g) if g in groups else 9)]}


# ----- the form editor's data and its live preview -----

def _accepts(description, device):
    codes = description.get("factor_codes")
    return device.get("kind") in description["device_kinds"] and (not codes or device.get("factor_code") in codes)


def _form_sections(description):
    """Form-level sections, each marked `late` when the catalogue puts it after a device block's
    part (remarks come after the devices, the station check before them)."""
    out, seen_block = [], False
    for s in description["sections"]:
        if s["scope"] == "block":
            seen_block = True
        else:
            out.append({**s, "late": seen_block})
    return out


def editor_data(record, description, devices):
    """What static/field.js needs to render the form: the description, each usable device with its
    own block description (narrowed to that device), the record's saved content."""
    usable = []
    for d in devices:
        if not _accepts(description, d):
            continue
        narrowed = describe(record["form_kind"], d)
        sections = [s for s in narrowed["sections"] if s["scope"] == "block"]
        groups = [g["key"] for g in description["groups"]
                  if any(f.get("group") == g["key"] for s in sections for f in s["fields"])]
        usable.append({"facts": {k: d.get(k) for k in DEVICE_FACTS},
                       "label": device_label(d), "header": [{"label": h["label"], "value": fmt(d.get(h["key"]))}
                                                           for h in description["block_header"]
                                                           if d.get(h["key"]) not in (None, "")],
                       "sections": sections, "groups": groups})
    return {"record": {k: record.get(k) for k in ("id", "number", "form_kind", "content", "updated_at",
                                                  "description")},
            "form": {k: description[k] for k in ("kind", "name", "per_device", "groups", "check_results",
                                                  "device_kind_labels")},
            "form_sections": _form_sections(description),
            "devices": usable,
            "preview_url": url_for("pages.wx_om_preview", record_id=record["id"])}


def _units(kind, device):
    """Each field's and computed value's unit as the form shows it for this device."""
    units = {}
    for section in describe(kind, device)["sections"]:
        for item in section.get("fields", []) + section.get("computed", []):
            units[item["key"]] = item.get("unit") or ""
    return units


def shown_preview(kind, result, devices):
    """The service's preview in the shape the editor paints: per value its text, unit and checks."""
    checks = {}
    for c in result["checks"]:
        path = c["field"].removeprefix("computed.")
        checks.setdefault(path, []).append({k: c.get(k) for k in ("passed", "message", "limit")})

    def entries(prefix, computed, units):
        out = {k: {"value": v, "text": fmt(v), "unit": units.get(k, "")} for k, v in computed.items()}
        for path, found in checks.items():
            key = path[len(prefix) + 1:] if path.startswith(prefix + ".") else None
            if key and "." not in key:
                out.setdefault(key, {"value": None, "text": "", "unit": units.get(key, "")})["checks"] = found
        return out

    form_units = _units(kind, None)
    blocks = [{"device_id": b["device_id"],
               "values": entries(f"blocks[{i}].values", b["values"], _units(kind, devices.get(b["device_id"])))}
              for i, b in enumerate(result["computed"]["blocks"])]
    return {"values": entries("values", result["computed"]["values"], form_units), "blocks": blocks}


@bp.post("/wx/om/records/<record_id>/preview")
@page(FIELD_STAFF)
def wx_om_preview(actor, record_id):
    """Computed values and their judgements as the filer types, from the service (its limits, its
    copy of the devices); nothing is stored."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("请求体必须是 JSON 对象", field="body")
    result = services().fieldrecords.preview_record(actor, record_id, {"content": body.get("content") or {}})
    return jsonify(shown_preview(result["form_kind"], result, result["devices"]))


# ----- 污染源运维 (WeChat H5) -----

def _my_outlet(actor, task_id, outlet_id):
    """(task, outlet) from the field staff's own task list: forms offered there, devices named."""
    for task in services().fieldrecords.my_tasks(actor):
        if task["id"] != task_id:
            continue
        for outlet in task["outlets"]:
            if outlet["id"] == outlet_id:
                return task, outlet
    raise NotFound("该任务或排口不在您当前的运维任务中", field="outlet_id")


@bp.get("/wx/om")
@page(FIELD_STAFF)
def wx_om(actor):
    tasks = services().fieldrecords.my_tasks(actor)
    drafts = services().fieldrecords.list_records(actor, {"status": "draft", "size": 1})["total"]
    return render_wx("wx/om/tasks.html", tasks=tasks, drafts=drafts)


@bp.get("/wx/om/tasks/<task_id>/outlets/<outlet_id>")
@page(FIELD_STAFF)
def wx_om_outlet(actor, task_id, outlet_id):
    task, outlet = _my_outlet(actor, task_id, outlet_id)
    drafts = services().fieldrecords.list_records(actor, {"status": "draft", "task_id": task_id,
                                                          "outlet_id": outlet_id, "size": 50})["items"]
    return render_wx("wx/om/outlet.html", task=task, outlet=outlet, drafts=drafts)


@bp.get("/wx/om/records/<record_id>")
@page(FIELD_STAFF)
def wx_om_record(actor, record_id):
    record = services().fieldrecords.get_record(actor, record_id)
    description = describe(record["form_kind"])
    if record["status"] != "draft":
        return render_wx("wx/om/detail.html", record=record, view=record_view(record, description))
    found, _ = attempt(_my_outlet, actor, record["task_id"], record["outlet_id"])
    outlet = found[1] if found else None
    return render_wx("wx/om/record.html", record=record, description=description,
                     editor=editor_data(record, description, (outlet or {}).get("devices") or []),
                     equipment=_filed_equipment(actor, record.get("performed_on")), task_gone=outlet is None)


def _filed_equipment(actor, day):
    """The institution's filed instruments the filer may name (备案的仪器设备), each marked when its
    calibration ends before the day of the work."""
    inst, _ = attempt(services().registry.get_institution, actor, actor.get("institution_id"))
    out = []
    for e in (inst or {}).get("equipment") or []:
        until = str(e.get("calibration_valid_until") or "")[:10] or None
        if e.get("id"):
            out.append({**{k: e.get(k) for k in ("id", "name", "model", "asset_number")},
                        "calibration_valid_until": until, "expired": bool(day and until and until < day)})
    return out


@bp.get("/wx/om/drafts")
@page(FIELD_STAFF)
def wx_om_drafts(actor):
    result = services().fieldrecords.list_records(actor, {"status": "draft", **cursor_args(), "size": PAGE_SIZE})
    return render_wx("wx/om/list.html", result=result, which="drafts")


@bp.get("/wx/om/mine")
@page(FIELD_STAFF)
def wx_om_mine(actor):
    result = services().fieldrecords.list_records(actor, {"mine": True, "status": "submitted",
                                                          **cursor_args(), "size": PAGE_SIZE})
    return render_wx("wx/om/list.html", result=result, which="mine")


# ----- 采样任务 (WeChat H5) -----

def _points(task):
    """The scheme's points with their names, by the index a sample refers to."""
    detail = {p.get("id"): p for p in task.get("points_detail") or [] if p.get("id")}
    out = []
    for i, point in enumerate(((task.get("scheme") or {}).get("points")) or []):
        if point.get("outlet_id"):
            name = (detail.get(point["outlet_id"]) or {}).get("name") or point.get("outlet_name") or f"点位{i + 1}"
        else:
            name = (point.get("new_point") or {}).get("name") or f"点位{i + 1}"
        out.append({"index": i, "name": name, "items": point.get("items") or []})
    return out


@bp.get("/wx/sampling")
@page(FIELD_STAFF)
def wx_sampling(actor):
    tasks = services().fieldrecords.my_sampling_tasks(actor)
    for t in tasks:
        t["points"] = _points(t)
    trips = services().fieldrecords.list_trips(actor, {"mine": True})["items"]  # the newest page
    return render_wx("wx/sampling/tasks.html", tasks=tasks, trips=trips)


@bp.get("/wx/sampling/trips/<trip_id>")
@page(FIELD_STAFF)
def wx_sampling_trip(actor, trip_id):
    """The trip as its leader fills it (进场签到 → 离场签到); a colleague of the institution sees it
    read-only. The enterprise confirms trips under 采样行程确认 (/wx/confirm/trips)."""
    trip = services().fieldrecords.get_trip(actor, trip_id)
    task = next((t for t in services().fieldrecords.my_sampling_tasks(actor)
                 if t["id"] == trip["sampling_task_id"]), None)
    points = _points(task) if task else []
    leader = trip["leader"]["account_id"] == actor.get("account_id")
    return render_wx("wx/sampling/trip.html", trip=trip, task=task, points=points,
                     open=trip["status"] == "on_site" and leader,
                     point_names={p["index"]: p["name"] for p in points})


# ----- the institution portal: 运维记录 of a task, 表单详情 -----

RECORD_FILTERS = ("outlet_id", "form_kind", "date_from", "date_to")


@bp.get("/portal/tasks/om/<task_id>/records")
@page(READERS)
def tasks_om_records(actor, task_id):
    task = services().tasks.get_task(actor, task_id)
    query = query_args(RECORD_FILTERS)
    flagged = request.args.get("flagged") in ("1", "true", "on")
    ask = {**query, **cursor_args(), "task_id": task_id, "size": PORTAL_PAGE_SIZE}
    if flagged:
        ask["flagged"] = True
    result, error = attempt(services().fieldrecords.list_records, actor, ask)
    if error:
        result = empty_page(PORTAL_PAGE_SIZE)
    outlet_kinds = {o.get("kind") for o in task.get("outlets") or []}
    form_options = [(k, f"{f['name']}（{OUTLET_KINDS.get(f['outlet_kind'], '')}）") for k, f in forms().items()
                    if f["outlet_kind"] in outlet_kinds]
    return render("records/list.html", tab="om", task=task, result=result, error=error, query=query,
                  flagged=flagged, form_options=form_options,
                  keep={**query, **({"flagged": "1"} if flagged else {})})


@bp.get("/portal/records/<record_id>")
@page(RECORD_READERS)
def portal_record(actor, record_id):
    record = services().fieldrecords.get_record(actor, record_id)
    description = describe(record["form_kind"])
    return render("records/detail.html", tab="om", record=record, view=record_view(record, description))


def occurrence_records(actor, task_id, rows):
    """The maintenance view (运维管理): each shown occurrence with the submitted records that did it
    (运维人员, 运维设备, 表单详情). One query for the whole page."""
    done = [r for r in rows if r.get("performed_on")]
    for r in rows:
        r["records"] = []
    if not done:
        return rows
    ask = {"task_id": task_id, "date_from": min(r["window_start"] for r in done),
           "date_to": max(r["window_end"] for r in done), "size": 200}
    found, _ = attempt(services().fieldrecords.list_records, actor, ask)
    for record in (found or {}).get("items", []):
        for r in done:
            if (record["outlet_id"], record["form_kind"]) == (r["outlet_id"], r["form_kind"]) \
                    and r["window_start"] <= record["performed_on"] <= r["window_end"]:
                r["records"].append(record)
    return rows
