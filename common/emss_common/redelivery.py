"""A failing event handler does not lose its message: retried with back-off, then parked.

nameko acknowledges an event handler's message even when the handler raises. So `idempotent`
(nameko_deps) keeps the failed event in the service's own store, collection `handler_retries`, one
document per (handler, event id): attempts, next attempt time, last error. A timer of the service
(RedeliversEvents) calls the same handler again (with the same idempotency claim, so a success
counts once) after EMSS_HANDLER_RETRY_SECONDS, doubling up to EMSS_HANDLER_RETRY_MAX_SECONDS. After
EMSS_HANDLER_MAX_ATTEMPTS failures (the first delivery included) the document is parked: counted in
the gauge emss_events_parked (alert EmssEventsParked), listed by the RPC `parked_events` and
delivered once more by `replay_parked`, or from a shell with `emss-parked list|replay`.
"""
import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta

from nameko.rpc import rpc
from nameko.timer import Timer

from . import metrics
from .clock import utcnow
from .store import Index

log = logging.getLogger(__name__)

COLLECTION = "handler_retries"
INDEXES = {COLLECTION: [Index([("state", 1), ("next_at", 1)])]}
RETRYING, PARKED = "retrying", "parked"
# A retry taken by one replica is not taken by another for this long (it ends sooner: the retry
# either succeeds and deletes the document or fails and sets the next attempt time).
LEASE = timedelta(minutes=5)
ROUND_LIMIT = 50


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed event is tried again, and when it is given up to an operator."""

    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    max_attempts: int = 3

    @classmethod
    def from_config(cls, config):
        config = config or {}
        policy = cls(base_seconds=float(config.get("EMSS_HANDLER_RETRY_SECONDS", cls.base_seconds)),
                     cap_seconds=float(config.get("EMSS_HANDLER_RETRY_MAX_SECONDS", cls.cap_seconds)),
                     max_attempts=int(config.get("EMSS_HANDLER_MAX_ATTEMPTS", cls.max_attempts)))
        if policy.base_seconds <= 0 or policy.cap_seconds < policy.base_seconds or policy.max_attempts < 1:
            raise ValueError(f"invalid handler retry settings: {policy}")
        return policy

    def delay(self, attempts):
        """Seconds to wait after the `attempts`-th failure: base, 2×base, 4×base … up to cap."""
        return min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))

    def after_failure(self, attempts, now):
        """(state, next attempt time) after the `attempts`-th failure; a parked event waits for a replay."""
        if attempts >= self.max_attempts:
            return PARKED, None
        return RETRYING, now + timedelta(seconds=self.delay(attempts))


def retry_id(handler, event_id):
    return f"{handler}:{event_id}"


class HandlerRetries:
    """The failed events of one service, in its own store."""

    def __init__(self, db, policy, service):
        self.col = db[COLLECTION]
        self.policy, self.service = policy, service

    def failed(self, event, handler, method, error, now):
        """Record the failure of `handler` (the service's method `method`) on `event`; its new state."""
        from pymongo import ReturnDocument
        # One write makes the failure durable (retried after base seconds even if the next write is
        # lost); the second applies the back-off or parks it.
        doc = self.col.find_one_and_update(
            {"_id": retry_id(handler, event["id"])},
            {"$inc": {"attempts": 1},
             "$set": {"event": event, "event_id": event["id"], "event_type": event.get("type"),
                      "handler": handler, "method": method, "last_error": error, "failed_at": now,
                      "state": RETRYING, "next_at": now + timedelta(seconds=self.policy.base_seconds)},
             "$setOnInsert": {"first_failed_at": now}},
            upsert=True, return_document=ReturnDocument.AFTER)
        state, next_at = self.policy.after_failure(doc["attempts"], now)
        if state == PARKED:
            self.col.update_one({"_id": doc["_id"]}, {"$set": {"state": PARKED, "parked_at": now},
                                                       "$unset": {"next_at": ""}})
            log.error("%s parked event %s (%s) after %d attempts: %s", self.service, event["id"],
                      handler, doc["attempts"], error.splitlines()[-1] if error else "")
            self.publish_gauge()
        else:
            self.col.update_one({"_id": doc["_id"]}, {"$set": {"next_at": next_at}})
        return state

    def take_due(self, now, limit=ROUND_LIMIT):
        """Retries whose time has come, each leased to this caller so another replica skips it."""
        taken = []
        for doc in list(self.col.find({"state": RETRYING, "next_at": {"$lte": now}}).limit(limit)):
            leased = self.col.update_one({"_id": doc["_id"], "state": RETRYING, "next_at": doc["next_at"]},
                                         {"$set": {"next_at": now + LEASE}})
            if leased.modified_count:
                taken.append(doc)
        return taken

    def parked(self, ids=None, handler=None):
        query = {"state": PARKED}
        if ids:
            query["_id"] = {"$in": list(ids)}
        if handler:
            query["handler"] = handler
        return list(self.col.find(query).sort("parked_at", 1))

    def done(self, doc):
        """The event was handled (now or by an earlier delivery): nothing left to retry."""
        self.col.delete_one({"_id": doc["_id"]})

    def publish_gauge(self):
        counts = {}
        for doc in self.col.find({"state": PARKED}, {"handler": 1}):
            counts[doc["handler"]] = counts.get(doc["handler"], 0) + 1
        gauge = metrics.events_parked()
        shown = _gauge_labels.setdefault(self.service, set())
        for handler in shown | set(counts):
            gauge.labels(self.service, handler).set(counts.get(handler, 0))
        shown.update(counts)
        return counts


# Handlers this process has shown in the gauge, so one whose parked events are gone drops to 0.
_gauge_labels = {}


def describe(doc):
    """A parked (or retrying) event as the RPC and the command show it."""
    event = doc.get("event") or {}

    def iso(key):
        value = doc.get(key)
        return value.isoformat() if value is not None else None
    return {"id": doc["_id"], "handler": doc.get("handler"), "event_id": doc.get("event_id"),
            "event_type": doc.get("event_type"), "source": event.get("source"),
            "subject": event.get("subject"), "state": doc.get("state"), "attempts": doc.get("attempts"),
            "first_failed_at": iso("first_failed_at"), "failed_at": iso("failed_at"),
            "parked_at": iso("parked_at"), "last_error": doc.get("last_error"), "event": event}


def _name(service):
    return getattr(service, "name", None) or type(service).__name__


def _retries(service):
    return HandlerRetries(service.db, RetryPolicy.from_config(getattr(service, "config", None)), _name(service))


def keep_failed(service, event, handler, method, exc):
    """Called by `idempotent` when a handler raised: keep the event for a retry (never raises, so
    the handler's own error is the one logged)."""
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    try:
        clock = getattr(service, "clock", None)
        now = clock.now() if clock is not None else utcnow()
        return _retries(service).failed(event, handler, method, error, now)
    except Exception:  # noqa: BLE001 - the store is away too; reconciliation is the safety net
        log.exception("%s could not keep failed event %s for a retry", _name(service), event.get("id"))
        return None


class _RetryTimer(Timer):
    """Ticks every EMSS_HANDLER_RETRY_SECONDS (the shortest back-off), read at start."""

    def __init__(self, **kwargs):
        super().__init__(interval=RetryPolicy.base_seconds, **kwargs)

    def setup(self):
        self.interval = RetryPolicy.from_config(self.container.config).base_seconds


class RedeliversEvents:
    """Mixin of every service (ServiceBase): the retry timer and the parked-event RPCs."""

    @_RetryTimer.decorator
    def retry_failed_events(self):
        retries = _retries(self)
        for doc in retries.take_due(self.clock.now()):
            self._redeliver(retries, doc)
        retries.publish_gauge()  # also right after a restart or another replica's change

    def _redeliver(self, retries, doc):
        """Call the handler again with the same claim; True when the event is now handled."""
        handler = getattr(self, doc.get("method") or "", None)
        if handler is None:  # the handler was renamed or removed by an upgrade
            error = f"no handler method {doc.get('method')!r} in {self.name}"
            retries.failed(doc["event"], doc["handler"], doc.get("method"), error, self.clock.now())
            metrics.event_retries().labels(self.name, doc["handler"], "error").inc()
            return False, error
        try:
            handler(doc["event"])  # idempotent: skipped if already handled, re-recorded if it fails
        except Exception as exc:  # noqa: BLE001 - recorded by idempotent; the next round retries
            log.warning("%s retry of event %s (%s) failed: %s", self.name, doc.get("event_id"),
                        doc["handler"], exc)
            metrics.event_retries().labels(self.name, doc["handler"], "error").inc()
            return False, str(exc)
        retries.done(doc)
        metrics.event_retries().labels(self.name, doc["handler"], "ok").inc()
        return True, None

    @rpc
    def parked_events(self, handler=None):
        """Events whose handler failed EMSS_HANDLER_MAX_ATTEMPTS times, oldest first."""
        return [describe(doc) for doc in _retries(self).parked(handler=handler)]

    @rpc
    def replay_parked(self, ids=None):
        """Deliver parked events (all, or those with these ids) once more to their handler; a
        handled one leaves the parked state, a failing one stays parked with its new error."""
        if isinstance(ids, str):
            ids = [ids]
        retries = _retries(self)
        replayed, failed = [], []
        for doc in retries.parked(ids=ids):
            ok, error = self._redeliver(retries, doc)
            if ok:
                replayed.append(doc["_id"])
            else:
                failed.append({"id": doc["_id"], "error": error})
        retries.publish_gauge()
        return {"replayed": replayed, "failed": failed}
