"""The obligation sweep on the test store with a frozen clock, without a broker: each closed window
is decided once (fulfilled with its records, or missed), a record arriving later changes nothing,
re-running (a restart, another replica) announces nothing twice, reports past their deadline are
missing once and a later upload names the obligation it answers; the sweep's queries use indexes."""
import base64
from datetime import datetime, timezone

import pytest

from emss_common.actor import Actor
from emss_common.clock import FrozenClock
from emss_common.context import Context
from emss_common.events import make_event
from emss_common.nameko_deps import COMMON_INDEXES
from emss_common.reconciliation import export_page, indexes as export_indexes
from emss_common.store import ensure_indexes, merge_indexes, open_database
from tasks.storage import INDEXES
from tasks.usecases import obligations, om_tasks, reports
from tasks.usecases.exports import EXPORTS
from tests.fakes import RecordedEvents
from tests.query_plans import Recording, assert_uses_index, index_names

ADMIN = Actor.from_dict({"account_id": "a1", "username": "om_admin", "roles": ["institution_admin"],
                         "institution_id": "i1"})
PDF = base64.b64encode(b"%PDF-1.4 report").decode()


@pytest.fixture
def ctx(store_config):
    db = open_database("tasks", store_config)
    ensure_indexes(db, merge_indexes(COMMON_INDEXES, INDEXES, export_indexes(EXPORTS)))
    clock = FrozenClock("2026-11-02T09:00:00+08:00")
    return Context(db, clock, RecordedEvents("tasks", db, clock), {})


def seed(ctx, plan, devices=(), outlet_kind="flue_gas"):
    ctx.db["outlets"].insert_one({"id": "o1", "enterprise_id": "e1", "kind": outlet_kind, "name": "1#排口"})
    for d in devices:
        ctx.db["devices"].insert_one({"enterprise_id": "e1", "outlet_id": "o1", **d})
    ctx.db["tasks"].insert_one({
        "id": "t1", "name": "运维", "institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区",
        "status": "in_progress", "start": "2026-11-02", "end": "2027-11-01", "outlet_ids": ["o1"],
        "staff_ids": [], "device_ids": [], "plan": plan, "version": 1,
        "approved_at": datetime(2026, 11, 1, 2, tzinfo=timezone.utc)})


def submit(ctx, record_id, form_kind, performed_at):
    fact = {"id": record_id, "task_id": "t1", "outlet_id": "o1", "form_kind": form_kind,
            "institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区", "performed_at": performed_at}
    return om_tasks.record_completion(ctx, make_event("record.submitted", "fieldrecords", record_id, {"record": fact}))


def at(ctx, text):
    ctx.clock.set(text)
    return obligations.sweep(ctx)


def announced(ctx):
    return [(t, s) for t, s, _ in ctx.events.events]


INSPECTION = {"id": "p1", "outlet_id": "o1", "form_kind": "fg_inspection_extractive", "frequency": {"kind": "weekly"}}


def test_each_closed_window_is_decided_once_after_the_grace_hours(ctx):
    seed(ctx, [INSPECTION])
    submit(ctx, "r1", "fg_inspection_extractive", "2026-11-08T23:30:00+08:00")   # the week's last evening
    assert sum(at(ctx, "2026-11-09T01:59:00+08:00").values()) == 0                # within the grace hours
    assert at(ctx, "2026-11-09T02:00:00+08:00")["occurrence.fulfilled"] == 1
    assert sum(at(ctx, "2026-11-09T09:00:00+08:00").values()) == 0
    [(type_, subject, data)] = ctx.events.events
    assert (type_, subject) == ("occurrence.fulfilled", "p1:2026-11-02")
    assert data["occurrence"] == {
        "id": "p1:2026-11-02", "task_id": "t1", "plan_item_id": "p1", "institution_id": "i1",
        "enterprise_id": "e1", "outlet_id": "o1", "outlet_name": "1#排口", "district": "浦东新区",
        "form_kind": "fg_inspection_extractive",
        "accepted_form_kinds": ["fg_inspection_extractive"], "frequency": {"kind": "weekly"}, "window_start": "2026-11-02", "window_end": "2026-11-08",
        "due_date": "2026-11-08", "source": "plan", "record_ids": ["r1"]}


def test_a_missed_window_stays_missed_when_a_record_arrives_later_and_is_never_announced_twice(ctx):
    seed(ctx, [INSPECTION])
    assert at(ctx, "2026-11-09T03:00:00+08:00")["occurrence.missed"] == 1
    submit(ctx, "r2", "fg_inspection_extractive", "2026-11-08T20:00:00+08:00")   # late, from reconciliation
    assert sum(at(ctx, "2026-11-09T04:00:00+08:00").values()) == 0
    ctx.db["obligation_marks"].delete_many({})   # a replica that never saw the watermark, or a crash before it
    assert sum(at(ctx, "2026-11-09T05:00:00+08:00").values()) == 0
    assert announced(ctx) == [("occurrence.missed", "p1:2026-11-02")]
    outcome = ctx.db["outcomes"].find_one({"id": "occurrence:p1:2026-11-02"})
    assert outcome["type"] == "occurrence.missed" and outcome["occurrence"]["record_ids"] == []
    assert "_outbox" not in outcome   # its event went to the outbox with it
    assert ctx.db["outbox"].count_documents({"type": "occurrence.missed"}) == 1


def test_a_sweep_that_was_down_decides_every_window_it_missed_in_order(ctx):
    seed(ctx, [INSPECTION])
    submit(ctx, "r1", "fg_inspection_extractive", "2026-11-10T10:00:00+08:00")
    at(ctx, "2026-11-23T03:00:00+08:00")
    assert announced(ctx) == [("occurrence.missed", "p1:2026-11-02"), ("occurrence.fulfilled", "p1:2026-11-09"),
                              ("occurrence.missed", "p1:2026-11-16")]


def test_where_the_plan_is_silent_the_standards_default_is_owed_for_the_devices_registered(ctx):
    seed(ctx, [], devices=[{"id": "d1", "kind": "water_analyzer", "factor_code": "w01018"}], outlet_kind="wastewater")
    submit(ctx, "r1", "ww_standard_check", "2026-11-05T10:00:00+08:00")
    at(ctx, "2026-11-09T03:00:00+08:00")
    got = {(t, d["occurrence"]["form_kind"]): d["occurrence"] for t, _, d in ctx.events.events}
    assert set(got) == {("occurrence.missed", "ww_inspection"), ("occurrence.fulfilled", "ww_standard_check")}
    missed = got[("occurrence.missed", "ww_inspection")]
    assert (missed["source"], missed["plan_item_id"], missed["id"]) == (
        "standard_default", None, "std:t1:o1:ww_inspection:2026-11-02")
    assert got[("occurrence.fulfilled", "ww_standard_check")]["window_end"] == "2026-11-08"   # every 7 days


def test_a_voided_record_fulfils_nothing_even_when_reconciliation_reads_it_again(ctx):
    seed(ctx, [INSPECTION])
    submit(ctx, "r1", "fg_inspection_extractive", "2026-11-04T10:00:00+08:00")
    om_tasks.record_voided(ctx, make_event("record.voided", "confirmation", "r1", {}))
    assert submit(ctx, "r1", "fg_inspection_extractive", "2026-11-04T10:00:00+08:00") is False
    assert at(ctx, "2026-11-09T03:00:00+08:00")["occurrence.missed"] == 1


def test_windows_that_ended_before_the_task_was_approved_or_after_it_finished_are_not_owed(ctx):
    seed(ctx, [INSPECTION])
    ctx.db["tasks"].update_one({"id": "t1"}, {"$set": {
        "approved_at": datetime(2026, 11, 10, 2, tzinfo=timezone.utc), "status": "finished",
        "finished_at": datetime(2026, 11, 18, 2, tzinfo=timezone.utc)}})
    at(ctx, "2026-11-30T03:00:00+08:00")
    assert announced(ctx) == [("occurrence.missed", "p1:2026-11-09")]


def comparison_task(ctx):
    seed(ctx, [{"id": "p2", "outlet_id": "o1", "form_kind": "ww_comparison", "frequency": {"kind": "monthly"}}],
         outlet_kind="wastewater")
    submit(ctx, "r5", "ww_comparison", "2026-11-19T10:00:00+08:00")   # a Thursday: report due 11-26


def test_a_report_not_uploaded_by_its_deadline_is_missing_once(ctx):
    comparison_task(ctx)
    assert at(ctx, "2026-11-26T23:59:00+08:00")["report.missing"] == 0
    assert at(ctx, "2026-11-27T00:00:00+08:00")["report.missing"] == 1
    assert at(ctx, "2026-11-27T08:00:00+08:00")["report.missing"] == 0
    [(_, subject, data)] = [e for e in ctx.events.events if e[0] == "report.missing"]
    assert subject == "report:r5"
    assert data["report_obligation"] == {
        "id": "report:r5", "task_id": "t1", "institution_id": "i1", "enterprise_id": "e1", "outlet_id": "o1",
        "district": "浦东新区", "report_kind": "water_comparison", "form_kind": "ww_comparison",
        "record_id": "r5", "issued_on": "2026-11-19", "due_date": "2026-11-26", "due_provisional": False}


def upload(ctx, issued_on, record_ids=("r5",)):
    return reports.upload(ctx, ADMIN, {"number": f"BG-{issued_on}", "kind": "water_comparison", "task_id": "t1",
                                       "performed_on": "2026-11-19", "issued_on": issued_on,
                                       "record_ids": list(record_ids),
                                       "file": {"name": "比对报告.pdf", "content_base64": PDF}})


def test_a_report_uploaded_in_time_leaves_nothing_missing(ctx):
    comparison_task(ctx)
    ctx.clock.set("2026-11-25T10:00:00+08:00")
    report = upload(ctx, "2026-11-24")
    assert (report["obligation_id"], report["late_working_days"]) == ("report:r5", 0)
    assert at(ctx, "2026-11-30T10:00:00+08:00")["report.missing"] == 0


def test_a_late_report_after_report_missing_names_the_obligation_and_how_late_it_is(ctx):
    comparison_task(ctx)
    at(ctx, "2026-11-27T01:00:00+08:00")
    ctx.clock.set("2026-11-30T10:00:00+08:00")   # Monday: Friday 27th and Monday 30th after the 26th
    report = upload(ctx, "2026-11-19")
    assert (report["obligation_id"], report["obligation_ids"]) == ("report:r5", ["report:r5"])
    assert (report["due_date"], report["late_working_days"]) == ("2026-11-26", 2)
    [uploaded] = [d["report"] for t, _, d in ctx.events.events if t == "report.uploaded"]
    assert (uploaded["obligation_id"], uploaded["due_date"], uploaded["late_working_days"]) == (
        "report:r5", "2026-11-26", 2)
    assert at(ctx, "2026-12-01T10:00:00+08:00")["report.missing"] == 0
    assert [t for t, _, _ in ctx.events.events].count("report.missing") == 1


def test_outcomes_are_exported_for_reconciliation_as_their_events_carried_them(ctx):
    seed(ctx, [INSPECTION])
    at(ctx, "2026-11-16T03:00:00+08:00")
    page = export_page(ctx.db, EXPORTS, "outcomes", None, 10, ctx.now)
    facts = [i["fact"] for i in page["items"]]
    assert [(f["type"], f["occurrence"]["id"]) for f in facts] == [
        ("occurrence.missed", "p1:2026-11-02"), ("occurrence.missed", "p1:2026-11-09")]
    assert all("_outbox" not in f and "_id" not in f for f in facts)
    assert facts[0]["occurrence"] == ctx.events.events[0][2]["occurrence"]


def test_the_sweep_reads_tasks_records_and_report_obligations_on_indexes(ctx):
    seed(ctx, [INSPECTION, {"id": "p2", "outlet_id": "o1", "form_kind": "fg_periodic_check",
                            "frequency": {"kind": "every_3_months"}}])
    for n in range(30):
        submit(ctx, f"r{n}", "fg_periodic_check" if n % 3 == 0 else "fg_inspection_extractive",
               f"2026-11-{2 + n % 20:02d}T10:00:00+08:00")
    ctx.clock.set("2026-11-30T03:00:00+08:00")
    ctx.db = Recording(ctx.db)
    obligations.sweep(ctx)
    finds = ctx.db.finds("tasks")
    assert len(finds) == 2
    for cursor in finds:
        assert_uses_index(cursor, "status_1_finished_at_1", "active tasks")
    used = set()
    for cursor in ctx.db.finds("completions"):
        plan = assert_uses_index(cursor, ("outlet_id_1_form_kind_1_performed_on_1", "report_state_1_report_due_on_1"),
                                 "records of the closed windows, report obligations past due")
        used.update(index_names(plan))
    assert used == {"outlet_id_1_form_kind_1_performed_on_1", "report_state_1_report_due_on_1"}
    assert_uses_index(ctx.db.finds("reports")[0], "task_id_1", "reports of a task")


def test_records_missed_on_the_bus_are_caught_up_from_fieldrecords_export_before_windows_are_decided(ctx, store_config):
    from emss_common.reconciliation import Watermarks, catch_up
    from fieldrecords.usecases.exports import EXPORTS as FIELD_EXPORTS
    seed(ctx, [INSPECTION])
    field = open_database("fieldrecords", store_config)
    submitted = datetime(2026, 11, 4, 3, tzinfo=timezone.utc)
    field["records"].insert_one({
        "id": "r7", "number": "YW2026000007", "status": "submitted", "task_id": "t1", "institution_id": "i1",
        "enterprise_id": "e1", "district": "浦东新区", "outlet_id": "o1", "outlet_kind": "flue_gas",
        "form_kind": "fg_inspection_extractive", "performed_at": submitted, "performed_on": "2026-11-04",
        "submitted_at": submitted, "filer": {"account_id": "a-f", "name": "赵强"}, "devices": [], "flags": [],
        "verdict": {"passed": True, "failures": []}})
    ctx.clock.set("2026-11-09T03:00:00+08:00")
    done = catch_up(Watermarks(ctx.db), "fieldrecords", "records",
                    lambda after: export_page(field, FIELD_EXPORTS, "records", after, 200, ctx.now),
                    lambda fact, at_: om_tasks.record_completion(ctx, {"data": {"record": fact}}), ctx.now)
    assert done.repaired == 1
    obligations.sweep(ctx)
    assert [(t, d["occurrence"]["record_ids"]) for t, _, d in ctx.events.events] == [("occurrence.fulfilled", ["r7"])]
