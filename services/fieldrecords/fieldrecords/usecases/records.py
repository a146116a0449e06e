"""Filing an O&M record (现场运维记录填报, seed 001 §2.3): choose task → outlet → form; check in;
fill (one block per device); photos; sign; check in again and submit. Drafts can be resumed."""
from datetime import date, datetime, time, timedelta, timezone

from emss_common import paging
from emss_common.clock import SHANGHAI, as_utc, to_shanghai
from emss_common.errors import Conflict, NotFound, ValidationFailed
from emss_common.events import actor_ref
from emss_common.outbox import pending
from emss_common.forms import form, forms_for
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain.access import may_view, party_may_view, scope_query, within
from ..domain.checkins import check_in
from ..domain.filing import STATUS_LABELS, FilingRight, RecordStatus, check_devices, ensure_draft, ensure_own
from ..schemas import DraftSchema, RecordQuerySchema, StartRecordSchema, SubmitSchema
from ..storage import Submissions, new_id, next_number
from . import copies, photos, policy
from .checkins import last_checkin, remember_checkin


def _filer(actor):
    return {"account_id": actor.account_id, "username": actor.username, "staff_id": actor.staff_id,
            "name": actor.name or actor.username}


def view(ctx, actor, record, with_photos=True):
    out = to_wire(record)
    out.pop("_id", None)
    out["status_label"] = STATUS_LABELS[record["status"]]
    out["form_name"] = form(record["form_kind"])["name"]
    out["flags"] = photos.shown_flags(ctx, actor, record.get("flags") or [])
    if with_photos:
        out["photos"] = [photos.view_for(ctx, actor, p) for p in photos.of_subject(ctx, record["id"])]
    return out


def _mine(ctx, actor, record_id):
    record = ctx.db["records"].find_one({"id": record_id}, {"_id": 0})
    if record is None or not may_view(actor, record):
        raise NotFound("运维记录不存在", field="id")
    ensure_own(actor, record)
    return record


def _devices(ctx, record, content, task=None, field="content.blocks"):
    """The devices a content's blocks name, checked against the outlet and the task copy."""
    if task is None:
        task = ctx.db["tasks"].find_one({"id": record["task_id"]}, {"_id": 0}) or {}
    devices = copies.devices_at(ctx, record["outlet_id"])
    ids = [b.get("device_id") for b in content.get("blocks") or [] if isinstance(b, dict)]
    check_devices(ids, task, record["outlet_id"], devices, field)
    return {i: devices[i] for i in ids}


def _prefixed(exc, prefix):
    if isinstance(exc, ValidationFailed) and exc.field and not exc.field.startswith(prefix):
        exc.field = f"{prefix}.{exc.field}"
    return exc


def _evaluate(ctx, record, content, complete, preview=False, task=None):
    """The forms pipeline's result for this content, and the devices its blocks name."""
    from ..domain.forms import evaluate
    devices = _devices(ctx, record, content, task)
    try:
        return evaluate(record["form_kind"], content, devices, limit=policy.form_limit(ctx), complete=complete,
                        preview=preview), devices
    except ValidationFailed as exc:
        raise _prefixed(exc, "content") from None


def start(ctx, actor, payload):
    """开始签到: the record exists from the first check-in, with the server's time."""
    data = load(StartRecordSchema(), payload)
    submissions = Submissions(ctx.db["records"], "filer.account_id")
    again = submissions.earlier(actor.account_id, data["submission_id"])
    if again is not None:
        return view(ctx, actor, again)
    task = copies.task_of(ctx, actor, data["task_id"])
    outlet = copies.outlet(ctx, data["outlet_id"])
    FilingRight(actor, task, ctx.today).check(data["outlet_id"], data["form_kind"], outlet)
    c = data["check_in"]
    checkin = check_in(policy.checkin_policy(ctx), ctx.now, c["longitude"], c["latitude"], c.get("accuracy"),
                       outlet, last_checkin(ctx, actor.account_id), stage="start", crs=c["crs"])
    spec = form(data["form_kind"])
    record_id = new_id()
    record = {
        "id": record_id, "number": f"YW{ctx.today.year}{next_number(ctx.db, f'record-{ctx.today.year}'):06d}",
        "submission_id": data["submission_id"], "form_kind": data["form_kind"],
        "form_version": spec.get("version", 1), "task_id": task["id"], "task_name": task.get("name"),
        "institution_id": task["institution_id"], "enterprise_id": task["enterprise_id"],
        "enterprise_name": (ctx.db["enterprises"].find_one({"id": task["enterprise_id"]}) or {}).get("name"),
        "district": task.get("district"), "outlet_id": outlet["id"], "outlet_name": outlet.get("name"),
        "outlet_kind": outlet.get("kind"), "filer": _filer(actor), "status": RecordStatus.DRAFT.value,
        "check_in": checkin, "check_out": None, "content": {"values": {}, "blocks": []},
        "computed": None, "verdict": None, "devices": [], "flags": list(checkin["flags"]),
        "performed_at": checkin["at"], "performed_on": to_shanghai(checkin["at"]).date().isoformat(),
        "created_at": ctx.now, "updated_at": ctx.now,
    }
    record, created = submissions.insert(record, actor.account_id)
    if created:
        remember_checkin(ctx, actor, checkin, record_id)
    return view(ctx, actor, record)


def save_draft(ctx, actor, record_id, payload):
    """保存: partial content is kept; only what is there is checked."""
    record = _mine(ctx, actor, record_id)
    ensure_draft(record)
    data = load(DraftSchema(), payload)
    result, _ = _evaluate(ctx, record, data["content"], complete=False)
    ctx.db["records"].update_one({"id": record_id, "status": "draft"},
                                 {"$set": to_document({"content": result["content"], "updated_at": ctx.now})})
    return view(ctx, actor, {**record, "content": result["content"], "updated_at": ctx.now})


def preview(ctx, actor, record_id, payload):
    """What the filer sees while filling on site: the computed values (drift, errors, hours) of
    what is there so far, each judged against the service's limits. Nothing is stored."""
    record = _mine(ctx, actor, record_id)
    ensure_draft(record)
    data = load(DraftSchema(), payload)
    result, devices = _evaluate(ctx, record, data["content"], complete=False, preview=True)
    return {"form_kind": record["form_kind"], "computed": result["computed"],
            "checks": result["verdict"]["checks"], "abnormal_items": result["verdict"]["abnormal_items"],
            "devices": {i: to_wire(d) for i, d in devices.items()}}


def add_photo(ctx, actor, record_id, payload):
    record = _mine(ctx, actor, record_id)
    ensure_draft(record)
    outlet = copies.outlet(ctx, record["outlet_id"])
    photo, flags = photos.attach(ctx, actor, record, "record", payload, outlet,
                                 _aware(ctx, record["check_in"]["at"]))
    if flags:
        ctx.db["records"].update_one({"id": record_id}, {"$push": {"flags": {"$each": to_document(flags)}}})
    return photo


def _aware(ctx, at):
    return at if getattr(at, "tzinfo", None) else at.replace(tzinfo=ctx.now.tzinfo)


def submit(ctx, actor, record_id, payload):
    """结束签到并上传: the complete form is judged, the second check-in taken, the record sealed."""
    data = load(SubmitSchema(), payload)
    record = _mine(ctx, actor, record_id)
    if record["status"] == RecordStatus.SUBMITTED.value:
        if record.get("submitted_with") == data["submission_id"]:
            return view(ctx, actor, record)  # the same submission again (weak network): the same answer
        ensure_draft(record)
    # The right to file is checked again: the task may have finished, or the filer been taken off
    # it, since the check-in (the period is judged on the day of the check-in).
    task = copies.task_of(ctx, actor, record["task_id"])
    outlet = copies.outlet(ctx, record["outlet_id"])
    FilingRight(actor, task, date.fromisoformat(record["performed_on"])).check(
        record["outlet_id"], record["form_kind"], outlet)
    content = data["content"] if data.get("content") is not None else record["content"]
    result, used = _evaluate(ctx, record, content, complete=True, task=task)
    equipment = _equipment(ctx, record["institution_id"], data["equipment_ids"])
    work = ctx.db["photos"].count_documents({"subject_id": record_id, "kind": "work"})
    if not work:
        raise ValidationFailed("请上传面部清晰的工作照片", field="photos")
    signature = photos.signature(ctx, record_id, data["signature"])
    c, checkins = data["check_out"], policy.checkin_policy(ctx)
    checkout = check_in(checkins, ctx.now, c["longitude"], c["latitude"], c.get("accuracy"),
                        outlet, last_checkin(ctx, actor.account_id), stage="end", crs=c["crs"])
    long_visit = checkins.visit_flag(_aware(ctx, record["check_in"]["at"]), checkout["at"])
    if long_visit:
        checkout["flags"].append(long_visit)
    devices = [{k: d.get(k) for k in ("id", "kind", "name", "model", "brand", "serial_number", "factor_code",
                                      "unit", "range_lower", "range_upper")}
               for d in used.values()]
    updates = {"status": RecordStatus.SUBMITTED.value, "submitted_with": data["submission_id"],
               "content": result["content"], "computed": result["computed"], "verdict": result["verdict"],
               "devices": devices, "device_ids": [d["id"] for d in devices], "equipment": equipment,
               "check_out": checkout,
               "signature": signature, "description": data.get("description"),
               "flags": record["flags"] + checkout["flags"], "submitted_at": ctx.now, "updated_at": ctx.now}
    record = {**record, **to_document(updates)}
    # The event is written with the submission: no later step can leave a submitted record unheard of.
    ev = ctx.events.new("record.submitted", record_id, {"record": fact(record)}, actor=actor_ref(actor.to_dict()))
    done = ctx.db["records"].update_one({"id": record_id, "status": "draft"},
                                        pending({"$set": to_document(updates)}, ev))
    if done.matched_count != 1:  # submitted concurrently: answer with what was stored
        stored = ctx.db["records"].find_one({"id": record_id}, {"_id": 0})
        if stored.get("submitted_with") == data["submission_id"]:
            return view(ctx, actor, stored)
        raise Conflict("记录已被提交", field="status")
    ctx.events.flush("records", record_id, ev)
    remember_checkin(ctx, actor, checkout, record_id)
    return view(ctx, actor, record)


EQUIPMENT_KEYS = ("id", "name", "model", "asset_number", "calibration_certificate_no", "calibration_valid_until")


def _equipment(ctx, institution_id, ids):
    """The institution's filed instruments the filer names, as the registry lists them today: the
    calibration on the day of the work is the evidence credit judges (EXPIRED_CALIBRATION)."""
    inst = ctx.db["institutions"].find_one({"id": institution_id}, {"_id": 0, "equipment": 1}) or {}
    filed = {e.get("id"): e for e in inst.get("equipment") or [] if e.get("id")}
    for i, eid in enumerate(ids):
        if eid not in filed:
            raise ValidationFailed("该设备不是本机构备案的仪器设备", field=f"equipment_ids[{i}]")
    return [{k: filed[eid].get(k) for k in EQUIPMENT_KEYS} for eid in dict.fromkeys(ids)]   # each once, in order


def fact(record):
    """What other services keep of a submitted record (confirmation rolls it up per enterprise and
    day; credit checks frequency and quality; tasks counts the occurrence done)."""
    keys = ("id", "number", "task_id", "institution_id", "enterprise_id", "enterprise_name", "district",
            "outlet_id", "outlet_name", "outlet_kind", "form_kind", "performed_at", "performed_on",
            "submitted_at", "filer", "device_ids", "check_in", "check_out")
    out = to_wire({k: record.get(k) for k in keys})
    out["form_name"] = form(record["form_kind"])["name"]
    out["devices"] = [{k: d.get(k) for k in ("id", "name", "model", "factor_code")} for d in record.get("devices", [])]
    out["equipment"] = to_wire(record.get("equipment") or [])
    out["passed"] = (record.get("verdict") or {}).get("passed")
    out["failures"] = (record.get("verdict") or {}).get("failures", [])
    out["flags"] = sorted({f["code"] for f in record.get("flags", [])})
    # The records (or trips) a photo of this one looks like: the other half of the evidence.
    out["lookalikes"] = sorted(({"id": f["other_subject_id"], "number": f.get("other_number"),
                                 "type": f.get("other_subject_type") or "record"}
                                for f in record.get("flags", [])
                                if f["code"] == "duplicate_photo" and f.get("other_subject_id")),
                               key=lambda x: x["id"])
    out["lookalikes"] = [x for i, x in enumerate(out["lookalikes"])
                         if i == 0 or x["id"] != out["lookalikes"][i - 1]["id"]]
    # The form-level answers and computed values (fault times, dates, results), without the
    # inspection items (answered as objects): credit judges fault resolution times from them.
    values = (record.get("content") or {}).get("values") or {}
    out["values"] = to_wire({k: v for k, v in values.items() if not isinstance(v, (dict, list))})
    out["computed"] = to_wire(dict((record.get("computed") or {}).get("values") or {}))
    return out


def get(ctx, actor, record_id):
    record = ctx.db["records"].find_one({"id": record_id}, {"_id": 0})
    if record is None or not may_view(actor, record):
        raise NotFound("运维记录不存在", field="id")
    return view(ctx, actor, record)


def photo_content(ctx, actor, photo_id):
    photo = photos.get_photo(ctx, photo_id)
    subject = ctx.db[{"record": "records", "trip": "trips"}.get(photo["subject_type"], "records")].find_one(
        {"id": photo["subject_id"]}, {"_id": 0})
    if subject is None or not may_view(actor, subject):
        raise NotFound("照片不存在", field="photo_id")
    return {**photos.view_for(ctx, actor, photo), **photos.content_of(ctx, photo)}


def signature_content(ctx, actor, subject_id):
    """The signature of a record or a trip."""
    subject = ctx.db["records"].find_one({"id": subject_id}, {"_id": 0}) \
        or ctx.db["trips"].find_one({"id": subject_id}, {"_id": 0})
    if subject is None or not may_view(actor, subject) or not subject.get("signature"):
        raise NotFound("签名不存在", field="id")
    sig = subject["signature"]
    return {"content_type": sig["content_type"],
            "content_base64": photos.encode_file(ctx, sig["file_id"])}


RECORD_ORDER = [("performed_at", -1), ("id", 1)]   # newest first; id breaks ties


def list_filter(ctx, actor, q):
    """The filter of a record list (q: a loaded RecordQuerySchema), or None when it can hold
    nothing; with `recheck` True when its rows are to be checked against may_view."""
    recheck = False
    if q["mine"] or q.get("status") == "draft":
        scope = {"filer.account_id": actor.account_id}   # drafts are the filer's alone
    elif q.get("task_id"):
        # A task's records carry its parties (copied at check-in): whoever may see the task lists
        # them by the task alone, the query its index serves; each row is still checked.
        task = ctx.db["tasks"].find_one({"id": q["task_id"]}, {"_id": 0})
        if task is None or not party_may_view(actor, task):
            return None, False
        scope, recheck = {"task_id": q["task_id"], "status": "submitted"}, True
    else:
        scope = scope_query(actor)
        if scope is None:
            raise NotFound("没有可查看的运维记录", field="scope")
        scope = within(scope, {"status": "submitted"})
    filters = {key: q[key] for key in ("status", "task_id", "outlet_id", "form_kind", "enterprise_id") if q.get(key)}
    # Days as a range of performed_at (performed_on is its Shanghai date): one range, on the sort
    # key, is what an index serves together with the cursor's.
    first, last = (q["day"], q["day"]) if q.get("day") else (q.get("date_from"), q.get("date_to"))
    if first or last:
        filters["performed_at"] = {**({"$gte": _midnight(first)} if first else {}),
                                   **({"$lt": _midnight(last + timedelta(days=1))} if last else {})}
    if q.get("flagged") is True:
        filters["flags.0"] = {"$exists": True}
    return within(scope, filters), recheck   # a filter narrows the actor's scope, never replaces it


def _midnight(day):
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)


def list_records(ctx, actor, query=None):
    q = load(RecordQuerySchema(), query or {})
    mongo, recheck = list_filter(ctx, actor, q)
    if mongo is None:
        return {"items": [], "size": q["size"], "next": None, "prev": None, "total": 0, "total_capped": False}
    result = paging.page(ctx.db["records"], mongo, RECORD_ORDER, q["size"], after=q["after"], before=q["before"],
                         newest=ctx.now)
    rows = [r for r in result["items"] if not recheck or may_view(actor, r)]
    return {**result, "items": [view(ctx, actor, r, with_photos=False) for r in rows]}


def my_tasks(ctx, actor):
    """The H5 task list (任务列表): tasks in progress that name this staff member, each outlet with
    the forms its type offers (planned ones first) and the task's devices registered there."""
    if not actor.staff_id:
        return []
    out = []
    today = ctx.today.isoformat()
    for task in ctx.db["tasks"].find({"staff_ids": actor.staff_id, "status": "in_progress",
                                      "institution_id": actor.institution_id}, {"_id": 0}).sort("start", 1):
        if not str(task["start"])[:10] <= today <= str(task["end"])[:10]:
            continue
        outlets = []
        for outlet_id in task.get("outlet_ids") or []:
            o = copies.outlet(ctx, outlet_id)
            if o is None:
                continue
            planned = {p["form_kind"] for p in task.get("plan") or [] if p.get("outlet_id") == outlet_id}
            # Planned forms first; a stable sort keeps the catalogue's order within each group.
            kinds = sorted(forms_for(o["kind"]).items(), key=lambda kv: kv[0] not in planned)
            devices = [to_wire(d) for d in copies.devices_at(ctx, outlet_id).values()
                       if d["id"] in (task.get("device_ids") or [])]
            outlets.append({**to_wire(o), "forms": [{"kind": k, "name": f["name"], "planned": k in planned}
                                                    for k, f in kinds], "devices": devices})
        out.append({"id": task["id"], "name": task.get("name"), "enterprise_id": task["enterprise_id"],
                    "start": task["start"], "end": task["end"], "outlets": outlets})
    return out


def form_description(kind, device=None):
    """What the pages render for a form kind; given a device, its block narrowed to that device."""
    if form(kind) is None:
        raise NotFound("未知的运维内容（表单）", field="form_kind")
    from ..domain.forms import describe
    return describe(kind, device)


def follow_confirmation(ctx, event):
    """Where a submitted record stands with the enterprise and the reviewer (confirmation events),
    shown beside the record; a later state is never overwritten by an earlier event."""
    fact = event["data"]["record"]
    at = as_utc(event["occurred_at"]).isoformat()  # one format, in UTC: compared as text
    state = {"status": fact["status"], "status_label": fact.get("status_label"), "overdue": fact.get("overdue"),
             "late": fact.get("late"), "reason": fact.get("reason"), "at": at}
    ctx.db["records"].update_one(
        {"id": fact["id"], "$or": [{"confirmation": None}, {"confirmation": {"$exists": False}},
                                   {"confirmation.at": {"$lte": at}}]},
        {"$set": {"confirmation": state}})
