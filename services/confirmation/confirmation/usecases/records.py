"""Enterprise confirmation (排污单位确认) and institution review (机构审核) of O&M records, the
daily roll-up (待确认日期), the overdue sweep, and what is shown of a record with its trail."""
from datetime import date, timedelta, timezone

from emss_common import paging
from emss_common.access import load_visible
from emss_common.clock import as_utc
from emss_common.errors import Forbidden, ValidationFailed
from emss_common.events import actor_ref
from emss_common.outbox import pending
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain import records as rules
from ..domain.access import may_view, scope_query, within
from ..domain.records import AWAITING_ENTERPRISE, DECISION_LABELS, STATUS_LABELS, RecordStatus, Transition
from ..schemas import ConfirmDaySchema, DayRecordsQuerySchema, DaysQuerySchema, RecordQuerySchema, ReviewSchema
from ..storage import RECORD_ORDER
from . import acts, policy

EVENTS = {"mark_overdue": "record.confirmation_overdue", "enterprise_confirm": "record.enterprise_confirmed",
          "review_confirm": "record.review_confirmed", "void": "record.voided"}
AWAITING = [s.value for s in AWAITING_ENTERPRISE]
FACT_KEYS = ("id", "number", "task_id", "institution_id", "enterprise_id", "enterprise_name", "district",
             "outlet_id", "outlet_name", "outlet_kind", "form_kind", "form_name", "performed_on", "filer",
             "devices", "device_ids", "check_in", "check_out", "passed", "failures", "flags")


def aware(at):
    if at is None or isinstance(at, str):
        return as_utc(at) if at else None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _day(text, field="day"):
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise ValidationFailed("日期格式应为 YYYY-MM-DD", field=field) from None


# ----- the copy of a submitted record -----

def keep(ctx, event):
    """record.submitted (fieldrecords): the record joins its enterprise's list of the day it was
    submitted, awaiting confirmation. A redelivered fact changes nothing."""
    fact = event["data"]["record"]
    submitted_at = aware(fact["submitted_at"])
    record = {k: fact.get(k) for k in FACT_KEYS}
    record.update(performed_at=aware(fact.get("performed_at")), submitted_at=submitted_at,
                  day=rules.confirmation_day(submitted_at).isoformat(), status=RecordStatus.PENDING.value,
                  overdue=False, overdue_at=None, late=False, enterprise_confirmation=None, review=None,
                  received_at=ctx.now, updated_at=ctx.now)
    filer = fact.get("filer") or {}
    out = (fact.get("check_out") or {}).get("wgs84") or {}
    return acts.keep_copy(ctx, "records", record, "record", Transition("submit", None, RecordStatus.PENDING.value),
                   {**acts.SYSTEM, **filer, "roles": ["field_staff"], "institution_id": fact.get("institution_id")},
                   submitted_at, location={"longitude": out.get("lng"), "latitude": out.get("lat"), "crs": "WGS-84",
                                           "source": "check_out"} if out else None)


# ----- views -----

def fact(record, deadline):
    """What events carry of a record's confirmation."""
    out = to_wire({k: record.get(k) for k in ("id", "number", "task_id", "institution_id", "enterprise_id",
                                              "enterprise_name", "district", "outlet_id", "outlet_name",
                                              "form_kind", "form_name", "day", "performed_at", "performed_on",
                                              "submitted_at", "filer", "status", "overdue", "overdue_at", "late",
                                              "updated_at")})
    out["status_label"] = STATUS_LABELS[record["status"]]
    out["due_at"] = deadline.due_at(date.fromisoformat(record["day"])).isoformat()
    if record.get("enterprise_confirmation"):
        out["enterprise_confirmation"] = to_wire(record["enterprise_confirmation"])
    if record.get("review"):
        out["review"] = to_wire(record["review"])
        out["reason"] = record["review"].get("reason")
    return out


def view(ctx, record, deadline=None):
    deadline = deadline or policy.deadline(ctx)
    out = to_wire(record)
    out["status_label"] = STATUS_LABELS[record["status"]]
    due = deadline.due_at(date.fromisoformat(record["day"]))
    out["due_at"] = due.isoformat()
    out["awaiting_enterprise"] = record["status"] in AWAITING
    out["reviewable"] = record["status"] == RecordStatus.ENTERPRISE_CONFIRMED.value
    where = (record.get("check_in") or {}).get("wgs84") or {}
    out["coordinates"] = {"longitude": where.get("lng"), "latitude": where.get("lat"), "crs": "WGS-84"}
    out["device_names"] = [d.get("name") for d in record.get("devices") or []]
    out["detail_path"] = f"/api/v1/field-records/{record['id']}"
    out["signature_path"] = f"/api/v1/field-records/{record['id']}/signature"
    if record.get("review"):
        out["review"]["decision_label"] = DECISION_LABELS[record["review"]["decision"]]
    return out


def _load(ctx, actor, record_id):
    return load_visible(ctx.db["records"], record_id, actor, may_view, "运维记录")


def get(ctx, actor, record_id):
    record = _load(ctx, actor, record_id)
    return {**view(ctx, record), "trail": acts.trail(ctx, record_id), "acts": acts.acts_of(ctx, record_id)}


def _scope(actor):
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看运维记录确认情况")
    return scope


def list_records(ctx, actor, query=None):
    q = load(RecordQuerySchema(), query or {})
    scope = _scope(actor)
    mongo = {}
    for key in ("status", "task_id", "enterprise_id", "institution_id", "outlet_id", "form_kind"):
        if q.get(key):
            mongo[key] = q[key]
    for key in ("late", "overdue"):
        if q.get(key) is not None:
            mongo[key] = q[key]
    if q.get("day"):
        mongo["day"] = q["day"].isoformat()
    elif q.get("date_from") or q.get("date_to"):
        mongo["day"] = {**({"$gte": q["date_from"].isoformat()} if q.get("date_from") else {}),
                        **({"$lte": q["date_to"].isoformat()} if q.get("date_to") else {})}
    mongo = within(scope, mongo)
    deadline = policy.deadline(ctx)
    result = paging.page(ctx.db["records"], mongo, RECORD_ORDER, q["size"], after=q["after"], before=q["before"],
                         newest=ctx.today + timedelta(days=1))
    return {**result, "status_labels": STATUS_LABELS, "items": [view(ctx, r, deadline) for r in result["items"]]}


def _counts(rows):
    counts = {s: 0 for s in STATUS_LABELS}
    for r in rows:
        counts[r["status"]] += 1
    return counts


def days(ctx, actor, query=None):
    """待确认日期: per enterprise and day, how many records are in each state."""
    q = load(DaysQuerySchema(), query or {})
    mongo = within(_scope(actor), {"enterprise_id": q["enterprise_id"]} if q.get("enterprise_id") else {})
    today = ctx.today
    date_to = q.get("date_to") or today
    date_from = q.get("date_from") or (today - timedelta(days=policy.days_window(ctx) - 1))
    fields = {"_id": 0, "day": 1, "status": 1, "enterprise_id": 1, "enterprise_name": 1}
    rows = list(ctx.db["records"].find(paging.strict_bounds(
        {**mongo, "day": {"$gte": date_from.isoformat(), "$lte": date_to.isoformat()}}), fields))
    if not q.get("date_from"):  # older days are shown while they still hold records awaiting confirmation
        older = {(r["enterprise_id"], r["day"]) for r in ctx.db["records"].find(
            {**mongo, "day": {"$lt": date_from.isoformat()}, "status": {"$in": AWAITING}}, fields)}
        for enterprise_id, day in older:
            rows.extend(ctx.db["records"].find({**mongo, "enterprise_id": enterprise_id, "day": day}, fields))
    groups = {}
    for r in rows:
        groups.setdefault((r["day"], r["enterprise_id"]), []).append(r)
    deadline = policy.deadline(ctx)
    out = []
    for (day, enterprise_id), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1]), reverse=True):
        counts = _counts(members)
        awaiting = counts["pending"] + counts["overdue"]
        if q["awaiting"] and not awaiting:
            continue
        d = date.fromisoformat(day)
        out.append({"day": day, "enterprise_id": enterprise_id, "enterprise_name": members[0].get("enterprise_name"),
                    "total": len(members), "awaiting": awaiting, "counts": counts,
                    "counts_labelled": [{"status": s, "label": STATUS_LABELS[s], "count": counts[s]}
                                        for s in STATUS_LABELS],
                    "due_at": deadline.due_at(d).isoformat(), "deadline_passed": deadline.has_passed(d, ctx.now),
                    "is_today": d == today})
    return {"today": today.isoformat(), "date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
            "status_labels": STATUS_LABELS, "days": out}


def day_records(ctx, actor, day, query=None):
    """确认列表: the records of one day (of one enterprise for an enterprise user)."""
    q = load(DayRecordsQuerySchema(), query or {})
    d = _day(day)
    filters = {"day": d.isoformat(), **{k: q[k] for k in ("enterprise_id", "status") if q.get(k)}}
    mongo = within(_scope(actor), filters)
    deadline = policy.deadline(ctx)
    rows = list(ctx.db["records"].find(mongo, {"_id": 0}).sort([("submitted_at", 1), ("number", 1)]))
    return {"day": d.isoformat(), "due_at": deadline.due_at(d).isoformat(),
            "deadline_passed": deadline.has_passed(d, ctx.now), "counts": _counts(rows),
            "status_labels": STATUS_LABELS, "items": [view(ctx, r, deadline) for r in rows]}


# ----- changing state -----

def _apply(ctx, record, transitions, actor, act=None, deadline=None, reason=None):
    """Make the transitions (guarded on the status they start from), write the trail, emit one
    event per transition carrying the record as that transition left it. None when the record
    changed meanwhile."""
    now = ctx.now
    late = any(RecordStatus.OVERDUE.value in (t.source, t.target) for t in transitions)
    who = acts.by(actor) if actor else acts.SYSTEM
    sets, snapshots = {"updated_at": now}, []
    for t in transitions:
        sets["status"] = t.target
        if t.action == "mark_overdue":
            sets.update(overdue=True, overdue_at=now)
        elif t.action == "enterprise_confirm":
            sets.update(late=late, enterprise_confirmation={"act_id": act["id"], "at": now, "by": who, "late": late})
        elif t.action in ("review_confirm", "void"):
            sets["review"] = {"act_id": act["id"], "at": now, "by": who, "reason": reason,
                              "decision": "confirm" if t.action == "review_confirm" else "void"}
        snapshots.append({**record, **to_document(sets)})
    deadline = deadline or policy.deadline(ctx)
    events = []
    for t, snapshot in zip(transitions, snapshots):
        system_step = t.action == "mark_overdue"
        data = {"record": fact(snapshot, deadline)}
        if not system_step:
            data["act"] = {"id": act["id"], "at": to_wire(now), "by": who}
        events.append(ctx.events.new(EVENTS[t.action], record["id"], data,
                                     actor=None if system_step else actor_ref(actor.to_dict())))
    # The transitions and their events are one write.
    done = ctx.db["records"].update_one({"id": record["id"], "status": transitions[0].source},
                                        pending({"$set": to_document(sets)}, *events))
    if done.matched_count != 1:
        return None
    ctx.events.flush("records", record["id"], *events)
    for t in transitions:
        system_step = t.action == "mark_overdue"
        acts.transition_entry(ctx, "record", record["id"], t, acts.SYSTEM if system_step else who, now,
                              act=None if system_step else act, reason=reason if t.action == "void" else None,
                              late=late if t.action == "enterprise_confirm" else None)
    return snapshots[-1]


def _summary(record):
    return {"record_id": record["id"], "number": record.get("number"), "status": record["status"],
            "status_label": STATUS_LABELS[record["status"]], "late": bool(record.get("late"))}


def _changed(record):
    return rules.Refusal("status", "记录状态已变化，请刷新后重试", "changed").as_dict(record["id"], record)


def _carry_out(ctx, actor, kind, data, files, passed, refused, extra, **apply_kw):
    """Store the act and apply what passed; returns (act or None, done summaries, refused)."""
    if not passed:
        return None, [], refused
    act = acts.record_act(ctx, actor, kind, data, files, "record", [r["id"] for r, _ in passed], **extra)
    done = []
    for record, transitions in passed:
        after = _apply(ctx, record, transitions, actor, act, **apply_kw)
        if after is None:
            refused.append(_changed(record))
        else:
            done.append(_summary(after))
    return act, done, refused


def confirm_day(ctx, actor, day, payload):
    """排污单位确认: the enterprise signs and confirms the day's records (all of them still awaiting
    confirmation, or those named). Each record is judged alone."""
    rules.ensure_enterprise_user(actor)
    d = _day(day)
    data = load(ConfirmDaySchema(), payload)
    previous = acts.previous_result(ctx, actor, "enterprise_confirmation", data)
    if previous is not None:
        return previous
    files = acts.check_files(ctx, data)
    if data.get("record_ids"):
        ids = data["record_ids"]
        found = ctx.db["records"].find({"id": {"$in": ids}}, {"_id": 0})
    else:
        found = list(ctx.db["records"].find({"enterprise_id": actor.enterprise_id, "day": d.isoformat(),
                                             "status": {"$in": AWAITING}}, {"_id": 0})
                     .sort([("submitted_at", 1), ("number", 1)]))
        if not found:
            raise ValidationFailed(f"{d.isoformat()}没有待确认的运维记录", field="record_ids")
        ids = [r["id"] for r in found]
    records = {r["id"]: r for r in found}
    deadline = policy.deadline(ctx)
    now = ctx.now
    passed, refused = rules.judge_each(
        ids, records, lambda r: rules.judge_enterprise_confirmation(actor, r, d, now, deadline), rules.not_ours)
    try:
        act, done, refused = _carry_out(ctx, actor, "enterprise_confirmation", data, files, passed, refused,
                                        {"day": d.isoformat()}, deadline=deadline)
    except acts.AlreadyDone as again:
        return again.result
    result = {"day": d.isoformat(), "act_id": act["id"] if act else None, "confirmed": done, "refused": refused}
    if act:
        acts.finish_act(ctx, act, result)
    return result


def review(ctx, actor, payload):
    """机构审核: a reviewer confirms or voids (with a reason) records the enterprise confirmed."""
    rules.ensure_reviewer(actor)
    data = load(ReviewSchema(), payload)
    kind = "review_confirm" if data["decision"] == "confirm" else "void"
    previous = acts.previous_result(ctx, actor, kind, data)
    if previous is not None:
        return previous
    files = acts.check_files(ctx, data)
    records = {r["id"]: r for r in ctx.db["records"].find({"id": {"$in": data["record_ids"]}}, {"_id": 0})}
    passed, refused = rules.judge_each(data["record_ids"], records,
                                       lambda r: rules.judge_review(actor, r, data["decision"]),
                                       rules.not_our_institution)
    reason = (data.get("reason") or "").strip() or None
    try:
        act, done, refused = _carry_out(ctx, actor, kind, data, files, passed, refused,
                                        {"decision": data["decision"], "reason": reason}, reason=reason)
    except acts.AlreadyDone as again:
        return again.result
    result = {"decision": data["decision"], "decision_label": DECISION_LABELS[data["decision"]],
              "act_id": act["id"] if act else None, "done": done, "refused": refused}
    if act:
        acts.finish_act(ctx, act, result)
    return result


def sweep_overdue(ctx, limit=500):
    """Records still awaiting the enterprise when their day is over become overdue, one event each.
    Guarded on the pending status, so a repeated or concurrent sweep marks a record once."""
    deadline = policy.deadline(ctx)
    cutoff = deadline.overdue_before(ctx.now).isoformat()
    marked = 0
    rows = list(ctx.db["records"].find({"status": RecordStatus.PENDING.value, "day": {"$lt": cutoff}},
                                       {"_id": 0}).sort([("day", 1), ("id", 1)]).limit(limit))
    for record in rows:
        t = rules.RecordConfirmation(record["status"]).apply(rules.MARK_OVERDUE)
        if _apply(ctx, record, [t], None, deadline=deadline) is not None:
            marked += 1
    return marked

