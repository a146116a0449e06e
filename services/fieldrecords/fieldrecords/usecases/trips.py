"""Sampling trips (现场采样) and received-sample checks (来样检查), seed 002."""
from emss_common import paging
from emss_common.errors import NotFound, ValidationFailed
from emss_common.events import actor_ref
from emss_common.outbox import pending, staged
from emss_common.files import FileStore, decode_upload
from emss_common.imaging import inspect_image
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain import trips as rules
from ..domain.access import may_view, scope_query, within
from ..domain.checkins import check_in, flag
from ..schemas import ConditionsSchema, DepartSchema, ReceiptSchema, SampleSchema, StartTripSchema, TripQuerySchema
from ..storage import PHOTO_FILES, Submissions, new_id, next_number
from . import copies, photos, policy
from .checkins import last_checkin, remember_checkin


def view(ctx, actor, trip, with_photos=True):
    out = to_wire(trip)
    out["status_label"] = rules.STATUS_LABELS[trip["status"]]
    out["flags"] = photos.shown_flags(ctx, actor, trip.get("flags") or [])
    if with_photos:
        out["photos"] = [photos.view_for(ctx, actor, p) for p in photos.of_subject(ctx, trip["id"])]
    return out


def _points(ctx, task):
    """Where the team should be: the scheme's points, as places with coordinates."""
    out = []
    for point in ((task.get("scheme") or {}).get("points")) or []:
        if point.get("outlet_id"):
            o = copies.outlet(ctx, point["outlet_id"])
            if o:
                out.append(o)
        elif point.get("new_point"):
            out.append({**point["new_point"], "crs": "WGS-84"})
    return out


def _check_in(ctx, actor, task, c, stage):
    previous = last_checkin(ctx, actor.account_id)
    candidates = [check_in(policy.checkin_policy(ctx), ctx.now, c["longitude"], c["latitude"], c.get("accuracy"),
                           p, previous, stage=stage, crs=c["crs"]) for p in _points(ctx, task)]
    if not candidates:
        raise ValidationFailed("监测方案中没有带坐标的点位", field="sampling_task_id")
    return min(candidates, key=lambda ci: ci["distance_m"])


def _mine(ctx, actor, trip_id):
    trip = ctx.db["trips"].find_one({"id": trip_id}, {"_id": 0})
    if trip is None or not may_view(actor, trip) or trip["leader"]["account_id"] != actor.account_id:
        raise NotFound("采样行程不存在", field="id")
    return trip


def start(ctx, actor, payload):
    """进场签到."""
    data = load(StartTripSchema(), payload)
    submissions = Submissions(ctx.db["trips"], "leader.account_id")
    again = submissions.earlier(actor.account_id, data["submission_id"])
    if again is not None:
        return view(ctx, actor, again)
    task = copies.task_of(ctx, actor, data["sampling_task_id"], "sampling_tasks", "采样任务")
    rules.ensure_may_sample(actor, task)
    arrival = _check_in(ctx, actor, task, data["check_in"], "arrival")
    flags = list(arrival["flags"])
    if ctx.today.isoformat() not in [str(d)[:10] for d in (task.get("plan") or {}).get("dates", [])]:
        flags.append(flag("off_plan_date", day=ctx.today.isoformat()))
    trip = {"id": new_id(), "number": f"CY{ctx.today.year}{next_number(ctx.db, f'trip-{ctx.today.year}'):06d}",
            "submission_id": data["submission_id"], "sampling_task_id": task["id"],
            "task_title": task.get("title"), "institution_id": task["institution_id"],
            "enterprise_id": task["enterprise_id"], "enterprise_name": task.get("enterprise_name"),
            "district": task.get("district"), "self_monitoring": bool(task.get("self_monitoring")),
            "leader": {"account_id": actor.account_id, "staff_id": actor.staff_id,
                       "name": actor.name or actor.username},
            "status": rules.TripStatus.ON_SITE.value, "arrival": arrival, "departure": None,
            "samples": [], "conditions": None, "flags": flags, "created_at": ctx.now, "updated_at": ctx.now}
    trip, created = submissions.insert(trip, actor.account_id)
    if created:
        remember_checkin(ctx, actor, arrival, trip["id"])
    return view(ctx, actor, trip)


def add_photo(ctx, actor, trip_id, payload):
    trip = _mine(ctx, actor, trip_id)
    rules.ensure_on_site(trip)
    photo, flags = photos.attach(ctx, actor, trip, "trip", payload)
    if flags:
        ctx.db["trips"].update_one({"id": trip_id}, {"$push": {"flags": {"$each": to_document(flags)}}})
    return photo


def add_sample(ctx, actor, trip_id, payload):
    """现场采样: one sample; sending the same sample_id again changes nothing."""
    trip = _mine(ctx, actor, trip_id)
    rules.ensure_on_site(trip)
    data = load(SampleSchema(), payload)
    if any(s["sample_id"] == data["sample_id"] for s in trip["samples"]):
        return view(ctx, actor, trip)
    task = copies.task_of(ctx, actor, trip["sampling_task_id"], "sampling_tasks", "采样任务")
    arrived = trip["arrival"]["at"]
    arrived = arrived if arrived.tzinfo else arrived.replace(tzinfo=ctx.now.tzinfo)
    rules.check_sample(task, data, arrived, ctx.now)
    if any(s["sample_code"] == data["sample_code"] for s in trip["samples"]):
        raise ValidationFailed("样品编号重复", field="sample_code")
    photos.ensure_photos_of(ctx, trip_id, data["photo_ids"], "photo_ids")
    sample = {**data, "recorded_at": ctx.now}
    ctx.db["trips"].update_one({"id": trip_id, "status": "on_site", "samples.sample_id": {"$ne": data["sample_id"]}},
                               {"$push": {"samples": to_document(sample)}, "$set": {"updated_at": ctx.now}})
    return view(ctx, actor, ctx.db["trips"].find_one({"id": trip_id}, {"_id": 0}))


def set_conditions(ctx, actor, trip_id, payload):
    """采样工况."""
    trip = _mine(ctx, actor, trip_id)
    rules.ensure_on_site(trip)
    data = load(ConditionsSchema(), payload)
    photos.ensure_photos_of(ctx, trip_id, data["photo_ids"], "photo_ids")
    ctx.db["trips"].update_one({"id": trip_id, "status": "on_site"},
                               {"$set": to_document({"conditions": {**data, "recorded_at": ctx.now},
                                                     "updated_at": ctx.now})})
    return view(ctx, actor, ctx.db["trips"].find_one({"id": trip_id}, {"_id": 0}))


def depart(ctx, actor, trip_id, payload):
    """离场签到: the trip goes to the enterprise for confirmation (unless it monitors itself)."""
    data = load(DepartSchema(), payload)
    trip = _mine(ctx, actor, trip_id)
    if trip["status"] != rules.TripStatus.ON_SITE.value and trip.get("departed_with") == data["submission_id"]:
        return view(ctx, actor, trip)
    rules.ensure_on_site(trip)
    work = ctx.db["photos"].count_documents({"subject_id": trip_id, "kind": "work"})
    for field, message in rules.departure_problems(trip, work):
        raise ValidationFailed(message, field=field)
    task = copies.task_of(ctx, actor, trip["sampling_task_id"], "sampling_tasks", "采样任务")
    signature = photos.signature(ctx, trip_id, data["signature"])
    departure = _check_in(ctx, actor, task, data["check_out"], "departure")
    status = rules.after_departure(trip)
    updates = {"status": status.value, "departure": departure, "signature": signature,
               "departed_with": data["submission_id"], "departed_at": ctx.now,
               "flags": trip["flags"] + departure["flags"], "updated_at": ctx.now}
    new = {**trip, **to_document(updates)}
    ev = ctx.events.new("sampling_trip.departed", trip_id, {"trip": fact(new)}, actor=actor_ref(actor.to_dict()))
    done = ctx.db["trips"].update_one({"id": trip_id, "status": "on_site"},
                                      pending({"$set": to_document(updates)}, ev))
    if done.matched_count != 1:
        return view(ctx, actor, ctx.db["trips"].find_one({"id": trip_id}, {"_id": 0}))
    ctx.events.flush("trips", trip_id, ev)
    remember_checkin(ctx, actor, departure, trip_id)
    return view(ctx, actor, new)


def fact(trip):
    keys = ("id", "number", "sampling_task_id", "task_title", "institution_id", "enterprise_id",
            "enterprise_name", "district", "self_monitoring", "leader", "status", "departed_at")
    out = to_wire({k: trip.get(k) for k in keys})
    out["arrived_at"] = to_wire(trip["arrival"]["at"])
    out["samples"] = len(trip.get("samples") or [])
    out["flags"] = sorted({f["code"] for f in trip.get("flags", [])})
    return out


def mark_confirmed(ctx, event):
    """The enterprise confirmed the trip (confirmation service)."""
    trip = event["data"]["trip"]
    ctx.db["trips"].update_one({"id": trip["id"], "status": rules.TripStatus.AWAITING_CONFIRMATION.value},
                               {"$set": {"status": rules.TripStatus.CONFIRMED.value}})


def get(ctx, actor, trip_id):
    trip = ctx.db["trips"].find_one({"id": trip_id}, {"_id": 0})
    if trip is None or not may_view(actor, trip):
        raise NotFound("采样行程不存在", field="id")
    return view(ctx, actor, trip)


TRIP_ORDER = [("created_at", -1), ("id", 1)]


def list_trips(ctx, actor, query=None):
    """A page of trips, newest first (paging.page: size, after, before)."""
    q = load(TripQuerySchema(), query or {})
    if q["mine"]:
        mongo = {"leader.account_id": actor.account_id}
    else:
        scope = scope_query(actor)
        if scope is None:
            raise NotFound("没有可查看的采样行程", field="scope")
        mongo = within(scope, {"status": {"$ne": "on_site"}})
    if q["sampling_task_id"]:
        mongo = within(mongo, {"sampling_task_id": q["sampling_task_id"]})
    result = paging.page(ctx.db["trips"], mongo, TRIP_ORDER, q["size"], after=q["after"], before=q["before"],
                         newest=ctx.now)
    return {**result, "items": [view(ctx, actor, t, with_photos=False) for t in result["items"]]}


def my_sampling_tasks(ctx, actor):
    """The H5 sampling list (采样任务): tasks at 现场采样 that name this staff member."""
    if not actor.staff_id:
        return []
    rows = ctx.db["sampling_tasks"].find({"institution_id": actor.institution_id, "stage": "sampling",
                                          "plan.staff_ids": actor.staff_id}, {"_id": 0})
    out = []
    for t in rows:
        t = to_wire(t)
        t["points_detail"] = [to_wire(p) for p in _points(ctx, t)]
        t["open_trips"] = [view(ctx, actor, tr, with_photos=False) for tr in ctx.db["trips"].find(
            {"sampling_task_id": t["id"], "leader.account_id": actor.account_id, "status": "on_site"}, {"_id": 0})]
        out.append(t)
    return out


def record_receipt(ctx, actor, payload):
    """来样检查: a sample the enterprise brought in, checked and photographed on receipt."""
    data = load(ReceiptSchema(), payload)
    submissions = Submissions(ctx.db["receipts"], "filer.account_id")
    again = submissions.earlier(actor.account_id, data["submission_id"])
    if again is not None:
        return to_wire(again)
    task = copies.task_of(ctx, actor, data["sampling_task_id"], "sampling_tasks", "采样任务")
    if not (actor.has("field_staff") or actor.has("institution_admin")):
        raise NotFound("采样任务不存在或尚未同步", field="sampling_task_id")
    problems, hours = rules.receipt_problems(data, ctx.setting("FIELD_SAMPLE_MAX_TRANSIT_HOURS", 24, float),
                                             ctx.now)
    receipt_id = new_id()
    stored = []
    limits = policy.photo_limits(ctx)
    for i, upload in enumerate(data["photos"]):
        content = decode_upload(upload, f"photos[{i}]", limits.max_bytes)
        facts = inspect_image(content, limits, field=f"photos[{i}]")
        file_id, sha = FileStore(ctx.db, PHOTO_FILES).put(content, upload.get("name") or "sample",
                                                          facts.content_type, receipt_id=receipt_id)
        stored.append({"file_id": file_id, "sha256": sha, "content_type": facts.content_type,
                       "taken_at": facts.taken_at})
    receipt = {**{k: v for k, v in data.items() if k != "photos"}, "id": receipt_id,
               "institution_id": task["institution_id"], "enterprise_id": task["enterprise_id"],
               "district": task.get("district"), "status": "recorded", "photos": stored,
               "transit_hours": hours, "problems": problems, "acceptable": not problems,
               "filer": {"account_id": actor.account_id, "name": actor.name or actor.username},
               "created_at": ctx.now}
    ev = ctx.events.new("sample.received", receipt_id, {"receipt": to_wire({k: receipt[k] for k in (
        "id", "sampling_task_id", "institution_id", "enterprise_id", "district", "sample_code",
        "acceptable", "problems", "transit_hours")})}, actor=actor_ref(actor.to_dict()))
    receipt, created = submissions.insert(staged(receipt, ev), actor.account_id)
    if not created:
        return to_wire(receipt)
    ctx.events.flush("receipts", receipt_id, ev)
    return to_wire(receipt)


def list_receipts(ctx, actor, sampling_task_id):
    task = ctx.db["sampling_tasks"].find_one({"id": sampling_task_id}, {"_id": 0})
    if task is None or not may_view(actor, {**task, "status": "submitted"}):
        raise NotFound("采样任务不存在", field="sampling_task_id")
    return [to_wire(r) for r in ctx.db["receipts"].find({"sampling_task_id": sampling_task_id}, {"_id": 0})
            .sort("created_at", 1)]
