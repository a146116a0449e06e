"""The credit service: supervision (warnings, rectification orders, inspections, leads to the
enforcement agency); credit evaluation arrives with its issue. A thin nameko shell."""
from emss_common.context import Context
from emss_common.nameko_deps import Outbound, ServiceBase, Store, idempotent, on_events

from .usecases import leads


class CreditService(ServiceBase):
    name = "credit"
    db = Store("credit")
    outbound = Outbound()

    def _ctx(self):
        return Context(self.db, self.clock, self.events, self.config)

    # ----- leads to the enforcement agency -----
    @on_events("credit", *leads.WARNING_EVENTS)
    @idempotent()  # a failure is retried and parked like every handler's (redelivery.py)
    def to_enforcement(self, event):
        """疑似违法线索 and its outcome leave for the enforcement agency (ids fixed by the warning:
        a redelivery is a duplicate, not a second fact)."""
        leads.note_outcome(self._ctx(), leads.forward(self.outbound, event))
