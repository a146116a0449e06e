"""Who sees confirmation records and trips: the institution that filed them, the enterprise they
concern, regulators of that district, administrators (emss_common.access)."""
from emss_common.access import party_may_view as may_view, scope_query, within  # noqa: F401
