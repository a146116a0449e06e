"""Through RabbitMQ: an approved task whose weekly inspection window closes without a record
announces occurrence.missed once, on the bus, from the service's own sweep; a record arriving
after the window closed changes nothing, and the next window is decided in its turn."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from tasks.service import TasksService
from tests.bus import EventFeed, EventTap
from tests.waiting import PATIENCE, eventually

from services.tasks.tests.test_service_replica_and_field_facts import ADMIN, _ok, contract, seed

REGULATOR = {"account_id": "a9", "username": "pudong", "roles": ["regulator"], "district": "浦东新区"}


@pytest.fixture
def config(tasks_config):
    return {**tasks_config, "EMSS_OBLIGATION_SWEEP_SECONDS": 0.2}


@pytest.fixture
def container(container_factory, config):
    c = container_factory(TasksService, config)
    c.start()
    return c


@pytest.fixture
def service(container, config):
    with ServiceRpcProxy("tasks", config, timeout=PATIENCE) as proxy:
        yield proxy


@pytest.fixture
def clock(container):
    return next(d.clock for d in container.dependencies if type(d).__name__ == "Clock")


@pytest.fixture
def bus(config, container):
    with EventTap(config["AMQP_URI"], "tasks") as tap:
        yield tap


def test_a_missed_window_is_announced_once(service, config, clock, bus):
    feed = EventFeed(config)
    seed(feed)
    c = contract(service)
    # The contract runs from 2026-12-01; the clock is moved there (the service's frozen clock).
    task = eventually(lambda: _ok(lambda: service.create_task(ADMIN, {
        "name": "1#锅炉CEMS运维", "enterprise_id": "e1", "contract_id": c["id"], "start": "2026-12-01",
        "end": "2027-11-30", "outlet_ids": ["o1"], "staff_ids": ["s1"], "device_ids": ["d1"],
        "plan": [{"outlet_id": "o1", "form_kind": "fg_inspection_extractive", "frequency": {"kind": "weekly"}}]})))
    service.transition_task(ADMIN, task["id"], {"action": "apply"})
    service.transition_task(REGULATOR, task["id"], {"action": "approve"})
    plan_item = task["plan"][0]["id"]
    first, second = f"{plan_item}:2026-12-01", f"{plan_item}:2026-12-07"

    clock.set("2026-12-07T03:00:00+08:00")      # the first window (12-01..12-06) closed, grace passed
    missed = bus.wait_for("occurrence.missed", first)
    occ = missed["data"]["occurrence"]
    assert (occ["task_id"], occ["outlet_id"], occ["form_kind"], occ["source"]) == (
        task["id"], "o1", "fg_inspection_extractive", "plan")
    assert (occ["window_start"], occ["window_end"], occ["record_ids"]) == ("2026-12-01", "2026-12-06", [])

    record = {"id": "r9", "task_id": task["id"], "outlet_id": "o1", "form_kind": "fg_inspection_extractive",
              "performed_at": "2026-12-05T10:00:00+08:00"}
    feed.send("fieldrecords", "record.submitted", "r9", {"record": record})   # late: the window was decided

    def kept():   # the record counts in the maintenance view, yet the decided window stays missed
        rows = service.maintenance(ADMIN, task["id"], {"view": "all", "end": "2026-12-06"})["items"]
        assert rows[0]["status"] == "done"
    eventually(kept)

    clock.set("2026-12-14T03:00:00+08:00")      # the second window closes too: later sweeps have run
    bus.wait_for("occurrence.missed", second)
    assert bus.types(first) == ["occurrence.missed"]
