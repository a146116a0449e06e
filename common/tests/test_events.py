"""The one event envelope, and consumers idempotent on the event id."""
import uuid
from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError

from emss_common.events import ProcessedEvents, actor_ref, make_event
from emss_common.nameko_deps import COMMON_INDEXES, idempotent
from emss_common.store import ensure_indexes, open_database

ENVELOPE = {"id", "type", "version", "occurred_at", "source", "subject", "actor", "data"}


def test_an_event_carries_exactly_the_envelope_fields():
    at = datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)
    actor = {"account_id": "a1", "username": "reg01", "roles": ["regulator"], "name": "监管员",
             "district": "浦东新区", "institution_id": None}
    event = make_event("institution.published", "registry", "inst-1", {"to": "published"},
                       actor=actor, version=2, occurred_at=at)
    assert set(event) == ENVELOPE
    assert uuid.UUID(event["id"])
    assert event["type"] == "institution.published"
    assert event["version"] == 2
    assert event["occurred_at"] == "2026-10-12T02:00:00+00:00"
    assert (event["source"], event["subject"]) == ("registry", "inst-1")
    assert event["data"] == {"to": "published"}
    # who, not their whole session
    assert event["actor"] == {"account_id": "a1", "username": "reg01", "roles": ["regulator"],
                              "name": "监管员"}


def test_each_event_gets_its_own_id_and_a_subject_as_text():
    a = make_event("device.changed", "registry", 42, {})
    b = make_event("device.changed", "registry", 42, {})
    assert a["id"] != b["id"]
    assert a["subject"] == "42"
    assert a["version"] == 1


def test_an_event_without_an_actor_is_from_the_system():
    assert make_event("x.y", "registry", "s", {})["actor"] == actor_ref(None) == {
        "account_id": None, "username": "system", "roles": ["system"]}


@pytest.mark.parametrize("bad_type", ["Published", "institution", "institution.Published", "a-b.c"])
def test_an_event_type_must_be_dotted_lower_case(bad_type):
    with pytest.raises(ValidationError):
        make_event(bad_type, "registry", "s", {})


def test_the_version_must_be_positive():
    with pytest.raises(ValidationError):
        make_event("x.y", "registry", "s", {}, version=0)


@pytest.fixture
def db(store_config):
    db = open_database("registry", store_config)
    ensure_indexes(db, COMMON_INDEXES)
    return db


def test_a_redelivered_event_is_claimed_only_once_per_handler(db):
    seen = ProcessedEvents(db)
    event = make_event("x.y", "registry", "s", {})
    assert seen.claim(event, "on_x") is True
    assert seen.claim(event, "on_x") is False
    assert seen.claim(event, "other_handler") is True


def test_a_failed_handling_is_released_so_the_redelivery_is_processed(db):
    calls = []

    class Consumer:
        def __init__(self, db):
            self.db = db
            self.fail = True

        @idempotent()
        def on_event(self, event):
            calls.append(event["id"])
            if self.fail:
                raise RuntimeError("boom")
            return "done"

    consumer = Consumer(db)
    event = make_event("x.y", "registry", "s", {})
    with pytest.raises(RuntimeError):
        consumer.on_event(event)
    consumer.fail = False
    assert consumer.on_event(event) == "done"
    assert consumer.on_event(event) is None  # a redelivery after success is skipped
    assert calls == [event["id"], event["id"]]
