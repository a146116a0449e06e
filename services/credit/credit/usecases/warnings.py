"""Warnings (预警): a finding raised once, closed by a later fact, turned into an order or a lead,
acknowledged or dismissed by a regulator; the lists and the overview of those who may see them.

Every change of a warning and the events announcing it are one single-document write (the events
ride in the warning until they are in the outbox, emss_common/outbox.py).
"""
import importlib.util
from datetime import datetime, time, timedelta, timezone

from pymongo.errors import DuplicateKeyError

from emss_common import paging
from emss_common.access import load_visible, within
from emss_common.clock import SHANGHAI, to_shanghai
from emss_common.errors import Conflict, Forbidden, NotFound
from emss_common.events import actor_ref
from emss_common.outbox import pending, staged
from emss_common.serial import to_document, to_wire
from emss_common.validation import load
from emss_common.vocabulary import SEVERITIES, WARNING_CATEGORIES

from ..schemas import ActSchema, OverviewQuerySchema, WarningQuerySchema
from ..storage import WARNING_ORDER
from ..supervision import warnings as lifecycle
from ..supervision.access import may_act, may_view, scope
from ..supervision.findings import finding_id
from . import rulebook

COLLECTION = "warnings"
SYSTEM = {"account_id": None, "username": "system", "roles": ["system"], "name": "系统"}
# The steps announced beyond warning.changed: the enforcement agency hears of these (leads).
ANNOUNCED = {"suspect": "warning.suspected", "rectify": "warning.rectified", "dismiss": "warning.dismissed"}
TREND_MONTHS = 12
FILTERS = ("status", "rule", "category", "severity", "district", "institution_id", "enterprise_id", "outlet_id")

__all__ = ["raise_finding", "resolve", "apply", "list_warnings", "get_warning", "act", "overview", "may_view"]


def month_of(at):
    """The month (Asia/Shanghai) a time falls in, as "YYYY-MM"."""
    return to_shanghai(at).strftime("%Y-%m")


def month_range(month):
    """The raised_at range of a month ("YYYY-MM") in Asia/Shanghai: [its first moment, the next's)."""
    year, mon = int(month[:4]), int(month[5:])
    first = datetime(year, mon, 1, tzinfo=SHANGHAI)
    after = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=SHANGHAI)
    return {"$gte": first.astimezone(timezone.utc), "$lt": after.astimezone(timezone.utc)}


def _who(by):
    """Who took a step, as the trail and the events record it; None is the system."""
    if by is None:
        return dict(SYSTEM)
    return actor_ref(by.to_dict() if hasattr(by, "to_dict") else by)


# ----- raising and closing (the rules engine, the orders) -----

def new_warning(finding, now):
    """The warning document a finding raises at `now`."""
    rule = rulebook.rule_named(finding.rule)
    return to_document({**finding.to_dict(), "id": finding_id(finding.rule, finding.key),
                        "status": lifecycle.Status.OPEN.value, "raised_at": now, "updated_at": now,
                        "trail": [], "rule_name": rule["name"],
                        "severity": rule["severity"], "category": rule["category"], "lead": None, "order_ids": []})


def raise_finding(ctx, finding):
    """The finding's warning and whether this call created it. The same finding (its rule and key)
    is one warning however often, and from however many replicas, it is raised; a warning already
    dismissed, resolved or rectified stays as it is. warning.raised is announced once, with the
    insert that created it."""
    doc = new_warning(finding, ctx.now)
    wid = doc["id"]
    event = ctx.events.new("warning.raised", wid, {"warning": to_wire(doc)})
    col = ctx.db[COLLECTION]
    try:
        # One atomic upsert: the unique id decides between two replicas raising it at once, and
        # the server's answer (upserted or not) says which one did. (A find_one_and_update's
        # "no document before" cannot: SecantusDB answers it to the loser of a race too.)
        created = col.update_one({"id": wid}, {"$setOnInsert": staged(doc, event)},
                                 upsert=True).upserted_id is not None
    except DuplicateKeyError:  # the other one inserted it between our look and our insert
        created = False
    if not created:
        return to_wire(col.find_one({"id": wid}, {"_id": 0})), False
    ctx.events.flush(COLLECTION, wid, event)
    return to_wire(doc), True


def resolve(ctx, rule, key, reason):
    """A later fact closes the finding (a late report arrived: "report missing" is resolved).
    The resolved warning, or None when there is none or it is past resolving (an order or a lead
    is running, or it is closed)."""
    col = ctx.db[COLLECTION]
    wid = finding_id(rule, key)
    for _ in range(3):  # a regulator's step in between: look again
        doc = col.find_one({"id": wid}, {"_id": 0})
        if doc is None or doc["status"] not in {s.value for s in lifecycle.RESOLVE.sources}:
            return None
        try:
            return _write(ctx, doc, lifecycle.step(doc["status"], "resolve", reason, by_system=True), None)
        except Conflict:
            continue
    return None


def apply(ctx, warning_id, action, by, reason=None, order_id=None):
    """One step of the lifecycle, taken by the system or another use case (the orders: `order`
    with its order id, `rectify` when the order is accepted). by: the Actor (or actor dict) who
    caused it, None for the system."""
    doc = ctx.db[COLLECTION].find_one({"id": warning_id}, {"_id": 0})
    if doc is None:
        raise NotFound("预警不存在", field="warning_id")
    return _write(ctx, doc, lifecycle.step(doc["status"], action, reason, order_id, by_system=True), by)


def _write(ctx, doc, transition, by):
    """Make the transition (guarded on the status it starts from) with its trail entry and its
    events in one write; Conflict when the warning changed meanwhile."""
    now = ctx.now
    who = _who(by)
    entry = to_document(transition.trail_entry(who, now))
    sets = {"status": transition.target, "updated_at": now}
    update = {"$set": sets, "$push": {"trail": entry}}
    after = {**doc, **sets, "trail": [*doc.get("trail", []), entry]}
    if transition.order_id and transition.order_id not in doc.get("order_ids", []):
        update["$addToSet"] = {"order_ids": transition.order_id}
        after["order_ids"] = [*doc.get("order_ids", []), transition.order_id]
    data = {"warning": to_wire(after), "step": to_wire(entry)}
    actor = None if by is None else who
    events = [ctx.events.new("warning.changed", doc["id"], data, actor=actor)]
    if transition.action in ANNOUNCED:
        events.append(ctx.events.new(ANNOUNCED[transition.action], doc["id"], data, actor=actor))
    done = ctx.db[COLLECTION].update_one({"id": doc["id"], "status": transition.source}, pending(update, *events))
    if done.matched_count != 1:
        raise Conflict("预警状态已变化，请刷新后重试", field="status")
    ctx.events.flush(COLLECTION, doc["id"], *events)
    return to_wire(after)


# ----- what people see and do -----

def view(warning, actor=None):
    out = to_wire(warning)
    out["status_label"] = lifecycle.STATUS_LABELS[out["status"]]
    out["category_label"] = WARNING_CATEGORIES.get(out.get("category"))
    out["severity_label"] = SEVERITIES.get(out.get("severity"))
    out["final"] = lifecycle.is_final(out["status"])
    for entry in out.get("trail", []):
        entry["action_label"] = lifecycle.ACTION_LABELS[entry["action"]]
    # What this viewer may do now (下整改单 is taken through the order's page).
    actions = lifecycle.allowed(out["status"]) if actor is not None and may_act(actor, out) else []
    out["actions"] = [{"action": a, "label": lifecycle.ACTION_LABELS[a]} for a in actions]
    return out


def _scope(actor):
    where = scope(actor)
    if where is None:
        raise Forbidden("无权查看预警")
    return where


def _day_start(day):
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(timezone.utc)


def list_warnings(ctx, actor, query=None):
    """预警列表: the actor's warnings, newest first, by filter, a page at a time."""
    q = load(WarningQuerySchema(), query or {})
    where = _scope(actor)
    filters = {k: q[k] for k in FILTERS if q.get(k)}
    if q.get("date_from") or q.get("date_to"):
        # Days in Asia/Shanghai, both included.
        filters["raised_at"] = {**({"$gte": _day_start(q["date_from"])} if q.get("date_from") else {}),
                                **({"$lt": _day_start(q["date_to"] + timedelta(days=1))} if q.get("date_to") else {})}
    result = paging.page(ctx.db[COLLECTION], within(where, filters), WARNING_ORDER, q["size"], after=q["after"],
                         before=q["before"], newest=ctx.now)
    return {**result, "items": [view(w, actor) for w in result["items"]], "status_labels": lifecycle.STATUS_LABELS}


def _load(ctx, actor, warning_id):
    _scope(actor)
    return load_visible(ctx.db[COLLECTION], warning_id, actor, may_view, "预警")


def get_warning(ctx, actor, warning_id):
    return view(_load(ctx, actor, warning_id), actor)


def act(ctx, actor, warning_id, payload):
    """A regulator's step on a warning's page: 确认, 排除 (with a reason), 标记疑似违法."""
    p = load(ActSchema(), payload or {})
    doc = _load(ctx, actor, warning_id)
    if not may_act(actor, doc):
        raise Forbidden("只有监管部门可以处理预警")
    warning = _write(ctx, doc, lifecycle.step(doc["status"], p["action"], p.get("reason")), actor)
    if p["action"] == "suspect":
        leads = _leads()
        if leads is not None:  # the lead to the enforcement agency (usecases/leads.py)
            leads.lead_mark(ctx, warning, actor)
            warning = ctx.db[COLLECTION].find_one({"id": warning_id}, {"_id": 0})
    return view(warning, actor)


def _leads():
    """usecases/leads.py when this build has it (it is written alongside this module)."""
    if importlib.util.find_spec(f"{__package__}.leads") is None:
        return None
    return importlib.import_module(f"{__package__}.leads")


# ----- 非现场监管概览 -----

def _months_back(month, n):
    year, mon = int(month[:4]), int(month[5:])
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return list(reversed(out))


def _in_month(where, month):
    """The warnings of a scope raised in a month: a range on the scope's list index."""
    return paging.strict_bounds(within(where, {"raised_at": month_range(month)}))


def _ranked(counts, make):
    return [make(k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]


def overview(ctx, actor, query=None):
    """The warnings raised in a month within the actor's scope, counted by rule, district,
    institution, status and category, and the warnings raised in each of the twelve months up to it."""
    q = load(OverviewQuerySchema(), query or {})
    where = _scope(actor)
    month = q.get("month") or month_of(ctx.now)
    col = ctx.db[COLLECTION]
    fields = {"_id": 0, "rule": 1, "rule_name": 1, "district": 1, "institution_id": 1, "status": 1, "category": 1}
    rows = list(col.find(_in_month(where, month), fields))
    by = {k: {} for k in ("rule", "district", "institution_id", "status", "category")}
    names = {}
    for r in rows:
        names.setdefault(r["rule"], r.get("rule_name") or r["rule"])
        for k in by:
            by[k][r.get(k)] = by[k].get(r.get(k), 0) + 1
    institutions = _institution_names(ctx, [i for i in by["institution_id"] if i])
    trend = [{"month": m, "count": col.count_documents(_in_month(where, m))} for m in _months_back(month, TREND_MONTHS)]
    return {
        "month": month, "total": len(rows),
        "by_rule": _ranked(by["rule"], lambda k, n: {"rule": k, "name": names[k], "count": n}),
        "by_district": _ranked(by["district"], lambda k, n: {"district": k, "count": n}),
        "by_institution": _ranked(by["institution_id"], lambda k, n: {"institution_id": k,
                                                                      "name": institutions.get(k), "count": n}),
        "by_status": [{"status": s, "label": lifecycle.STATUS_LABELS[s], "count": by["status"].get(s, 0)}
                      for s in lifecycle.STATUS_LABELS],
        "by_category": [{"category": c, "label": WARNING_CATEGORIES[c], "count": by["category"].get(c, 0)}
                        for c in WARNING_CATEGORIES],
        "trend": trend,
    }


def _institution_names(ctx, ids):
    """Names from the service's copy of the registry's institutions, where it holds them."""
    if not ids:
        return {}
    return {i["id"]: i.get("name") for i in ctx.db["institutions"].find({"id": {"$in": ids}}, {"_id": 0, "id": 1, "name": 1})}
