"""A failing event handler does not lose its message: the rules of retry with back-off and parking,
on the real store with a frozen clock (the broker case is tests/test_parked_events.py)."""
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from emss_common.clock import FrozenClock
from emss_common.events import make_event
from emss_common.nameko_deps import COMMON_INDEXES, idempotent
from emss_common.redelivery import (COLLECTION, PARKED, RETRYING, HandlerRetries, RedeliversEvents,
                                    RetryPolicy)
from emss_common.store import ensure_indexes, open_database

T0 = "2026-06-15T10:00:00+08:00"
CONFIG = {"EMSS_HANDLER_RETRY_SECONDS": "10", "EMSS_HANDLER_RETRY_MAX_SECONDS": "25",
          "EMSS_HANDLER_MAX_ATTEMPTS": "3"}


class Consumer(RedeliversEvents):
    """A service's handler as nameko calls it: a raised error is logged and the message acknowledged."""

    name = "tasks"

    def __init__(self, db, clock, config=CONFIG):
        self.db, self.clock, self.config = db, clock, config
        self.applied, self.failures_left = [], 0

    @idempotent()
    def on_fact(self, event):
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("facts store away")
        self.applied.append(event["id"])

    def deliver(self, event):
        try:
            self.on_fact(event)
        except RuntimeError:
            pass  # nameko acknowledges the message anyway


@pytest.fixture
def consumer(store_config):
    db = open_database("tasks", store_config)
    ensure_indexes(db, COMMON_INDEXES)
    return Consumer(db, FrozenClock(T0))


def fact(subject="e1"):
    return make_event("enterprise.updated", "registry", subject, {"enterprise": {"id": subject}})


def retry_doc(consumer, event):
    return consumer.db[COLLECTION].find_one({"event_id": event["id"]})


def parked_gauge(handler="on_fact"):
    return REGISTRY.get_sample_value("emss_events_parked", {"service": "tasks", "handler": handler})


# ----- the policy, as plain rules -----

def test_the_wait_doubles_after_each_failure_up_to_the_cap():
    policy = RetryPolicy(base_seconds=10, cap_seconds=25, max_attempts=9)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [10, 20, 25, 25]


def test_an_event_is_parked_at_the_configured_number_of_attempts_and_not_before():
    now = FrozenClock(T0).now()
    policy = RetryPolicy.from_config(CONFIG)
    assert policy.after_failure(1, now) == (RETRYING, now + timedelta(seconds=10))
    assert policy.after_failure(2, now) == (RETRYING, now + timedelta(seconds=20))
    assert policy.after_failure(3, now) == (PARKED, None)
    assert RetryPolicy.from_config({}).max_attempts == 3  # the default


@pytest.mark.parametrize("bad", [{"EMSS_HANDLER_MAX_ATTEMPTS": "0"}, {"EMSS_HANDLER_RETRY_SECONDS": "0"},
                                 {"EMSS_HANDLER_RETRY_SECONDS": "60", "EMSS_HANDLER_RETRY_MAX_SECONDS": "30"}])
def test_settings_that_would_never_retry_or_never_wait_are_refused(bad):
    with pytest.raises(ValueError):
        RetryPolicy.from_config(bad)


# ----- kept, retried, parked, replayed -----

def test_a_failed_event_is_kept_and_retried_after_the_back_off_not_before(consumer):
    event = fact()
    consumer.failures_left = 1
    consumer.deliver(event)
    doc = retry_doc(consumer, event)
    assert (doc["state"], doc["attempts"], doc["handler"]) == (RETRYING, 1, "on_fact")
    assert "facts store away" in doc["last_error"]

    consumer.clock.advance(seconds=9)
    consumer.retry_failed_events()
    assert consumer.applied == []

    consumer.clock.advance(seconds=1)
    consumer.retry_failed_events()
    assert consumer.applied == [event["id"]]
    assert retry_doc(consumer, event) is None
    consumer.clock.advance(hours=1)
    consumer.retry_failed_events()
    consumer.deliver(event)  # a late broker redelivery of the same event
    assert consumer.applied == [event["id"]]


def test_three_failures_park_the_event_and_a_replay_delivers_it_once(consumer):
    event = fact("e-parked")
    consumer.failures_left = 3
    consumer.deliver(event)
    consumer.clock.advance(seconds=10)
    consumer.retry_failed_events()
    assert retry_doc(consumer, event)["attempts"] == 2
    consumer.clock.advance(seconds=19)
    consumer.retry_failed_events()
    assert retry_doc(consumer, event)["attempts"] == 2  # the second wait is 20 s
    consumer.clock.advance(seconds=1)
    consumer.retry_failed_events()

    doc = retry_doc(consumer, event)
    assert (doc["state"], doc["attempts"]) == (PARKED, 3)
    consumer.clock.advance(days=30)
    consumer.retry_failed_events()  # a parked event waits for an operator
    assert consumer.applied == []
    (listed,) = consumer.parked_events()
    assert (listed["event_id"], listed["handler"], listed["attempts"], listed["subject"]) == \
        (event["id"], "on_fact", 3, "e-parked")
    assert parked_gauge() == 1

    assert consumer.replay_parked() == {"replayed": [listed["id"]], "failed": []}
    assert consumer.replay_parked() == {"replayed": [], "failed": []}
    assert consumer.applied == [event["id"]]
    assert consumer.parked_events() == []
    assert parked_gauge() == 0


def test_a_replay_that_fails_again_stays_parked_with_the_new_error(consumer):
    event = fact()
    consumer.failures_left = 4
    consumer.deliver(event)
    for _ in range(2):
        consumer.clock.advance(seconds=25)
        consumer.retry_failed_events()
    (listed,) = consumer.parked_events()
    result = consumer.replay_parked([listed["id"]])
    assert result["replayed"] == [] and result["failed"][0]["id"] == listed["id"]
    (again,) = consumer.parked_events()
    assert (again["attempts"], again["state"]) == (4, PARKED)
    assert consumer.replay_parked([listed["id"]])["replayed"] == [listed["id"]]
    assert consumer.applied == [event["id"]]


def test_an_event_handled_meanwhile_by_a_broker_redelivery_is_not_handled_again(consumer):
    event = fact()
    consumer.failures_left = 1
    consumer.deliver(event)
    consumer.deliver(event)  # redelivered and handled before the retry is due
    consumer.clock.advance(seconds=10)
    consumer.retry_failed_events()
    assert consumer.applied == [event["id"]]
    assert retry_doc(consumer, event) is None


def test_two_replicas_do_not_take_the_same_retry(consumer):
    event = fact()
    consumer.failures_left = 1
    consumer.deliver(event)
    consumer.clock.advance(seconds=10)
    now = consumer.clock.now()
    first = HandlerRetries(consumer.db, RetryPolicy.from_config(CONFIG), "tasks")
    second = HandlerRetries(consumer.db, RetryPolicy.from_config(CONFIG), "tasks")
    assert [d["event_id"] for d in first.take_due(now)] == [event["id"]]
    assert second.take_due(now) == []
