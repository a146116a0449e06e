"""The confirmation service's collections. Records and trips are its own copies of fieldrecords'
facts, with their confirmation state; transitions are the append-only trail; acts are the signed
acts (signature and work photo in GridFS) that made them."""
import uuid

from emss_common.outbox import carries_events
from emss_common.store import Index, merge_indexes

# The equality prefix of each list, by whose scope it is (access.scope_query) or what it narrows
# to; the list's sort follows it (usecases/records.RECORD_ORDER, usecases/trips.TRIP_ORDER).
LIST_SCOPES = (("district", [("district", 1)]), ("city", []),
               ("institution", [("institution_id", 1)]), ("enterprise", [("enterprise_id", 1)]))
RECORD_ORDER = [("day", -1), ("submitted_at", -1), ("id", 1)]
TRIP_ORDER = [("departed_at", -1), ("id", 1)]

INDEXES = merge_indexes({
    "records": [Index([("id", 1)], unique=True),
                # the lists and the day list (确认列表): scope, then day and the sort
                *(Index([*eq, *RECORD_ORDER], name=f"{name}_list") for name, eq in LIST_SCOPES),
                # a status tab (待确认, 逾期未确认 …) of each list
                *(Index([*eq, ("status", 1), *RECORD_ORDER], name=f"{name}_status_list") for name, eq in LIST_SCOPES),
                Index([("task_id", 1), *RECORD_ORDER], name="task_list"),
                # the overdue sweep and the older days still awaiting confirmation
                Index([("status", 1), ("day", 1)])],
    "trips": [Index([("id", 1)], unique=True),
              *(Index([*eq, *TRIP_ORDER], name=f"{name}_trips") for name, eq in LIST_SCOPES),
              Index([("sampling_task_id", 1), *TRIP_ORDER], name="sampling_task_trips")],
    "transitions": [Index([("id", 1)], unique=True), Index([("subject_id", 1), ("seq", 1)], unique=True)],
    "acts": [Index([("id", 1)], unique=True), Index([("submission_key", 1)], unique=True),
             Index([("subject_ids", 1), ("at", 1)])],
}, carries_events("records", "trips"))  # their writes carry their events until they are in the outbox

ACT_FILES = "act_files"


def new_id():
    return uuid.uuid4().hex
