"""The one outbox of a service: events for other EMSS services and messages for the enforcement
agency, stored before they are sent and relayed until the broker took them.

A state change and its event are one single-document write: the use case builds the event first
(`Emitter.new`) and writes it into the changed document's `_outbox` array in the same insert or
update (`pending`, `staged`). Then `flush` copies it into the `outbox` collection (unique id and channel,
so a second copy is a no-op), pulls it from the document and sends it. If the process dies in between,
the relay finds the document still holding it (`sweep`, per collection declared with
`carries_events`) and finishes the job.

Each outbox row belongs to a channel ("internal": nameko event dispatch; "outbound": confirmed
publish to the agency). A row is sent under a claim, taken with one atomic find_one_and_update
that moves its next_attempt_at a lease ahead (claim_seconds; claimed_by / claimed_until show who
holds it), so two replicas never send it at the same time and a claim whose holder died expires;
a failed send backs off (next_attempt_at = now + retry_after * 2^(attempts-1), capped). Sent rows are kept keep_days for inspection.
Delivery is at-least-once: a send whose confirmation was lost is repeated with the same id.
"""
import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from . import metrics
from .store import Index

log = logging.getLogger(__name__)

COLLECTION = "outbox"
PENDING = "_outbox"  # the field of a changed document holding its not yet copied events
INTERNAL, OUTBOUND = "internal", "outbound"
# A message is one row per channel: the agency's copy of an internal event keeps the event's id.
INDEXES = {COLLECTION: [Index([("id", 1), ("channel", 1)], unique=True),
                        Index([("sent", 1), ("channel", 1), ("next_attempt_at", 1)]),
                        Index([("sent", 1), ("sent_at", 1)]),
                        Index([("sent", 1), ("channel", 1), ("created_at", 1)])]}
# Test-only fault injection: the process exits right after a state write that carries an event.
CRASH_AFTER_WRITE = "EMSS_FAULT_EXIT_AFTER_STATE_WRITE"


def carries_events(*collections):
    """Index declarations for collections whose documents may hold pending events: the relay
    sweeps exactly these (sparse: only documents holding one are in the index)."""
    return {c: [Index([(f"{PENDING}.id", 1)], sparse=True, name="pending_events")] for c in collections}


def swept_collections(indexes):
    """The collections an index declaration ({collection: [Index]}) marks as carrying events."""
    return sorted(c for c, specs in indexes.items()
                  if any(list(s.keys)[0][0] == f"{PENDING}.id" for s in specs))


def pending(update, *events):
    """A Mongo update that also records `events` as pending on the document it changes."""
    out = dict(update)
    push = dict(out.get("$push", {}))
    push[PENDING] = {"$each": list(events)}
    out["$push"] = push
    return out


def staged(doc, *events):
    """A copy of a document to insert, carrying `events` as pending."""
    return {**doc, PENDING: list(events)}


def scrub(value):
    """Data without any pending-events field (views, events and exports never show it)."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k != PENDING}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def crash_point(config):
    """Fault injection for tests: EMSS_FAULT_EXIT_AFTER_STATE_WRITE=1 ends the process here."""
    if str((config or {}).get(CRASH_AFTER_WRITE) or os.environ.get(CRASH_AFTER_WRITE, "")) == "1":
        log.warning("fault injection: exiting between the state write and the dispatch")
        os._exit(17)


@dataclass(frozen=True)
class RelaySettings:
    retry_after_seconds: float = 30   # first retry; doubles per failure up to the maximum
    max_backoff_seconds: float = 3600
    claim_seconds: float = 60         # a claim not released (process died) expires after this
    keep_days: float = 7              # sent rows kept this long for inspection
    batch: int = 100

    @classmethod
    def from_config(cls, config):
        def num(key, default):
            # EMSS_OUTBOX_* wins; the enforcement channel's older EMSS_OUTBOUND_* names still work.
            for name in (f"EMSS_OUTBOX_{key}", f"EMSS_OUTBOUND_{key}"):
                if config.get(name) not in (None, ""):
                    return float(config[name])
            return default
        return cls(retry_after_seconds=num("RETRY_AFTER_SECONDS", cls.retry_after_seconds),
                   max_backoff_seconds=num("MAX_BACKOFF_SECONDS", cls.max_backoff_seconds),
                   claim_seconds=num("CLAIM_SECONDS", cls.claim_seconds),
                   keep_days=num("KEEP_DAYS", cls.keep_days),
                   batch=int(num("BATCH", cls.batch)))


def owner_name(service):
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


# ----- metrics -----

def pending_gauge():
    return metrics.gauge("emss_outbox_pending", "Outbox rows not yet sent", ["service", "channel"])


def oldest_gauge():
    return metrics.gauge("emss_outbox_oldest_pending_seconds",
                         "Age of the oldest outbox row not yet sent (0 when none)", ["service", "channel"])


def failed_counter():
    return metrics.counter("emss_outbox_send_failed_total", "Outbox sends that failed (left for the relay)",
                           ["service", "channel", "reason"])


def swept_counter():
    return metrics.counter("emss_outbox_swept_total",
                           "Pending events the relay found still in a changed document (their writer "
                           "died or failed before copying them): zero in a healthy system",
                           ["service", "collection"])


class Outbox:
    """The service's outbox. senders: {channel: send(row, probe)} raising when not delivered;
    classify(exc) -> short reason ("connection" and "timeout" stop the channel for the round);
    on_sent(row) / on_failed(row, reason, exc) / on_measure(outbox, channels) hooks for channel
    metrics; swept: the collections whose documents may hold pending events."""

    def __init__(self, db, clock, service, senders, settings=RelaySettings(), owner=None,
                 classify=None, on_sent=None, on_failed=None, on_measure=None, swept=()):
        self.db, self.clock, self.service = db, clock, service
        self.senders, self.settings = senders, settings
        self.owner = owner or owner_name(service)
        self.classify = classify or _reason
        self.on_sent, self.on_failed, self.on_measure = on_sent, on_failed, on_measure
        self.swept = tuple(swept)
        self.col = db[COLLECTION]

    # -- writing --

    def add(self, channel, message, claimed=True, **extra):
        """Store a row for `message` (its id is the row's). claimed: this process sends it now
        (attempt 1). Returns the row, or None when the id is already there (nothing changes)."""
        now = self.clock.now()
        row = {"id": message["id"], "channel": channel, "type": message["type"], "message": message,
               "sent": False, "created_at": now, "sent_at": None, "last_error": None,
               "attempts": 1 if claimed else 0,
               "next_attempt_at": now + self._lease() if claimed else now,
               "claimed_by": self.owner if claimed else None,
               "claimed_until": now + self._lease() if claimed else None,
               **extra}
        try:
            self.col.insert_one(row)
        except DuplicateKeyError:
            return None
        row.pop("_id", None)
        return row

    def flush(self, collection, where, *events, channel=INTERNAL):
        """After the write that staged `events` on a document of `collection` (where: its id or a
        filter): copy them to the outbox, take them off the document, send them."""
        where = where if isinstance(where, dict) else {"id": where}
        rows = [self.add(channel, ev) for ev in events]
        self._unstage(self.db[collection], where, [ev["id"] for ev in events])
        for row in rows:
            if row is not None:  # else the relay copied it first and sends it
                self.send(row, probe=False)

    def _unstage(self, col, where, ids):
        col.update_one(where, {"$pull": {PENDING: {"id": {"$in": ids}}}})
        col.update_one({**where, PENDING: {"$size": 0}}, {"$unset": {PENDING: ""}})

    def sweep(self):
        """Copy events left in changed documents into the outbox (due now, unclaimed)."""
        copied = 0
        for name in self.swept:
            col = self.db[name]
            for doc in list(col.find({f"{PENDING}.id": {"$exists": True}}, {"_id": 1, PENDING: 1})
                            .limit(self.settings.batch)):
                events = doc.get(PENDING) or []
                for ev in events:
                    if self.add(INTERNAL, ev, claimed=False):
                        copied += 1
                        swept_counter().labels(self.service, name).inc()
                        log.warning("outbox: event %s %s found pending in %s; relaying it",
                                    ev.get("type"), ev.get("id"), name)
                self._unstage(col, {"_id": doc["_id"]}, [ev["id"] for ev in events])
        return copied

    # -- sending --

    def backoff(self, attempts):
        seconds = self.settings.retry_after_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.settings.max_backoff_seconds))

    DUE_ORDER = [("next_attempt_at", 1)]

    def _lease(self):
        return timedelta(seconds=self.settings.claim_seconds)

    @staticmethod
    def due_filter(channel, now):
        """Rows of `channel` due now; a claimed row is not (its next_attempt_at is its lease's end)."""
        return {"sent": False, "channel": channel, "next_attempt_at": {"$lte": now}}

    def claim(self, channel, now):
        """Atomically take the next due row of `channel`, or None."""
        return self.col.find_one_and_update(
            self.due_filter(channel, now),
            {"$set": {"claimed_by": self.owner, "claimed_until": now + self._lease(),
                      "next_attempt_at": now + self._lease()},
             "$inc": {"attempts": 1}},
            sort=self.DUE_ORDER, projection={"_id": 0}, return_document=ReturnDocument.AFTER)

    def send(self, row, probe):
        """Send one claimed row: (True, None) when delivered, (False, reason) when not."""
        try:
            self.senders[row["channel"]](row, probe)
        except Exception as exc:  # noqa: BLE001 - left for the relay
            reason = self.classify(exc)
            now = self.clock.now()
            log.warning("outbox: %s %s %s not sent (%s: %s); retried later", row["channel"], row["type"],
                        row["id"], reason, exc)
            self.col.update_one({"id": row["id"], "channel": row["channel"], "claimed_by": self.owner},
                                {"$set": {"last_error": f"{reason}: {exc}"[:500], "claimed_by": None,
                                          "claimed_until": None,
                                          "next_attempt_at": now + self.backoff(row.get("attempts", 1))}})
            failed_counter().labels(self.service, row["channel"], reason).inc()
            if self.on_failed:
                self.on_failed(row, reason, exc)
            return False, reason
        now = self.clock.now()
        self.col.update_one({"id": row["id"], "channel": row["channel"]},
                            {"$set": {"sent": True, "sent_at": now, "last_error": None, "claimed_by": None,
                                      "claimed_until": None}})
        if self.on_sent:
            self.on_sent(row)
        return True, None

    def relay(self, channels=None):
        """One round: sweep changed documents, send what is due under claims (a channel whose
        broker is away stops after its first try, the probe), drop old sent rows. Returns how
        many were delivered."""
        self.sweep()
        now = self.clock.now()
        delivered = 0
        for channel in channels or list(self.senders):
            for n in range(self.settings.batch):
                row = self.claim(channel, now)
                if row is None:
                    break
                ok, reason = self.send(row, probe=n == 0)
                delivered += ok
                if reason in ("connection", "timeout"):
                    break  # the broker is away: the rest wait for the next round untouched
        self.col.delete_many({"sent": True, "sent_at": {"$lt": now - timedelta(days=self.settings.keep_days)}})
        self.measure(channels or list(self.senders))
        return delivered

    def pending(self, channel=None):
        return self.col.count_documents({"sent": False, **({"channel": channel} if channel else {})})

    def measure(self, channels):
        now = self.clock.now()
        for channel in channels:
            pending_gauge().labels(self.service, channel).set(self.pending(channel))
            oldest = next(iter(self.col.find({"sent": False, "channel": channel}, {"created_at": 1})
                               .sort("created_at", 1).limit(1)), None)
            age = 0.0
            if oldest is not None:
                created = oldest["created_at"]
                created = created if created.tzinfo else created.replace(tzinfo=now.tzinfo)
                age = max(0.0, (now - created).total_seconds())
            oldest_gauge().labels(self.service, channel).set(age)
        if self.on_measure:
            self.on_measure(self, channels)


def _reason(exc):
    if isinstance(exc, TimeoutError) or type(exc).__name__ == "timeout":
        return "timeout"
    if isinstance(exc, (ConnectionError, OSError)) or "Connection" in type(exc).__name__:
        return "connection"
    return "error"
