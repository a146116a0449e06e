"""The use cases on the embedded store, without a broker: a record copy and its trail survive a
crash between them and a redelivery; the overdue sweep announces each record once."""
import pytest

from confirmation.domain.records import Transition
from confirmation.storage import INDEXES
from confirmation.usecases import acts, records
from emss_common.clock import FrozenClock
from emss_common.context import Context
from emss_common.events import make_event
from emss_common.nameko_deps import COMMON_INDEXES
from emss_common.store import ensure_indexes, merge_indexes, open_database
from services.confirmation.tests.facts import record_fact
from tests.fakes import RecordedEvents


@pytest.fixture
def ctx(store_config):
    db = open_database("confirmation", store_config)
    ensure_indexes(db, merge_indexes(COMMON_INDEXES, INDEXES))
    clock = FrozenClock("2026-11-23T10:00:00+08:00")
    return Context(db, clock, RecordedEvents("confirmation", db, clock), {})


def submitted(fact):
    return make_event("record.submitted", "fieldrecords", fact["id"], {"record": fact})


def test_a_redelivered_fact_is_kept_once_with_one_trail_entry(ctx):
    fact = record_fact("r1", "YW2026000001")
    records.keep(ctx, submitted(fact))
    records.keep(ctx, submitted(fact))
    assert ctx.db["records"].count_documents({}) == 1
    assert [t["action"] for t in acts.trail(ctx, "r1")] == ["submit"]


def test_a_crash_between_the_trail_entry_and_the_copy_is_repaired_by_the_redelivery(ctx):
    fact = record_fact("r1", "YW2026000001")
    acts.transition_entry(ctx, "record", "r1", Transition("submit", None, "pending"), acts.SYSTEM, ctx.now, seq=1)
    assert ctx.db["records"].count_documents({}) == 0          # the first delivery died here
    records.keep(ctx, submitted(fact))
    assert ctx.db["records"].find_one({"id": "r1"})["status"] == "pending"
    assert [t["seq"] for t in acts.trail(ctx, "r1")] == [1]


def test_the_sweep_marks_each_overdue_record_once_and_leaves_todays_alone(ctx):
    records.keep(ctx, submitted(record_fact("r1", "YW2026000001", submitted_at="2026-11-22T18:00:00+08:00")))
    records.keep(ctx, submitted(record_fact("r2", "YW2026000002")))
    assert records.sweep_overdue(ctx) == 1
    assert records.sweep_overdue(ctx) == 0
    assert [(t, s) for t, s, _ in ctx.events.events] == [("record.confirmation_overdue", "r1")]
    ctx.clock.set("2026-11-24T00:00:00+08:00")
    assert records.sweep_overdue(ctx) == 1
    assert [s for _, s, _ in ctx.events.events] == ["r1", "r2"]
    assert ctx.events.events[1][2]["record"]["overdue"] is True
