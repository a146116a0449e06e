"""On-site inspections (现场检查) and comparison spot tests (比对抽测) recorded by regulators; their
failed items and factors become findings like any rule's (usecases.warnings.raise_finding)."""
import uuid

from emss_common import paging
from emss_common.access import load_visible, scope_query, within
from emss_common.actor import DISTRICTS, REGULATOR, WHOLE_CITY
from emss_common.clock import as_utc
from emss_common.errors import Forbidden, NotFound, ValidationFailed
from emss_common.events import actor_ref
from emss_common.files import FileStore, document_upload, encode
from emss_common.outbox import staged
from emss_common.serial import to_document, to_wire
from emss_common.validation import load
from emss_common.vocabulary import INSPECTION_KINDS, INSPECTION_RESULTS

from ..schemas_orders import InspectionQuerySchema, InspectionSchema
from ..storage_orders import INSPECTION_FILES, INSPECTIONS
from ..supervision import inspections as rules
from . import warnings

INSPECTION_SORT = [("inspected_on", -1), ("id", 1)]
PHOTO_TYPES = ("image/jpeg", "image/png")
FINDINGS_PENDING = "findings_pending"


def _max_bytes(ctx):
    return ctx.setting("EMSS_INSPECTION_MAX_BYTES", 10 * 1024 * 1024)


def record_inspection(ctx, actor, payload):
    data = load(InspectionSchema(), payload)
    if not actor.has(REGULATOR):
        raise Forbidden("只有监管部门可以登记现场检查")
    if data["inspected_on"] > ctx.today:
        raise ValidationFailed("检查日期不能晚于今天", field="inspected_on")
    subject = _subject(ctx, actor, data)
    if not rules.may_record(actor, subject["district"]):
        raise Forbidden("只能登记本辖区的现场检查")
    for i, wid in enumerate(data["warning_ids"]):
        warning = ctx.db["warnings"].find_one({"id": wid}, {"_id": 0})
        if warning is None or not warnings.may_view(actor, warning):
            raise ValidationFailed("预警不存在", field=f"warning_ids[{i}]")
        if not _about(subject, warning):
            raise ValidationFailed("该预警与检查对象无关", field=f"warning_ids[{i}]")
    factors = []
    for i, entry in enumerate(data["factors"]):
        try:
            entry = {**entry, "measured_at": as_utc(entry["measured_at"])}   # stored and shown in UTC
            factors.append(rules.judge_factor(subject["outlet_kind"], entry, limit=_limit(ctx)))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field=f"factors[{i}].{exc.field}") from None
    photos = []
    for i, upload in enumerate(data["photos"]):
        content, mime, name = document_upload(upload, f"photos[{i}]", _max_bytes(ctx), default_name="photo")
        if mime not in PHOTO_TYPES:
            raise ValidationFailed("现场照片应为 JPEG 或 PNG 图片", field=f"photos[{i}]")
        photos.append((content, mime, name))
    inspection_id = uuid.uuid4().hex
    items = [{"key": item.get("key") or f"item{n + 1}", "label": item["label"], "result": item["result"],
              "result_label": INSPECTION_RESULTS[item["result"]], "note": item.get("note")}
             for n, item in enumerate(data["items"])]
    now = ctx.now
    doc = {"id": inspection_id, "kind": data["kind"], "subject_kind": data["subject_kind"], **subject,
           "inspected_on": data["inspected_on"], "inspectors": data["inspectors"], "items": items,
           "factors": factors, "findings_text": data.get("findings"), "warning_ids": data["warning_ids"],
           "recorded_at": now, "recorded_by": actor_ref(actor.to_dict()), "photos": []}
    found = rules.findings(doc)
    doc["failed"] = bool(found)
    doc["finding_ids"] = [f.id for f in found]
    if found:
        doc[FINDINGS_PENDING] = doc["finding_ids"]   # raised next; the sweep finishes it after a crash
    files, kept = FileStore(ctx.db, INSPECTION_FILES), []
    try:
        for content, mime, name in photos:
            file_id, sha = files.put(content, name, mime, inspection_id=inspection_id)
            kept.append(file_id)
            doc["photos"].append({"id": file_id, "name": name, "content_type": mime, "size": len(content),
                                  "sha256": sha})
        doc = to_document(doc)
        ev = ctx.events.new("inspection.recorded", inspection_id, {"inspection": view(doc)}, actor=actor.to_dict())
        ctx.db[INSPECTIONS].insert_one(staged(doc, ev))
    except Exception:
        for file_id in kept:  # nothing accepted, nothing kept
            files.delete(file_id)
        raise
    ctx.events.flush(INSPECTIONS, inspection_id, ev)
    raise_findings(ctx, doc)
    return view(doc)


def raise_findings(ctx, inspection):
    """Raise the inspection's findings (idempotent), then clear its mark."""
    for finding in rules.findings(inspection):
        warnings.raise_finding(ctx, finding)
    ctx.db[INSPECTIONS].update_one({"id": inspection["id"]}, {"$unset": {FINDINGS_PENDING: ""}})


def finish_pending_findings(ctx, limit=200):
    """Findings of inspections whose recording process died before raising them."""
    rows = list(ctx.db[INSPECTIONS].find({FINDINGS_PENDING: {"$exists": True}}, {"_id": 0}).limit(limit))
    for inspection in rows:
        raise_findings(ctx, inspection)
    return len(rows)


def _limit(ctx):
    """The service configuration may override a catalogue limit by its key, as fieldrecords' may."""
    def limit(key, default):
        value = ctx.config.get(key)
        return default if value in (None, "") else float(value)
    return limit


def _subject(ctx, actor, data):
    """Who is inspected, from this service's registry copy (never from ids alone)."""
    out = {"institution_id": None, "institution_name": None, "enterprise_id": None, "enterprise_name": None,
           "outlet_id": None, "outlet_name": None, "outlet_kind": None, "district": None}
    if data.get("institution_id"):
        inst = ctx.db["institutions"].find_one({"id": data["institution_id"]}, {"_id": 0})
        if inst is None:
            raise ValidationFailed("运维机构不存在或尚未同步", field="institution_id")
        out.update(institution_id=inst["id"], institution_name=inst.get("name"))
    if data["subject_kind"] == "outlet":
        outlet = ctx.db["outlets"].find_one({"id": data["outlet_id"]}, {"_id": 0})
        enterprise = outlet and ctx.db["enterprises"].find_one({"id": outlet["enterprise_id"]}, {"_id": 0})
        if outlet is None or enterprise is None:
            raise ValidationFailed("排口不存在或尚未同步", field="outlet_id")
        out.update(outlet_id=outlet["id"], outlet_name=outlet.get("name"), outlet_kind=outlet.get("kind"),
                   enterprise_id=enterprise["id"], enterprise_name=enterprise.get("name"),
                   district=enterprise.get("district"))
    else:
        # An institution serves the whole city: the inspection belongs to the inspecting district.
        district = actor.district if actor.district != WHOLE_CITY else data.get("district")
        if not district:
            raise ValidationFailed("请选择检查所在辖区", field="district")
        if district not in DISTRICTS:
            raise ValidationFailed("辖区不存在", field="district")
        out["district"] = district
    return out


def _about(subject, warning):
    if subject["outlet_id"]:
        return warning.get("outlet_id") == subject["outlet_id"] or (
            subject["institution_id"] is not None and warning.get("institution_id") == subject["institution_id"])
    return warning.get("institution_id") == subject["institution_id"]


def view(inspection):
    out = to_wire({k: v for k, v in inspection.items() if k != FINDINGS_PENDING})
    out["kind_label"] = INSPECTION_KINDS[inspection["kind"]]
    out["subject_label"] = "排口" if inspection["subject_kind"] == "outlet" else "运维机构"
    return out


def get_inspection(ctx, actor, inspection_id):
    return view(load_visible(ctx.db[INSPECTIONS], inspection_id, actor, rules.may_view, "现场检查记录"))


def list_inspections(ctx, actor, query=None):
    q = load(InspectionQuerySchema(), query or {})
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看现场检查记录")
    mongo = {key: q[key] for key in ("kind", "institution_id", "outlet_id", "district") if q.get(key)}
    if q.get("failed") is not None:
        mongo["failed"] = q["failed"]
    result = paging.page(ctx.db[INSPECTIONS], within(scope, mongo), INSPECTION_SORT, q["size"], after=q["after"],
                         before=q["before"], newest=ctx.today)
    return {**result, "kind_labels": INSPECTION_KINDS, "items": [view(r) for r in result["items"]]}


def inspection_file(ctx, actor, inspection_id, file_id):
    inspection = load_visible(ctx.db[INSPECTIONS], inspection_id, actor, rules.may_view, "现场检查记录")
    meta = next((p for p in inspection["photos"] if p["id"] == file_id), None)
    if meta is None:
        raise NotFound("文件不存在", field="file_id")
    content = FileStore(ctx.db, INSPECTION_FILES).get(file_id)
    return {"name": meta["name"], "content_type": meta["content_type"], "content_base64": encode(content)}
