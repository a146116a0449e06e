"""Through RabbitMQ: an event whose handler fails three times is parked where an operator sees it
(the RPC, the emss-parked command, the gauge emss_events_parked) and a replay delivers it once."""
import io

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from prometheus_client import REGISTRY

from emss_common import parked, replica
from tasks.service import TasksService
from tests.bus import EventFeed
from tests.waiting import PATIENCE, eventually

ENT = {"id": "e-parked", "name": "上海东方化工有限公司", "district": "浦东新区", "version": 1}


class FlakyCopies:
    """replica.keep that fails while `failures_left`, counting the copies it really made."""

    def __init__(self, real):
        self.real, self.failures_left, self.kept = real, 0, []

    def __call__(self, db, collection, event, key):
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("copy store away")
        self.kept.append(event["id"])
        return self.real(db, collection, event, key)


@pytest.fixture
def copies(monkeypatch):
    flaky = FlakyCopies(replica.keep)
    monkeypatch.setattr(replica, "keep", flaky)
    return flaky


@pytest.fixture
def config(service_config):
    # Short back-off so three attempts take about a second; no reconciliation in the way.
    return {**service_config, "EMSS_HANDLER_RETRY_SECONDS": "0.2", "EMSS_HANDLER_RETRY_MAX_SECONDS": "0.4",
            "EMSS_HANDLER_MAX_ATTEMPTS": "3", "EMSS_RECONCILE_SECONDS": "3600"}


@pytest.fixture
def tasks(container_factory, config):
    container = container_factory(TasksService, config)
    container.start()
    with ServiceRpcProxy("tasks", config, timeout=PATIENCE) as proxy:
        yield proxy


def command(config, *argv):
    out = io.StringIO()
    status = parked.main(list(argv), config=config, out=out)
    return status, out.getvalue()


def parked_gauge():
    return REGISTRY.get_sample_value("emss_events_parked", {"service": "tasks", "handler": "on_enterprise"})


def test_a_handler_failing_three_times_parks_the_event_and_a_replay_delivers_it_once(tasks, config, copies):
    copies.failures_left = 3
    event = EventFeed(config).send("registry", "enterprise.registered", "e-parked", {"enterprise": ENT})

    def parked_after_three_attempts():
        items = tasks.parked_events()
        assert len(items) == 1
        item = items[0]
        assert (item["event_id"], item["handler"], item["attempts"], item["state"]) == \
            (event["id"], "on_enterprise", 3, "parked")
        assert parked_gauge() == 1  # set just after the parked state is stored
        return item
    item = eventually(parked_after_three_attempts)
    assert "copy store away" in item["last_error"]
    assert copies.kept == [] and copies.failures_left == 0
    status, listed = command(config, "list", "--service", "tasks")
    assert status == 0 and item["id"] in listed and "enterprise.registered" in listed

    status, replayed = command(config, "replay", "--service", "tasks", "--id", item["id"])
    assert status == 0 and f"已重放 {item['id']}" in replayed
    assert copies.kept == [event["id"]]
    assert tasks.parked_events() == []
    assert parked_gauge() == 0
    status, again = command(config, "replay", "--service", "tasks")
    assert status == 0 and "已重放 0 条" in again
    assert copies.kept == [event["id"]]


def test_a_handler_failing_once_is_retried_by_itself(tasks, config, copies):
    copies.failures_left = 1
    event = EventFeed(config).send("registry", "enterprise.registered", "e-parked", {"enterprise": ENT})
    eventually(lambda: assert_equal(copies.kept, [event["id"]]))
    assert copies.failures_left == 0
    assert tasks.parked_events() == []


def assert_equal(actual, expected):
    assert actual == expected
