"""Who may see field records and trips: the filing institution (drafts only to the filer), the
enterprise whose outlet it is (once submitted), regulators of that district, administrators."""
from emss_common.actor import REGULATOR, SYSADMIN, WHOLE_CITY, Actor, covers_district


def may_view(actor: Actor, doc: dict) -> bool:
    draft = doc.get("status") == "draft"
    owner = (doc.get("filer") or doc.get("leader") or {}).get("account_id")
    if draft:
        return owner == actor.account_id
    if actor.has(SYSADMIN) or covers_district(actor, doc.get("district")):
        return True
    if actor.institution_id and actor.institution_id == doc.get("institution_id"):
        return True
    return bool(actor.enterprise_id) and actor.enterprise_id == doc.get("enterprise_id")


def scope_query(actor: Actor):
    """The Mongo filter of what an actor may list (submitted documents); None for nothing."""
    if actor.has(SYSADMIN):
        return {}
    if actor.has(REGULATOR):
        return {} if actor.district == WHOLE_CITY else {"district": actor.district}
    if actor.institution_id:
        return {"institution_id": actor.institution_id}
    if actor.enterprise_id:
        return {"enterprise_id": actor.enterprise_id}
    return None
