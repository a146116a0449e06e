"""Copies of another service's facts, kept from its events (DESIGN.md: a service that needs
another's data keeps its own copy, so a request crosses at most one RPC hop).

Events of different types travel on different queues and may arrive out of order, and a service
may start after facts were published: copies are ordered by the source's version and topped up by
reconciliation from the source's export (reconciliation.py), which passes the time of the fact's
last change as its event time.
"""
from datetime import datetime, timezone

from pymongo.errors import DuplicateKeyError

from .errors import NotFound, ValidationFailed
from .serial import to_document
from .store import Index

REGISTRY_COLLECTIONS = ("institutions", "enterprises", "outlets", "devices")

REGISTRY_INDEXES = {
    "institutions": [Index([("id", 1)], unique=True)],
    "enterprises": [Index([("id", 1)], unique=True), Index([("district", 1)])],
    "outlets": [Index([("id", 1)], unique=True), Index([("enterprise_id", 1)])],
    "devices": [Index([("id", 1)], unique=True), Index([("outlet_id", 1)])],
}


def upsert_newer(col, doc, occurred_at):
    """Keep a copy unless a newer one is already kept; True when the copy was missing or changed.
    The source's version orders copies; without one, the event time does.

    A missing copy is inserted; a kept one is replaced under one of the conditions that make it
    older, each a plain conjunction with the id: SecantusDB looks such a filter up in the id index,
    but scans the whole collection for a filter with a top-level $or (one scan per kept fact made
    credit's copies of tasks' outcomes quadratic, bench/supervision_bench.py)."""
    occurred_at = _utc(occurred_at)
    doc = {**to_document(doc), "_event_at": occurred_at}
    if col.find_one({"id": doc["id"]}, {"_id": 1}) is None:
        try:
            col.insert_one(dict(doc))   # insert_one adds _id to what it is given
            return True
        except DuplicateKeyError:
            pass   # kept meanwhile by another worker: judged as a kept copy below
    for older in _older_than(doc, occurred_at):
        result = col.update_one({"id": doc["id"], **older}, {"$set": doc})
        if result.matched_count:
            return result.modified_count > 0
    return False  # the kept copy is newer


def _older_than(doc, occurred_at):
    """The conditions under which a kept copy is older than `doc` (any one suffices)."""
    if doc.get("version") is not None:
        # A version counts changes of content, not of status (a task keeps version 1 from applied
        # to approved): within one version the later event wins.
        yield {"version": {"$lt": doc["version"]}}
        yield {"version": doc["version"], "_event_at": {"$lte": occurred_at}}
    else:
        yield {"_event_at": {"$lte": occurred_at}}
    yield {"_event_at": {"$exists": False}}   # a copy kept before event times were


def _utc(at):
    """Times are compared as strings: all in UTC, as events carry them (a reconciliation passes
    its local time)."""
    return datetime.fromisoformat(str(at)).astimezone(timezone.utc).isoformat()


def keep(db, collection, event, key):
    upsert_newer(db[collection], event["data"][key], event["occurred_at"])


def institution(db, institution_id, field="institution_id"):
    inst = db["institutions"].find_one({"id": institution_id}, {"_id": 0})
    if inst is None:
        raise NotFound("机构不存在或尚未同步", field=field)
    return inst


def enterprise(db, enterprise_id, field="enterprise_id"):
    ent = db["enterprises"].find_one({"id": enterprise_id}, {"_id": 0})
    if ent is None:
        raise ValidationFailed("排污单位不在名录中", field=field)
    return ent


def outlets_of(db, enterprise_id):
    return {o["id"]: o for o in db["outlets"].find({"enterprise_id": enterprise_id}, {"_id": 0})}


def devices_of(db, enterprise_id):
    return {d["id"]: d for d in db["devices"].find({"enterprise_id": enterprise_id}, {"_id": 0})}
