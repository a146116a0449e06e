"""The tasks service: contracts, O&M tasks and plans, sampling tasks, report uploads.

A thin nameko shell. It keeps its own copy of registry facts (KeepsRegistryCopy), so validating a
task never calls another service, and of submitted records (completions), from which it decides
what tasks owed: occurrence.missed / occurrence.fulfilled / report.missing (usecases/obligations.py).
"""

from nameko.events import event_handler
from nameko.rpc import rpc

from emss_common.actor import Actor
from emss_common.context import Context
from emss_common.errors import (Conflict, EmssError, Forbidden, InvalidTransition, NotAuthenticated,
                                NotFound, ValidationFailed)
from emss_common.nameko_deps import (ExportsFacts, KeepsRegistryCopy, ServiceBase, Store, configured_timer,
                                     idempotent, reconcile_from)

from .storage import INDEXES
from .usecases import contracts, obligations, om_tasks, reports, reviews, sampling
from .usecases.exports import EXPORTS

EXPECTED = (EmssError, Forbidden, NotFound, ValidationFailed, Conflict, InvalidTransition, NotAuthenticated)


class TasksService(ExportsFacts, KeepsRegistryCopy, ServiceBase):
    name = "tasks"
    db = Store("tasks", INDEXES, EXPORTS)
    EXPORTS = EXPORTS

    def _ctx(self):
        return Context(self.db, self.clock, self.events, self.config)

    # ----- facts from the field -----
    @event_handler("fieldrecords", "record.submitted")
    @idempotent()
    def on_record_submitted(self, event):
        om_tasks.record_completion(self._ctx(), event)

    @configured_timer("EMSS_RECONCILE_SECONDS", 60, eager=True)
    def reconcile_fieldrecords(self):
        """At start and every minute, from the watermark: records submitted while this service or its
        queues did not exist yet (an obligation decided without them would be wrong)."""
        reconcile_from(self, "fieldrecords", ("records",),
                       lambda collection, fact, at: om_tasks.record_completion(self._ctx(), {"data": {"record": fact}}))

    @configured_timer("EMSS_OBLIGATION_SWEEP_SECONDS", 300)
    def sweep_obligations(self):
        """Closed windows and report deadlines decided, each once (occurrence.*, report.missing)."""
        return obligations.sweep(self._ctx())

    @event_handler("confirmation", "record.voided")
    @idempotent()
    def on_record_voided(self, event):
        om_tasks.record_voided(self._ctx(), event)

    @event_handler("fieldrecords", "sampling_trip.departed")
    @idempotent()
    def on_trip_departed(self, event):
        sampling.trip_departed(self._ctx(), event)

    @event_handler("confirmation", "sampling_trip.confirmed")
    @idempotent()
    def on_trip_confirmed(self, event):
        sampling.trip_confirmed(self._ctx(), event)

    # ----- contracts -----
    @rpc(expected_exceptions=EXPECTED)
    def create_contract(self, actor, payload):
        return contracts.create(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def update_contract(self, actor, contract_id, payload):
        return contracts.update(self._ctx(), Actor.from_dict(actor), contract_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def submit_contract(self, actor, contract_id):
        return contracts.submit(self._ctx(), Actor.from_dict(actor), contract_id)

    @rpc(expected_exceptions=EXPECTED)
    def get_contract(self, actor, contract_id):
        return contracts.get_contract(self._ctx(), Actor.from_dict(actor), contract_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_contracts(self, actor, query=None):
        return contracts.list_contracts(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def request_contract_change(self, actor, contract_id, payload):
        return contracts.request_change(self._ctx(), Actor.from_dict(actor), contract_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def decide_change_request(self, actor, change_request_id, payload):
        return reviews.decide(self._ctx(), Actor.from_dict(actor), change_request_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def contract_trail(self, actor, contract_id):
        return contracts.trail(self._ctx(), Actor.from_dict(actor), contract_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_change_requests(self, actor, kind=None):
        return contracts.list_change_requests(self._ctx(), Actor.from_dict(actor), kind)

    # ----- O&M tasks -----
    @rpc(expected_exceptions=EXPECTED)
    def create_task(self, actor, payload):
        return om_tasks.create(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def update_task(self, actor, task_id, payload):
        return om_tasks.update(self._ctx(), Actor.from_dict(actor), task_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def transition_task(self, actor, task_id, payload):
        return om_tasks.transition(self._ctx(), Actor.from_dict(actor), task_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def request_task_change(self, actor, task_id, payload):
        return om_tasks.request_change(self._ctx(), Actor.from_dict(actor), task_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def get_task(self, actor, task_id):
        return om_tasks.get_task(self._ctx(), Actor.from_dict(actor), task_id)

    @rpc(expected_exceptions=EXPECTED)
    def task_trail(self, actor, task_id):
        return om_tasks.trail(self._ctx(), Actor.from_dict(actor), task_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_tasks(self, actor, query=None):
        return om_tasks.list_tasks(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def plan_defaults(self):
        return om_tasks.plan_defaults(self._ctx())

    @rpc(expected_exceptions=EXPECTED)
    def task_occurrences(self, actor, task_id, query):
        return om_tasks.task_occurrences(self._ctx(), Actor.from_dict(actor), task_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def maintenance(self, actor, task_id, query=None):
        return om_tasks.maintenance(self._ctx(), Actor.from_dict(actor), task_id, query)

    # ----- sampling tasks -----
    @rpc(expected_exceptions=EXPECTED)
    def commission_sampling(self, actor, payload):
        return sampling.commission(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def set_sampling_scheme(self, actor, task_id, payload):
        return sampling.set_scheme(self._ctx(), Actor.from_dict(actor), task_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def set_sampling_plan(self, actor, task_id, payload):
        return sampling.set_plan(self._ctx(), Actor.from_dict(actor), task_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def advance_sampling(self, actor, task_id):
        return sampling.advance(self._ctx(), Actor.from_dict(actor), task_id)

    @rpc(expected_exceptions=EXPECTED)
    def get_sampling_task(self, actor, task_id):
        return sampling.get_task(self._ctx(), Actor.from_dict(actor), task_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_sampling_tasks(self, actor, query=None):
        return sampling.list_tasks(self._ctx(), Actor.from_dict(actor), query)

    # ----- reports -----
    @rpc(expected_exceptions=EXPECTED)
    def upload_report(self, actor, payload):
        return reports.upload(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_reports(self, actor, query=None):
        return reports.list_reports(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def download_report(self, actor, report_id):
        return reports.download(self._ctx(), Actor.from_dict(actor), report_id)

    @rpc(expected_exceptions=EXPECTED)
    def report_obligations(self, actor, task_id):
        return reports.obligations(self._ctx(), Actor.from_dict(actor), task_id)
