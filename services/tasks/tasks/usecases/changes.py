"""Reviewed change requests (信息变更申请) for submitted contracts and running tasks, with every
version kept so the trail (查看留痕) shows who changed what, when, approved by whom."""
from emss_common.errors import Conflict, Forbidden, InvalidTransition, NotFound
from emss_common.outbox import pending, staged
from emss_common.serial import to_document, to_wire

from ..domain.access import may_review, may_view
from ..domain.contracts import CHANGE_STATUS_LABELS, diff
from ..storage import audit, get, insert, new_id


def save_version(ctx, kind, subject, actor, change_request_id=None, approved_by=None):
    ctx.db[f"{kind}_versions"].insert_one(to_document({
        f"{kind}_id": subject["id"], "version": subject["version"],
        "data": {k: v for k, v in subject.items() if k not in ("_id", "_event_at", "_outbox")},
        "at": ctx.now, "by": actor, "approved_by": approved_by, "change_request_id": change_request_id}))


def request_change(ctx, actor, kind, subject, proposed, reason):
    current = {k: subject.get(k) for k in proposed}
    changes = diff(to_wire(current), to_wire(to_document(proposed)))
    if not changes:
        from emss_common.errors import ValidationFailed
        raise ValidationFailed("没有任何变更", field=kind)
    if ctx.db["change_requests"].find_one({"subject_id": subject["id"], "status": "pending"}):
        raise Conflict("已有待审核的变更申请，请等待审核后再提交", field="status")
    cr = {"id": new_id(), "kind": kind, "subject_id": subject["id"], "institution_id": subject["institution_id"],
          "enterprise_id": subject["enterprise_id"], "district": subject.get("district"),
          "proposed": proposed, "changes": changes, "reason": reason, "status": "pending",
          "submitted_at": ctx.now, "submitted_by": actor.to_dict()}
    ev = ctx.events.new(f"{kind}.change_requested", subject["id"], {"change_request": view(cr)},
                        actor=actor.to_dict())
    insert(ctx.db["change_requests"], staged(cr, ev))
    ctx.events.flush("change_requests", cr["id"], ev)
    audit(ctx.db, subject["id"], "change_requested", actor.to_dict(), ctx.now, change_request_id=cr["id"])
    return view(cr)


def decide(ctx, actor, cr_id, decision, reason, apply):
    """apply(cr, also) writes the approved change; also(subject view) gives the events that go
    with that write (the decision's own event)."""
    cr = get(ctx.db["change_requests"], cr_id, "变更申请")
    if not may_review(actor, cr):
        if may_view(actor, cr):
            raise Forbidden("只有辖区监管方可以审核变更申请")
        raise NotFound("变更申请不存在", field="id")
    if cr["status"] != "pending":
        raise InvalidTransition("该变更申请已处理", field="status")
    status = "approved" if decision == "approve" else "rejected"
    decision_ = to_document({"status": status, "decided_at": ctx.now, "decided_by": actor.to_dict(),
                             "decision_reason": reason})
    decided = {**cr, **decision_}

    def decision_event(subject):
        return ctx.events.new(f"{cr['kind']}.change_{status}", cr["subject_id"],
                              {"change_request": view(decided), cr["kind"]: subject}, actor=actor.to_dict())
    # The decision's event goes with the write that completes it: the subject's new version when
    # approved, the request's status when rejected.
    ev = decision_event(None) if status == "rejected" else None
    update = {"$set": decision_}
    result = ctx.db["change_requests"].update_one({"id": cr_id, "status": "pending"},
                                                  pending(update, ev) if ev else update)
    if result.matched_count != 1:
        raise Conflict("该变更申请已被他人处理", field="status")
    if ev:
        ctx.events.flush("change_requests", cr_id, ev)
    else:
        apply(cr, lambda subject: [decision_event(subject)])
    audit(ctx.db, cr["subject_id"], f"change_{status}", actor.to_dict(), ctx.now, change_request_id=cr_id,
          reason=reason)
    return view(decided)


def apply_new_version(ctx, actor, kind, cr, events):
    """Approve = the proposed values become the record's next version, kept with who approved.
    events(new subject) are written with it."""
    col = ctx.db[f"{kind}s"]
    subject = get(col, cr["subject_id"])
    version = subject["version"] + 1
    new = {**subject, **cr["proposed"], "version": version}
    evs = events(new)
    col.update_one({"id": subject["id"]},
                   pending({"$set": {**cr["proposed"], "version": version, "updated_at": ctx.now}}, *evs))
    ctx.events.flush(f"{kind}s", subject["id"], *evs)
    subject = new
    save_version(ctx, kind, subject, cr["submitted_by"], cr["id"], actor.to_dict())
    return subject


def view(cr):
    out = to_wire(cr)
    out["status_label"] = CHANGE_STATUS_LABELS[cr["status"]]
    return out


def trail(ctx, kind, subject_id):
    versions = list(ctx.db[f"{kind}_versions"].find({f"{kind}_id": subject_id}, {"_id": 0}).sort([("version", 1)]))
    requests = list(ctx.db["change_requests"].find({"subject_id": subject_id}, {"_id": 0}).sort([("submitted_at", 1)]))
    events = list(ctx.db["audit"].find({"subject_id": subject_id}, {"_id": 0}).sort([("at", 1)]))
    return {"versions": to_wire(versions), "change_requests": [view(r) for r in requests],
            "audit": to_wire(events)}
