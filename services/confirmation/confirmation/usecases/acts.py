"""Signed acts and the trail. An act is one confirmation or review request that changed at least
one record or trip: who, when, from where, with the signature and the work photo (GridFS). Every
state change is a transition in the append-only trail that names its act."""
from dataclasses import replace

from pymongo.errors import DuplicateKeyError

from emss_common.errors import Conflict, NotFound
from emss_common.files import FileStore, decode_upload, encode
from emss_common.imaging import shared_detector, inspect_image, require_face
from emss_common.serial import to_document, to_wire

from ..domain import records as record_rules
from ..domain import trips as trip_rules
from ..storage import ACT_FILES, new_id
from . import policy

SYSTEM = {"account_id": None, "username": "system", "name": "系统", "staff_id": None, "roles": ["system"],
          "institution_id": None, "enterprise_id": None}
ACT_LABELS = {"enterprise_confirmation": "排污单位确认", "review_confirm": "审核确认", "void": "作废",
              "trip_confirmation": "采样行程确认"}


def by(actor):
    """Who acted, as the trail keeps it."""
    return {"account_id": actor.account_id, "username": actor.username, "name": actor.name or actor.username,
            "staff_id": actor.staff_id, "roles": sorted(actor.roles), "institution_id": actor.institution_id,
            "enterprise_id": actor.enterprise_id}


def check_files(ctx, data):
    """The signature (an image) and the work photo (an image showing a face), checked by content as
    field photos are; ValidationFailed names "signature" or "photo" and nothing is stored."""
    limits = policy.photo_limits(ctx)
    sig_limits = replace(limits, min_side=50)  # a signature pad's strip is small by nature
    signature = decode_upload(data["signature"], "signature", sig_limits.max_bytes)
    sig_facts = inspect_image(signature, sig_limits, field="signature")
    photo = decode_upload(data["photo"], "photo", limits.max_bytes)
    photo_facts = inspect_image(photo, limits, field="photo")
    faces = require_face(shared_detector(), photo, "photo")
    return {"signature": (signature, sig_facts, None), "photo": (photo, photo_facts, faces)}


class AlreadyDone(Exception):
    """The same submission_id was carried out by a concurrent retry: its answer is the answer."""

    def __init__(self, result):
        super().__init__("already done")
        self.result = result


def _submission_key(actor, kind, data, act_id):
    sid = data.get("submission_id")
    return f"{actor.account_id}:{kind}:{sid}" if sid else act_id


def previous_result(ctx, actor, kind, data):
    """The answer already given to this submission_id (a retried request), or None."""
    if not data.get("submission_id"):
        return None
    act = ctx.db["acts"].find_one({"submission_key": _submission_key(actor, kind, data, None)}, {"_id": 0})
    if act is None:
        return None
    if act.get("result") is None:
        raise Conflict("该请求正在处理，请稍后刷新", field="submission_id")
    return act["result"]


def record_act(ctx, actor, kind, data, files, subject_type, subject_ids, **extra):
    """Store the files and the act; AlreadyDone when a retry of the same submission_id won the race."""
    act_id = new_id()
    store = FileStore(ctx.db, ACT_FILES)
    stored = {}
    for which, (content, facts, faces) in files.items():
        file_id, sha = store.put(content, data[which].get("name") or which, facts.content_type,
                                 act_id=act_id, kind=which)
        stored[which] = {"file_id": file_id, "sha256": sha, "content_type": facts.content_type,
                         "width": facts.width, "height": facts.height, "size_bytes": facts.size_bytes,
                         "taken_at": facts.taken_at, "faces": faces}
    act = {"id": act_id, "kind": kind, "kind_label": ACT_LABELS[kind],
           "submission_key": _submission_key(actor, kind, data, act_id), "by": by(actor), "at": ctx.now,
           "origin": data.get("origin"), "location": data.get("location"), "subject_type": subject_type,
           "subject_ids": list(subject_ids), "signature": stored["signature"], "photo": stored["photo"],
           "result": None, **extra}
    try:
        ctx.db["acts"].insert_one(to_document(act))
    except DuplicateKeyError:
        raise AlreadyDone(previous_result(ctx, actor, kind, data)) from None
    return act


def finish_act(ctx, act, result):
    ctx.db["acts"].update_one({"id": act["id"]}, {"$set": {"result": to_document(result)}})


def transition_entry(ctx, subject_type, subject_id, t, by_, at, act=None, origin=None, location=None, seq=None,
                     **extra):
    labels = record_rules.STATUS_LABELS if subject_type == "record" else trip_rules.STATUS_LABELS
    actions = record_rules.ACTION_LABELS if subject_type == "record" else trip_rules.ACTION_LABELS
    # Acts of one subject are serialised by its status guard, so counting gives their order even
    # when two happen within the same clock tick.
    seq = seq or ctx.db["transitions"].count_documents({"subject_id": subject_id}) + 1
    entry = {"id": new_id(), "seq": seq, "subject_type": subject_type, "subject_id": subject_id, "action": t.action,
             "action_label": actions[t.action], "from": t.source, "from_label": labels.get(t.source),
             "to": t.target, "to_label": labels[t.target], "by": by_, "at": at,
             "origin": act["origin"] if act else origin, "location": act["location"] if act else location,
             "act_id": act["id"] if act else None,
             "signature_file_id": act["signature"]["file_id"] if act else None,
             "photo_file_id": act["photo"]["file_id"] if act else None, **extra}
    ctx.db["transitions"].insert_one(to_document(entry))
    return entry


def keep_copy(ctx, collection, doc, subject_type, t, by_, at, **kw):
    """Store a copy of another service's fact with the first entry of its trail. The entry goes
    first, so no act can slip in between; a redelivery after a crash between the two finds the
    entry and still stores the copy. False when the copy was already kept."""
    if ctx.db[collection].find_one({"id": doc["id"]}, {"_id": 0, "id": 1}) is not None:
        return False
    try:
        transition_entry(ctx, subject_type, doc["id"], t, by_, at, seq=1, **kw)
    except DuplicateKeyError:
        pass  # written by an earlier delivery of the same fact
    try:
        ctx.db[collection].insert_one(to_document(doc))
    except DuplicateKeyError:
        return False
    return True


def trail(ctx, subject_id):
    rows = ctx.db["transitions"].find({"subject_id": subject_id}, {"_id": 0}).sort([("seq", 1), ("at", 1)])
    return [to_wire(r) for r in rows]


def act_view(act):
    out = to_wire(act)
    for key in ("submission_key", "result"):
        out.pop(key, None)
    for which in ("signature", "photo"):
        out[which]["path"] = f"/api/v1/confirmation/acts/{act['id']}/{which}"
    return out


def acts_of(ctx, subject_id):
    return [act_view(a) for a in ctx.db["acts"].find({"subject_ids": subject_id}, {"_id": 0}).sort("at", 1)]


def file_content(ctx, actor, act_id, which, may_view):
    """The signature or photo of an act, for someone who may see one of its records or trips."""
    act = ctx.db["acts"].find_one({"id": act_id}, {"_id": 0})
    if act is None or which not in ("signature", "photo"):
        raise NotFound("文件不存在", field="id")
    col = ctx.db["records" if act["subject_type"] == "record" else "trips"]
    if not any(may_view(actor, s) for s in col.find({"id": {"$in": act["subject_ids"]}}, {"_id": 0})):
        raise NotFound("文件不存在", field="id")
    meta = act[which]
    return {"content_type": meta["content_type"],
            "content_base64": encode(FileStore(ctx.db, ACT_FILES).get(meta["file_id"]))}
