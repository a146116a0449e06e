"""The confirmation service's collections. Records and trips are its own copies of fieldrecords'
facts, with their confirmation state; transitions are the append-only trail; acts are the signed
acts (signature and work photo in GridFS) that made them."""
import uuid

from emss_common.store import Index

INDEXES = {
    "records": [Index([("id", 1)], unique=True), Index([("enterprise_id", 1), ("day", 1)]),
                Index([("institution_id", 1), ("status", 1)]), Index([("status", 1), ("day", 1)]),
                Index([("task_id", 1)])],
    "trips": [Index([("id", 1)], unique=True), Index([("enterprise_id", 1), ("status", 1)]),
              Index([("sampling_task_id", 1)])],
    "transitions": [Index([("id", 1)], unique=True), Index([("subject_id", 1), ("seq", 1)], unique=True)],
    "acts": [Index([("id", 1)], unique=True), Index([("submission_key", 1)], unique=True)],
}

ACT_FILES = "act_files"


def new_id():
    return uuid.uuid4().hex
