"""Rectification orders (整改单): issue, answer, return, accept, and the overdue sweep.

A step and its event are one write (the order document carries the event until it is in the
outbox). The warnings behind an order follow it: issuing marks each `order`, accepting marks each
`rectify` (usecases.warnings, whose state machine guards every step).
"""
import logging
import uuid

from pymongo import ReturnDocument

from emss_common import paging
from emss_common.access import load_visible, scope_query, within
from emss_common.actor import REGULATOR
from emss_common.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from emss_common.events import actor_ref
from emss_common.files import FileStore, document_upload, encode
from emss_common.outbox import pending, staged
from emss_common.serial import to_document, to_wire
from emss_common.validation import load
from emss_common.vocabulary import ORDER_STATUSES

from ..schemas_orders import AnswerOrderSchema, IssueOrderSchema, OrderQuerySchema, ReviewOrderSchema
from ..storage_orders import INSPECTIONS, ORDER_COUNTERS, ORDER_FILES, ORDERS
from ..supervision import orders as rules
from ..supervision.inspections import may_view as may_view_inspection
from . import warnings

log = logging.getLogger(__name__)

ORDER_SORT = [("issued_at", -1), ("id", 1)]
# A warning may be put into an order from these statuses (supervision.warnings allows `order` there).
ORDERABLE = ("open", "acknowledged")
# Accepting an order closes its warnings that are still waiting on it.
RECTIFIABLE = ("ordered", "suspected")
# The warning steps an order's step still owes (see follow_up).
FOLLOW_UPS = "warning_follow_ups"
EVENTS = {"issue": "order.issued", "answer": "order.answered", "return": "order.returned",
          "accept": "order.accepted", "overdue": "order.overdue"}


def policy(ctx):
    return rules.OrderPolicy(ctx.setting("EMSS_ORDER_WORKING_DAYS", rules.OrderPolicy.working_days))


def _max_bytes(ctx):
    return ctx.setting("EMSS_ORDER_MAX_BYTES", 10 * 1024 * 1024)


# ----- issue -----

def issue_order(ctx, actor, payload):
    data = load(IssueOrderSchema(), payload)
    if not actor.has(REGULATOR):
        raise Forbidden("只有监管部门可以下发整改单")
    addressee = dict(data["addressee"])
    party = _party(ctx, addressee)
    sources, warning_ids, inspection_ids = [], [], []
    if party is not None and party.get("district"):
        sources.append(party)   # an enterprise lies in one district
    for i, item in enumerate(data["items"]):
        for j, wid in enumerate(item["warning_ids"]):
            where = f"items[{i}].warning_ids[{j}]"
            warning = ctx.db["warnings"].find_one({"id": wid}, {"_id": 0})
            if warning is None or not warnings.may_view(actor, warning):
                raise ValidationFailed("预警不存在", field=where)
            if not rules.concerns(addressee, warning):
                raise ValidationFailed("该预警与整改对象无关", field=where)
            if wid in warning_ids:
                raise ValidationFailed("同一预警只能列入一个整改项", field=where)
            if warning["status"] not in ORDERABLE:
                raise ValidationFailed(f"预警{_status_label(warning)}，不能下整改单", field=where)
            warning_ids.append(wid)
            sources.append(warning)
        for j, iid in enumerate(item["inspection_ids"]):
            where = f"items[{i}].inspection_ids[{j}]"
            inspection = ctx.db[INSPECTIONS].find_one({"id": iid}, {"_id": 0})
            if inspection is None or not may_view_inspection(actor, inspection):
                raise ValidationFailed("现场检查记录不存在", field=where)
            if not rules.concerns(addressee, inspection):
                raise ValidationFailed("该现场检查与整改对象无关", field=where)
            if iid not in inspection_ids:
                inspection_ids.append(iid)
            sources.append(inspection)
    district = rules.order_district(actor, sources, data.get("district"))
    if party is not None:
        addressee["name"] = party.get("name")
    now, today = ctx.now, ctx.today
    deadline = policy(ctx) if not data.get("working_days") else rules.OrderPolicy(data["working_days"])
    due = deadline.due(today)
    order_id = uuid.uuid4().hex
    by = actor_ref(actor.to_dict())
    order = {
        "id": order_id, "number": _number(ctx, today.year), "title": data["title"], "note": data.get("note"),
        "addressee": addressee, "district": district,
        "institution_id": addressee["id"] if addressee["kind"] == "institution" else None,
        "enterprise_id": addressee["id"] if addressee["kind"] == "enterprise" else None,
        "status": rules.ISSUED, "round": 1, "issued_on": today, "issued_at": now, "issued_by": by,
        "working_days": deadline.working_days, "due": due.date, "due_provisional": due.provisional,
        "overdue": False, "overdue_at": None, "overdue_warning_id": None,
        "items": [{"id": str(n + 1), "title": item["title"], "requirement": item["requirement"],
                   "warning_ids": item["warning_ids"], "inspection_ids": item["inspection_ids"], "answers": []}
                  for n, item in enumerate(data["items"])],
        "warning_ids": warning_ids, "inspection_ids": inspection_ids,
        "trail": [rules.trail_entry("issue", by, now, None, rules.ISSUED, round_=1)],
        "updated_at": now,
        FOLLOW_UPS: [{"warning_id": wid, "action": "order", "by": by} for wid in warning_ids],
    }
    order = to_document(order)
    ev = ctx.events.new(EVENTS["issue"], order_id, {"order": view(order)}, actor=actor.to_dict())
    ctx.db[ORDERS].insert_one(staged(order, ev))
    ctx.events.flush(ORDERS, order_id, ev)
    follow_up(ctx, order)
    return view(order)


def _party(ctx, addressee):
    """The registry copy of the addressee, when this service keeps one (for its name and district)."""
    collection = "institutions" if addressee["kind"] == "institution" else "enterprises"
    return ctx.db[collection].find_one({"id": addressee["id"]}, {"_id": 0, "name": 1, "district": 1})


def _number(ctx, year):
    """ZG2026000001: one gap-free sequence per year."""
    row = ctx.db[ORDER_COUNTERS].find_one_and_update({"name": f"order:{year}"}, {"$inc": {"value": 1}},
                                                     upsert=True, return_document=ReturnDocument.AFTER)
    return f"ZG{year}{row['value']:06d}"


def _status_label(warning):
    from emss_common.vocabulary import WARNING_STATUSES
    return WARNING_STATUSES.get(warning["status"], warning["status"])


# ----- read -----

def view(order):
    out = to_wire({k: v for k, v in order.items() if k != FOLLOW_UPS})
    out["status_label"] = ORDER_STATUSES[order["status"]]
    out["addressee_label"] = "运维机构" if order["addressee"]["kind"] == "institution" else "排污单位"
    return out


def get_order(ctx, actor, order_id):
    order = load_visible(ctx.db[ORDERS], order_id, actor, rules.may_view, "整改单")
    out = view(order)
    out["may_answer"] = rules.may_answer(actor, order) and order["status"] in rules.AWAITING_ADDRESSEE
    out["may_review"] = rules.may_review(actor, order) and order["status"] == rules.ANSWERED
    return out


def list_orders(ctx, actor, query=None):
    q = load(OrderQuerySchema(), query or {})
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看整改单")
    mongo = {}
    for key in ("status", "institution_id", "enterprise_id", "district"):
        if q.get(key):
            mongo[key] = q[key]
    if q.get("addressee_kind"):
        mongo["addressee.kind"] = q["addressee_kind"]
    if q.get("overdue") is not None:
        mongo["overdue"] = q["overdue"]
    if q.get("warning_id"):
        mongo["warning_ids"] = q["warning_id"]
    result = paging.page(ctx.db[ORDERS], within(scope, mongo), ORDER_SORT, q["size"], after=q["after"],
                         before=q["before"], projection={"_id": 0, "trail": 0, "_outbox": 0}, newest=ctx.now)
    return {**result, "status_labels": ORDER_STATUSES, "items": [_summary(r) for r in result["items"]]}


def _summary(order):
    out = view({**order, "trail": []})
    out.pop("trail")
    out["item_count"] = len(order["items"])
    out.pop("items")
    return out


def order_file(ctx, actor, order_id, file_id):
    order = load_visible(ctx.db[ORDERS], order_id, actor, rules.may_view, "整改单")
    known = {f["id"]: f for item in order["items"] for a in item["answers"] for f in a["files"]}
    if file_id not in known:
        raise NotFound("文件不存在", field="file_id")
    meta = known[file_id]
    content = FileStore(ctx.db, ORDER_FILES).get(file_id)
    return {"name": meta["name"], "content_type": meta["content_type"], "content_base64": encode(content)}


# ----- answer -----

def answer_order(ctx, actor, order_id, payload):
    order = load_visible(ctx.db[ORDERS], order_id, actor, rules.may_view, "整改单")
    if not rules.may_answer(actor, order):
        raise Forbidden("只有整改对象（机构主账户或排污单位）可以回复整改单")
    data = load(AnswerOrderSchema(), payload)
    target = rules.transition(order["status"], "answer")
    rules.check_answers(order, data["answers"])
    # Every file is checked before any is kept: a bad one refuses the whole answer.
    uploads = {}
    for i, answer in enumerate(data["answers"]):
        for j, upload in enumerate(answer["files"]):
            uploads[(i, j)] = document_upload(upload, f"answers[{i}].files[{j}]", _max_bytes(ctx), default_name="file")
    files, kept = FileStore(ctx.db, ORDER_FILES), []
    now, by = ctx.now, actor_ref(actor.to_dict())
    try:
        by_item = {}
        for i, answer in enumerate(data["answers"]):
            stored = []
            for j in range(len(answer["files"])):
                content, mime, name = uploads[(i, j)]
                file_id, sha = files.put(content, name, mime, order_id=order_id, item_id=answer["item_id"])
                kept.append(file_id)
                stored.append({"id": file_id, "name": name, "content_type": mime, "size": len(content), "sha256": sha})
            by_item[answer["item_id"]] = {"round": order["round"], "text": answer["text"], "files": stored,
                                          "record_ids": answer["record_ids"], "at": now, "by": by}
        items = [{**item, "answers": item["answers"] + [by_item[item["id"]]]} for item in order["items"]]
        changed = _step(ctx, actor, order, "answer", target, {"items": items, "answered_at": now},
                        rules.trail_entry("answer", by, now, order["status"], target, round_=order["round"]))
    except Exception:
        for file_id in kept:  # nothing accepted, nothing kept
            files.delete(file_id)
        raise
    return view(changed)


# ----- review -----

def review_order(ctx, actor, order_id, payload):
    order = load_visible(ctx.db[ORDERS], order_id, actor, rules.may_view, "整改单")
    if not rules.may_review(actor, order):
        raise Forbidden("只有辖区监管部门可以审核整改单")
    data = load(ReviewOrderSchema(), payload)
    action = data["decision"]
    reason = (data.get("reason") or "").strip() or None
    target = rules.transition(order["status"], action, reason)
    now, by = ctx.now, actor_ref(actor.to_dict())
    sets = {"reviewed_at": now}
    if action == "return":
        sets["round"] = order["round"] + 1
    else:
        sets["accepted_at"] = now
        sets[FOLLOW_UPS] = [{"warning_id": wid, "action": "rectify", "by": by} for wid in order["warning_ids"]]
    changed = _step(ctx, actor, order, action, target, sets,
                    rules.trail_entry(action, by, now, order["status"], target, reason=reason, round_=order["round"]))
    follow_up(ctx, changed)
    return view(changed)


# ----- the warnings behind an order follow it -----

def follow_up(ctx, order):
    """Take the warning steps the order's last step left to do (written with that step, so a process
    that dies before taking them leaves them for the sweep): `order` when issued, `rectify` when
    accepted. A step already taken, or no longer possible (the warning was dismissed or became a
    lead meanwhile), is dropped."""
    for todo in list(order.get(FOLLOW_UPS) or ()):
        wid, action = todo["warning_id"], todo["action"]
        warning = ctx.db["warnings"].find_one({"id": wid}, {"_id": 0, "status": 1, "order_ids": 1})
        if warning is not None and _still_to_do(warning, action, order["id"]):
            try:
                warnings.apply(ctx, wid, action, todo["by"], order_id=order["id"])
            except (InvalidTransition, Conflict):
                log.info("warning %s changed meanwhile; order %s leaves it as it is", wid, order["id"])
        ctx.db[ORDERS].update_one({"id": order["id"]}, {"$pull": {FOLLOW_UPS: {"warning_id": wid, "action": action}}})
    ctx.db[ORDERS].update_one({"id": order["id"], FOLLOW_UPS: {"$size": 0}}, {"$unset": {FOLLOW_UPS: ""}})


def _still_to_do(warning, action, order_id):
    if action == "order":
        return warning["status"] in ORDERABLE and order_id not in (warning.get("order_ids") or [])
    return warning["status"] in RECTIFIABLE


def finish_follow_ups(ctx, limit=200):
    """Warning steps left by a process that died after an order's step (the sweep's first job)."""
    rows = list(ctx.db[ORDERS].find({f"{FOLLOW_UPS}.warning_id": {"$exists": True}}, {"_id": 0}).limit(limit))
    for order in rows:
        follow_up(ctx, order)
    return len(rows)


def _step(ctx, actor, order, action, target, sets, entry):
    """One step: status, details and trail entry with its event, in one write guarded on the status
    it starts from (a concurrent step makes this one a Conflict)."""
    now = ctx.now
    changed = to_document({**order, **sets, "status": target, "updated_at": now,
                           "trail": order["trail"] + [entry]})
    ev = ctx.events.new(EVENTS[action], order["id"], {"order": view(changed), "step": to_wire(to_document(entry))},
                        actor=actor.to_dict() if actor else None)
    done = ctx.db[ORDERS].update_one(
        {"id": order["id"], "status": order["status"], "round": order["round"]},
        pending({"$set": to_document({**sets, "status": target, "updated_at": now}),
                 "$push": {"trail": to_document(entry)}}, ev))
    if done.matched_count != 1:
        raise Conflict("整改单已被他人处理，请刷新后重试")
    ctx.events.flush(ORDERS, order["id"], ev)
    return changed


# ----- overdue -----

def sweep_overdue_orders(ctx, limit=500):
    """Orders still waiting for their addressee after the last day to rectify: each raises its
    ORDER_OVERDUE finding and is marked, once. The finding is raised before the mark (raising is
    idempotent), so a sweep that dies in between is finished by the next one."""
    today = ctx.today
    rows = []
    for status in rules.AWAITING_ADDRESSEE:  # one equality-and-range query each: served by the sweep's index
        rows.extend(ctx.db[ORDERS].find({"overdue": False, "status": status, "due": {"$lt": today.isoformat()}},
                                        {"_id": 0}).sort([("due", 1), ("id", 1)]).limit(limit))
    marked = 0
    for order in rows:
        if not rules.OrderPolicy(order["working_days"]).is_overdue(order, today):
            continue
        finding = rules.overdue_finding(order, today, order["working_days"])
        warnings.raise_finding(ctx, finding)
        now = ctx.now
        entry = rules.trail_entry("overdue", actor_ref(None), now, order["status"], order["status"],
                                  round_=order["round"], warning_id=finding.id)
        sets = {"overdue": True, "overdue_at": now, "overdue_warning_id": finding.id}
        changed = to_document({**order, **sets, "trail": order["trail"] + [entry]})
        ev = ctx.events.new(EVENTS["overdue"], order["id"], {"order": view(changed), "warning_id": finding.id})
        done = ctx.db[ORDERS].update_one({"id": order["id"], "overdue": False},
                                         pending({"$set": to_document(sets), "$push": {"trail": to_document(entry)}}, ev))
        if done.matched_count == 1:
            ctx.events.flush(ORDERS, order["id"], ev)
            marked += 1
    return marked

