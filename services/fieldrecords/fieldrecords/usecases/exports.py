"""What fieldrecords exports for confirmation's reconciliation: submitted records and departed
trips, as their events carry them, paged by submission / departure time. A consumer new to them
starts a month back: older records are past their confirmation day."""
from datetime import timedelta

from emss_common.reconciliation import Export

from . import records, trips

EXPORTS = (
    Export("records", records.fact, key="submitted_at", query={"status": "submitted"},
           start=timedelta(days=31)),
    Export("trips", trips.fact, key="departed_at", start=timedelta(days=31)),
)
