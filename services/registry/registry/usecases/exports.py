"""What the registry exports for the reconciliation of services that keep copies of its facts
(tasks, fieldrecords, confirmation): each fact as its events carry it, paged by the time of its
last change (emss_common.reconciliation)."""
from emss_common.reconciliation import Export
from emss_common.serial import to_wire

from .enterprises import device_view, outlet_view
from .institutions import snapshot

EXPORTS = (
    Export("institutions", snapshot),
    Export("enterprises", to_wire),
    Export("outlets", outlet_view),
    Export("devices", device_view),
)
