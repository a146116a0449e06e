"""The credit service's collections.

warnings: one document per finding (id = finding_id(rule, key), unique: raising it twice, from two
replicas at once, still makes one), with its lifecycle trail and the events its last write carries.
"""
from emss_common.outbox import carries_events
from emss_common.replica import REGISTRY_INDEXES
from emss_common.store import Index, merge_indexes

# The equality prefix of each list, by whose scope it is (supervision/access.scope); a list's sort
# follows it (WARNING_ORDER).
LIST_SCOPES = (("city", []), ("district", [("district", 1)]),
               ("institution", [("institution_id", 1)]), ("enterprise", [("enterprise_id", 1)]))
WARNING_ORDER = [("raised_at", -1), ("id", 1)]
# Filters of the regulator's list narrowing the whole city's warnings (a district regulator's
# filter reads his district's index and checks the rest).
CITY_FILTERS = ("rule", "category", "severity", "outlet_id")

INDEXES = merge_indexes({
    "warnings": [Index([("id", 1)], unique=True),
                 *(Index([*eq, *WARNING_ORDER], name=f"{name}_list") for name, eq in LIST_SCOPES),
                 # a status tab (新预警, 已确认 …) of each list
                 *(Index([*eq, ("status", 1), *WARNING_ORDER], name=f"{name}_status_list")
                   for name, eq in LIST_SCOPES),
                 # (the overview counts a month of a scope as a range of raised_at on its list's index)
                 *(Index([(f, 1), *WARNING_ORDER], name=f"{f}_list") for f in CITY_FILTERS)],
}, carries_events("warnings"),  # a warning's write carries its events until they are in the outbox
    REGISTRY_INDEXES)  # its copy of the registry (institutions' names, the rules' facts)
