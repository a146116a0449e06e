"""Who may see field records and trips: the filing institution (drafts only to the filer), the
enterprise whose outlet it is (once submitted), regulators of that district, administrators."""
from emss_common.access import party_may_view, scope_query, within  # noqa: F401  (re-exported)
from emss_common.actor import Actor


def may_view(actor: Actor, doc: dict) -> bool:
    if doc.get("status") == "draft":
        owner = (doc.get("filer") or doc.get("leader") or {}).get("account_id")
        return owner == actor.account_id
    return party_may_view(actor, doc)


def may_see_lookalike(actor: Actor, other: dict) -> bool:
    """Whether a duplicate-photo flag may name the record (or trip) whose photo looks alike: to
    whoever may view that record (regulators of its district, its enterprise once submitted), and
    to its own institution even while it is a draft. Others learn only that one exists elsewhere."""
    if may_view(actor, other):
        return True
    return bool(actor.institution_id) and actor.institution_id == other.get("institution_id")
