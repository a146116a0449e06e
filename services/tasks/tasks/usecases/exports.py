"""What tasks exports for reconciliation: every task past its draft, and every sampling task
(fieldrecords validates trips against their plan), paged by the time of their last change; and
the outcomes of obligations (credit judges them), paged by the time they were decided."""
from emss_common.reconciliation import Export

from . import obligations, om_tasks, sampling

EXPORTS = (
    Export("tasks", lambda t: om_tasks.snapshot(None, t), query={"status": {"$ne": "draft"}}),
    Export("sampling_tasks", sampling.view),
    Export("outcomes", obligations.export_view, key="decided_at"),
)
