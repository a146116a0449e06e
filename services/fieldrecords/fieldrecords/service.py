"""The fieldrecords service: electronic O&M records of the 15 form kinds, check-ins, photos and
signatures (GridFS), sampling trips and received-sample checks.

A thin nameko shell. It keeps its own copies of registry facts and of tasks, so a filing is
validated without calling another service.
"""
from nameko.events import event_handler
from nameko.rpc import rpc

from emss_common.actor import Actor
from emss_common.context import Context
from emss_common.errors import (Conflict, EmssError, Forbidden, InvalidTransition, NotAuthenticated,
                                NotFound, ValidationFailed)
from emss_common.nameko_deps import (ExportsFacts, KeepsRegistryCopy, ServiceBase, Store, configured_timer,
                                     idempotent, on_events, reconcile_from)

from .storage import INDEXES
from .usecases import copies, records, trips
from .usecases.exports import EXPORTS

EXPECTED = (EmssError, Forbidden, NotFound, ValidationFailed, Conflict, InvalidTransition, NotAuthenticated)
TASK_EVENTS = ("task.applied", "task.approved", "task.returned", "task.finished", "task.changed")


class FieldRecordsService(ExportsFacts, KeepsRegistryCopy, ServiceBase):
    name = "fieldrecords"
    db = Store("fieldrecords", INDEXES, EXPORTS)
    EXPORTS = EXPORTS

    def _ctx(self):
        return Context(self.db, self.clock, self.events, self.config)

    # ----- copies of tasks -----
    @on_events("tasks", *TASK_EVENTS)
    @idempotent()
    def on_task(self, event):
        copies.keep_task(self._ctx(), event)

    @event_handler("tasks", "sampling_task.stage_changed")
    @idempotent()
    def on_sampling_task(self, event):
        copies.keep_sampling_task(self._ctx(), event)

    @configured_timer("EMSS_RECONCILE_SECONDS", 60, eager=True)
    def reconcile_tasks(self):
        """Tasks and sampling tasks whose events did not arrive, from the watermark."""
        reconcile_from(self, "tasks", ("tasks", "sampling_tasks"),
                       lambda collection, fact, at: copies.keep_fact(self._ctx(), collection, fact, at))

    @event_handler("confirmation", "sampling_trip.confirmed")
    @idempotent()
    def on_trip_confirmed(self, event):
        trips.mark_confirmed(self._ctx(), event)

    @on_events("confirmation", "record.enterprise_confirmed", "record.confirmation_overdue",
               "record.review_confirmed", "record.voided")
    @idempotent()
    def on_confirmation(self, event):
        records.follow_confirmation(self._ctx(), event)

    # ----- O&M records -----
    @rpc(expected_exceptions=EXPECTED)
    def my_tasks(self, actor):
        return records.my_tasks(self._ctx(), Actor.from_dict(actor))

    @rpc(expected_exceptions=EXPECTED)
    def form_description(self, kind, device=None):
        return records.form_description(kind, device)

    @rpc(expected_exceptions=EXPECTED)
    def start_record(self, actor, payload):
        return records.start(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def save_draft(self, actor, record_id, payload):
        return records.save_draft(self._ctx(), Actor.from_dict(actor), record_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def preview_record(self, actor, record_id, payload):
        return records.preview(self._ctx(), Actor.from_dict(actor), record_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def add_record_photo(self, actor, record_id, payload):
        return records.add_photo(self._ctx(), Actor.from_dict(actor), record_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def submit_record(self, actor, record_id, payload):
        return records.submit(self._ctx(), Actor.from_dict(actor), record_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def get_record(self, actor, record_id):
        return records.get(self._ctx(), Actor.from_dict(actor), record_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_records(self, actor, query=None):
        return records.list_records(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def photo_content(self, actor, photo_id):
        return records.photo_content(self._ctx(), Actor.from_dict(actor), photo_id)

    @rpc(expected_exceptions=EXPECTED)
    def signature_content(self, actor, subject_id):
        return records.signature_content(self._ctx(), Actor.from_dict(actor), subject_id)

    # ----- sampling trips -----
    @rpc(expected_exceptions=EXPECTED)
    def my_sampling_tasks(self, actor):
        return trips.my_sampling_tasks(self._ctx(), Actor.from_dict(actor))

    @rpc(expected_exceptions=EXPECTED)
    def start_trip(self, actor, payload):
        return trips.start(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def add_trip_photo(self, actor, trip_id, payload):
        return trips.add_photo(self._ctx(), Actor.from_dict(actor), trip_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def add_sample(self, actor, trip_id, payload):
        return trips.add_sample(self._ctx(), Actor.from_dict(actor), trip_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def set_trip_conditions(self, actor, trip_id, payload):
        return trips.set_conditions(self._ctx(), Actor.from_dict(actor), trip_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def depart_trip(self, actor, trip_id, payload):
        return trips.depart(self._ctx(), Actor.from_dict(actor), trip_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def get_trip(self, actor, trip_id):
        return trips.get(self._ctx(), Actor.from_dict(actor), trip_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_trips(self, actor, query=None):
        return trips.list_trips(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def record_receipt(self, actor, payload):
        return trips.record_receipt(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_receipts(self, actor, sampling_task_id):
        return trips.list_receipts(self._ctx(), Actor.from_dict(actor), sampling_task_id)
