"""What tasks exports for fieldrecords' reconciliation: every task past its draft, and every
sampling task (trips are validated against their plan), paged by the time of their last change."""
from emss_common.reconciliation import Export

from . import om_tasks, sampling

EXPORTS = (
    Export("tasks", lambda t: om_tasks.snapshot(None, t), query={"status": {"$ne": "draft"}}),
    Export("sampling_tasks", sampling.view),
)
