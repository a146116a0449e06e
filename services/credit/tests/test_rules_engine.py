"""The rules engine on the real test store: facts kept once however often they come, each fact
running the rules it concerns, the time-based rules on the timer, and a sweep over the kept facts
finding exactly what the incremental path found."""
import pytest

from credit.storage import INDEXES
from credit.usecases import facts as F
from credit.usecases import sweeps
from credit.usecases.engine import Engine
from credit.usecases.facts import INDEXES as FACT_INDEXES
from emss_common.clock import FrozenClock
from emss_common.context import Context
from emss_common.nameko_deps import COMMON_INDEXES
from emss_common.store import client_for, ensure_indexes, merge_indexes, open_database
from services.credit.tests.findings import CITY, INSTITUTION
from services.credit.tests.rulefacts import iso
from tests.fakes import RecordedEvents

CONFIG = {"EMSS_RULE_VOID_RATE_MIN_RECORDS": "4"}
NOW = "2026-11-23T10:00:00+08:00"


def _context(store_config, suffix):
    config = {**store_config, "EMSS_DB_SUFFIX": store_config["EMSS_DB_SUFFIX"] + suffix}
    db = open_database("credit", config)
    ensure_indexes(db, merge_indexes(COMMON_INDEXES, INDEXES, FACT_INDEXES, sweeps.INDEXES))
    clock = FrozenClock(NOW)
    return Context(db, clock, RecordedEvents("credit", db, clock), dict(CONFIG))


@pytest.fixture
def two(store_config):
    """Two credit stores: one fed incrementally, one only keeping the facts for a sweep."""
    made = [_context(store_config, s) for s in ("a", "b")]
    yield made
    for c in made:
        client_for(store_config["MONGO_URI"]).drop_database(c.db.name)


FILER = {"staff_id": "s1", "account_id": "a-zhao", "name": "赵强"}


def rec(rid, form_kind, performed, **kw):
    out = {"id": rid, "number": f"YW{rid}", "task_id": "t1", "institution_id": "i1", "enterprise_id": "e1",
           "district": "浦东新区", "outlet_id": "o1", "form_kind": form_kind, "performed_at": iso(performed),
           "performed_on": performed[:10], "submitted_at": iso(performed), "filer": FILER, "passed": True,
           "failures": [], "flags": []}
    out.update(kw)
    return out


FAULT = {"fault_class": "simple", "fault_start": iso("2026-11-02T08:00"), "arrived_at": iso("2026-11-03T12:00"),
         "fault_end": iso("2026-11-03T13:00")}
TASK = {"id": "t1", "name": "浦东一厂运维", "status": "in_progress", "start": "2026-11-02", "end": "2027-11-01",
        "institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区", "outlet_ids": ["o1"], "version": 1}
INSTITUTION_FACT = {"id": "i1", "name": "绿源运维", "district": "浦东新区", "version": 1,
                    "staff": [{"id": "s1", "name": "赵强",
                               "certificate": {"number": "C1", "valid_from": "2023-11-01", "valid_until": "2026-11-02"}}]}
OCCURRENCE = {"id": "occ1", "task_id": "t1", "institution_id": "i1", "enterprise_id": "e1", "outlet_id": "o1",
              "district": "浦东新区", "form_kind": "ww_inspection", "window_start": "2026-11-09",
              "window_end": "2026-11-15", "due_date": "2026-11-15", "source": "plan"}
OBLIGATION = {"id": "report:c2", "task_id": "t1", "institution_id": "i1", "enterprise_id": "e1", "outlet_id": "o1",
              "district": "浦东新区", "form_kind": "fg_calibration", "issued_on": "2026-11-04", "due_date": "2026-11-11"}
REPORT = {"id": "rep1", "number": "BG-1", "kind": "calibration", "task_id": "t1", "issued_on": "2026-11-04",
          "uploaded_at": iso("2026-11-20T09:00"), "obligation_id": "report:c2", "obligation_ids": ["report:c2"],
          "institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区"}


def confirmation(fact, status, **kw):
    return {**{k: fact[k] for k in ("id", "number", "task_id", "institution_id", "enterprise_id", "district",
                                      "outlet_id", "form_kind", "performed_at", "performed_on", "filer")},
            "status": status, "overdue": False, **kw}


RECORDS = [
    rec("r1", "ww_inspection", "2026-11-02T10:00", flags=["duplicate_photo"]),
    rec("r2", "fg_fault_repair", "2026-11-03T13:00", values=FAULT),
    # c1 failed and its first passing retest (c3) came after 72 hours; c2 failed, c3 followed it in time
    rec("c1", "fg_calibration", "2026-11-01T09:00", passed=False, failures=[{"label": "零点漂移", "message": "零点漂移超限"}]),
    rec("c2", "fg_calibration", "2026-11-04T15:00", passed=False),
    rec("c3", "fg_calibration", "2026-11-05T09:00"),
    rec("r3", "ww_inspection", "2026-11-05T10:00"),
]


def feed_all(engine):
    """Every fact, as the events bring them (twice each: at-least-once delivery)."""
    for _ in range(2):
        engine.on_task(TASK, iso("2026-11-02T08:00"))
        for r in RECORDS:
            engine.on_record(r, "fieldrecords")
        engine.on_record(confirmation(RECORDS[0], "overdue", overdue=True, overdue_at=iso("2026-11-03T00:00"),
                                      day="2026-11-02"), "confirmation")
        engine.on_record(confirmation(RECORDS[5], "voided"), "confirmation")
        engine.on_institution(INSTITUTION_FACT, iso("2026-11-01T08:00"))
        engine.on_outcome("occurrence.missed", OCCURRENCE, iso("2026-11-16T01:00"))
        engine.on_outcome("report.missing", OBLIGATION, iso("2026-11-12T01:00"))
        engine.on_report(REPORT)
        engine.tick()


def keep_all(ctx):
    """The same facts kept without judging them (a sweep judges them later)."""
    db = ctx.db
    F.keep_task(db, TASK, iso("2026-11-02T08:00"))
    for r in RECORDS:
        F.keep_record(db, r, "fieldrecords")
    F.keep_record(db, confirmation(RECORDS[0], "overdue", overdue=True, overdue_at=iso("2026-11-03T00:00"),
                                   day="2026-11-02"), "confirmation")
    F.keep_record(db, confirmation(RECORDS[5], "voided"), "confirmation")
    F.keep_institution(db, INSTITUTION_FACT, iso("2026-11-01T08:00"))
    F.keep_outcome(db, "occurrence", "missed", OCCURRENCE, iso("2026-11-16T01:00"))
    F.keep_outcome(db, "report_obligation", "missing", OBLIGATION, iso("2026-11-12T01:00"))
    F.keep_report(db, REPORT)


def sweep_through(ctx, start, end, slice_size=500):
    """A regulator's sweep over [start, end], advanced until it is done; the job as it ended."""
    job = sweeps.start_sweep(ctx, CITY, {"start": start, "end": end})
    while sweeps.advance(ctx, slice_size=slice_size) is not None:
        pass
    return sweeps.sweep_status(ctx, CITY, job["id"])


def open_warnings(ctx):
    return {(w["rule"], w["key"]) for w in ctx.db["warnings"].find({"status": "open"})}


EXPECTED = {
    ("OM_MISSED", "occ1"), ("REPORT_LATE", "rep1"), ("CONFIRMATION_OVERDUE", "r1"),
    ("FAULT_SLOW", "r2"), ("FOLLOWUP_MISSING", "c1"), ("TASK_IDLE", "t1|2026-11-05"),
    ("INTEGRITY_DUPLICATE_PHOTO", "s1|2026-11"),
    # the certificate ended on 11-02: the work of 11-03 onwards, r3 included (voided or not)
    ("EXPIRED_QUALIFICATION", "r2"), ("EXPIRED_QUALIFICATION", "c2"), ("EXPIRED_QUALIFICATION", "c3"),
    ("EXPIRED_QUALIFICATION", "r3"),
    # one voided of six records in November: 16.7 % with at least 4 records
    ("VOID_RATE", "i1|2026-11"),
}


def test_facts_are_judged_as_they_arrive_once_each(two):
    ctx, _ = two
    engine = Engine(ctx)
    feed_all(engine)
    assert open_warnings(ctx) == EXPECTED
    # the late report closed "report missing" and left "report late"
    missing = ctx.db["warnings"].find_one({"rule": "REPORT_MISSING"})
    assert missing["status"] == "resolved"
    # each warning raised once, though every fact came twice
    raised = [s for t, s, _ in ctx.events.events if t == "warning.raised"]
    statuses = {(w["rule"], w["key"]): w["status"] for w in ctx.db["warnings"].find()}
    assert len(raised) == len(set(raised)) == len(EXPECTED) + 1, statuses
    void = ctx.db[F.VOID_MONTHS].find_one({"id": "i1|2026-11"})
    assert void["total"] == 6 and void["voided_ids"] == ["r3"]
    # replayed again: nothing new
    again = Engine(ctx)
    feed_all(again)
    assert again.tally.raised == [] and open_warnings(ctx) == EXPECTED


def test_a_sweep_over_the_kept_facts_finds_what_the_incremental_path_found(two):
    incremental, swept = two
    feed_all(Engine(incremental))
    keep_all(swept)
    assert open_warnings(swept) == set()
    job = sweeps.start_sweep(swept, CITY, {"start": "2026-10-01", "end": "2026-11-30"})
    assert job["status"] == "queued" and job["done"] == 0 and job["total"] > 3
    progress = []
    while True:
        left = sweeps.advance(swept, slice_size=3)
        progress.append(left["done"])
        if left["status"] == "done":
            break
    assert progress == sorted(progress) and len(progress) > 2
    status = sweeps.sweep_status(swept, CITY, job["id"])
    assert status["done"] == status["total"] and status["percent"] == 100.0
    assert status["raised"] == len(EXPECTED)
    assert open_warnings(swept) == open_warnings(incremental) == EXPECTED
    # a second sweep raises nothing new
    assert sweep_through(swept, "2026-10-01", "2026-11-30", slice_size=50)["raised"] == 0


def test_only_a_regulator_sweeps_and_the_period_is_checked(two):
    from emss_common.errors import Forbidden, ValidationFailed
    ctx, _ = two
    with pytest.raises(Forbidden):
        sweeps.start_sweep(ctx, INSTITUTION, {"start": "2026-11-01", "end": "2026-11-30"})
    with pytest.raises(ValidationFailed) as exc:
        sweeps.start_sweep(ctx, CITY, {"start": "2026-11-30", "end": "2026-11-01"})
    assert exc.value.field == "end"
    empty = sweeps.start_sweep(ctx, CITY, {"start": "2020-01-01", "end": "2020-01-31"})
    assert empty["status"] == "done" and empty["total"] == 0


def test_a_passing_retest_filed_late_resolves_the_follow_up_warning(two):
    ctx, _ = two
    engine = Engine(ctx)
    engine.on_record(rec("c1", "fg_calibration", "2026-11-01T09:00", passed=False), "fieldrecords")
    engine.tick()
    assert ("FOLLOWUP_MISSING", "c1") in open_warnings(ctx)
    engine.on_record(rec("c9", "fg_calibration", "2026-11-03T09:00", submitted_at=iso("2026-11-23T09:00")),
                     "fieldrecords")
    assert ctx.db["warnings"].find_one({"rule": "FOLLOWUP_MISSING"})["status"] == "resolved"


def test_a_record_filed_late_into_an_idle_spell_resolves_it(two):
    ctx, _ = two
    engine = Engine(ctx)
    engine.on_task(TASK, iso("2026-11-02T08:00"))
    engine.on_record(rec("r1", "ww_inspection", "2026-11-02T10:00"), "fieldrecords")
    engine.tick()
    assert open_warnings(ctx) == {("TASK_IDLE", "t1|2026-11-02")}
    for i, day in enumerate(("2026-11-08", "2026-11-15", "2026-11-21")):
        engine.on_record(rec(f"x{i}", "ww_inspection", f"{day}T10:00"), "fieldrecords")
    assert ctx.db["warnings"].find_one({"key": "t1|2026-11-02"})["status"] == "resolved"
    assert open_warnings(ctx) == set()


def test_a_certificate_known_after_the_records_is_judged_then(two):
    ctx, _ = two
    engine = Engine(ctx)
    engine.on_record(rec("r5", "ww_inspection", "2026-11-10T10:00"), "fieldrecords")
    assert open_warnings(ctx) == set()
    engine.on_institution(INSTITUTION_FACT, iso("2026-11-11T08:00"))
    assert ("EXPIRED_QUALIFICATION", "r5") in open_warnings(ctx)
    renewed = {**INSTITUTION_FACT, "version": 2,
               "staff": [{**INSTITUTION_FACT["staff"][0],
                          "certificate": {"number": "C2", "valid_from": "2026-11-03", "valid_until": "2029-11-02"}}]}
    engine.on_institution(renewed, iso("2026-11-12T08:00"))
    assert ctx.db["warnings"].find_one({"key": "r5"})["status"] == "resolved"
    assert len(F.person(ctx.db, "s1")["certificates"]) == 2   # the history is kept



def test_a_sweep_pages_a_period_day_by_day_and_sees_every_subject_once(two):
    ctx, _ = two
    col = ctx.db["sweep_paging_probe"]
    days = {"2026-11-01": 5, "2026-11-02": 0, "2026-11-03": 1, "2026-11-30": 4, "2026-12-01": 2}
    for day, n in days.items():
        for i in range(n):
            col.insert_one({"id": f"{day}-{i}", "performed_on": day})
    query = {"performed_on": {"$gte": "2026-11-01", "$lte": "2026-11-30"}}
    seen, cursor = [], None
    while True:
        rows = sweeps._page(col, query, "performed_on", cursor, 2)
        seen += [r["id"] for r in rows]
        if len(rows) < 2:
            break
        cursor = {"sort": rows[-1]["performed_on"], "id": rows[-1]["id"]}
    assert seen == sorted(f"{d}-{i}" for d, n in days.items() if d <= "2026-11-30" for i in range(n))
    assert sweeps._following("2026-12") == "2027-01" and sweeps._following("2026-12-31") == "2027-01-01"


def test_a_task_keeps_the_earliest_day_it_was_seen_in_progress_and_finished(two):
    ctx, _ = two
    F.keep_task(ctx.db, TASK, iso("2026-11-05T08:00"))
    F.keep_task(ctx.db, {**TASK, "version": 2}, iso("2026-11-03T08:00"))     # told late, of an earlier day
    F.keep_task(ctx.db, {**TASK, "version": 3}, iso("2026-11-09T08:00"))
    F.keep_task(ctx.db, {**TASK, "version": 4, "status": "finished"}, iso("2026-11-20T08:00"))
    F.keep_task(ctx.db, {**TASK, "version": 5, "status": "finished"}, iso("2026-11-21T08:00"))
    kept = F.task(ctx.db, "t1")
    assert (kept["in_progress_since"], kept["finished_on"]) == ("2026-11-03", "2026-11-20")


def test_a_sweep_is_worked_by_one_round_at_a_time_until_its_lease_runs_out(two):
    ctx, _ = two
    Engine(ctx).on_record(rec("r1", "ww_inspection", "2026-11-10T10:00"), "fieldrecords")
    job = sweeps.start_sweep(ctx, CITY, {"start": "2026-11-01", "end": "2026-11-30"})
    # a round that died mid-way left its lease: nobody else claims the job until it runs out
    ctx.db["sweeps"].update_one({"id": job["id"]}, {"$set": {"status": "running",
                                                             "lease_until": ctx.now + sweeps.LEASE}})
    assert sweeps.advance(ctx) is None
    ctx.clock.advance(seconds=sweeps.LEASE.total_seconds() + 1)
    assert sweeps.advance(ctx)["status"] == "done"
    assert sweeps.advance(ctx) is None


def test_an_instrument_out_of_calibration_on_the_record_is_judged_once_incrementally_and_by_a_sweep(two):
    ctx, swept = two
    analyser = {"id": "eq1", "name": "烟气分析仪", "model": "3012H", "asset_number": "ZC-01",
                "calibration_valid_until": "2026-11-09"}
    fact = rec("r7", "fg_calibration", "2026-11-10T09:00", equipment=[analyser])
    for _ in range(2):   # delivered twice
        Engine(ctx).on_record(fact, "fieldrecords")
    assert open_warnings(ctx) == {("EXPIRED_CALIBRATION", "r7")}
    [w] = ctx.db["warnings"].find({"rule": "EXPIRED_CALIBRATION"})
    assert [e["kind"] for e in w["evidence"]] == ["record", "equipment"]
    assert F.record(ctx.db, "r7")["equipment"] == [{k: analyser[k] for k in ("id", "name", "model",
                                                                            "calibration_valid_until")}]
    # a store that only kept the fact finds the same in a sweep
    F.keep_record(swept.db, fact, "fieldrecords")
    assert sweep_through(swept, "2026-11-01", "2026-11-30")["status"] == "done"
    assert open_warnings(swept) == {("EXPIRED_CALIBRATION", "r7")}
