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
from emss_common.nameko_deps import KeepsRegistryCopy, ServiceBase, Store

from .storage import INDEXES
from .usecases import rulebook, warnings

EXPECTED = (EmssError, Forbidden, NotFound, ValidationFailed, Conflict, InvalidTransition, NotAuthenticated)


class CreditService(KeepsRegistryCopy, ServiceBase):
    name = "credit"
    db = Store("credit", INDEXES)

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
