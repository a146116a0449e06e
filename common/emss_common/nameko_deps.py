"""Nameko dependency providers every service uses: its store, clock, events (with outbox), metrics."""
import logging
import os
import time

from nameko.dependency_providers import Config
from nameko.events import EventDispatcher, event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.timer import Timer

from . import metrics, outbox, reconciliation, redelivery, replica
from .clock import clock_from_config
from .errors import ValidationFailed
from .events import make_event, ProcessedEvents
from .outbound import outbox_for
from .store import Index, ensure_indexes, merge_indexes, open_database

log = logging.getLogger(__name__)

COMMON_INDEXES = merge_indexes({
    **redelivery.INDEXES,
    ProcessedEvents.COLLECTION: [Index([("event_id", 1), ("handler", 1)], unique=True)],
}, outbox.INDEXES)


class Store(DependencyProvider):
    """The service's own database, with the indexes it declares created at start (and those its
    exports page on, reconciliation.py)."""

    def __init__(self, service, indexes=None, exports=()):
        self.service = service
        self.indexes = merge_indexes(COMMON_INDEXES, indexes or {}, reconciliation.indexes(exports))
        self.db = None

    def setup(self):
        # The client is shared by the process and reconnects by itself after the store comes back.
        self.db = open_database(self.service, self.container.config)
        ensure_indexes(self.db, self.indexes)

    def get_dependency(self, worker_ctx):
        return self.db


class Clock(DependencyProvider):
    def setup(self):
        self.clock = clock_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.clock


class Emitter:
    """`self.events` in a worker. A use case builds its event with `new`, writes it with the state
    change (outbox.pending / outbox.staged) and then calls `flush` (outbox.py)."""

    def __init__(self, source, service, dispatch, store_attr, clock_attr, config=None):
        self.source, self.service, self.dispatch = source, service, dispatch
        self.store_attr, self.clock_attr = store_attr, clock_attr
        self.config = config or {}

    def _clock(self):
        # Looked up now: other dependencies may be injected after this one.
        return getattr(self.service, self.clock_attr)

    def new(self, type_, subject, data, actor=None, version=1):
        """The event, not yet written anywhere."""
        return make_event(type_, self.source, subject, outbox.scrub(data), actor, version,
                          occurred_at=self._clock().now())

    def flush(self, collection, where, *events):
        """After the write that carried `events` on the document `where` (id or filter) of
        `collection`: into the outbox, off the document, dispatched (or left for the relay)."""
        outbox.crash_point(self.config)
        self.outbox().flush(collection, where, *events)

    def outbox(self):
        return outbox_for(getattr(self.service, self.store_attr), self._clock(), self.source,
                          {outbox.INTERNAL: self.dispatch}, outbox.RelaySettings.from_config(self.config))


class Events(EventDispatcher):
    """EventDispatcher that wraps every payload in the EMSS envelope and sends it through the
    service's outbox (outbox.py)."""

    def __init__(self, store_attr="db", clock_attr="clock", **kwargs):
        super().__init__(**kwargs)
        self.store_attr, self.clock_attr = store_attr, clock_attr

    def get_dependency(self, worker_ctx):
        dispatch = super().get_dependency(worker_ctx)
        return Emitter(self.container.service_name, worker_ctx.service, dispatch,
                        self.store_attr, self.clock_attr, self.container.config)


class RpcMetrics(DependencyProvider):
    """Counts and times every entrypoint call of the service."""

    def setup(self):
        self.requests = metrics.rpc_requests()
        self.duration = metrics.rpc_duration()
        self.handled = metrics.events_handled()
        self._started = {}

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        name = worker_ctx.entrypoint.method_name
        service = self.container.service_name
        outcome = "ok" if exc_info is None else "error"
        entry_kind = type(worker_ctx.entrypoint).__name__
        if entry_kind == "EventHandler":
            self.handled.labels(service, worker_ctx.entrypoint.event_type, outcome).inc()
        else:
            self.requests.labels(service, name, outcome).inc()
        if started is not None:
            self.duration.labels(service, name).observe(time.perf_counter() - started)


class ConfiguredTimer(Timer):
    """A timer whose interval (seconds) is read from the service config at start (setting: a name,
    or a tuple of names of which the first given wins)."""

    def __init__(self, setting, default, **kwargs):
        self.setting, self.default = setting, default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        names = self.setting if isinstance(self.setting, tuple) else (self.setting,)
        given = [self.container.config[n] for n in names if self.container.config.get(n) not in (None, "")]
        self.interval = float(given[0] if given else self.default)


configured_timer = ConfiguredTimer.decorator


class ServiceBase(redelivery.RedeliversEvents):
    """What every EMSS service has: health, metrics, event relay. Subclasses set name and db."""

    name = None
    config = Config()
    clock = Clock()
    rpc_metrics = RpcMetrics()
    events = Events()

    @rpc
    def health(self):
        self.db.command("ping")  # a service whose store is away is not healthy
        # pid: which replica answered (several processes of one service share its queue and store)
        return {"service": self.name, "status": "ok", "time": self.clock.now().isoformat(),
                "pid": os.getpid()}

    @configured_timer(("EMSS_OUTBOX_RELAY_SECONDS", "EMSS_OUTBOUND_RELAY_SECONDS"), 15, eager=True)
    def relay_outbox(self):
        """The service's one relay (outbox.py), at start and every EMSS_OUTBOX_RELAY_SECONDS: events
        left in changed documents, then every due row of the outbox under a claim, internal events
        and messages for the enforcement agency alike."""
        relay_round(self)


def relay_round(service):
    config = service.config if isinstance(service.config, dict) else {}
    senders = {outbox.INTERNAL: service.events.dispatch}
    handle = getattr(service, "outbound", None)
    if isinstance(handle, _OutboundHandle):
        senders[outbox.OUTBOUND] = handle.provider.sender
    declared = getattr(type(service), "db", None)
    swept = outbox.swept_collections(getattr(declared, "indexes", None) or {})
    return outbox_for(service.db, service.clock, service.name, senders,
                      outbox.RelaySettings.from_config(config), swept=swept).relay()


class ExportsFacts:
    """Mixin for a service whose facts others keep copies of: `export_facts` serves its EXPORTS
    (reconciliation.Export) a page at a time from a consumer's cursor."""

    EXPORTS = ()

    @rpc(expected_exceptions=(ValidationFailed,))
    def export_facts(self, collection, after=None, limit=reconciliation.PAGE_SIZE):
        return reconciliation.export_page(self.db, self.EXPORTS, collection, after, limit, self.clock.now())


def idempotent(handler_name=None):
    """Decorate an event handler method: a redelivered event id is skipped, and an event it fails
    on is kept for a retry with back-off, then parked (redelivery.py): nameko acknowledges the
    message whether or not the handler raises."""
    def wrap(fn):
        name = handler_name or fn.__name__

        def inner(self, event):
            seen = ProcessedEvents(self.db)
            if not seen.claim(event, name):
                return None
            try:
                return fn(self, event)
            except Exception as exc:
                seen.release(event, name)
                redelivery.keep_failed(self, event, name, fn.__name__, exc)
                raise
        inner.__name__ = fn.__name__
        inner.__doc__ = fn.__doc__
        return inner
    return wrap


INSTITUTION_EVENTS = ("registered", "updated", "submitted", "first_approved", "first_returned",
                      "second_submitted", "second_approved", "second_returned", "published",
                      "change_approved")


def on_events(source, *types):
    """Stack one nameko event handler per event type on a method."""
    def wrap(fn):
        for t in types:
            fn = event_handler(source, t)(fn)
        return fn
    return wrap


class KeepsRegistryCopy:
    """Mixin for a service that validates against registry facts: it keeps institutions,
    enterprises, outlets and devices from registry events, and reconciles from the registry's
    export at start and every ten minutes so facts published before its queues existed arrive."""

    @on_events("registry", *(f"institution.{t}" for t in INSTITUTION_EVENTS))
    @idempotent()
    def on_institution(self, event):
        replica.keep(self.db, "institutions", event, "institution")

    @on_events("registry", "enterprise.registered", "enterprise.updated")
    @idempotent()
    def on_enterprise(self, event):
        replica.keep(self.db, "enterprises", event, "enterprise")

    @on_events("registry", "outlet.added", "outlet.updated")
    @idempotent()
    def on_outlet(self, event):
        replica.keep(self.db, "outlets", event, "outlet")

    @on_events("registry", "device.registered", "device.changed")
    @idempotent()
    def on_device(self, event):
        replica.keep(self.db, "devices", event, "device")

    @configured_timer("EMSS_RECONCILE_SECONDS", 60, eager=True)
    def reconcile_registry(self):
        """At start and every minute, from the watermark (reconciliation.py); off any request's path."""
        reconcile_from(self, "registry", replica.REGISTRY_COLLECTIONS,
                       lambda collection, fact, at: replica.upsert_newer(self.db[collection], fact, at))


def reconcile_from(service, source, collections, keep):
    """One reconciliation round of `service` (a worker) against `source`'s export_facts, per
    collection from its watermark; keep(collection, fact, at) is True when it repaired a copy.
    Returns {collection: Round}, or None when the source is not reachable (the next round retries)."""
    from nameko.standalone.rpc import ClusterRpcProxy
    marks = reconciliation.Watermarks(service.db)
    repaired = metrics.reconciliation_repaired()
    lag = metrics.reconciliation_lag()
    rounds = {}
    try:
        # A standalone proxy declares its reply queue before it asks: an in-service proxy may not
        # be consuming yet when an eager timer fires at start, and the reply would be lost.
        with ClusterRpcProxy(service.config, timeout=30) as rpc_:
            export = getattr(rpc_, source).export_facts
            for collection in collections:
                done = reconciliation.catch_up(
                    marks, source, collection,
                    lambda after, c=collection: export(c, after, reconciliation.PAGE_SIZE),
                    lambda fact, at, c=collection: keep(c, fact, at), service.clock.now())
                rounds[collection] = done
                repaired.labels(service.name, source, collection).inc(done.repaired)
                mark = marks.get(source, collection)
                if mark is not None:
                    behind = service.clock.now() - reconciliation.parse_time(mark["at"])
                    lag.labels(service.name, source, collection).set(max(0.0, behind.total_seconds()))
                if done.repaired:
                    log.warning("reconciliation from %s repaired %d %s copies", source, done.repaired, collection)
    except Exception as exc:  # noqa: BLE001 - the source may not be up yet; the next round retries
        log.info("%s not reachable for reconciliation: %s", source, exc)
        return None
    return rounds


class _OutboundHandle:
    """What `self.outbound` is inside a worker."""

    def __init__(self, provider, service):
        self.provider, self.service = provider, service

    @property
    def public_url(self):
        """Where the agency reaches EMSS's pages (EMSS_PUBLIC_URL), for links in messages."""
        return self.provider.settings.public_url

    def publish(self, type_, subject, data, actor=None, id_=None, occurred_at=None):
        # Looked up now: other dependencies may be injected after this one.
        outbox = self.provider.outbox(getattr(self.service, self.provider.store_attr),
                                      getattr(self.service, self.provider.clock_attr))
        return outbox.publish(type_, subject, data, actor=actor, id_=id_, occurred_at=occurred_at)


class Outbound(DependencyProvider):
    """Messages for the enforcement agency (emss_common.outbound): in a worker,
    `self.outbound.publish(type_, subject, data, actor=None)` stores the message in the service's
    outbox (channel "outbound") and publishes it with confirms; the service's one relay
    (ServiceBase.relay_outbox) re-publishes what the broker did not confirm."""

    def __init__(self, store_attr="db", clock_attr="clock"):
        self.store_attr, self.clock_attr = store_attr, clock_attr
        self.settings = self.sender = None
        self._indexed = False

    def setup(self):
        from .outbound import ConfirmedPublisher, OutboundSettings
        self.settings = OutboundSettings.from_config(self.container.config)
        self.sender = ConfirmedPublisher(self.settings)

    def stop(self):
        import eventlet
        with eventlet.Timeout(2, False):  # a hung broker must not hold the container's stop
            self.sender.close()

    def kill(self):
        self.sender.abort()

    def get_dependency(self, worker_ctx):
        return _OutboundHandle(self, worker_ctx.service)

    def outbox(self, db, clock):
        from .outbound import INDEXES, OutboundOutbox
        if not self._indexed:
            ensure_indexes(db, INDEXES)  # the unique id makes forwarding a redelivery a no-op
            self._indexed = True
        return OutboundOutbox(db, clock, self.sender, self.settings, self.container.service_name)
