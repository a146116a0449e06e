"""What confirmation exports for credit's reconciliation: each O&M record with its confirmation
state as its events carry it (record.enterprise_confirmed, record.voided, …), paged by the time of
its last change, so a status change whose event was missed still reaches the supervision rules."""
from emss_common.reconciliation import Export

from ..domain.records import ConfirmationDeadline
from . import records


def record_fact(record):
    # due_at depends on the configured grace, which an export view cannot read; consumers that
    # need the deadline have it from the events.
    out = records.fact(record, ConfirmationDeadline())
    out.pop("due_at", None)
    return out


EXPORTS = (
    Export("records", record_fact, key="updated_at"),
)
