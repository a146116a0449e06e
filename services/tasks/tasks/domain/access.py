"""Who may see and change contracts, tasks and reports: the institution that owns them, the
enterprise they concern, and regulators whose jurisdiction covers that enterprise."""
from emss_common.actor import INSTITUTION_ADMIN, SYSADMIN, Actor, covers_district


def may_view(actor: Actor, record: dict) -> bool:
    if actor.has(SYSADMIN) or covers_district(actor, record.get("district")):
        return True
    if actor.institution_id and actor.institution_id == record.get("institution_id"):
        return True
    return bool(actor.enterprise_id) and actor.enterprise_id == record.get("enterprise_id")


def may_edit(actor: Actor, record: dict) -> bool:
    return actor.has(INSTITUTION_ADMIN) and actor.institution_id == record.get("institution_id")


def may_review(actor: Actor, record: dict) -> bool:
    return covers_district(actor, record.get("district"))


def scope_query(actor: Actor):
    """The Mongo filter of what an actor may list; None when they may list nothing."""
    from emss_common.actor import REGULATOR, WHOLE_CITY
    if actor.has(SYSADMIN):
        return {}
    if actor.has(REGULATOR):
        return {} if actor.district == WHOLE_CITY else {"district": actor.district}
    if actor.institution_id:
        return {"institution_id": actor.institution_id}
    if actor.enterprise_id:
        return {"enterprise_id": actor.enterprise_id}
    return None
