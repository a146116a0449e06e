"""The credit service: supervision (非现场监管) — warnings, on-site inspections, rectification orders.

A thin nameko shell over the use cases."""
from nameko.rpc import rpc

from emss_common.actor import Actor
from emss_common.context import Context
from emss_common.errors import (Conflict, EmssError, Forbidden, InvalidTransition, NotAuthenticated,
                                NotFound, ValidationFailed)
from emss_common.nameko_deps import ServiceBase, Store, configured_timer
from emss_common.store import merge_indexes

from .storage_orders import ORDER_INDEXES
from .usecases import inspections, orders

EXPECTED = (EmssError, Forbidden, NotFound, ValidationFailed, Conflict, InvalidTransition, NotAuthenticated)
INDEXES = merge_indexes(ORDER_INDEXES)


class CreditService(ServiceBase):
    name = "credit"
    db = Store("credit", INDEXES)

    def _ctx(self):
        return Context(self.db, self.clock, self.events, self.config)

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
        """逾期未整改: orders still waiting for their addressee after the deadline raise ORDER_OVERDUE."""
        return orders.sweep_overdue_orders(self._ctx())

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
