"""The facts the supervision rules judge, kept as they arrive from other services' events and
reconciliation, compactly: one document per record, outcome, report, task, person and institution,
plus the aggregates a rule reads instead of scanning records (an institution-month's counts for
VOID_RATE, a person-month's flagged records for the integrity rules, a task's days with a record
for TASK_IDLE).

Every keeper is idempotent: facts come at least once and in any order (different queues, a
reconciliation later), so keeping the same fact twice changes nothing and an older fact never
overwrites a newer one.
"""
from datetime import timezone

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from emss_common import replica
from emss_common.serial import to_document
from emss_common.store import Index

from ..supervision.limits import INTEGRITY_FLAGS
from ..supervision.rules.base import local_day, month_of, person_of, utc
from ..supervision.rules.done import check_form_kinds
from ..supervision.rules.quality import fault_stages

RECORDS, OUTCOMES, REPORTS = "fact_records", "fact_outcomes", "fact_reports"
TASKS, PERSONS, INSTITUTIONS = "fact_tasks", "fact_persons", "fact_institutions"
VOID_MONTHS, FLAG_MONTHS = "fact_void_months", "fact_flag_months"

INDEXES = {
    RECORDS: [Index([("id", 1)], unique=True),
              Index([("performed_on", 1), ("id", 1)]),                      # sweeps by period
              Index([("outlet_id", 1), ("form_kind", 1), ("at", 1)]),        # follow-ups
              Index([("person_id", 1), ("performed_on", 1)]),               # a person's records
              Index([("followup_open", 1), ("at", 1)])],                   # the follow-up timer
    OUTCOMES: [Index([("id", 1)], unique=True), Index([("closes_on", 1), ("id", 1)])],
    REPORTS: [Index([("id", 1)], unique=True), Index([("obligation_ids", 1)]),
              Index([("issued_on", 1), ("id", 1)])],
    TASKS: [Index([("id", 1)], unique=True), Index([("status", 1), ("id", 1)]),
            Index([("start", 1)])],                                            # sweeps by period
    PERSONS: [Index([("id", 1)], unique=True)],
    INSTITUTIONS: [Index([("id", 1)], unique=True)],
    VOID_MONTHS: [Index([("id", 1)], unique=True), Index([("month", 1), ("id", 1)])],   # + raised: its warning
    FLAG_MONTHS: [Index([("id", 1)], unique=True), Index([("month", 1), ("id", 1)])],
}

# Confirmation's statuses in the order a record passes them; a copy only moves forward.
STATUS_RANK = {"submitted": 0, "pending": 1, "overdue": 2, "enterprise_confirmed": 3, "reviewed": 4,
               "voided": 4}
RECORD_KEYS = ("id", "number", "task_id", "institution_id", "enterprise_id", "district", "outlet_id",
               "form_kind", "performed_on", "filer")
_NO_ID = {"_id": 0}


def _upsert(col, where, update):
    """An upsert that loses a race with an identical one harmlessly (unique id)."""
    try:
        return col.update_one(where, update, upsert=True)
    except DuplicateKeyError:
        return col.update_one(where, update)


# ----- records (fieldrecords record.submitted, confirmation record.*) -----

def keep_record(db, fact, source):
    """Keep what the rules need of a record fact; returns (record, what changed): "new" the first
    time it is seen, "voided", "overdue", "flags" [codes newly counted]."""
    col = db[RECORDS]
    rid = fact["id"]
    base = {k: fact.get(k) for k in RECORD_KEYS if fact.get(k) is not None}
    if fact.get("performed_at"):
        at = utc(fact["performed_at"])
        base.update(performed_at=at.isoformat(), at=at)
        base.setdefault("performed_on", local_day(at).isoformat())
    if base.get("performed_on"):
        base["month"] = month_of(base["performed_on"])
    if base.get("filer"):
        base["filer"] = {k: base["filer"].get(k) for k in ("staff_id", "account_id", "name")}
        base["person_id"] = person_of(base)
    if source == "fieldrecords":
        base.update(submitted=True, passed=fact.get("passed"),
                    failures=[{k: f.get(k) for k in ("label", "message", "value", "limit")}
                              for f in (fact.get("failures") or [])[:5]],
                    flags=sorted(set(fact.get("flags") or [])),
                    lookalikes=[{k: x.get(k) for k in ("id", "number", "type")} for x in fact.get("lookalikes") or []],
                    equipment=[{k: e.get(k) for k in ("id", "name", "model", "calibration_valid_until")}
                               for e in fact.get("equipment") or []])
        if fact.get("form_kind") in fault_stages():
            # only the fault forms' answers are kept: FAULT_SLOW reads their times
            base.update(values=fact.get("values") or {}, computed=fact.get("computed") or {})
    sets = to_document(base)
    extra = {}
    status = fact.get("status") if source == "confirmation" else None
    countable = bool(sets.get("institution_id") and sets.get("month"))
    result = _upsert(col, {"id": rid}, {"$set": sets, "$setOnInsert": {"status": "submitted", "counted": countable}})
    changed = {"new": result.upserted_id is not None}
    if source == "fieldrecords" and fact.get("form_kind") in check_form_kinds() and fact.get("passed") is False:
        # a failed check waits for its follow-up (the timer judges it); set once, so a fact kept
        # again does not reopen what was judged
        col.update_one({"id": rid, "followup_open": {"$exists": False}}, {"$set": {"followup_open": True}})
    if status is not None:
        lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK.get(status, 0)]
        moved = col.update_one({"id": rid, "status": {"$in": lower}}, {"$set": {"status": status}})
        changed["status"] = moved.modified_count > 0
    if fact.get("overdue"):
        extra.update(overdue=True, overdue_at=fact.get("overdue_at"), day=fact.get("day"))
        changed["overdue"] = col.update_one({"id": rid, "overdue": {"$ne": True}}, {"$set": extra}).modified_count > 0
    record = col.find_one({"id": rid}, _NO_ID)
    changed["void_month"] = _count_for_void_rate(db, record, counted_now=changed["new"] and countable)
    changed["flags"] = _count_flags(db, record)
    changed["task"] = _note_task_day(db, record)
    return record, changed


def _count_for_void_rate(db, record, counted_now=False):
    """The record in its institution-month's counts, once (marked `counted` on the record, with its
    insert when it came with its institution and month: counted_now); a voided record in the
    month's voided set (a set: counted once however often it is told)."""
    if not (record.get("institution_id") and record.get("month")):
        return None
    key = f"{record['institution_id']}|{record['month']}"
    months = db[VOID_MONTHS]
    base = {"institution_id": record["institution_id"], "month": record["month"]}
    touched = False
    if counted_now or not record.get("counted") and db[RECORDS].update_one(
            {"id": record["id"], "counted": False}, {"$set": {"counted": True}}).modified_count:
        _upsert(months, {"id": key}, {"$setOnInsert": base, "$inc": {"total": 1}})
        touched = True
    if record.get("status") == "voided":
        done = _upsert(months, {"id": key}, {"$setOnInsert": {**base, "total": 0},
                                             "$addToSet": {"voided_ids": record["id"]}})
        touched = touched or done.modified_count > 0 or done.upserted_id is not None
    return key if touched else None


def _count_flags(db, record):
    """The record in its person-month's set per integrity flag; the flags newly counted."""
    person, month = record.get("person_id"), record.get("month")
    if not (person and month):
        return []
    newly = []
    for flag in record.get("flags") or []:
        if flag not in INTEGRITY_FLAGS:
            continue
        key = f"{flag}|{person}|{month}"
        done = _upsert(db[FLAG_MONTHS], {"id": key},
                       {"$setOnInsert": {"flag": flag, "person_id": person, "month": month},
                        "$set": {"institution_id": record.get("institution_id"), "district": record.get("district")},
                        "$addToSet": {"record_ids": record["id"]}})
        if done.upserted_id is not None or done.modified_count:
            newly.append(flag)
    return newly


def _note_task_day(db, record):
    """The record's day among its task's days with a record; the task as it is now (or None)."""
    if not (record.get("task_id") and record.get("performed_on")) or record.get("status") == "voided":
        return None
    try:
        return db[TASKS].find_one_and_update({"id": record["task_id"]}, {"$addToSet": {"days": record["performed_on"]}},
                                             upsert=True, projection=_NO_ID, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:   # created meanwhile by the same fact on another queue
        return db[TASKS].find_one_and_update({"id": record["task_id"]}, {"$addToSet": {"days": record["performed_on"]}},
                                             projection=_NO_ID, return_document=ReturnDocument.AFTER)


def record(db, record_id):
    return db[RECORDS].find_one({"id": record_id}, _NO_ID)


def records_by_ids(db, ids):
    if not ids:
        return []
    return sorted(db[RECORDS].find({"id": {"$in": list(ids)}}, _NO_ID),
                  key=lambda r: (r.get("performed_at") or "", r["id"]))


def records_after(db, rec, until):
    """Records of the same outlet and form performed after `rec`, up to `until` (datetime)."""
    return list(db[RECORDS].find({"outlet_id": rec.get("outlet_id"), "form_kind": rec.get("form_kind"),
                                  "at": {"$gt": rec["at"], "$lte": until}}, _NO_ID))


def failed_before(db, rec, since):
    """Failed check records of the same outlet and form performed from `since` up to `rec`."""
    return list(db[RECORDS].find({"outlet_id": rec.get("outlet_id"), "form_kind": rec.get("form_kind"),
                                  "at": {"$gte": since, "$lt": rec["at"]}, "passed": False}, _NO_ID))


# ----- outcomes (tasks occurrence.missed / occurrence.fulfilled / report.missing) -----

OUTCOME_STATUS = {"occurrence.missed": ("occurrence", "missed"),
                  "occurrence.fulfilled": ("occurrence", "fulfilled"),
                  "report.missing": ("report_obligation", "missing")}


def keep_outcome(db, kind, status, fact, at):
    """An occurrence or a report obligation with its status; the later fact wins. True when kept."""
    doc = {**fact, "kind": kind, "status": status or fact.get("status"),
           # the day it closed: what a sweep over a period selects it by
           "closes_on": str(fact.get("window_end") or fact.get("due_date") or "")[:10] or None}
    return replica.upsert_newer(db[OUTCOMES], doc, at)


def outcome(db, outcome_id):
    return db[OUTCOMES].find_one({"id": outcome_id}, _NO_ID)


# ----- reports (tasks report.uploaded) -----

def keep_report(db, fact):
    keys = ("id", "number", "kind", "task_id", "obligation_id", "plan_item_id", "issued_on", "uploaded_at",
            "institution_id", "enterprise_id", "district", "outlet_id")
    doc = to_document({k: fact.get(k) for k in keys})
    # tasks names every obligation a report answers (obligation_ids), obligation_id the first
    doc["obligation_ids"] = list(fact.get("obligation_ids") or ([fact["obligation_id"]] if fact.get("obligation_id") else []))
    done = _upsert(db[REPORTS], {"id": fact["id"]}, {"$set": doc})
    return done.upserted_id is not None or done.modified_count > 0


def reports_for(db, obligation_id):
    return list(db[REPORTS].find({"obligation_ids": obligation_id}, _NO_ID))


# ----- tasks (tasks task.changed) -----

def keep_task(db, fact, at):
    keys = ("id", "name", "status", "start", "end", "institution_id", "enterprise_id", "district",
            "outlet_ids", "version")
    kept = replica.upsert_newer(db[TASKS], {k: fact.get(k) for k in keys}, at)
    day = local_day(at).isoformat()
    # when it was first seen in progress, and when finished: the task's active period
    if fact.get("status") == "in_progress":
        _set_earliest(db, fact["id"], "in_progress_since", day)
    if fact.get("status") == "finished":
        _set_earliest(db, fact["id"], "finished_on", day)
    return kept


def _set_earliest(db, task_id, field, day):
    # "not on or before day" matches unset and later; no top-level $or, which some engines
    # (SecantusDB) answer with a collection scan however selective the id is
    db[TASKS].update_one({"id": task_id, field: {"$not": {"$lte": day}}}, {"$set": {field: day}})


def task(db, task_id):
    return db[TASKS].find_one({"id": task_id}, _NO_ID)


def note_idle_keys(db, task_id, raised=(), cleared=()):
    if raised:
        db[TASKS].update_one({"id": task_id}, {"$addToSet": {"idle_keys": {"$each": list(raised)}}})
    if cleared:
        db[TASKS].update_one({"id": task_id}, {"$pull": {"idle_keys": {"$in": list(cleared)}}})


# ----- institutions and their staff (registry institution.*) -----

def keep_institution(db, fact, at):
    """The institution's name and district, and each staff member's certificates: every
    certificate ever listed is kept, so work is judged against the one valid on its day even
    after a renewal. Returns the ids of the persons whose certificates changed."""
    replica.upsert_newer(db[INSTITUTIONS], {k: fact.get(k) for k in ("id", "name", "district", "version")}, at)
    changed = []
    for s in fact.get("staff") or []:
        if not s.get("id"):
            continue
        cert = s.get("certificate") or {}
        update = {"$set": {"institution_id": fact["id"], "name": s.get("name")}}
        if cert.get("valid_until"):
            update["$addToSet"] = {"certificates": {k: cert.get(k) for k in ("number", "valid_from", "valid_until")}}
        done = _upsert(db[PERSONS], {"id": s["id"]}, update)
        if cert.get("valid_until") and (done.upserted_id is not None or done.modified_count):
            changed.append(s["id"])
    return changed


def person(db, person_id, institution_id=None):
    """A staff member with every certificate seen: those kept from institution events, and the one
    the registry copy (KeepsRegistryCopy, reconciled) lists now, in case an event was missed."""
    if not person_id:
        return None
    kept = db[PERSONS].find_one({"id": person_id}, _NO_ID)
    inst = db["institutions"].find_one({"id": institution_id, "staff.id": person_id},
                                       {"_id": 0, "staff": 1}) if institution_id else None
    staff = next((s for s in (inst or {}).get("staff") or [] if s.get("id") == person_id), None)
    if staff is None:
        return kept
    out = kept or {"id": person_id, "institution_id": institution_id, "name": staff.get("name"), "certificates": []}
    cert = staff.get("certificate") or {}
    if cert.get("valid_until"):
        now_listed = {k: cert.get(k) for k in ("number", "valid_from", "valid_until")}
        if now_listed not in out.get("certificates", []):
            out = {**out, "certificates": [*out.get("certificates", []), now_listed]}
    return out


def institution(db, institution_id):
    return db[INSTITUTIONS].find_one({"id": institution_id}, _NO_ID) if institution_id else None


def aware(at):
    return at if at is None or at.tzinfo else at.replace(tzinfo=timezone.utc)
