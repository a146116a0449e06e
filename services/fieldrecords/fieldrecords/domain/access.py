"""Who may see field records and trips: the filing institution (drafts only to the filer), the
enterprise whose outlet it is (once submitted), regulators of that district, administrators."""
from emss_common.access import party_may_view, scope_query, within  # noqa: F401  (re-exported)
from emss_common.actor import Actor


def may_view(actor: Actor, doc: dict) -> bool:
    if doc.get("status") == "draft":
        owner = (doc.get("filer") or doc.get("leader") or {}).get("account_id")
        return owner == actor.account_id
    return party_may_view(actor, doc)
