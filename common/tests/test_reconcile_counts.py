"""Through RabbitMQ: reconciliation (reconcile_from, the safety net behind retried and parked
events) counts in emss_reconciliation_repaired_total exactly the copies it repaired, so a healthy
system shows zero (alert EmssReconciliationRepaired)."""
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import REGISTRY

from emss_common import replica
from emss_common.clock import FrozenClock
from emss_common.nameko_deps import Clock, ExportsFacts, Store, reconcile_from
from emss_common.reconciliation import Export
from emss_common.store import open_database

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
EXPORTS = (Export("outlets", lambda d: {k: d[k] for k in ("id", "name", "version")}),)


class FactSource(ExportsFacts):
    name = "factsource"
    db = Store("registry", exports=EXPORTS)
    clock = Clock()
    EXPORTS = EXPORTS


class Consumer:
    name = "tasks"

    def __init__(self, config):
        self.config, self.clock = config, FrozenClock("2026-11-23T12:00:00+08:00")
        self.db = open_database("tasks", config)


@pytest.fixture
def source(container_factory, service_config):
    container = container_factory(FactSource, service_config)
    container.start()
    return open_database("registry", service_config)


def outlet(db, n, version, at):
    db["outlets"].update_one({"id": f"o{n}"}, {"$set": {"name": f"{n}#排口", "version": version, "updated_at": at}},
                             upsert=True)


def repaired():
    return REGISTRY.get_sample_value("emss_reconciliation_repaired_total",
                                     {"service": "tasks", "source": "factsource", "collection": "outlets"}) or 0


def test_reconciliation_counts_the_copies_it_repaired_and_nothing_when_the_copy_is_whole(source, service_config):
    consumer = Consumer(service_config)

    def round_():
        rounds = reconcile_from(consumer, "factsource", ("outlets",),
                                lambda collection, fact, at: replica.upsert_newer(consumer.db[collection], fact, at))
        assert rounds is not None, "the source was not reachable"
        return rounds["outlets"]

    outlet(source, 1, 1, T0)
    outlet(source, 2, 1, T0 + timedelta(minutes=1))
    before = repaired()
    assert round_().repaired == 2
    assert repaired() - before == 2

    assert round_().repaired == 0  # the overlap re-reads both; both copies are whole
    assert repaired() - before == 2

    outlet(source, 2, 2, T0 + timedelta(minutes=2))  # its event was lost
    assert round_().repaired == 1
    assert repaired() - before == 3
