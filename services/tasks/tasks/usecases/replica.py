"""The copy of registry facts this service validates against, kept from registry events."""
from datetime import date

from emss_common.errors import NotFound, ValidationFailed

from ..storage import upsert_newer

APPROVED = ("second_approved", "published")


def keep_institution(ctx, event):
    upsert_newer(ctx.db["institutions"], event["data"]["institution"], event["occurred_at"])


def keep_enterprise(ctx, event):
    upsert_newer(ctx.db["enterprises"], event["data"]["enterprise"], event["occurred_at"])


def keep_outlet(ctx, event):
    upsert_newer(ctx.db["outlets"], event["data"]["outlet"], event["occurred_at"])


def keep_device(ctx, event):
    upsert_newer(ctx.db["devices"], event["data"]["device"], event["occurred_at"])


def reconcile(ctx, facts, at):
    """Bring the copy up to date from the registry's export; newer copies are left alone."""
    for collection in ("institutions", "enterprises", "outlets", "devices"):
        for doc in facts.get(collection, []):
            upsert_newer(ctx.db[collection], doc, at)


def institution(ctx, institution_id):
    inst = ctx.db["institutions"].find_one({"id": institution_id}, {"_id": 0})
    if inst is None:
        raise NotFound("机构不存在或尚未同步", field="institution_id")
    return inst


def enterprise(ctx, enterprise_id, field="enterprise_id"):
    ent = ctx.db["enterprises"].find_one({"id": enterprise_id}, {"_id": 0})
    if ent is None:
        raise ValidationFailed("排污单位不在名录中", field=field)
    return ent


def outlets_of(ctx, enterprise_id):
    return {o["id"]: o for o in ctx.db["outlets"].find({"enterprise_id": enterprise_id}, {"_id": 0})}


def devices_of(ctx, enterprise_id):
    return {d["id"]: d for d in ctx.db["devices"].find({"enterprise_id": enterprise_id}, {"_id": 0})}


def ensure_may_take_tasks(inst, today: date, field="institution_id"):
    """Only an institution whose filing passed the second review, and is still valid, takes work."""
    if inst.get("status") not in APPROVED:
        raise ValidationFailed("机构备案尚未通过二审，不能承接任务", field=field)
    until = inst.get("valid_until")
    if until and date.fromisoformat(until) < today:
        raise ValidationFailed("机构备案已过有效期，不能承接任务", field=field)
