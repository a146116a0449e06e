"""The credit service: supervision (非现场监管). Rules judge the facts other services publish,
findings become warnings (预警) with their evidence, regulators act on them.

A thin nameko shell: the use cases (usecases/) hold the logic, the lifecycle and the rules are
plain Python (supervision/).
"""
from nameko.rpc import rpc

from emss_common.actor import Actor
from emss_common.context import Context
from emss_common.errors import (Conflict, EmssError, Forbidden, InvalidTransition, NotAuthenticated, NotFound,
                                ValidationFailed)
from emss_common.nameko_deps import (KeepsRegistryCopy, Outbound, ServiceBase, Store, configured_timer, idempotent,
                                    on_events)

from .storage import INDEXES
from .usecases import inspections, leads, orders, rulebook, warnings

EXPECTED = (EmssError, Forbidden, NotFound, ValidationFailed, Conflict, InvalidTransition, NotAuthenticated)


class CreditService(KeepsRegistryCopy, ServiceBase):
    name = "credit"
    db = Store("credit", INDEXES)
    outbound = Outbound()

    def _ctx(self):
        return Context(self.db, self.clock, self.events, self.config)

    # ----- rules engine (facts, sweeps) -----

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

    # ----- leads to the enforcement agency -----
    @on_events("credit", *leads.WARNING_EVENTS)
    @idempotent()  # a failure is retried and parked like every handler's (redelivery.py)
    def to_enforcement(self, event):
        """疑似违法线索 and its outcome leave for the enforcement agency (ids fixed by the warning:
        a redelivery is a duplicate, not a second fact)."""
        leads.to_enforcement(self._ctx(), self.outbound, event)

    # ----- rectification orders and inspections -----
    @rpc(expected_exceptions=EXPECTED)
    def issue_order(self, actor, payload):
        return orders.issue_order(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_orders(self, actor, query=None):
        return orders.list_orders(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def get_order(self, actor, order_id):
        return orders.get_order(self._ctx(), Actor.from_dict(actor), order_id)

    @rpc(expected_exceptions=EXPECTED)
    def answer_order(self, actor, order_id, payload):
        return orders.answer_order(self._ctx(), Actor.from_dict(actor), order_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def review_order(self, actor, order_id, payload):
        return orders.review_order(self._ctx(), Actor.from_dict(actor), order_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def order_file(self, actor, order_id, file_id):
        return orders.order_file(self._ctx(), Actor.from_dict(actor), order_id, file_id)

    @configured_timer("EMSS_ORDER_SWEEP_SECONDS", 300)
    def sweep_overdue_orders(self):
        """逾期未整改: orders still waiting for their addressee after the deadline raise ORDER_OVERDUE;
        first, what a process that died mid-way left: warning steps of orders, inspections' findings."""
        ctx = self._ctx()
        orders.finish_follow_ups(ctx)
        inspections.finish_pending_findings(ctx)
        return orders.sweep_overdue_orders(ctx)

    @rpc(expected_exceptions=EXPECTED)
    def record_inspection(self, actor, payload):
        return inspections.record_inspection(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_inspections(self, actor, query=None):
        return inspections.list_inspections(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def get_inspection(self, actor, inspection_id):
        return inspections.get_inspection(self._ctx(), Actor.from_dict(actor), inspection_id)

    @rpc(expected_exceptions=EXPECTED)
    def inspection_file(self, actor, inspection_id, file_id):
        return inspections.inspection_file(self._ctx(), Actor.from_dict(actor), inspection_id, file_id)
