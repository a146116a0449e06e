"""The credit service: supervision (非现场监管). Rules judge the facts other services publish,
findings become warnings (预警) with their evidence, regulators act on them.

A thin nameko shell: the use cases (usecases/) hold the logic, the lifecycle and the rules are
plain Python (supervision/).
"""
from nameko.events import event_handler
from nameko.rpc import rpc

from emss_common.actor import Actor
from emss_common.context import Context
from emss_common.errors import (Conflict, EmssError, Forbidden, InvalidTransition, NotAuthenticated, NotFound,
                                ValidationFailed)
from emss_common.nameko_deps import (INSTITUTION_EVENTS, KeepsRegistryCopy, ServiceBase, Store, configured_timer,
                                     idempotent, on_events, reconcile_from)

from emss_common.store import merge_indexes

from .storage import INDEXES
from .usecases import rulebook, sweeps, warnings
from .usecases.engine import Engine
from .usecases.facts import INDEXES as FACT_INDEXES

EXPECTED = (EmssError, Forbidden, NotFound, ValidationFailed, Conflict, InvalidTransition, NotAuthenticated)


class CreditService(KeepsRegistryCopy, ServiceBase):
    name = "credit"
    db = Store("credit", merge_indexes(INDEXES, FACT_INDEXES, sweeps.INDEXES))

    def _ctx(self):
        return Context(self.db, self.clock, self.events, self.config)

    # ----- rules engine (facts, sweeps) -----
    # Each fact is kept (usecases/facts.py) and judged by the rules it concerns (usecases/engine.py);
    # a rule reads only the facts kept here. Reconciliation tops the facts up from the sources'
    # exports, so nothing published before this service (or its queues) existed is missed.
    def _engine(self):
        return Engine(self._ctx())

    @event_handler("fieldrecords", "record.submitted")
    @idempotent()
    def rules_on_record_submitted(self, event):
        self._engine().on_record(event["data"]["record"], "fieldrecords")

    @on_events("confirmation", "record.enterprise_confirmed", "record.review_confirmed", "record.voided",
               "record.confirmation_overdue")
    @idempotent()
    def rules_on_record_confirmation(self, event):
        self._engine().on_record(event["data"]["record"], "confirmation")

    @event_handler("tasks", "task.changed")
    @idempotent()
    def rules_on_task(self, event):
        self._engine().on_task(event["data"]["task"], event["occurred_at"])

    @event_handler("tasks", "report.uploaded")
    @idempotent()
    def rules_on_report(self, event):
        self._engine().on_report(event["data"]["report"])

    @on_events("tasks", "occurrence.missed", "occurrence.fulfilled", "report.missing")
    @idempotent()
    def rules_on_outcome(self, event):
        data = event["data"].get("occurrence") or event["data"].get("report_obligation")
        self._engine().on_outcome(event["type"], data, event["occurred_at"])

    @on_events("registry", *(f"institution.{t}" for t in INSTITUTION_EVENTS))
    @idempotent()
    def rules_on_institution(self, event):
        self._engine().on_institution(event["data"]["institution"], event["occurred_at"])

    @configured_timer("EMSS_RECONCILE_SECONDS", 60, eager=True)
    def reconcile_rule_facts(self):
        """At start and every EMSS_RECONCILE_SECONDS, from each source's watermark: records from
        fieldrecords and confirmation, tasks and their outcomes from tasks. Keeping a fact twice
        changes nothing and raises nothing new."""
        engine = self._engine()
        reconcile_from(self, "fieldrecords", ("records",),
                       lambda _, fact, at: engine.on_record(fact, "fieldrecords")[1]["new"])
        reconcile_from(self, "confirmation", ("records",),
                       lambda _, fact, at: engine.on_record(fact, "confirmation")[1].get("status", False))
        # one collection a call: a source without one export still serves the other
        reconcile_from(self, "tasks", ("tasks",), lambda _, fact, at: engine.on_task(fact, at))
        reconcile_from(self, "tasks", ("outcomes",), lambda _, fact, at: engine.on_outcome_fact(fact, at))

    @configured_timer("EMSS_RULE_CHECK_SECONDS", 300)
    def check_time_rules(self):
        """The rules time alone can break: a task falling idle, a failed check's follow-up time over."""
        return self._engine().tick()

    @configured_timer("EMSS_SWEEP_POLL_SECONDS", 5)
    def advance_sweeps(self):
        """One slice of the oldest unfinished sweep (usecases/sweeps.py)."""
        return sweeps.advance(self._ctx(), int(self.config.get("EMSS_SWEEP_SLICE") or 500))

    @rpc(expected_exceptions=EXPECTED)
    def start_sweep(self, actor, payload):
        return sweeps.start_sweep(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def sweep_status(self, actor, sweep_id):
        return sweeps.sweep_status(self._ctx(), Actor.from_dict(actor), sweep_id)

    # ----- the rules -----
    @rpc(expected_exceptions=EXPECTED)
    def list_rules(self, actor):
        return rulebook.list_rules(self._ctx(), Actor.from_dict(actor))

    # ----- warnings (预警) -----
    @rpc(expected_exceptions=EXPECTED)
    def list_warnings(self, actor, query=None):
        return warnings.list_warnings(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def get_warning(self, actor, warning_id):
        return warnings.get_warning(self._ctx(), Actor.from_dict(actor), warning_id)

    @rpc(expected_exceptions=EXPECTED)
    def act_on_warning(self, actor, warning_id, payload):
        return warnings.act(self._ctx(), Actor.from_dict(actor), warning_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def overview(self, actor, query=None):
        return warnings.overview(self._ctx(), Actor.from_dict(actor), query)
