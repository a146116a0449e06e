"""A state change and its event are one write: a service process killed between the state write and
the dispatch (EMSS_FAULT_EXIT_AFTER_STATE_WRITE, read by the emitter, makes it exit right there)
loses no event. Restarted without the fault, its relay finds the event still in the changed
document and sends it, once (by event id), for every service that emits events."""
import os
import subprocess
import sys

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook

from emss_common.outbox import CRASH_AFTER_WRITE, PENDING
from emss_common.store import open_database
from emss_common.storeserver import free_port
from tests.bus import EventFeed, EventTap
from tests.waiting import PATIENCE, eventually

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAULT_EXIT = 17  # outbox.crash_point's exit status


@pytest.fixture
def crashing(service_config, tmp_path):
    """crashing(name, now): the service as `make run` runs it, in a process of its own on the test's
    broker and store, that exits right after its first state write carrying an event."""
    procs = []

    def start(name, now):
        env = {**os.environ, "AMQP_URI": service_config["AMQP_URI"], "MONGO_URI": service_config["MONGO_URI"],
               "EMSS_DB_SUFFIX": service_config["EMSS_DB_SUFFIX"], "EMSS_FROZEN_NOW": now,
               "EMSS_DATA_DIR": str(tmp_path), "METRICS_PORT": str(free_port()),
               "EMSS_ADMIN_PASSWORD": service_config["EMSS_ADMIN_PASSWORD"],
               "EMSS_CONFIRMATION_SWEEP_SECONDS": "0.2", CRASH_AFTER_WRITE: "1"}
        log = open(tmp_path / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "emss_common.launch", name], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        procs.append((proc, log))
        return proc

    yield start
    for proc, log in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(20)
        log.close()


def wait_until_it_answers(rpc, name, proc):
    def answers():
        assert proc.poll() is None, f"{name} exited early ({proc.returncode})"
        assert getattr(rpc, name).health()["pid"] == proc.pid
    eventually(answers)


def died_at_the_fault(proc):
    eventually(lambda: _assert(proc.poll() == FAULT_EXIT))


def pending_in(config, service, collection, subject_id):
    doc = open_database(service, config)[collection].find_one({"id": subject_id})
    return [ev["type"] for ev in (doc or {}).get(PENDING, [])]


def arrives_once(tap, container, type_, subject):
    """The event arrives after the restart; further relay rounds send nothing more."""
    eventually(lambda: _assert(tap.of(type_, subject)))
    for _ in range(2):
        with entrypoint_hook(container, "relay_outbox") as relay:
            relay()
    found = tap.of(type_, subject)
    assert len(found) == 1, found
    return found[0]


def _assert(condition):
    assert condition


def restarted(container_factory, cls, config):
    container = container_factory(cls, {**config, "EMSS_OUTBOX_RELAY_SECONDS": 0.2})
    container.start()
    return container


# ----- registry -----

def test_registry_killed_after_submitting_a_filing_announces_it_after_restart(
        container_factory, service_config, crashing):
    from registry.service import RegistryService
    from services.registry.tests.conftest import NOW, Flow
    config = {**service_config, "EMSS_FROZEN_NOW": NOW}
    first = container_factory(RegistryService, config)
    first.start()
    with ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        admin = rpc.registry.login({"username": "admin", "password": config["EMSS_ADMIN_PASSWORD"]})["actor"]
        inst, actor = Flow(rpc.registry, admin).register()
    first.stop()

    with EventTap(config["AMQP_URI"], "registry") as tap, ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        proc = crashing("registry", NOW)
        wait_until_it_answers(rpc, "registry", proc)
        rpc.registry.transition_institution.call_async(actor, inst["id"], {"action": "submit"})
        died_at_the_fault(proc)
        assert pending_in(config, "registry", "institutions", inst["id"]) == ["institution.submitted"]
        assert tap.of("institution.submitted") == []

        container = restarted(container_factory, RegistryService, config)
        event = arrives_once(tap, container, "institution.submitted", inst["id"])
        assert event["data"]["institution"]["status"] == "first_submitted"
        assert pending_in(config, "registry", "institutions", inst["id"]) == []
        assert rpc.registry.get_institution(actor, inst["id"])["status"] == "first_submitted"


# ----- tasks -----

def test_tasks_killed_after_submitting_a_contract_announces_it_after_restart(
        container_factory, service_config, crashing):
    from tasks.service import TasksService
    from services.tasks.tests.conftest import NOW
    from services.tasks.tests.test_service_replica_and_field_facts import ADMIN, _ok, seed
    config = {**service_config, "EMSS_FROZEN_NOW": NOW}
    first = container_factory(TasksService, config)
    first.start()
    with ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        seed(EventFeed(config))
        body = {"title": "运维合同", "nature": "om", "enterprise_id": "e1", "amount": "1000.00",
                "start": "2026-12-01", "end": "2027-11-30"}
        contract = eventually(lambda: _ok(lambda: rpc.tasks.create_contract(ADMIN, body)))
    first.stop()

    with EventTap(config["AMQP_URI"], "tasks") as tap, ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        proc = crashing("tasks", NOW)
        wait_until_it_answers(rpc, "tasks", proc)
        rpc.tasks.submit_contract.call_async(ADMIN, contract["id"])
        died_at_the_fault(proc)
        assert pending_in(config, "tasks", "contracts", contract["id"]) == ["contract.submitted"]
        assert tap.of("contract.submitted") == []

        container = restarted(container_factory, TasksService, config)
        event = arrives_once(tap, container, "contract.submitted", contract["id"])
        assert event["data"]["contract"]["status"] == "submitted"
        assert pending_in(config, "tasks", "contracts", contract["id"]) == []


# ----- fieldrecords -----

def test_fieldrecords_killed_after_sealing_a_record_announces_it_after_restart(
        container_factory, service_config, crashing):
    from fieldrecords.service import FieldRecordsService
    from services.fieldrecords.tests import conftest as fr
    from services.fieldrecords.tests.test_service_records import start, submit, work_photo
    config = {**service_config, "EMSS_FROZEN_NOW": fr.NOW}
    first = container_factory(FieldRecordsService, config)
    first.start()
    with ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        fr.seed_facts(fr.Feed(config), rpc.fieldrecords)
        record = start(rpc.fieldrecords)
        work_photo(rpc.fieldrecords, record["id"])
    first.stop()

    with EventTap(config["AMQP_URI"], "fieldrecords") as tap, ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        proc = crashing("fieldrecords", fr.NOW)
        wait_until_it_answers(rpc, "fieldrecords", proc)
        caller = eventlet.spawn(_quietly, lambda: submit(rpc.fieldrecords, record["id"]))
        died_at_the_fault(proc)
        caller.kill()
        assert pending_in(config, "fieldrecords", "records", record["id"]) == ["record.submitted"]
        assert tap.of("record.submitted") == []

        container = restarted(container_factory, FieldRecordsService, config)
        event = arrives_once(tap, container, "record.submitted", record["id"])
        assert event["data"]["record"]["id"] == record["id"] and event["data"]["record"]["check_out"]
        assert pending_in(config, "fieldrecords", "records", record["id"]) == []


def _quietly(call):
    try:
        call()
    except Exception:  # noqa: BLE001 - the process answering it was killed on purpose
        pass


# ----- confirmation -----

def test_confirmation_killed_after_marking_a_record_overdue_announces_it_after_restart(
        container_factory, service_config, crashing):
    from confirmation.service import ConfirmationService
    from emss_common.events import make_event
    from services.confirmation.tests.conftest import NOW
    from services.confirmation.tests.facts import REVIEWER, record_fact
    config = {**service_config, "EMSS_FROZEN_NOW": NOW, "EMSS_CONFIRMATION_SWEEP_SECONDS": 3600}
    first = container_factory(ConfirmationService, config)
    first.start()
    fact = record_fact("r1", "YW2026000001")
    EventFeed(config).send("fieldrecords", "record.submitted", "r1", {"record": fact},
                           event=make_event("record.submitted", "fieldrecords", "r1", {"record": fact}))
    with ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        eventually(lambda: _assert(rpc.confirmation.list_records(REVIEWER)["total"] == 1))
    first.stop()

    next_day = "2026-11-24T00:00:30+08:00"  # the day ended unconfirmed: the sweep marks it overdue
    with EventTap(config["AMQP_URI"], "confirmation") as tap:
        proc = crashing("confirmation", next_day)
        died_at_the_fault(proc)
        assert pending_in(config, "confirmation", "records", "r1") == ["record.confirmation_overdue"]
        assert tap.of("record.confirmation_overdue") == []

        container = restarted(container_factory, ConfirmationService,
                              {**config, "EMSS_FROZEN_NOW": next_day, "EMSS_CONFIRMATION_SWEEP_SECONDS": 0.2})
        event = arrives_once(tap, container, "record.confirmation_overdue", "r1")
        assert event["data"]["record"]["status"] == "overdue"
        assert pending_in(config, "confirmation", "records", "r1") == []
