"""Who sees a warning (and what supervision found): regulators of its jurisdiction (the whole
city, or their district), the institution it is about, the enterprise whose outlet it concerns.
Nobody else: a warning is a regulator's working paper, not an administrator's."""
from emss_common.actor import REGULATOR, WHOLE_CITY, covers_district


def may_view(actor, doc):
    if actor.has(REGULATOR):
        return covers_district(actor, doc.get("district"))
    if actor.institution_id and actor.institution_id == doc.get("institution_id"):
        return True
    return bool(actor.enterprise_id) and actor.enterprise_id == doc.get("enterprise_id")


def scope(actor):
    """The Mongo filter of what `actor` may list; None when they may list nothing. A
    self-operating enterprise's account (institution and enterprise at once) sees both sides."""
    if actor.has(REGULATOR):
        if not actor.district:
            return None
        return {} if actor.district == WHOLE_CITY else {"district": actor.district}
    sides = [{k: v} for k, v in (("institution_id", actor.institution_id), ("enterprise_id", actor.enterprise_id)) if v]
    if not sides:
        return None
    return sides[0] if len(sides) == 1 else {"$or": sides}


def may_act(actor, doc):
    """Acknowledge, dismiss, mark suspected: the regulators who see it."""
    return actor.has(REGULATOR) and may_view(actor, doc)
