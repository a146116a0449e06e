"""非现场监管 (the credit service's supervision): the regulator's overview of a month with its
12-month trend, the warning list with filters, a warning's page with its evidence and the
regulator's actions, the rules catalogue, and sweeps over a period. Institutions and enterprises
read the warnings about themselves (the credit service scopes every list and warning)."""
from flask import abort, flash, redirect, request, url_for
from werkzeug.exceptions import MethodNotAllowed, NotFound as RouteNotFound

from emss_common.vocabulary import (EVIDENCE_KINDS, RULE_SUBJECTS, SEVERITIES, WARNING_ACTIONS,
                                    WARNING_CATEGORIES, WARNING_STATUSES)

from .. import lookups
from . import attempt, bp, cursor_args, empty_page, page, render, services
from .charts import bar_chart, column_chart

SUPERVISORS = ["regulator", "sysadmin"]
READERS = ["regulator", "sysadmin", "institution_admin", "reviewer", "enterprise_user"]
REGULATOR = ["regulator"]
PAGE_SIZE = 20
FILTERS = ("status", "rule", "category", "severity", "district", "institution_id", "enterprise_id",
           "outlet_id", "from", "to")
# The statuses after which nobody acts on a warning any more (the credit service decides; the page
# only leaves the buttons out).
FINAL = ("dismissed", "resolved", "rectified")
MANUAL = ("acknowledge", "dismiss", "suspect")

LABELS = {"warning_statuses": WARNING_STATUSES, "warning_actions": WARNING_ACTIONS,
          "categories": WARNING_CATEGORIES, "severities": SEVERITIES, "subjects": RULE_SUBJECTS,
          "evidence_kinds": EVIDENCE_KINDS}


def render_s(template, **context):
    return render(template, labels=LABELS, **context)


def _query(keys):
    return {k: request.args[k].strip() for k in keys if (request.args.get(k) or "").strip()}


def rules_by_code(actor):
    rules, _ = attempt(services().credit.list_rules, actor)
    return {r["code"]: r for r in rules or []}


# The pages an evidence item opens: by its kind when its id is that page's id, else by the link the
# credit service gave (the resource's path, "/tasks/<id>", "/records/<id>", ...).
EVIDENCE_PAGES = {"record": ("pages.portal_record", "record_id"), "task": ("pages.tasks_om_task", "task_id"),
                  "trip": ("pages.portal_sampling_trip", "trip_id"),
                  "confirmation": ("pages.confirmation_portal_record", "record_id"),
                  "inspection": ("pages.inspection_page", "inspection_id"), "order": ("pages.order_page", "order_id"),
                  "photo": ("api.photo", "photo_id")}
LINK_PAGES = {"records": ("pages.portal_record", "record_id"), "tasks": ("pages.tasks_om_task", "task_id"),
              "inspections": ("pages.inspection_page", "inspection_id"), "orders": ("pages.order_page", "order_id"),
              "institutions": ("pages.regulator_institution", "institution_id")}
REGULATOR_PAGES = {"pages.regulator_institution"}


def evidence_link(evidence, actor=None):
    """The page of this site an evidence item opens, or None."""
    kind, item_id = evidence.get("kind"), evidence.get("id")
    if kind in EVIDENCE_PAGES and item_id:
        endpoint, arg = EVIDENCE_PAGES[kind]
        return url_for(endpoint, **{arg: item_id})
    link = evidence.get("link")
    if not isinstance(link, str) or not link.startswith("/") or link.startswith("//"):
        return None
    parts = link.split("?", 1)[0].strip("/").split("/")
    if len(parts) >= 2 and parts[0] in LINK_PAGES and parts[1]:
        endpoint, arg = LINK_PAGES[parts[0]]
        if endpoint in REGULATOR_PAGES and not set((actor or {}).get("roles", [])) & {"regulator", "sysadmin"}:
            return None
        return url_for(endpoint, **{arg: parts[1]})
    return link if _is_page(link) else None


def _is_page(path):
    from flask import current_app
    try:
        current_app.url_map.bind("localhost").match(path.split("?", 1)[0], method="GET")
        return True
    except (RouteNotFound, MethodNotAllowed):
        return False
    except Exception:  # noqa: BLE001 - a redirect or anything else: not a plain page
        return False


def with_names(actor, warning):
    """The warning with the names of its institution, enterprise and outlet, which it records by id
    only: read from the registry (kept a short while) for the warnings this viewer may see."""
    out = dict(warning)
    if out.get("institution_id") and not out.get("institution_name"):
        out["institution_name"] = lookups.institution_name(actor, out["institution_id"])
    if out.get("enterprise_id") and not out.get("enterprise_name"):
        name, outlets = lookups.enterprise_names(actor, out["enterprise_id"])
        out["enterprise_name"] = name
        if out.get("outlet_id") and not out.get("outlet_name"):
            out["outlet_name"] = outlets.get(out["outlet_id"])
    return out


def warning_actions(warning):
    """The buttons a regulator gets on a warning: what the service says it allows, when it says."""
    if "actions" in warning:
        codes = [a["action"] if isinstance(a, dict) else a for a in warning["actions"]]
        return [a for a in codes if a in MANUAL + ("order",)]
    return [] if warning.get("status") in FINAL else list(MANUAL) + ["order"]


# ----- overview -----

def _this_month():
    from emss_common.clock import to_shanghai, utcnow
    return to_shanghai(utcnow()).strftime("%Y-%m")


def _count(row):
    return int(row.get("count", row.get("total", 0)) or 0)


@bp.get("/portal/supervision")
@page(SUPERVISORS)
def supervision_overview(actor):
    month = (request.args.get("month") or "").strip() or None
    data, error = attempt(services().credit.overview, actor, {"month": month} if month else {})
    rules = rules_by_code(actor)
    charts = None
    if data:
        by_rule = [{"label": r.get("name") or rules.get(r.get("rule"), {}).get("name") or r.get("rule"),
                    "value": _count(r), "rule": r.get("rule")} for r in data.get("by_rule", [])]
        by_district = [{"label": r.get("district") or "—", "value": _count(r)} for r in data.get("by_district", [])]
        by_inst = [{"label": r.get("name") or r.get("institution_id") or "—", "value": _count(r),
                    "id": r.get("institution_id")} for r in data.get("by_institution", [])]
        trend = [{"label": str(r.get("month", ""))[2:].replace("-", "/") if r.get("month") else "",
                  "month": r.get("month"), "value": _count(r)} for r in data.get("trend", [])]
        for rows in (by_rule, by_district, by_inst):
            rows.sort(key=lambda r: -r["value"])
        charts = {"trend": column_chart(trend), "by_rule": bar_chart(by_rule), "by_rule_rows": by_rule,
                  "by_district": by_district, "by_institution": by_inst[:20],
                  "total": data.get("total", sum(r["value"] for r in by_rule)), "trend_rows": trend,
                  "by_category": data.get("by_category", []), "by_status": data.get("by_status", [])}
    shown = (data or {}).get("month") or month or _this_month()
    return render_s("supervision/overview.html", data=data, charts=charts, error=error, month=shown,
                    month_range=_month_range(shown), months=_months(_this_month(), shown), tab="overview")


def _months(latest, shown, count=24):
    """The months the overview offers, newest first: the last `count` up to this month, and the
    one shown if it is older."""
    year, mon = int(latest[:4]), int(latest[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out if shown in out or not _month_range(shown) else out + [shown]


def _month_range(month):
    """{"from", "to"}: the first and last day of YYYY-MM, for links to that month's warnings."""
    import calendar
    try:
        year, mon = int(month[:4]), int(month[5:7])
        return {"from": f"{month}-01", "to": f"{month}-{calendar.monthrange(year, mon)[1]:02d}"}
    except (ValueError, calendar.IllegalMonthError):
        return {}


# ----- warnings -----

@bp.get("/portal/supervision/warnings")
@page(READERS)
def supervision_warnings(actor):
    query = _query(FILTERS)
    result, error = attempt(services().credit.list_warnings, actor,
                            {**query, **cursor_args(), "size": PAGE_SIZE})
    if error:
        result = empty_page(PAGE_SIZE)
    result = {**result, "items": [with_names(actor, w) for w in result["items"]]}
    return render_s("supervision/warnings.html", result=result, query=query, error=error,
                    rules=rules_by_code(actor), tab="warnings")


def _warning_context(actor, warning_id):
    warning = with_names(actor, services().credit.get_warning(actor, warning_id))
    rules = rules_by_code(actor)
    evidence = [{**e, "href": evidence_link(e, actor)} for e in warning.get("evidence", [])]
    return {"w": warning, "rule": rules.get(warning.get("rule")), "evidence": evidence,
            "actions": warning_actions(warning) if "regulator" in actor.get("roles", []) else []}


@bp.get("/portal/supervision/warnings/<warning_id>")
@page(READERS)
def supervision_warning(actor, warning_id):
    return render_s("supervision/warning.html", error=None, reason="", tab="warnings",
                    **_warning_context(actor, warning_id))


@bp.post("/portal/supervision/warnings/<warning_id>/act")
@page(REGULATOR)
def supervision_warning_act(actor, warning_id):
    action = request.form.get("action", "")
    reason = (request.form.get("reason") or "").strip()
    payload = {"action": action, **({"reason": reason} if reason else {})}
    result, error = attempt(services().credit.act_on_warning, actor, warning_id, payload)
    if error:
        return render_s("supervision/warning.html", error=error, reason=reason, tab="warnings",
                        **_warning_context(actor, warning_id)), error.http_status
    flash(f"已{WARNING_ACTIONS.get(action, action)}：{WARNING_STATUSES.get(result.get('status'), result.get('status'))}")
    return redirect(url_for("pages.supervision_warning", warning_id=warning_id))


# ----- rules and sweeps -----

@bp.get("/portal/supervision/rules")
@page(READERS)
def supervision_rules(actor):
    rules = services().credit.list_rules(actor)
    return render_s("supervision/rules.html", rules=rules, tab="rules")


@bp.route("/portal/supervision/sweeps", methods=["GET", "POST"])
@page(SUPERVISORS)
def supervision_sweeps(actor):
    values, error = {"start": "", "end": ""}, None
    if request.method == "POST":
        values = {k: (request.form.get(k) or "").strip() for k in ("start", "end")}
        result, error = attempt(services().credit.start_sweep, actor, values)
        if not error:
            return redirect(url_for("pages.supervision_sweep", sweep_id=result["id"]))
    return render_s("supervision/sweeps.html", values=values, error=error, tab="sweeps"), \
        (error.http_status if error else 200)


@bp.get("/portal/supervision/sweeps/<sweep_id>")
@page(SUPERVISORS)
def supervision_sweep(actor, sweep_id):
    sweep = services().credit.sweep_status(actor, sweep_id)
    if not isinstance(sweep, dict):
        abort(404)
    return render_s("supervision/sweep.html", sweep=sweep, tab="sweeps")
