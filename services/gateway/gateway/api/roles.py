"""Groups of roles that API routes allow (role names: emss_common.actor)."""
from emss_common.actor import (  # noqa: F401  (re-exported for the route modules)
    ENTERPRISE_USER, FIELD_STAFF, INSTITUTION_ADMIN, REGULATOR, REVIEWER, SYSADMIN)

INSTITUTION_MEMBERS = [INSTITUTION_ADMIN, FIELD_STAFF, REVIEWER]
ANY_ROLE = [INSTITUTION_ADMIN, FIELD_STAFF, REVIEWER, ENTERPRISE_USER, REGULATOR, SYSADMIN]
