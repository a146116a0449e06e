"""Confirmation pages (seed 001 §2.3, seed 003 附件2, seed 002): the enterprise confirms the day's O&M
records and the sampling trips, a reviewer of the institution confirms or voids what the enterprise
confirmed, institutions and regulators follow it all with its trail.

WeChat H5 (phone):
  /wx/confirm                       排污单位确认: 待确认日期 with the count in each state
  /wx/confirm/days/<day>            确认列表 of one day: choose, sign, take the work photo, 确认
  /wx/confirm/records/<id>          one record's full content (read-only) and its trail
  /wx/confirm/trips[/<id>]          sampling trips awaiting the enterprise, and confirming one
  /wx/review[/records/<id>]         机构审核: records the enterprise confirmed, 确认 / 作废 one or many
Portal (desktop):
  /portal/confirmation              运维记录审核情况: by status, by day, by task
  /portal/confirmation/records/<id> a record's trail (who, when, from where), signatures and photos

Pages read through the services; the acts themselves (signature pad, camera photo) are posted by
static/confirm.js straight to the JSON API (/api/v1/confirmation/...), whose answer gives each
record's outcome, so refusals are shown one by one beside the records that went through.
"""
from flask import request

from emss_common.vocabulary import CHECKIN_FLAGS as FLAG_LABELS, RECORD_STATUSES as STATUS_LABELS, factor

from ..lookups import describe

from . import attempt, bp, cursor_args, empty_page, page, render, services
from .field import FLAG_HINTS, record_view
from .tasks_pages import MEMBERS, query_args
from .wx import render_wx

ENTERPRISE = ["enterprise_user"]
REVIEWERS = ["reviewer"]
PORTAL = MEMBERS + ["regulator", "sysadmin", "enterprise_user"]
WX_PAGE_SIZE = 30
PORTAL_PAGE_SIZE = 50

# The reviewer's tabs on the phone: what is waiting for them first.
REVIEW_TABS = (("enterprise_confirmed", "待审核"), ("reviewed", "审核确认"), ("voided", "作废"))
# The portal's tabs: every state, in the order a record goes through them.
PORTAL_TABS = (("", "全部"), ("pending", "待确认"), ("overdue", "逾期未确认"),
               ("enterprise_confirmed", "排污单位已确认"), ("reviewed", "审核确认"), ("voided", "作废"))
PORTAL_FILTERS = ("day", "date_from", "date_to", "task_id", "enterprise_id")
CONFIRMED = ("enterprise_confirmed", "reviewed", "voided")


def _is_mine(actor, record):
    """The reviewer filed it (same account or same person): the service will refuse it, the page
    says so beforehand."""
    filer = record.get("filer") or {}
    return bool((actor.get("account_id") and actor["account_id"] == filer.get("account_id"))
                or (actor.get("staff_id") and actor["staff_id"] == filer.get("staff_id")))


def _confirmed_count(counts):
    return sum(counts.get(s, 0) for s in CONFIRMED)


def _full_record(actor, record_id):
    """The field record as filed (表单详情) and its confirmation state with the trail."""
    state = services().confirmation.get_record(actor, record_id)
    record = services().fieldrecords.get_record(actor, record_id)
    return state, record, record_view(record, describe(record["form_kind"]))


# ----- 排污单位确认 (WeChat H5, enterprise) -----

def _awaiting_trips(actor):
    found, _ = attempt(services().confirmation.list_trips, actor, {"status": "awaiting_confirmation", "size": 1})
    return (found or {}).get("total", 0)


@bp.get("/wx/confirm")
@page(ENTERPRISE)
def wx_confirm(actor):
    days = services().confirmation.confirmation_days(actor, {"enterprise_id": actor.get("enterprise_id")})
    return render_wx("wx/confirm/days.html", days=days, confirmed_count=_confirmed_count,
                     trips_awaiting=_awaiting_trips(actor), on="records")


@bp.get("/wx/confirm/days/<day>")
@page(ENTERPRISE)
def wx_confirm_day(actor, day):
    listed = services().confirmation.day_records(actor, day, {"enterprise_id": actor.get("enterprise_id")})
    awaiting = [r for r in listed["items"] if r["awaiting_enterprise"]]
    return render_wx("wx/confirm/day.html", listed=listed, awaiting=awaiting, confirmed_count=_confirmed_count)


@bp.get("/wx/confirm/records/<record_id>")
@page(ENTERPRISE)
def wx_confirm_record(actor, record_id):
    state, record, view = _full_record(actor, record_id)
    return render_wx("wx/confirm/record.html", state=state, record=record, view=view)


@bp.get("/wx/confirm/trips")
@page(ENTERPRISE)
def wx_confirm_trips(actor):
    awaiting = services().confirmation.list_trips(actor, {"status": "awaiting_confirmation", "size": 200})
    others = services().confirmation.list_trips(actor, {**cursor_args(), "size": WX_PAGE_SIZE})
    others["items"] = [t for t in others["items"] if not t["awaiting_enterprise"]]
    return render_wx("wx/confirm/trips.html", awaiting=awaiting, others=others,
                     trips_awaiting=awaiting["total"], on="trips")


def point_names_of(actor, trip):
    """Sample points by index, named as the sampling scheme names them: the enterprise's outlet, or
    the new point's own name (点位N when neither can be read)."""
    task, _ = attempt(services().tasks.get_sampling_task, actor, trip.get("sampling_task_id"))
    enterprise, _ = attempt(services().registry.get_enterprise, actor, trip.get("enterprise_id"))
    outlets = {o["id"]: o["name"] for o in (enterprise or {}).get("outlets", [])}
    names = {}
    for i, point in enumerate(((task or {}).get("scheme") or {}).get("points") or []):
        name = outlets.get(point.get("outlet_id")) or (point.get("new_point") or {}).get("name")
        if name:
            names[i] = name
    return names


@bp.get("/wx/confirm/trips/<trip_id>")
@page(ENTERPRISE)
def wx_confirm_trip(actor, trip_id):
    state = services().confirmation.get_trip(actor, trip_id)
    trip = services().fieldrecords.get_trip(actor, trip_id)
    return render_wx("wx/confirm/trip.html", state=state, trip=trip, point_names=point_names_of(actor, trip))


# ----- 机构审核 (WeChat H5, reviewer) -----

@bp.get("/wx/review")
@page(REVIEWERS)
def wx_review(actor):
    status = request.args.get("status", REVIEW_TABS[0][0])
    if status not in dict(REVIEW_TABS):
        status = REVIEW_TABS[0][0]
    result = services().confirmation.list_records(actor, {"status": status, **cursor_args(), "size": WX_PAGE_SIZE})
    waiting = result["total"] if status == REVIEW_TABS[0][0] else \
        services().confirmation.list_records(actor, {"status": REVIEW_TABS[0][0], "size": 1})["total"]
    return render_wx("wx/review/list.html", result=result, status=status, tabs=REVIEW_TABS, waiting=waiting, is_mine=lambda r: _is_mine(actor, r),
                     reviewing=status == REVIEW_TABS[0][0])


@bp.get("/wx/review/records/<record_id>")
@page(REVIEWERS)
def wx_review_record(actor, record_id):
    state, record, view = _full_record(actor, record_id)
    return render_wx("wx/review/record.html", state=state, record=record, view=view, mine=_is_mine(actor, state))


# ----- 运维记录审核情况 (portal) -----

def _portal_query():
    query = query_args(PORTAL_FILTERS)
    status = request.args.get("status", "")
    if status and status in dict(PORTAL_TABS):
        query["status"] = status
    if request.args.get("late") in ("1", "true", "on"):
        query["late"] = True
    if query.get("day"):  # one day replaces a range
        query.pop("date_from", None)
        query.pop("date_to", None)
    return query


def _tasks(actor):
    rows, _ = attempt(services().tasks.list_tasks, actor, {})
    return rows or []


@bp.get("/portal/confirmation")
@page(PORTAL)
def confirmation_portal(actor):
    query = _portal_query()
    tasks = _tasks(actor)
    enterprises = sorted({(t["enterprise_id"], t.get("enterprise_name") or "")
                          for t in tasks if t.get("enterprise_id")}, key=lambda e: e[1])
    if request.args.get("view") == "days":
        ask = {k: query[k] for k in ("date_from", "date_to", "enterprise_id") if query.get(k)}
        days, error = attempt(services().confirmation.confirmation_days, actor, ask)
        return render("confirmation/days.html", days=days or {"days": []}, error=error, query=query,
                      enterprises=enterprises, tabs=PORTAL_TABS, view="days", status_labels=STATUS_LABELS)
    result, error = attempt(services().confirmation.list_records, actor,
                            {**query, **cursor_args(), "size": PORTAL_PAGE_SIZE})
    if error:
        result = empty_page(PORTAL_PAGE_SIZE)
    keep = {k: ("1" if v is True else v) for k, v in query.items()}
    return render("confirmation/list.html", result=result, error=error, query=query, keep=keep, tasks=tasks,
                  enterprises=enterprises, task_names={t["id"]: t["name"] for t in tasks}, tabs=PORTAL_TABS,
                  view="records")


@bp.get("/portal/confirmation/records/<record_id>")
@page(PORTAL)
def confirmation_portal_record(actor, record_id):
    state = services().confirmation.get_record(actor, record_id)
    task, _ = attempt(services().tasks.get_task, actor, state.get("task_id"))
    return render("confirmation/record.html", state=state, task=task, tabs=PORTAL_TABS)


@bp.record_once
def _confirmation_globals(state):
    state.app.jinja_env.globals.update(cf_where=where, cf_agent=agent, cf_flags=flags,
                                       cf_device=device_name)


def device_name(device, outlet_kind=None):
    """设备名称 of a device as a confirmation copy keeps it (id, name, model, factor code): its
    registered name, else its factor's name and model (化学需氧量（CODmax plus）)."""
    device = device or {}
    if device.get("name"):
        return device["name"]
    code = device.get("factor_code")
    known = factor(outlet_kind or "", code) if code else None
    head = known["name"] if known else (code or "自动采样器")  # only samplers have no factor
    return f"{head}（{device['model']}）" if device.get("model") else head


def flags(codes):
    """The flags a confirmation copy keeps (their codes), as the reviewer reads them."""
    out = []
    for code in codes or []:
        code = code.get("code") if isinstance(code, dict) else code
        out.append({"code": code, "label": FLAG_LABELS.get(code, code), "hint": FLAG_HINTS.get(code, "")})
    return out


def where(origin, location=None):
    """From where an act came, as the trail shows it: the address the gateway saw, and the
    phone's position when it gave one."""
    parts = []
    if origin and origin.get("ip"):
        parts.append(f"IP {origin['ip']}")
    if location and location.get("longitude") is not None:
        text = f"{location['longitude']:.6f}, {location['latitude']:.6f}"
        if location.get("source") == "check_out":
            text += "（结束签到位置）"
        elif location.get("accuracy") is not None:
            text += f"（±{location['accuracy']:.0f} 米）"
        parts.append(text)
    return "；".join(parts) or "—"


def agent(origin):
    """A short name for the browser an act came from (the full string is in the title)."""
    ua = (origin or {}).get("user_agent") or ""
    if not ua:
        return ""
    if "MicroMessenger" in ua:
        return "微信"
    if any(m in ua for m in ("Mobile", "iPhone", "Android")):
        return "手机浏览器"
    return "电脑浏览器"
