"""The lists a portal or a sweep runs are served by an index (IXSCAN), never by a collection scan:
each test runs the real use case on the test store, records the queries it sent (Recording) and
asks the engine to `explain` them. With a year of data behind them these are the queries that
would otherwise read every row."""
from datetime import datetime, timedelta, timezone

import pytest

from emss_common.actor import Actor
from emss_common.clock import FrozenClock
from emss_common.context import Context
from emss_common.events import make_event
from emss_common.store import ensure_indexes, open_database
from tests.query_plans import Recording, assert_uses_index

NOW = "2026-11-23T10:00:00+08:00"
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
DISTRICTS = ("浦东新区", "闵行区")

REGULATOR = Actor.from_dict({"account_id": "a-reg", "username": "pudong", "roles": ["regulator"],
                             "district": "浦东新区"})
ENTERPRISE = Actor.from_dict({"account_id": "a-ent", "username": "dongfang", "roles": ["enterprise_user"],
                              "enterprise_id": "e0"})
FILER = Actor.from_dict({"account_id": "a-f0", "username": "zhaoqiang", "roles": ["field_staff"],
                         "institution_id": "i0", "staff_id": "s0"})


class Emitted:
    def emit(self, *args, **kwargs):
        pass


def context(service, store_config, indexes):
    db = open_database(service, store_config)
    ensure_indexes(db, indexes)
    return Context(db, FrozenClock(NOW), Emitted(), {}), db


def field_record(n):
    at = T0 + timedelta(hours=n)
    return {"id": f"r{n:04d}", "number": f"YW2026{n:06d}", "status": "submitted" if n % 5 else "draft",
            "district": DISTRICTS[n % 2], "institution_id": f"i{n % 3}", "enterprise_id": f"e{n % 4}",
            "task_id": f"t{n % 4}", "outlet_id": f"o{n % 8}", "form_kind": "ww_inspection",
            "filer": {"account_id": f"a-f{n % 3}", "name": "赵强"}, "submission_id": f"s{n}",
            "performed_at": at, "performed_on": (at + timedelta(hours=8)).date().isoformat(),
            "submitted_at": at, "flags": []}


@pytest.fixture
def fieldrecords_ctx(store_config):
    from fieldrecords.storage import INDEXES
    ctx, db = context("fieldrecords", store_config, INDEXES)
    db["records"].insert_many([field_record(n) for n in range(200)])
    db["tasks"].insert_many([{"id": f"t{k}", "institution_id": f"i{k % 3}", "enterprise_id": f"e{k}",
                              "district": DISTRICTS[k % 2], "version": 1} for k in range(4)])
    ctx.db = Recording(db)
    return ctx


def _explain_each(ctx, collection, index, why):
    finds = ctx.db.finds(collection)
    assert finds, f"{why}: the use case ran no find on {collection}"
    for cursor in finds:
        assert_uses_index(cursor.clone(), index, why)


# SecantusDB's planner may take another index with the same equality prefix: still a bounded scan
# of one person's records.
FILER_INDEXES = ("filer_list", "filer_all_list", "filer.account_id_1_submission_id_1")


def test_a_district_regulator_s_record_list_walks_the_district_index(fieldrecords_ctx):
    from fieldrecords.usecases import records
    first = records.list_records(fieldrecords_ctx, REGULATOR, {"size": 20})
    records.list_records(fieldrecords_ctx, REGULATOR, {"size": 20, "after": first["next"]})
    _explain_each(fieldrecords_ctx, "records", "district_list", "regulator's district list")


def test_a_day_of_the_district_list_is_a_range_on_the_same_index(fieldrecords_ctx):
    from fieldrecords.usecases import records
    records.list_records(fieldrecords_ctx, REGULATOR, {"day": "2026-11-03", "size": 20})
    _explain_each(fieldrecords_ctx, "records", "district_list", "one day of the district list")


@pytest.mark.parametrize("query, index", [({"task_id": "t0"}, "task_list"),
                                          ({"task_id": "t0", "outlet_id": "o0"}, "outlet_list"),
                                          ({"mine": True}, FILER_INDEXES),
                                          ({"status": "draft"}, "filer_list")])
def test_records_by_task_outlet_and_filer_use_their_index(fieldrecords_ctx, query, index):
    from fieldrecords.usecases import records
    actor = FILER if query.get("mine") or query.get("status") == "draft" else REGULATOR
    records.list_records(fieldrecords_ctx, actor, {**query, "size": 20})
    _explain_each(fieldrecords_ctx, "records", index, f"records by {sorted(query)}")


@pytest.fixture
def confirmation_ctx(store_config):
    from confirmation.storage import INDEXES
    from confirmation.usecases import records
    from services.confirmation.tests.facts import record_fact
    ctx, db = context("confirmation", store_config, INDEXES)
    for n in range(120):
        at = T0 + timedelta(hours=5 * n)
        fact = record_fact(f"r{n:04d}", f"YW2026{n:06d}", enterprise_id=f"e{n % 3}",
                           district=DISTRICTS[n % 2], submitted_at=at.isoformat(), performed_at=at.isoformat(),
                           performed_on=(at + timedelta(hours=8)).date().isoformat())
        records.keep(ctx, make_event("record.submitted", "fieldrecords", fact["id"], {"record": fact}))
    ctx.db = Recording(db)
    return ctx


@pytest.mark.parametrize("actor, index", [(ENTERPRISE, "enterprise_list"), (REGULATOR, "district_list")])
def test_the_confirmation_day_list_reads_one_day_from_the_scope_index(confirmation_ctx, actor, index):
    from confirmation.usecases import records
    day = confirmation_ctx.db["records"].find_one({"enterprise_id": "e0"})["day"]
    records.day_records(confirmation_ctx, actor, day)
    _explain_each(confirmation_ctx, "records", index, "confirmation day list")


def test_the_confirmation_status_list_pages_on_the_scope_index(confirmation_ctx):
    from confirmation.usecases import records
    first = records.list_records(confirmation_ctx, ENTERPRISE, {"size": 10})
    records.list_records(confirmation_ctx, ENTERPRISE, {"size": 10, "after": first["next"]})
    _explain_each(confirmation_ctx, "records", "enterprise_list", "confirmation list")


def test_a_status_tab_of_the_confirmation_list_pages_on_the_scope_and_status_index(confirmation_ctx):
    from confirmation.usecases import records
    first = records.list_records(confirmation_ctx, REGULATOR, {"status": "pending", "size": 10})
    records.list_records(confirmation_ctx, REGULATOR, {"status": "pending", "size": 10, "after": first["next"]})
    _explain_each(confirmation_ctx, "records", "district_status_list", "a status tab")


def test_the_maintenance_view_reads_the_task_s_completions_by_index(store_config):
    from tasks.storage import INDEXES
    from tasks.usecases import om_tasks
    ctx, db = context("tasks", store_config, INDEXES)
    db["completions"].insert_many([{"record_id": f"r{n}", "task_id": f"t{n % 20}", "outlet_id": "o1",
                                    "form_kind": "ww_inspection", "performed_on": "2026-11-02"}
                                   for n in range(400)])
    ctx.db = Recording(db)
    assert len(om_tasks._performed(ctx, {"id": "t3"})[("o1", "ww_inspection")]) == 20
    _explain_each(ctx, "completions", "task_id_1_outlet_id_1", "maintenance view")


def test_the_outbox_relay_reads_only_what_is_due_by_index(store_config):
    from emss_common.outbound import INDEXES, OUTBOX, OutboundOutbox, OutboundSettings
    ctx, db = context("credit", store_config, INDEXES)
    db[OUTBOX].insert_many([{"id": f"m{n}", "channel": "outbound", "sent": n % 10 != 0, "attempts": 1,
                             "sent_at": None, "created_at": T0,
                             "next_attempt_at": T0 + timedelta(days=60, minutes=n)} for n in range(300)])
    recording = Recording(db)
    box = OutboundOutbox(recording, ctx.clock, None, OutboundSettings(amqp_uri="amqp://unused"), "credit")
    assert box.relay() == 0  # none due yet
    for cursor in recording.finds(OUTBOX):
        assert_uses_index(cursor.clone(), ("sent_1_channel_1_next_attempt_at_1", "sent_1_channel_1_created_at_1"), "outbox relay")
    assert recording.finds(OUTBOX)
    # The claim (find_one_and_update) selects with the same filter and order.
    claim = db[OUTBOX].find(box.outbox.due_filter("outbound", ctx.clock.now())).sort(box.outbox.DUE_ORDER)
    assert_uses_index(claim, "sent_1_channel_1_next_attempt_at_1", "outbox claim")


def test_the_outbox_sweep_reads_only_documents_holding_pending_events_by_index(store_config):
    from emss_common.outbox import Outbox, carries_events
    ctx, db = context("registry", store_config, carries_events("devices"))
    db["devices"].insert_many([{"id": f"d{n}", "version": 1} for n in range(300)])
    recording = Recording(db)
    assert Outbox(recording, ctx.clock, "registry", {}, swept=["devices"]).sweep() == 0
    for cursor in recording.finds("devices"):
        assert_uses_index(cursor.clone(), "pending_events", "outbox sweep")
    assert recording.finds("devices")
