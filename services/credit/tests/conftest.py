"""Credit tests: use cases on the real test store with a movable clock and recorded events (`ctx`),
and the service alone on the real broker (`container`, `credit`), its clock movable, its emitted
events watched on the bus (`bus`)."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from credit.service import CreditService
from credit.storage import INDEXES
from emss_common.clock import FrozenClock
from emss_common.context import Context
from emss_common.nameko_deps import COMMON_INDEXES
from emss_common.store import ensure_indexes, merge_indexes, open_database
from tests.bus import EventTap
from tests.fakes import RecordedEvents
from tests.waiting import PATIENCE

NOW = "2026-11-23T10:00:00+08:00"


@pytest.fixture
def ctx(store_config):
    """A use-case context: the service's indexes on a store of this test's own, a FrozenClock at
    NOW (ctx.clock.set / advance), events recorded in ctx.events.events as (type, subject, data)."""
    db = open_database("credit", store_config)
    ensure_indexes(db, merge_indexes(COMMON_INDEXES, INDEXES))
    clock = FrozenClock(NOW)
    return Context(db, clock, RecordedEvents("credit", db, clock), {})


@pytest.fixture
def credit_config(service_config):
    return {**service_config, "EMSS_FROZEN_NOW": NOW}


@pytest.fixture
def container(container_factory, credit_config):
    c = container_factory(CreditService, credit_config)
    c.start()
    return c


@pytest.fixture
def credit(container, credit_config):
    with ServiceRpcProxy("credit", credit_config, timeout=PATIENCE) as proxy:
        yield proxy


@pytest.fixture
def clock(container):
    return next(d.clock for d in container.dependencies if type(d).__name__ == "Clock")


@pytest.fixture
def service_ctx(container, clock):
    """A use-case context on the running service's own store and clock (to raise a finding as the
    rules engine would), its events recorded rather than sent."""
    db = next(d.db for d in container.dependencies if type(d).__name__ == "Store")
    return Context(db, clock, RecordedEvents("credit", db, clock), {})


@pytest.fixture
def bus(credit_config, container):
    with EventTap(credit_config["AMQP_URI"], "credit") as tap:
        yield tap
