"""The tasks service's collections. Registry data is a copy kept from registry events (emss_common.replica)."""
import uuid

from pymongo.errors import DuplicateKeyError

from emss_common.errors import Conflict, NotFound
from emss_common.serial import to_document
from emss_common.replica import REGISTRY_INDEXES
from emss_common.outbox import carries_events
from emss_common.store import Index, merge_indexes

INDEXES = merge_indexes({
    **REGISTRY_INDEXES,
    # own data
    "contracts": [Index([("id", 1)], unique=True), Index([("institution_id", 1)]),
                  Index([("enterprise_id", 1)])],
    "contract_versions": [Index([("contract_id", 1), ("version", 1)], unique=True)],
    "change_requests": [Index([("id", 1)], unique=True), Index([("subject_id", 1)])],
    "tasks": [Index([("id", 1)], unique=True), Index([("institution_id", 1), ("status", 1)]),
              Index([("enterprise_id", 1)]), Index([("status", 1), ("finished_at", 1)])],
    "task_versions": [Index([("task_id", 1), ("version", 1)], unique=True)],
    "completions": [Index([("record_id", 1)], unique=True), Index([("task_id", 1), ("outlet_id", 1)]),
                    # the obligation sweep: records of an outlet by form and day; reports owed by due day
                    Index([("outlet_id", 1), ("form_kind", 1), ("performed_on", 1)]),
                    Index([("report_state", 1), ("report_due_on", 1)], sparse=True)],
    "outcomes": [Index([("id", 1)], unique=True)],
    "obligation_marks": [Index([("task_id", 1)], unique=True)],
    "sampling_tasks": [Index([("id", 1)], unique=True), Index([("institution_id", 1)])],
    "reports": [Index([("id", 1)], unique=True), Index([("institution_id", 1), ("number", 1)], unique=True),
                Index([("task_id", 1)])],
    "audit": [Index([("subject_id", 1), ("at", 1)])],
    "counters": [Index([("name", 1)], unique=True)],
}, carries_events(  # documents whose writes carry their events until they are in the outbox (outbox.py)
    "contracts", "change_requests", "tasks", "sampling_tasks", "reports", "outcomes"))


def new_id():
    return uuid.uuid4().hex


def get(col, id_, what="记录"):
    doc = col.find_one({"id": id_}, {"_id": 0})
    if doc is None:
        raise NotFound(f"{what}不存在", field="id")
    return doc


def insert(col, doc, conflict_field=None, conflict_message="记录已存在"):
    try:
        col.insert_one(to_document(doc))
    except DuplicateKeyError:
        raise Conflict(conflict_message, field=conflict_field) from None
    return doc


def next_number(db, name):
    """A gap-free counter (report numbers)."""
    from pymongo import ReturnDocument
    row = db["counters"].find_one_and_update({"name": name}, {"$inc": {"value": 1}}, upsert=True,
                                             return_document=ReturnDocument.AFTER)
    return row["value"]


def audit(db, subject_id, action, actor, at, **details):
    from emss_common.events import actor_ref
    db["audit"].insert_one(to_document({"id": new_id(), "subject_id": subject_id, "action": action,
                                        "actor": actor_ref(actor), "at": at, **details}))
