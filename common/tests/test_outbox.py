"""Events go to the outbox first: one the broker did not take is re-sent later by the relay."""
import os

from nameko.testing.services import worker_factory

from emss_common.clock import FrozenClock
from emss_common.nameko_deps import COMMON_INDEXES, ServiceBase, Store, _Emitter
from emss_common.store import ensure_indexes, open_database


class Holder:
    pass


def _emitter(db, clock, dispatch):
    holder = Holder()
    holder.db, holder.clock = db, clock
    return _Emitter("registry", holder, dispatch, "db", "clock")


def _db(store_config):
    db = open_database("registry", store_config)
    ensure_indexes(db, COMMON_INDEXES)
    return db


def test_a_dispatched_event_is_marked_sent_in_the_outbox(store_config):
    db, clock, sent = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00"), []
    event = _emitter(db, clock, lambda type_, ev: sent.append((type_, ev))).emit(
        "institution.published", "i1", {"to": "published"}, actor={"username": "reg01", "roles": []})
    assert sent == [("institution.published", event)]
    assert event["occurred_at"] == "2026-06-15T02:00:00+00:00"
    row = db["outbox"].find_one({"id": event["id"]})
    assert row["sent"] is True and row["event"] == event


def test_an_event_the_broker_refused_waits_in_the_outbox_and_the_relay_sends_it_later(store_config):
    db, clock = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00")

    def broker_down(type_, event):
        raise ConnectionError("broker down")

    event = _emitter(db, clock, broker_down).emit("device.changed", "d1", {"version": 2})
    assert db["outbox"].find_one({"id": event["id"]})["sent"] is False

    class Service(ServiceBase):
        name = "registry"
        db = Store("registry")

    resent = []
    dispatcher = Holder()
    dispatcher.dispatch = lambda type_, ev: resent.append((type_, ev["id"]))
    service = worker_factory(Service, db=db, clock=clock, events=dispatcher)

    service.relay_outbox()  # too fresh: the first dispatch may still be on its way
    assert resent == []
    clock.advance(seconds=31)
    service.relay_outbox()
    assert resent == [("device.changed", event["id"])]
    assert db["outbox"].find_one({"id": event["id"]})["sent"] is True
    service.relay_outbox()
    assert len(resent) == 1


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


def test_sent_events_are_dropped_from_the_outbox_after_a_week(store_config):
    db, clock = _db(store_config), FrozenClock("2026-06-15T10:00:00+08:00")
    event = _emitter(db, clock, lambda type_, ev: None).emit("device.changed", "d1", {"version": 2})

    class Service(ServiceBase):
        name = "registry"
        db = Store("registry")

    service = worker_factory(Service, db=db, clock=clock, events=Holder())
    clock.advance(days=6)
    service.relay_outbox()
    assert db["outbox"].find_one({"id": event["id"]}) is not None
    clock.advance(days=1, seconds=1)
    service.relay_outbox()
    assert db["outbox"].find_one({"id": event["id"]}) is None
