"""The one outbox: a state change and its event are one write; the relay finishes what a writer
left (pending events in changed documents, rows whose send failed), under claims, with back-off."""
import os
import threading

from nameko.testing.services import worker_factory

from emss_common import outbox
from emss_common.clock import FrozenClock
from emss_common.nameko_deps import COMMON_INDEXES, ServiceBase, Store, Emitter
from emss_common.outbox import Outbox, RelaySettings, carries_events, pending, staged
from emss_common.serial import to_wire
from emss_common.store import ensure_indexes, merge_indexes, open_database

INDEXES = merge_indexes(COMMON_INDEXES, carries_events("devices"))


class Holder:
    pass


def _emitter(db, clock, dispatch):
    holder = Holder()
    holder.db, holder.clock = db, clock
    return Emitter("registry", holder, dispatch, "db", "clock")


def _db(store_config):
    db = open_database("registry", store_config)
    ensure_indexes(db, INDEXES)
    return db


def _service(db, clock, dispatch):
    class Service(ServiceBase):
        name = "registry"
        db = Store("registry", carries_events("devices"))

    dispatcher = Holder()
    dispatcher.dispatch = dispatch
    return worker_factory(Service, db=db, clock=clock, events=dispatcher, config={})


def _change_device(db, events, version):
    ev = events.new("device.changed", "d1", {"version": version})
    db["devices"].update_one({"id": "d1"}, pending({"$set": {"version": version}}, ev))
    return ev


def test_the_event_is_written_with_the_change_then_dispatched_and_taken_off_the_document(store_config):
    db, clock, sent = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00"), []
    events = _emitter(db, clock, lambda type_, ev: sent.append((type_, ev)))
    ev = events.new("device.registered", "d1", {"device": {"id": "d1"}}, actor={"username": "reg01", "roles": []})
    db["devices"].insert_one(staged({"id": "d1", "version": 1}, ev))
    assert db["devices"].find_one({"id": "d1"})["_outbox"][0]["id"] == ev["id"]  # one write: both

    events.flush("devices", "d1", ev)
    assert sent == [("device.registered", ev)]
    assert ev["occurred_at"] == "2026-06-15T02:00:00+00:00"
    assert "_outbox" not in db["devices"].find_one({"id": "d1"})
    row = db["outbox"].find_one({"id": ev["id"]})
    assert row["sent"] is True and row["message"] == ev and row["channel"] == "internal"


def test_a_writer_that_died_after_the_write_leaves_the_event_to_the_relay_which_sends_it_once(store_config):
    db, clock = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00")
    db["devices"].insert_one({"id": "d1", "version": 1})
    ev = _change_device(db, _emitter(db, clock, None), 2)  # ... and no flush: the process died here

    resent = []
    service = _service(db, clock, lambda type_, e: resent.append((type_, e["id"])))
    service.relay_outbox()
    assert resent == [("device.changed", ev["id"])]
    assert db["devices"].find_one({"id": "d1"})["version"] == 2
    assert "_outbox" not in db["devices"].find_one({"id": "d1"})
    service.relay_outbox()
    clock.advance(hours=2)
    service.relay_outbox()
    assert len(resent) == 1


def test_a_relay_that_copied_the_event_first_leaves_the_writer_nothing_to_send(store_config):
    db, clock, sent = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00"), []
    db["devices"].insert_one({"id": "d1", "version": 1})
    events = _emitter(db, clock, lambda type_, e: sent.append(e["id"]))
    ev = _change_device(db, events, 2)
    _service(db, clock, lambda type_, e: sent.append(e["id"])).relay_outbox()  # before the writer's flush
    events.flush("devices", "d1", ev)
    assert sent == [ev["id"]]


def test_an_event_the_broker_refused_waits_and_is_retried_with_back_off(store_config):
    db, clock = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00")
    db["devices"].insert_one({"id": "d1", "version": 1})

    def broker_down(type_, event):
        raise ConnectionError("broker down")

    events = _emitter(db, clock, broker_down)
    ev = _change_device(db, events, 2)
    events.flush("devices", "d1", ev)
    row = db["outbox"].find_one({"id": ev["id"]})
    assert row["sent"] is False and row["last_error"].startswith("connection") and row["attempts"] == 1

    tries = []

    def still_down(type_, e):
        tries.append(clock.now())
        raise ConnectionError("broker down")

    service = _service(db, clock, still_down)
    waits = []
    for _ in range(5):
        service.relay_outbox()  # not due yet: nothing tried
        due = db["outbox"].find_one({"id": ev["id"]})["next_attempt_at"]
        waits.append(int((due - clock.now()).total_seconds()))
        clock.set(due)
        service.relay_outbox()
    assert waits == [30, 60, 120, 240, 480]
    assert len(tries) == 5 and db["outbox"].find_one({"id": ev["id"]})["attempts"] == 6

    resent = []
    service = _service(db, clock, lambda type_, e: resent.append(e["id"]))
    clock.advance(seconds=960)
    service.relay_outbox()
    assert resent == [ev["id"]] and db["outbox"].find_one({"id": ev["id"]})["sent"] is True


def test_an_internal_event_and_its_copy_for_the_agency_are_two_rows_of_the_one_outbox(store_config):
    db, clock, sent = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00"), []
    box = Outbox(db, clock, "confirmation", {"internal": lambda row, probe: sent.append(("internal", row["id"])),
                                             "outbound": lambda row, probe: sent.append(("outbound", row["id"]))})
    event = {"id": "ev-1", "type": "record.voided"}
    assert box.add("internal", event, claimed=False) and box.add("outbound", event, claimed=False)
    assert box.add("outbound", event, claimed=False) is None  # a redelivery forwarded again: nothing new
    assert box.relay() == 2 and sorted(sent) == [("internal", "ev-1"), ("outbound", "ev-1")]


def test_back_off_is_capped(store_config):
    box = Outbox(_db(store_config), FrozenClock("2026-06-15T10:00:00+08:00"), "registry", {},
                 RelaySettings(retry_after_seconds=30, max_backoff_seconds=300))
    assert [box.backoff(n).total_seconds() for n in range(1, 8)] == [30, 60, 120, 240, 300, 300, 300]


def test_two_relays_claiming_at_the_same_time_never_send_the_same_row_twice(store_config):
    db, clock = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00")
    box = Outbox(db, clock, "registry", {})
    ids = [f"ev-{n}" for n in range(60)]
    for id_ in ids:
        box.add("internal", {"id": id_, "type": "device.changed"}, claimed=False)
    sent, lock, start = [], threading.Lock(), threading.Barrier(2)

    def record(owner):
        def send(row, probe):
            with lock:
                sent.append((owner, row["id"]))
        return send

    def relay(owner):
        start.wait()
        Outbox(db, clock, "registry", {"internal": record(owner)}, owner=owner,
               settings=RelaySettings(batch=1000)).relay()

    threads = [threading.Thread(target=relay, args=(name,)) for name in ("replica-a", "replica-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(id_ for _, id_ in sent) == sorted(ids)  # each once, none twice


def test_a_row_another_replica_holds_a_claim_on_is_left_to_it_until_the_claim_expires(store_config):
    db, clock, sent = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00"), []
    other = Outbox(db, clock, "registry", {}, owner="replica-b", settings=RelaySettings(claim_seconds=60))
    other.add("internal", {"id": "ev-1", "type": "device.changed"}, claimed=False)
    assert other.claim("internal", clock.now())["claimed_by"] == "replica-b"  # ... then it died
    mine = Outbox(db, clock, "registry", {"internal": lambda row, probe: sent.append(row["id"])}, owner="replica-a")
    assert mine.relay() == 0 and sent == []
    clock.advance(seconds=61)
    assert mine.relay() == 1 and sent == ["ev-1"]


def test_pending_events_never_show_in_views_events_or_exports(store_config):
    db, clock = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00")
    ev = _emitter(db, clock, None).new("device.changed", "d1", {"device": {"id": "d1", "_outbox": [{"id": "x"}]}})
    assert ev["data"] == {"device": {"id": "d1"}}
    db["devices"].insert_one(staged({"id": "d1"}, ev))
    assert to_wire(db["devices"].find_one({"id": "d1"})) == {"id": "d1"}


def test_sent_events_are_dropped_from_the_outbox_after_a_week(store_config):
    db, clock = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00")
    db["devices"].insert_one({"id": "d1", "version": 1})
    events = _emitter(db, clock, lambda type_, e: None)
    ev = _change_device(db, events, 2)
    events.flush("devices", "d1", ev)
    service = _service(db, clock, lambda type_, e: None)
    clock.advance(days=6)
    service.relay_outbox()
    assert db["outbox"].find_one({"id": ev["id"]}) is not None
    clock.advance(days=1, seconds=1)
    service.relay_outbox()
    assert db["outbox"].find_one({"id": ev["id"]}) is None


def test_the_pending_and_oldest_age_gauges_show_what_waits(store_config):
    db, clock = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00")
    box = Outbox(db, clock, "registry", {"internal": lambda row, probe: None})
    box.add("internal", {"id": "ev-1", "type": "device.changed"})  # claimed by a writer, not yet sent
    clock.advance(seconds=5)
    box.relay()
    assert outbox.pending_gauge().labels("registry", "internal")._value.get() == 1
    assert outbox.oldest_gauge().labels("registry", "internal")._value.get() == 5


def test_health_answers_with_the_service_name_and_time(store_config):
    class Service(ServiceBase):
        name = "tasks"
        db = Store("tasks")

    clock = FrozenClock("2026-06-15T10:00:00+08:00")
    service = worker_factory(Service, db=_db(store_config), clock=clock)
    assert service.health() == {"service": "tasks", "status": "ok",
                                "time": "2026-06-15T02:00:00+00:00", "pid": os.getpid()}
    clock.advance(days=1)
    assert service.health()["time"].startswith("2026-06-16")
