"""Who sees confirmation records and trips: the institution that filed them, the enterprise they
concern, regulators of that district, administrators."""
from emss_common.actor import REGULATOR, SYSADMIN, WHOLE_CITY, Actor, covers_district


def may_view(actor: Actor, doc: dict) -> bool:
    if actor.has(SYSADMIN) or covers_district(actor, doc.get("district")):
        return True
    if actor.institution_id and actor.institution_id == doc.get("institution_id"):
        return True
    return bool(actor.enterprise_id) and actor.enterprise_id == doc.get("enterprise_id")


def scope_query(actor: Actor):
    """The Mongo filter of what an actor may list; None when they may list nothing. A
    self-operating enterprise's account (institution and enterprise at once) sees both sides."""
    if actor.has(SYSADMIN):
        return {}
    if actor.has(REGULATOR):
        return {} if actor.district == WHOLE_CITY else {"district": actor.district}
    sides = []
    if actor.institution_id:
        sides.append({"institution_id": actor.institution_id})
    if actor.enterprise_id:
        sides.append({"enterprise_id": actor.enterprise_id})
    if not sides:
        return None
    return sides[0] if len(sides) == 1 else {"$or": sides}


def within(scope: dict, filters: dict) -> dict:
    """The actor's scope AND the query's filters: a filter on a scoped key (enterprise_id of an
    enterprise, institution_id of an institution) narrows the scope, never replaces it."""
    if not scope:
        return dict(filters)
    if not filters:
        return dict(scope)
    return {"$and": [scope, filters]}
