"""What confirmation exports for credit's reconciliation: its records with their confirmation state,
paged by their last change, so a status change whose event was missed still arrives."""

import pytest

from confirmation.storage import INDEXES
from confirmation.usecases import records
from confirmation.usecases.exports import EXPORTS
from emss_common.clock import FrozenClock
from emss_common.context import Context
from emss_common.events import make_event
from emss_common.nameko_deps import COMMON_INDEXES
from emss_common.reconciliation import export_page, indexes
from emss_common.store import ensure_indexes, merge_indexes, open_database
from services.confirmation.tests.facts import record_fact
from tests.fakes import RecordedEvents


@pytest.fixture
def ctx(store_config):
    db = open_database("confirmation", store_config)
    ensure_indexes(db, merge_indexes(COMMON_INDEXES, INDEXES, indexes(EXPORTS)))
    clock = FrozenClock("2026-11-23T10:00:00+08:00")
    return Context(db, clock, RecordedEvents("confirmation", db, clock), {})


def test_records_are_exported_with_their_status_after_each_change(ctx):
    for i in (1, 2):
        fact = record_fact(f"r{i}", f"YW202600000{i}")
        records.keep(ctx, make_event("record.submitted", "fieldrecords", fact["id"], {"record": fact}))
    page = export_page(ctx.db, EXPORTS, "records", None, 10, ctx.now)
    assert [(i["fact"]["id"], i["fact"]["status"]) for i in page["items"]] == [("r1", "pending"), ("r2", "pending")]
    assert "due_at" not in page["items"][0]["fact"] and page["items"][0]["fact"]["institution_id"] == "i1"
    cursor = {"at": page["items"][-1]["at"], "id": "r2"}
    assert export_page(ctx.db, EXPORTS, "records", cursor, 10, ctx.now)["items"] == []
    # the day ends unconfirmed: the overdue sweep changes r1 and r2, and the export has them again
    ctx.clock.advance(days=1)
    records.sweep_overdue(ctx)
    later = export_page(ctx.db, EXPORTS, "records", cursor, 10, ctx.now)["items"]
    assert {(i["fact"]["id"], i["fact"]["status"], i["fact"]["overdue"]) for i in later} == {
        ("r1", "overdue", True), ("r2", "overdue", True)}
