"""The fieldrecords service's collections. Registry facts and tasks are copies kept from events."""
import uuid

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from emss_common.replica import REGISTRY_INDEXES
from emss_common.serial import to_document
from emss_common.outbox import carries_events
from emss_common.store import Index, merge_indexes

# (index name, equality fields) of each record list; the sort follows (records.RECORD_ORDER).
RECORD_LISTS = (
    ("district_list", [("district", 1), ("status", 1)]),          # a district's regulator
    ("city_list", [("status", 1)]),                                # the whole city, administrators
    ("institution_list", [("institution_id", 1), ("status", 1)]),  # the institution, its reviewers
    ("enterprise_list", [("enterprise_id", 1), ("status", 1)]),    # the enterprise
    ("task_list", [("task_id", 1), ("status", 1)]),                # a task's records, the maintenance view
    ("outlet_list", [("task_id", 1), ("outlet_id", 1), ("status", 1)]),  # one outlet of a task
    ("filer_list", [("filer.account_id", 1), ("status", 1)]),     # the filer's own, drafts included
    ("filer_all_list", [("filer.account_id", 1)]),                # the filer's own, any status
)

INDEXES = merge_indexes({
    **REGISTRY_INDEXES,
    # copies of tasks (tasks service events and export)
    "tasks": [Index([("id", 1)], unique=True), Index([("staff_ids", 1)])],
    "sampling_tasks": [Index([("id", 1)], unique=True)],
    # own data
    "records": [Index([("id", 1)], unique=True), Index([("number", 1)], unique=True),
                Index([("filer.account_id", 1), ("submission_id", 1)], unique=True),
                # The lists (usecases/records.list_filter): equalities, then RECORD_ORDER; a range
                # of days is a range of performed_at, right after the equalities.
                *(Index([*eq, ("performed_at", -1), ("id", 1)], name=name) for name, eq in RECORD_LISTS),
                # A filer's drafts at one outlet of a task (the H5 outlet page): drafts only.
                Index([("filer.account_id", 1), ("task_id", 1), ("outlet_id", 1), ("performed_at", -1), ("id", 1)],
                      name="drafts_by_filer_task_outlet", extra={"partialFilterExpression": {"status": "draft"}})],
    "photos": [Index([("id", 1)], unique=True), Index([("subject_id", 1), ("upload_id", 1)], unique=True),
               Index([("phash_bands", 1)]), Index([("subject_id", 1), ("kind", 1)])],
    "checkins": [Index([("account_id", 1), ("at", -1)])],
    "trips": [Index([("id", 1)], unique=True), Index([("leader.account_id", 1), ("submission_id", 1)], unique=True),
              Index([("sampling_task_id", 1)]), Index([("enterprise_id", 1)]),
              Index([("leader.account_id", 1), ("created_at", -1), ("id", 1)])],  # 我的采样行程, paged
    "receipts": [Index([("id", 1)], unique=True), Index([("filer.account_id", 1), ("submission_id", 1)], unique=True),
                 Index([("sampling_task_id", 1)])],
    "counters": [Index([("name", 1)], unique=True)],
}, carries_events(  # documents whose writes carry their events until they are in the outbox (outbox.py)
    "records", "trips", "receipts"))

PHOTO_FILES = "photo_files"


def new_id():
    return uuid.uuid4().hex


def next_number(db, name):
    row = db["counters"].find_one_and_update({"name": name}, {"$inc": {"value": 1}}, upsert=True,
                                             return_document=ReturnDocument.AFTER)
    return row["value"]


def save(col, doc):
    col.insert_one(to_document(doc))
    return doc


class Submissions:
    """A client-generated submission id makes a retried request harmless (weak mobile networks):
    the owner's earlier document with that id is the answer, and a concurrent retry that loses the
    race to insert gets the winner's."""

    def __init__(self, col, owner_field):
        self.col, self.owner_field = col, owner_field

    def earlier(self, account_id, submission_id):
        return self.col.find_one({self.owner_field: account_id, "submission_id": submission_id}, {"_id": 0})

    def insert(self, doc, account_id):
        """Returns (stored document, True) or (the earlier one, False)."""
        try:
            self.col.insert_one(to_document(doc))
        except DuplicateKeyError:
            return self.earlier(account_id, doc["submission_id"]), False
        return to_document(doc), True
