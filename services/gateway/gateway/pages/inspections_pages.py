"""考核管理: on-site inspections (现场检查) of an institution or an outlet and comparison spot tests
(比对抽测) by regulators, optionally starting from warnings. The credit service judges each factor
against the comparison limits of the forms catalogue; a failed item or factor becomes a warning."""
from flask import flash, redirect, request, url_for

from emss_common.vocabulary import INSPECTION_KINDS, INSPECTION_RESULTS, OUTLET_KINDS, factor_catalogue

from ..api.orders import split_list, upload
from . import attempt, bp, cursor_args, empty_page, page, render, services
from .supervision_pages import LABELS, with_names

READERS = ["regulator", "sysadmin", "institution_admin", "enterprise_user"]
REGULATOR = ["regulator"]
PAGE_SIZE = 20
ROWS = 5   # blank rows the form offers for items checked and factors compared
INSPECTION_LABELS = {**LABELS, "kinds": INSPECTION_KINDS, "results": INSPECTION_RESULTS, "outlet_kinds": OUTLET_KINDS}


def render_i(template, **context):
    return render(template, labels=INSPECTION_LABELS, **context)


@bp.get("/portal/inspections")
@page(READERS)
def inspections_list(actor):
    query = {k: request.args[k] for k in ("kind", "failed") if request.args.get(k)}
    result, error = attempt(services().credit.list_inspections, actor,
                            {**query, **cursor_args(), "size": PAGE_SIZE})
    if error:
        result = empty_page(PAGE_SIZE)
    return render_i("inspections/list.html", result=result, query=query, error=error, tab="inspections")


# ----- a new inspection -----

def _choices(actor, enterprise_id):
    """Institutions and enterprises of the jurisdiction; the outlets of the chosen enterprise."""
    registry = services().registry
    institutions, _ = attempt(registry.list_institutions, actor, {"size": 100})
    enterprises, _ = attempt(registry.list_enterprises, actor, {"size": 100})
    outlets = []
    if enterprise_id:
        enterprise, _ = attempt(registry.get_enterprise, actor, enterprise_id)
        outlets = (enterprise or {}).get("outlets", [])
    return {"institutions": [(i["id"], i["name"]) for i in (institutions or {}).get("items", [])],
            "enterprises": (enterprises or {}).get("items", []),
            "outlets": [(o["id"], o.get("name") or o["id"]) for o in outlets]}


def _start_values(actor):
    """The form's first values: from the warnings it starts from (their institution, enterprise,
    outlet), else empty."""
    args = request.args
    warning_ids = split_list(args.getlist("warning_id"))
    warnings = [with_names(actor, services().credit.get_warning(actor, wid)) for wid in warning_ids]
    first = warnings[0] if warnings else {}
    kind = args.get("kind") if args.get("kind") in INSPECTION_KINDS else "onsite"
    outlet_id = args.get("outlet_id") or first.get("outlet_id") or ""
    return {"kind": kind, "subject_kind": "outlet" if (outlet_id or kind == "comparison") else "institution",
            "institution_id": args.get("institution_id") or first.get("institution_id") or "",
            "enterprise_id": args.get("enterprise_id") or first.get("enterprise_id") or "",
            "outlet_id": outlet_id, "district": "", "inspected_on": "", "inspectors": "", "findings": "",
            "warning_ids": warning_ids, "items": [], "factors": []}, warnings


def _rows(form, prefix, names):
    rows = []
    for n in range(int(form.get(f"{prefix}_rows") or ROWS)):
        row = {name: (form.get(f"{prefix}.{n}.{name}") or "").strip() for name in names}
        if any(row.values()):
            rows.append(row)
    return rows


def _number(text):
    try:
        return float(text)
    except ValueError:
        return text   # the service names the field


def _payload(form):
    """The form as the credit service's InspectionSchema takes it; blank rows are left out."""
    kind = form.get("kind", "")
    payload = {"kind": kind, "subject_kind": form.get("subject_kind", ""),
               "inspected_on": form.get("inspected_on", ""), "inspectors": split_list([form.get("inspectors", "")]),
               "warning_ids": split_list(form.getlist("warning_id"))}
    for name in ("institution_id", "outlet_id", "district", "findings"):
        if (form.get(name) or "").strip():
            payload[name] = form[name].strip()
    if payload["subject_kind"] != "outlet":
        payload.pop("outlet_id", None)
    else:
        payload.pop("district", None)   # an outlet's district is its enterprise's
    if kind == "onsite":
        payload["items"] = [{"label": r["label"], "result": r["result"], **({"note": r["note"]} if r["note"] else {})}
                            for r in _rows(form, "items", ("label", "result", "note"))]
    else:
        payload["factors"] = []
        for r in _rows(form, "factors", ("factor_code", "reference_value", "monitor_value", "measured_at", "velocity")):
            factor = {"factor_code": r["factor_code"], "reference_value": _number(r["reference_value"]),
                      "monitor_value": _number(r["monitor_value"]),
                      # the page's local time (datetime-local) is Asia/Shanghai
                      "measured_at": f"{r['measured_at']}:00+08:00" if len(r["measured_at"]) == 16 else r["measured_at"]}
            if r["velocity"]:
                factor["velocity"] = _number(r["velocity"])
            payload["factors"].append(factor)
    payload["photos"] = [upload(f) for f in request.files.getlist("photos") if f and f.filename]
    return payload


def _form(actor, values, warnings, error=None, status=200):
    choices = _choices(actor, values.get("enterprise_id"))
    # A party the warning names stays choosable even when the lists do not hold it (registered in
    # another district, or beyond the first page).
    first = warnings[0] if warnings else {}
    for key, name, options in (("institution_id", "institution_name", choices["institutions"]),
                               ("outlet_id", "outlet_name", choices["outlets"])):
        if values.get(key) and all(value != values[key] for value, _ in options):
            options.append((values[key], first.get(name) or values[key]))
    return render_i("inspections/new.html", values=values, warnings=warnings, error=error, rows=ROWS,
                    factors=factor_catalogue(), tab="inspections", **choices), status


@bp.route("/portal/inspections/new", methods=["GET", "POST"])
@page(REGULATOR)
def inspection_new(actor):
    if request.method == "GET":
        values, warnings = _start_values(actor)
        return _form(actor, values, warnings)
    form = request.form
    payload = _payload(form)
    warnings = [w for w in (attempt(services().credit.get_warning, actor, wid)[0] for wid in payload["warning_ids"]) if w]
    result, error = attempt(services().credit.record_inspection, actor, payload)
    if error:
        values = {k: form.get(k, "") for k in ("kind", "subject_kind", "institution_id", "enterprise_id", "outlet_id",
                                               "district", "inspected_on", "inspectors", "findings")}
        values.update(warning_ids=payload["warning_ids"], items=_rows(form, "items", ("label", "result", "note")),
                      factors=_rows(form, "factors", ("factor_code", "reference_value", "monitor_value",
                                                      "measured_at", "velocity")))
        return _form(actor, values, warnings, error, error.http_status)
    found = len(result.get("finding_ids") or [])
    flash(f"已登记{INSPECTION_KINDS.get(result.get('kind'), '')}" + (f"，发现 {found} 项问题，已产生预警" if found else "，未发现问题"))
    return redirect(url_for("pages.inspection_page", inspection_id=result["id"]))


@bp.get("/portal/inspections/<inspection_id>")
@page(READERS)
def inspection_page(actor, inspection_id):
    inspection = services().credit.get_inspection(actor, inspection_id)
    return render_i("inspections/inspection.html", i=inspection, tab="inspections")
