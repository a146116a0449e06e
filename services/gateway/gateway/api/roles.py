"""Role names as the registry issues them (registry/domain/roles.py)."""
INSTITUTION_ADMIN = "institution_admin"
FIELD_STAFF = "field_staff"
REVIEWER = "reviewer"
ENTERPRISE_USER = "enterprise_user"
REGULATOR = "regulator"
SYSADMIN = "sysadmin"

INSTITUTION_MEMBERS = [INSTITUTION_ADMIN, FIELD_STAFF, REVIEWER]
ANY_ROLE = [INSTITUTION_ADMIN, FIELD_STAFF, REVIEWER, ENTERPRISE_USER, REGULATOR, SYSADMIN]
