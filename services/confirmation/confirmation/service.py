"""The confirmation service: enterprise daily confirmation of O&M records (排污单位确认), the
institution's review (机构审核: confirm or void), their deadline (逾期未确认), and the enterprise's
confirmation of sampling trips.

A thin nameko shell. It keeps its own copies of submitted records and departed trips from
fieldrecords' events, so confirming never calls another service.
"""
from nameko.events import event_handler
from nameko.rpc import rpc

from emss_common.actor import Actor
from emss_common.context import Context
from emss_common.errors import (Conflict, EmssError, Forbidden, InvalidTransition, NotAuthenticated,
                                NotFound, ValidationFailed)
from emss_common.nameko_deps import (ExportsFacts, Outbound, ServiceBase, Store, configured_timer, idempotent, on_events,
                                     reconcile_from)
from emss_common.outbound import RECORD_TYPES, from_record_event

from .domain.access import may_view
from .storage import INDEXES
from .usecases import acts, records, trips
from .usecases.exports import EXPORTS

EXPECTED = (EmssError, Forbidden, NotFound, ValidationFailed, Conflict, InvalidTransition, NotAuthenticated)


class ConfirmationService(ExportsFacts, ServiceBase):
    name = "confirmation"
    db = Store("confirmation", INDEXES, EXPORTS)
    EXPORTS = EXPORTS   # records with their confirmation state, for credit's reconciliation
    outbound = Outbound()

    def _ctx(self):
        return Context(self.db, self.clock, self.events, self.config)

    # ----- facts from the field -----
    @event_handler("fieldrecords", "record.submitted")
    @idempotent()
    def on_record_submitted(self, event):
        records.keep(self._ctx(), event)

    @event_handler("fieldrecords", "sampling_trip.departed")
    @idempotent()
    def on_trip_departed(self, event):
        trips.keep(self._ctx(), event)

    @configured_timer("EMSS_RECONCILE_SECONDS", 60, eager=True)
    def reconcile_fieldrecords(self):
        """At start and every minute, from the watermark: records and trips submitted while this
        service or its queues did not exist yet. Keeping a copy twice changes nothing."""
        keepers = {"records": lambda fact: records.keep(self._ctx(), {"data": {"record": fact}}),
                   "trips": lambda fact: trips.keep(self._ctx(), {"data": {"trip": fact}})}
        reconcile_from(self, "fieldrecords", ("records", "trips"),
                       lambda collection, fact, at: keepers[collection](fact))

    @on_events("confirmation", *RECORD_TYPES)
    @idempotent()  # a failure is retried and parked like every handler's (redelivery.py)
    def to_enforcement(self, event):
        """作废 and 逾期未确认 leave for the enforcement agency (the same id: a redelivery is a no-op)."""
        self.outbound.publish(**from_record_event(event))

    @configured_timer("EMSS_CONFIRMATION_SWEEP_SECONDS", 60)
    def sweep_overdue(self):
        """逾期未确认: records whose day ended (Asia/Shanghai) while still awaiting the enterprise."""
        return records.sweep_overdue(self._ctx())

    # ----- O&M records -----
    @rpc(expected_exceptions=EXPECTED)
    def confirmation_days(self, actor, query=None):
        return records.days(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def day_records(self, actor, day, query=None):
        return records.day_records(self._ctx(), Actor.from_dict(actor), day, query)

    @rpc(expected_exceptions=EXPECTED)
    def confirm_day(self, actor, day, payload):
        return records.confirm_day(self._ctx(), Actor.from_dict(actor), day, payload)

    @rpc(expected_exceptions=EXPECTED)
    def review(self, actor, payload):
        return records.review(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_records(self, actor, query=None):
        return records.list_records(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def get_record(self, actor, record_id):
        return records.get(self._ctx(), Actor.from_dict(actor), record_id)

    # ----- sampling trips -----
    @rpc(expected_exceptions=EXPECTED)
    def list_trips(self, actor, query=None):
        return trips.list_trips(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def get_trip(self, actor, trip_id):
        return trips.get(self._ctx(), Actor.from_dict(actor), trip_id)

    @rpc(expected_exceptions=EXPECTED)
    def confirm_trip(self, actor, trip_id, payload):
        return trips.confirm(self._ctx(), Actor.from_dict(actor), trip_id, payload)

    # ----- signatures and photos of acts -----
    @rpc(expected_exceptions=EXPECTED)
    def act_file(self, actor, act_id, which):
        return acts.file_content(self._ctx(), Actor.from_dict(actor), act_id, which, may_view)
