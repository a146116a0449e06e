"""Who may do what, and over which institution, enterprise or district.

An actor is what the gateway resolved from a session; services never trust a client-sent id for
scope, they compare the actor's own institution/enterprise/district with the record's.
"""
from emss_common.actor import (  # noqa: F401  (re-exported: the registry's vocabulary)
    ANONYMOUS, DISTRICTS, ENTERPRISE_USER, FIELD_STAFF, INSTITUTION_ADMIN, REGULATOR, REVIEWER,
    ROLE_LABELS, SUB_ACCOUNT_ROLES, SYSADMIN, WHOLE_CITY, Actor, covers_district)


def may_view_institution(actor: Actor, institution: dict) -> bool:
    if actor.has(SYSADMIN):
        return True
    if covers_district(actor, institution.get("district")):
        return True
    return actor.institution_id is not None and actor.institution_id == institution["id"]


def may_edit_institution(actor: Actor, institution: dict) -> bool:
    return actor.has(INSTITUTION_ADMIN) and actor.institution_id == institution["id"]


def may_review_institution(actor: Actor, institution: dict) -> bool:
    return covers_district(actor, institution.get("district"))


def may_view_enterprise(actor: Actor, enterprise: dict) -> bool:
    """Enterprises are a directory (名录库): institutions read it to bind contracts and tasks."""
    if actor.has(SYSADMIN, INSTITUTION_ADMIN, FIELD_STAFF, REVIEWER):
        return True
    if covers_district(actor, enterprise.get("district")):
        return True
    return actor.enterprise_id is not None and actor.enterprise_id == enterprise["id"]


def may_edit_enterprise(actor: Actor, enterprise: dict) -> bool:
    return actor.has(ENTERPRISE_USER) and actor.enterprise_id == enterprise["id"]
